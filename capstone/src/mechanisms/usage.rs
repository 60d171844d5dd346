//! What a running container uses, read from the kernel's files, for `stats` and `top`:
//! its cgroup (lesson 02's [`cgroups::Cgroup::stats`] reads CPU time, memory and pids from
//! the v1 or v2 files; this module adds the page cache to leave out of memory, and block I/O),
//! and its network namespace's interface counters.
//!
//! - memory: `memory.stat` `inactive_file` (v2) or `total_inactive_file` (v1) is page cache
//!   the kernel can drop at once; Docker subtracts it from the usage, and so do we.
//! - block I/O: v2 `io.stat` (`rbytes=`/`wbytes=` per device, cgroup-v2.rst); v1
//!   `blkio.throttle.io_service_bytes` (`Read`/`Write` per device, blkio-controller.rst) —
//!   only where the container has a cgroup of its own in that hierarchy.
//! - network: `/proc/PID/net/dev` shows the interfaces of the network namespace PID is in
//!   (proc(5)), so reading it through the container's first process needs no setns(2).

use crate::Result;
use crate::model::container::Container;
use std::path::Path;
use std::time::Instant;

/// One reading of a container's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    /// CPU time used so far, microseconds (cumulative).
    pub cpu_usec: Option<u64>,
    /// Memory in use less the page cache the kernel can drop, bytes.
    pub memory: Option<u64>,
    /// Processes and threads in the cgroup now.
    pub pids: Option<u64>,
    /// Bytes read and written on block devices, if this layout accounts them per container.
    pub block_io: Option<(u64, u64)>,
    /// Bytes received and sent on the container's interfaces (loopback left out).
    pub net_io: Option<(u64, u64)>,
}

/// Reads a container's counters now; `None` when it has no cgroup (not running).
pub fn sample(record: &Container) -> Result<Option<(Instant, Sample)>> {
    let Some(cgroup) = super::cgroup::open(record) else {
        return Ok(None);
    };
    let when = Instant::now();
    let stats = cgroup.stats()?;
    let dirs = cgroup.directories();
    let memory_stat = dirs
        .iter()
        .map(|d| d.join("memory.stat"))
        .find(|p| p.exists());
    let inactive = match &memory_stat {
        Some(path) => cgroups::files::read_key(path, "total_inactive_file")?
            .or(cgroups::files::read_key(path, "inactive_file")?)
            .unwrap_or(0),
        None => 0,
    };
    Ok(Some((
        when,
        Sample {
            cpu_usec: stats.cpu_usage_usec,
            memory: stats.memory_current.map(|m| m.saturating_sub(inactive)),
            pids: stats.pids_current,
            block_io: dirs.iter().find_map(|d| block_io(d)),
            net_io: net_io(record.state.pid),
        },
    )))
}

/// The processes in the container's cgroup now (`cgroup.procs` of each hierarchy).
pub fn processes(record: &Container) -> Result<Vec<i32>> {
    match super::cgroup::open(record) {
        Some(cgroup) => Ok(cgroup.processes()?),
        None => Ok(Vec::new()),
    }
}

/// Sums `io.stat` (v2) or `blkio.throttle.io_service_bytes` (v1) in `dir` over devices.
fn block_io(dir: &Path) -> Option<(u64, u64)> {
    if let Ok(text) = std::fs::read_to_string(dir.join("io.stat")) {
        let (mut read, mut write) = (0, 0);
        for field in text.split_whitespace() {
            let number = |prefix: &str| field.strip_prefix(prefix)?.parse::<u64>().ok();
            read += number("rbytes=").unwrap_or(0);
            write += number("wbytes=").unwrap_or(0);
        }
        return Some((read, write));
    }
    let text = std::fs::read_to_string(dir.join("blkio.throttle.io_service_bytes")).ok()?;
    let (mut read, mut write) = (0, 0);
    for line in text.lines() {
        let mut parts = line.split_whitespace();
        let (_device, op, value) = (parts.next(), parts.next(), parts.next());
        let value = value.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        match op {
            Some("Read") => read += value,
            Some("Write") => write += value,
            _ => {}
        }
    }
    Some((read, write))
}

/// Received and sent bytes of every interface but `lo` in PID's network namespace.
fn net_io(pid: i32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).ok()?;
    let (mut rx, mut tx) = (0, 0);
    // After two header lines: `  eth0: rx_bytes rx_packets … (8 receive fields) tx_bytes …`.
    for line in text.lines().skip(2) {
        let Some((name, counters)) = line.split_once(':') else {
            continue;
        };
        if name.trim() == "lo" {
            continue;
        }
        let fields: Vec<u64> = counters
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        rx += fields.first().copied().unwrap_or(0);
        tx += fields.get(8).copied().unwrap_or(0);
    }
    Some((rx, tx))
}

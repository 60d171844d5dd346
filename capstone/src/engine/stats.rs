//! `stats` and `top` of the [`Engine`]: what running containers use, from their cgroups and
//! network namespaces ([`crate::mechanisms::usage`]), and their processes as ps(1) shows them.

use super::Engine;
use crate::mechanisms::usage::{self, Sample};
use crate::model::container::Container;
use crate::{Error, Result};
use std::time::Duration;

/// A container's use of the machine, as `docker stats` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// The container's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// CPU time used during the window, as a share of one CPU (100.0 = one CPU busy).
    pub cpu_percent: Option<f64>,
    /// Memory in use (without droppable page cache), bytes.
    pub memory: Option<u64>,
    /// Its memory limit (`--memory`), or the machine's memory when it has none.
    pub memory_limit: u64,
    /// Processes and threads.
    pub pids: Option<u64>,
    /// Bytes received and sent by its network interfaces.
    pub net_io: Option<(u64, u64)>,
    /// Bytes read and written on block devices (not accounted per container on cgroup v1
    /// here: the engine makes no `blkio` cgroup).
    pub block_io: Option<(u64, u64)>,
}

impl Engine {
    /// `stats`: reads each container's counters twice, `window` apart, and reports the CPU
    /// used in between (Docker's CPU % is the same ratio: container CPU time over elapsed
    /// time). Containers that are not running show no numbers, as in Docker.
    pub fn stats(&self, containers: &[Container], window: Duration) -> Result<Vec<Usage>> {
        let first: Vec<_> = containers
            .iter()
            .map(usage::sample)
            .collect::<Result<_>>()?;
        std::thread::sleep(window); // the measuring window itself, not a wait for an event
        let host_memory = host_memory();
        let mut out = Vec::new();
        for (c, before) in containers.iter().zip(first) {
            let after = usage::sample(c)?;
            let cpu_percent = match (&before, &after) {
                (Some((t0, s0)), Some((t1, s1))) => cpu_share(s0, s1, t1.duration_since(*t0)),
                _ => None,
            };
            let now = after.map(|(_, s)| s).unwrap_or_default();
            let limit = c.host_config.memory;
            out.push(Usage {
                id: c.id.clone(),
                name: c.name.clone(),
                cpu_percent,
                memory: now.memory,
                memory_limit: if limit > 0 { limit } else { host_memory },
                pids: now.pids,
                net_io: now.net_io,
                block_io: now.block_io,
            });
        }
        Ok(out)
    }

    /// `top CONTAINER [ps options]`: runs ps(1) on the host with `ps_args` (default `-ef`)
    /// and keeps the header and the rows whose PID is in the container's cgroup
    /// (`cgroup.procs`), as Docker's daemon does. Returns the titles and the rows' cells.
    /// Like moby, it also asks ps for exactly those pids (`-q PID,…`): without `-e`, ps
    /// would list only processes of its own user and terminal (`top -o pid,comm` of a
    /// container running as uid 1000 listed none); ps refuses `-q` with a few options (`f`),
    /// and then runs again without it.
    pub fn top(&self, query: &str, ps_args: &[String]) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        let record = self.container(query)?;
        if !record.state.running {
            return Err(Error::WrongState {
                id: record.short_id().into(),
                state: record.state.status.clone(),
                hint: "top needs a running container: start it first",
            });
        }
        let pids = usage::processes(&record)?;
        let args: Vec<String> = if ps_args.is_empty() {
            vec!["-ef".into()]
        } else {
            ps_args.to_vec()
        };
        let ps = |extra: Option<String>| {
            std::process::Command::new("ps")
                .args(&args)
                .args(extra)
                .output()
                .map_err(Error::io("run", "ps"))
        };
        let only_ours = pids.iter().map(i32::to_string).collect::<Vec<_>>();
        let mut out = ps(Some(format!("-q{}", only_ours.join(","))))?;
        if !out.status.success() {
            out = ps(None)?;
        }
        if !out.status.success() {
            return Err(Error::invalid(
                "ps options",
                args.join(" "),
                format!("ps failed: {}", String::from_utf8_lossy(&out.stderr).trim()),
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let titles: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from)
            .collect();
        let Some(pid_column) = titles.iter().position(|t| t == "PID") else {
            return Err(Error::invalid(
                "ps options",
                args.join(" "),
                "ps printed no PID column: keep one (e.g. -o pid,comm)",
            ));
        };
        let mut rows = Vec::new();
        for line in lines {
            // The last column (the command) may hold spaces: it takes the rest of the line.
            let cells = split_columns(line, titles.len());
            let pid = cells.get(pid_column).and_then(|p| p.parse::<i32>().ok());
            if pid.is_some_and(|p| pids.contains(&p)) {
                rows.push(cells);
            }
        }
        Ok((titles, rows))
    }
}

/// CPU time between two samples over the elapsed time, in percent of one CPU.
fn cpu_share(before: &Sample, after: &Sample, elapsed: Duration) -> Option<f64> {
    let used = after.cpu_usec?.saturating_sub(before.cpu_usec?);
    let elapsed = elapsed.as_micros() as f64;
    (elapsed > 0.0).then(|| used as f64 / elapsed * 100.0)
}

/// `MemTotal` of /proc/meminfo (proc(5)), in bytes.
pub(super) fn host_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib * 1024)
}

/// Splits a ps(1) line into `columns` cells, the last one taking the rest of the line.
fn split_columns(line: &str, columns: usize) -> Vec<String> {
    let mut cells = Vec::new();
    let mut rest = line.trim_start();
    while cells.len() + 1 < columns && !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        cells.push(rest[..end].to_string());
        rest = rest[end..].trim_start();
    }
    cells.push(rest.to_string());
    cells
}

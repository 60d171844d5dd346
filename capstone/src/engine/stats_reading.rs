//! One reading of a container's counters as the kernel keeps them — cumulative, not yet a
//! rate — for the Engine API's `stats` documents, where the client computes the rates from
//! two readings (Docker's `cpu_stats` and `precpu_stats`). Beside the container's CPU time it
//! takes the whole machine's (`system_cpu_usage`, from the `cpu` line of /proc/stat, proc(5)),
//! which is what `docker stats` divides by.

use super::Engine;
use crate::Result;
use crate::mechanisms::usage::{self, Sample};
use crate::model::container::Container;
use std::time::SystemTime;

/// A container's counters at one moment.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The container, as recorded when read.
    pub container: Container,
    /// When the counters were read.
    pub at: SystemTime,
    /// Its counters; `None` when it is not running (it has no cgroup).
    pub sample: Option<Sample>,
    /// CPU time the whole machine has spent, in nanoseconds, all CPUs together.
    pub system_cpu_nanos: Option<u64>,
    /// Its memory limit, or the machine's memory when it has none.
    pub memory_limit: u64,
    /// CPUs the machine has online.
    pub online_cpus: usize,
}

impl Engine {
    /// Reads the counters of the container `query` now.
    pub fn reading(&self, query: &str) -> Result<Reading> {
        let container = self.reconciled(query)?;
        let sample = usage::sample(&container)?.map(|(_, s)| s);
        let limit = container.host_config.memory;
        Ok(Reading {
            at: SystemTime::now(),
            sample,
            system_cpu_nanos: system_cpu_nanos(),
            memory_limit: if limit > 0 {
                limit
            } else {
                super::stats::host_memory()
            },
            online_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            container,
        })
    }
}

/// The first line of /proc/stat (`cpu  user nice system idle iowait irq softirq steal …`, in
/// clock ticks of 1/100 s, `USER_HZ`) summed over its first eight fields, as Docker does.
fn system_cpu_nanos() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: u64 = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    Some(ticks * (1_000_000_000 / 100))
}

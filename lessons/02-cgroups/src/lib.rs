//! Lesson 02: cgroups — limit and account memory, CPU and processes.
//!
//! A control group is a directory in a special filesystem; the processes listed in its
//! `cgroup.procs` file are limited by the numbers written into its other files and accounted
//! in the statistics it shows (cgroups(7)). Linux has two versions of that filesystem:
//!
//! - **v2** (one "unified" tree, [`v2`]): what current distributions and most laptops run.
//! - **v1** (one tree per controller, [`v1`]): older systems, and "hybrid" machines such as
//!   this lab's build machines, where v1 controllers sit beside an empty v2 tree.
//!
//! Both sit behind one trait, [`Cgroup`]. [`Hierarchy::detect`] finds out which layout the
//! machine runs ([`layout`]) and [`Hierarchy::create`] returns the right implementation, so a
//! step or a container engine writes `cgroup.set_memory(64 << 20, None)` once and it works on
//! either.

pub mod error;
pub mod files;
pub mod hierarchy;
pub mod layout;
pub mod limits;
pub mod process;
pub mod v1;
pub mod v2;
pub mod workload;

pub use error::{Error, Result};
pub use hierarchy::{Hierarchy, Origin};
pub use layout::Layout;
pub use limits::{CpuQuota, Resources};

use std::path::PathBuf;
use std::time::Duration;

/// How long [`Cgroup::remove`] waits for killed processes to leave, and freezing to finish.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The resource controllers this lesson uses (cgroups(7), "Cgroups version 1 controllers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Controller {
    /// Memory use and limits; the OOM killer acts per cgroup.
    Memory,
    /// CPU time accounting and CFS bandwidth/weight (v1: `cpu` and `cpuacct`).
    Cpu,
    /// Number of processes and threads.
    Pids,
    /// Stopping every process at once (v1 `freezer`; built into every v2 cgroup).
    Freezer,
}

impl Controller {
    /// Every controller, in the order steps list them.
    pub const ALL: [Controller; 4] = [
        Controller::Memory,
        Controller::Cpu,
        Controller::Pids,
        Controller::Freezer,
    ];

    /// The name the kernel uses in `cgroup.controllers` and mount options.
    pub fn name(self) -> &'static str {
        match self {
            Controller::Memory => "memory",
            Controller::Cpu => "cpu",
            Controller::Pids => "pids",
            Controller::Freezer => "freezer",
        }
    }
}

impl std::str::FromStr for Controller {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        Controller::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| Error::UnknownController { name: name.into() })
    }
}

/// What a cgroup has used, read from its statistics files. `None` when this kernel or this
/// cgroup's controllers do not provide the number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Memory in use now, bytes (v1 `memory.usage_in_bytes`, v2 `memory.current`).
    pub memory_current: Option<u64>,
    /// Highest memory use seen, bytes (v1 `memory.max_usage_in_bytes`, v2 `memory.peak`).
    pub memory_peak: Option<u64>,
    /// Processes the OOM killer killed here (v1 `memory.oom_control`, v2 `memory.events`).
    pub oom_kills: Option<u64>,
    /// CPU time used, microseconds (v1 `cpuacct.usage`, v2 `cpu.stat` usage_usec).
    pub cpu_usage_usec: Option<u64>,
    /// Bandwidth periods that had runnable tasks (`cpu.stat` nr_periods).
    pub cpu_periods: Option<u64>,
    /// Periods in which the quota ran out and tasks were held back (`cpu.stat` nr_throttled).
    pub cpu_throttled_periods: Option<u64>,
    /// Processes and threads in the cgroup now (`pids.current`).
    pub pids_current: Option<u64>,
    /// Times a fork/clone failed because of `pids.max` (`pids.events` max).
    pub pids_limit_hits: Option<u64>,
}

/// A statistic for people: the number, or `-` when this kernel or cgroup does not report it.
pub fn shown(value: Option<u64>) -> String {
    value.map_or_else(|| "-".into(), |v| v.to_string())
}

/// One cgroup, whichever version implements it. Every method is a read or write of one of
/// the cgroup's files; each implementation documents which.
pub trait Cgroup: std::fmt::Debug + Send + Sync {
    /// The name it was created with, relative to the place cgroups are made (e.g. `lab/web`).
    fn name(&self) -> &str;

    /// The directories that make up this cgroup: one on v2, one per hierarchy on v1.
    fn directories(&self) -> Vec<PathBuf>;

    /// Moves a process (and, for v2, keeps its threads together) into the cgroup by writing
    /// its pid to `cgroup.procs` in every directory. Children it forks later stay inside.
    fn add_process(&self, pid: i32) -> Result<()> {
        // exercise 02.1 join: begin
        for dir in self.directories() {
            files::write(&dir.join("cgroup.procs"), &pid.to_string())?;
        }
        Ok(())
        // exercise 02.1: end
    }

    /// The processes in the cgroup now (`cgroup.procs`).
    fn processes(&self) -> Result<Vec<i32>> {
        let mut pids = Vec::new();
        for dir in self.directories() {
            pids.extend(files::read_pids(&dir.join("cgroup.procs"))?);
        }
        pids.sort_unstable();
        pids.dedup();
        Ok(pids)
    }

    /// Limits memory to `max` bytes, and memory plus swap to `swap_total` (Docker's
    /// `--memory-swap`; `None` leaves swap alone).
    fn set_memory(&self, max: u64, swap_total: Option<u64>) -> Result<()>;

    /// Limits CPU bandwidth: `quota_us` of CPU time every `period_us`.
    fn set_cpu_quota(&self, quota: CpuQuota) -> Result<()>;

    /// Sets the relative CPU weight in Docker's `--cpu-shares` units (1024 = default).
    fn set_cpu_shares(&self, shares: u64) -> Result<()>;

    /// Limits the number of processes and threads (`pids.max`).
    fn set_pids_max(&self, max: u64) -> Result<()>;

    /// Applies every limit that is set in `resources`.
    fn apply(&self, resources: &Resources) -> Result<()> {
        if let Some(max) = resources.memory {
            self.set_memory(max, resources.memory_swap)?;
        }
        if let Some(quota) = resources.cpu_quota {
            self.set_cpu_quota(quota)?;
        }
        if let Some(shares) = resources.cpu_shares {
            self.set_cpu_shares(limits::check_cpu_shares(shares)?)?;
        }
        if let Some(max) = resources.pids {
            self.set_pids_max(max)?;
        }
        Ok(())
    }

    /// Stops every process in the cgroup and returns once the kernel reports them frozen.
    fn freeze(&self) -> Result<()>;

    /// Lets frozen processes run again and returns once the kernel reports them thawed.
    fn thaw(&self) -> Result<()>;

    /// Reads the statistics files.
    fn stats(&self) -> Result<Stats>;

    /// Only [`Stats::oom_kills`], with one file read instead of all of [`Cgroup::stats`]'s:
    /// what an engine asks when a container has exited (Docker's `OOMKilled`).
    fn oom_kills(&self) -> Result<Option<u64>> {
        Ok(self.stats()?.oom_kills)
    }

    /// Kills every process inside with SIGKILL and waits until the cgroup is empty.
    fn kill_all(&self) -> Result<()>;

    /// Kills what is left inside, waits for it to be gone, and removes the directories
    /// with rmdir(2) (a cgroup directory can only be removed once it has no processes).
    fn remove(&self) -> Result<()> {
        if self.directories().iter().all(|dir| !dir.exists()) {
            return Ok(()); // removed already
        }
        self.kill_all()?;
        for dir in self.directories() {
            files::wait_until("the directory to be removable", &dir, DEADLINE, || {
                match std::fs::remove_dir(&dir) {
                    Ok(()) => Ok(true),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
                    // EBUSY: a task that was just killed is still on its way out.
                    Err(e) if e.raw_os_error() == Some(libc::EBUSY) => Ok(false),
                    Err(source) => Err(Error::Io {
                        action: "remove",
                        path: dir.clone(),
                        source,
                    }),
                }
            })?;
        }
        Ok(())
    }
}

/// Removes its cgroup when dropped, killing whatever is still inside first: tests and steps
/// hold one so that a failure or an early `?` return never leaves a cgroup behind.
#[derive(Debug)]
pub struct CgroupGuard(pub Box<dyn Cgroup>);

impl std::ops::Deref for CgroupGuard {
    type Target = dyn Cgroup;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref()
    }
}

impl Drop for CgroupGuard {
    fn drop(&mut self) {
        if let Err(e) = self.0.remove() {
            eprintln!("warning: could not remove cgroup {}: {e}", self.0.name());
        }
    }
}

//! cgroup v2: one tree, every controller in it (the kernel's cgroup-v2.rst).
//!
//! Two rules shape this file. A controller is usable in a cgroup only if its parent lists it
//! in `cgroup.subtree_control`, so we enable controllers top-down in every *parent*, never in
//! the leaf (a leaf that enabled controllers for children could no longer hold processes:
//! the "no internal processes" rule). And freezing and killing are built into every cgroup
//! (`cgroup.freeze`, `cgroup.kill`), no controller needed.

use crate::error::{Error, Result};
use crate::files;
use crate::limits::{CpuQuota, shares_to_weight};
use crate::{Cgroup, Controller, DEADLINE, Stats};
use std::path::{Path, PathBuf};

/// A cgroup in the v2 tree: a single directory.
#[derive(Debug)]
pub struct V2Cgroup {
    name: String,
    dir: PathBuf,
}

/// The v2 controller behind each of our controllers (`None`: built in, nothing to enable).
fn v2_controller(controller: Controller) -> Option<&'static str> {
    match controller {
        Controller::Memory => Some("memory"),
        Controller::Cpu => Some("cpu"),
        Controller::Pids => Some("pids"),
        Controller::Freezer => None,
    }
}

impl V2Cgroup {
    /// Makes `root/name` with mkdir(2), after enabling `controllers` in the
    /// `cgroup.subtree_control` of `root` and of every directory between it and the new one.
    /// Directories created here are removed again if a later part fails.
    pub fn create(root: &Path, name: &str, controllers: &[Controller]) -> Result<Self> {
        let dir = root.join(name);
        if dir.exists() {
            return Err(Error::AlreadyExists { path: dir });
        }
        let wanted: Vec<&str> = controllers
            .iter()
            .filter_map(|c| v2_controller(*c))
            .collect();
        let mut created: Vec<PathBuf> = Vec::new();
        let result = (|| {
            let mut parent = root.to_path_buf();
            for part in name.split('/') {
                enable_controllers(&parent, &wanted)?;
                let child = parent.join(part);
                if !child.exists() {
                    mkdir(&child)?;
                    created.push(child.clone());
                }
                parent = child;
            }
            Ok(())
        })();
        if let Err(e) = result {
            for made in created.iter().rev() {
                let _ = std::fs::remove_dir(made);
            }
            return Err(e);
        }
        Ok(V2Cgroup {
            name: name.into(),
            dir,
        })
    }

    /// Opens `root/name`, which must exist.
    pub fn open(root: &Path, name: &str) -> Result<Self> {
        let dir = root.join(name);
        if !dir.join("cgroup.procs").exists() {
            return Err(Error::Io {
                action: "open cgroup",
                path: dir,
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        Ok(V2Cgroup {
            name: name.into(),
            dir,
        })
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The path of a controller's file, which exists only if the parent enabled that
    /// controller for us in its `cgroup.subtree_control`.
    fn control_file(&self, controller: &'static str, name: &str) -> Result<PathBuf> {
        let path = self.file(name);
        if path.exists() {
            return Ok(path);
        }
        Err(Error::ControllerUnavailable {
            controller,
            file: path,
            fix: "create the cgroup with this controller in its list, so its parent enables it",
        })
    }

    /// Reads `file` if it exists: a file is missing when its controller is not enabled here,
    /// or the kernel is older than the file (e.g. `memory.peak` came in Linux 5.19).
    fn optional(&self, file: &str, key: Option<&str>) -> Result<Option<u64>> {
        let path = self.file(file);
        if !path.exists() {
            return Ok(None);
        }
        match key {
            Some(key) => files::read_key(&path, key),
            None => files::read_u64(&path),
        }
    }

    fn wait_for_event(&self, key: &'static str, value: u64, what: &'static str) -> Result<()> {
        // cgroup.events changes when the state does (and wakes poll(2)/inotify readers).
        let events = self.file("cgroup.events");
        files::wait_until(what, &events, DEADLINE, || {
            Ok(files::read_key(&events, key)? == Some(value))
        })
    }
}

/// Makes sure `dir/cgroup.subtree_control` lists every controller in `wanted`, writing
/// `+name` for each missing one, after checking `dir/cgroup.controllers` offers it.
// ANCHOR: enable
fn enable_controllers(dir: &Path, wanted: &[&'static str]) -> Result<()> {
    let available_file = dir.join("cgroup.controllers");
    let available = files::read(&available_file)?;
    let control_file = dir.join("cgroup.subtree_control");
    let enabled = files::read(&control_file)?;
    for &controller in wanted {
        if !available.split_whitespace().any(|c| c == controller) {
            return Err(Error::ControllerUnavailable {
                controller,
                file: available_file,
                fix: "enable it in the parent's cgroup.subtree_control, or have it delegated to you (systemd: Delegate=yes)",
            });
        }
        if enabled.split_whitespace().any(|c| c == controller) {
            continue;
        }
        match files::write(&control_file, &format!("+{controller}")) {
            Err(Error::Write { source, .. }) if source.raw_os_error() == Some(libc::EBUSY) => {
                return Err(Error::ControllerUnavailable {
                    controller,
                    file: control_file,
                    fix: "this cgroup holds processes itself, and v2 allows controllers only for cgroups without (the no-internal-processes rule): move them into a child first",
                });
            }
            other => other?,
        }
    }
    Ok(())
}
// ANCHOR_END: enable

fn mkdir(dir: &Path) -> Result<()> {
    std::fs::create_dir(dir).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => Error::AlreadyExists { path: dir.into() },
        std::io::ErrorKind::PermissionDenied => Error::PermissionDenied {
            action: "create",
            path: dir.into(),
        },
        _ => Error::Io {
            action: "create",
            path: dir.into(),
            source,
        },
    })
}

impl Cgroup for V2Cgroup {
    fn name(&self) -> &str {
        &self.name
    }

    fn directories(&self) -> Vec<PathBuf> {
        vec![self.dir.clone()]
    }

    /// `memory.max`, and `memory.swap.max` = swap_total − max (v2 counts swap on its own).
    fn set_memory(&self, max: u64, swap_total: Option<u64>) -> Result<()> {
        // exercise 02.2 memory-limit: begin
        files::write(
            &self.control_file("memory", "memory.max")?,
            &max.to_string(),
        )?;
        // exercise 02.2: end
        if let Some(total) = swap_total {
            let swap_file = self.file("memory.swap.max");
            if !swap_file.exists() {
                return Err(Error::ControllerUnavailable {
                    controller: "memory",
                    file: swap_file,
                    fix: "swap accounting is off in this kernel: boot with swapaccount=1, or leave --memory-swap out",
                });
            }
            files::write(&swap_file, &total.saturating_sub(max).to_string())?;
        }
        Ok(())
    }

    /// `cpu.max` takes both numbers in one write: "QUOTA PERIOD".
    fn set_cpu_quota(&self, quota: CpuQuota) -> Result<()> {
        files::write(
            &self.control_file("cpu", "cpu.max")?,
            &format!("{} {}", quota.quota_us, quota.period_us),
        )
    }

    /// `cpu.weight` (1..10000), converted from shares like runc does.
    fn set_cpu_shares(&self, shares: u64) -> Result<()> {
        files::write(
            &self.control_file("cpu", "cpu.weight")?,
            &shares_to_weight(shares).to_string(),
        )
    }

    fn set_pids_max(&self, max: u64) -> Result<()> {
        // exercise 02.3 pids-limit: begin
        files::write(&self.control_file("pids", "pids.max")?, &max.to_string())
        // exercise 02.3: end
    }

    /// Writes 1 to `cgroup.freeze`, then waits for `frozen 1` in `cgroup.events`.
    fn freeze(&self) -> Result<()> {
        files::write(&self.file("cgroup.freeze"), "1")?;
        self.wait_for_event("frozen", 1, "the cgroup to freeze")
    }

    /// Writes 0 to `cgroup.freeze`, then waits for `frozen 0` in `cgroup.events`.
    fn thaw(&self) -> Result<()> {
        files::write(&self.file("cgroup.freeze"), "0")?;
        self.wait_for_event("frozen", 0, "the cgroup to thaw")
    }

    fn stats(&self) -> Result<Stats> {
        Ok(Stats {
            memory_current: self.optional("memory.current", None)?,
            memory_peak: self.optional("memory.peak", None)?,
            oom_kills: self.optional("memory.events", Some("oom_kill"))?,
            cpu_usage_usec: self.optional("cpu.stat", Some("usage_usec"))?,
            cpu_periods: self.optional("cpu.stat", Some("nr_periods"))?,
            cpu_throttled_periods: self.optional("cpu.stat", Some("nr_throttled"))?,
            pids_current: self.optional("pids.current", None)?,
            pids_limit_hits: self.optional("pids.events", Some("max"))?,
        })
    }

    fn oom_kills(&self) -> Result<Option<u64>> {
        self.optional("memory.events", Some("oom_kill"))
    }

    /// Writes 1 to `cgroup.kill` (Linux 5.14+), which SIGKILLs every process inside at once,
    /// even ones being forked right now; older kernels get a SIGKILL per pid until empty.
    /// Then waits for `populated 0` in `cgroup.events`.
    fn kill_all(&self) -> Result<()> {
        let kill_file = self.file("cgroup.kill");
        if kill_file.exists() {
            files::write(&kill_file, "1")?;
        } else {
            crate::process::kill_each(&self.file("cgroup.procs"))?;
        }
        let events = self.file("cgroup.events");
        let procs = self.file("cgroup.procs");
        files::wait_until("the cgroup to become empty", &events, DEADLINE, || {
            if files::read_key(&events, "populated")? == Some(0) {
                return Ok(true);
            }
            if !kill_file.exists() {
                crate::process::kill_each(&procs)?;
            }
            Ok(false)
        })
    }
}

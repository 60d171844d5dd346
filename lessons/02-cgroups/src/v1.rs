//! cgroup v1: one tree ("hierarchy") per controller, each mounted on its own
//! (`/sys/fs/cgroup/memory`, `/sys/fs/cgroup/cpu,cpuacct`, …; the kernel's cgroup-v1/ docs).
//!
//! A v1 cgroup is therefore a *set* of directories with the same name, one per hierarchy,
//! and a process must be written into each of them. Hybrid machines also drive their
//! controllers through v1, so this file serves them too.

use crate::error::{Error, Result};
use crate::files;
use crate::layout::{self, CgroupMount};
use crate::limits::CpuQuota;
use crate::{Cgroup, Controller, DEADLINE, Stats};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A cgroup made of one directory per v1 hierarchy.
#[derive(Debug)]
pub struct V1Cgroup {
    name: String,
    /// v1 controller name (`memory`, `cpu`, `cpuacct`, `pids`, `freezer`) → its directory.
    dirs: BTreeMap<&'static str, PathBuf>,
}

/// The v1 hierarchies behind each of our controllers: CPU time is limited by `cpu` but
/// counted by `cpuacct` (often mounted together as `cpu,cpuacct`).
fn v1_controllers(controller: Controller) -> &'static [&'static str] {
    match controller {
        Controller::Memory => &["memory"],
        Controller::Cpu => &["cpu", "cpuacct"],
        Controller::Pids => &["pids"],
        Controller::Freezer => &["freezer"],
    }
}

/// For each v1 controller, where its directory for `name` goes: the hierarchy's mount point,
/// plus the cgroup we are in there (from `/proc/self/cgroup`), plus `name`.
pub(crate) fn locate(
    mounts: &[CgroupMount],
    name: &str,
    controllers: &[Controller],
) -> Result<BTreeMap<&'static str, PathBuf>> {
    let own = layout::own_cgroups()?;
    let mut dirs = BTreeMap::new();
    for &controller in controllers.iter().flat_map(|c| v1_controllers(*c)) {
        let has = |list: &Vec<String>| list.iter().any(|c| c == controller);
        let mount = mounts.iter().find(|m| !m.v2 && has(&m.controllers)).ok_or(Error::ControllerUnavailable {
            controller,
            file: "/proc/self/mountinfo".into(),
            fix: "no v1 hierarchy carries it: mount one with `mount -t cgroup -o CONTROLLER cgroup /sys/fs/cgroup/CONTROLLER`",
        })?;
        let ours = own
            .iter()
            .find(|(list, _)| has(list))
            .map(|(_, path)| path.as_str())
            .unwrap_or("/");
        // mountinfo's root field says which directory of the hierarchy is mounted here.
        let inside = ours
            .strip_prefix(mount.root.as_str())
            .unwrap_or(ours)
            .trim_start_matches('/');
        dirs.insert(controller, mount.mount_point.join(inside).join(name));
    }
    Ok(dirs)
}

impl V1Cgroup {
    /// Makes the directory for `name` in every hierarchy `controllers` need, with mkdir(2);
    /// if one fails, the ones already made are removed again.
    pub fn create(mounts: &[CgroupMount], name: &str, controllers: &[Controller]) -> Result<Self> {
        let dirs = locate(mounts, name, controllers)?;
        if let Some(existing) = dirs.values().find(|d| d.exists()) {
            return Err(Error::AlreadyExists {
                path: existing.clone(),
            });
        }
        let mut created: Vec<PathBuf> = Vec::new();
        for dir in dirs.values() {
            if created.contains(dir) {
                continue; // co-mounted controllers (cpu,cpuacct) share one directory
            }
            // create_dir_all: a nested name like `lab/web` needs `lab` too. Remember the
            // topmost directory we made so a failure can remove all of it.
            let topmost = dir
                .ancestors()
                .take_while(|d| !d.exists())
                .last()
                .map(Path::to_path_buf);
            if let Err(source) = std::fs::create_dir_all(dir) {
                for made in created.iter().rev() {
                    let _ = remove_tree(made);
                }
                return Err(match source.kind() {
                    std::io::ErrorKind::PermissionDenied => Error::PermissionDenied {
                        action: "create",
                        path: dir.clone(),
                    },
                    _ => Error::Io {
                        action: "create",
                        path: dir.clone(),
                        source,
                    },
                });
            }
            created.push(topmost.unwrap_or_else(|| dir.clone()));
        }
        Ok(V1Cgroup {
            name: name.into(),
            dirs,
        })
    }

    /// Opens the directories of an existing cgroup `name`.
    pub fn open(mounts: &[CgroupMount], name: &str, controllers: &[Controller]) -> Result<Self> {
        let dirs = locate(mounts, name, controllers)?;
        if let Some(missing) = dirs.values().find(|d| !d.exists()) {
            return Err(Error::Io {
                action: "open cgroup",
                path: missing.clone(),
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        Ok(V1Cgroup {
            name: name.into(),
            dirs,
        })
    }

    /// The path of `file` in the hierarchy of `controller`, or a clear error if this
    /// cgroup was created without that controller.
    fn file(&self, controller: &'static str, file: &str) -> Result<PathBuf> {
        self.dirs
            .get(controller)
            .map(|dir| dir.join(file))
            .ok_or(Error::ControllerUnavailable {
                controller,
                file: file.into(),
                fix: "create the cgroup with this controller in its list",
            })
    }

    fn optional(
        &self,
        controller: &'static str,
        file: &str,
        key: Option<&str>,
    ) -> Result<Option<u64>> {
        let Some(dir) = self.dirs.get(controller) else {
            return Ok(None);
        };
        let path = dir.join(file);
        if !path.exists() {
            return Ok(None);
        }
        match key {
            Some(key) => files::read_key(&path, key),
            None => files::read_u64(&path),
        }
    }

    fn set_freezer_state(&self, state: &'static str) -> Result<()> {
        let path = self.file("freezer", "freezer.state")?;
        files::write(&path, state)?;
        // Writing FROZEN starts freezing; the file reads FREEZING until every task stopped.
        let what = if state == "FROZEN" {
            "the cgroup to freeze"
        } else {
            "the cgroup to thaw"
        };
        files::wait_until(what, &path, DEADLINE, || {
            Ok(files::read(&path)?.trim() == state)
        })
    }
}

/// Removes `top` and any empty cgroup directories below it, deepest first (rmdir(2) only).
fn remove_tree(top: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(top)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            remove_tree(&entry.path())?;
        }
    }
    std::fs::remove_dir(top)
}

impl Cgroup for V1Cgroup {
    fn name(&self) -> &str {
        &self.name
    }

    fn directories(&self) -> Vec<PathBuf> {
        let mut dirs: Vec<PathBuf> = self.dirs.values().cloned().collect();
        dirs.sort();
        dirs.dedup();
        dirs
    }

    /// `memory.limit_in_bytes`, then `memory.memsw.limit_in_bytes` (memory + swap, which
    /// the kernel requires to be at least the memory limit).
    fn set_memory(&self, max: u64, swap_total: Option<u64>) -> Result<()> {
        // exercise 02.2 memory-limit: begin
        files::write(
            &self.file("memory", "memory.limit_in_bytes")?,
            &max.to_string(),
        )?;
        // exercise 02.2: end
        if let Some(total) = swap_total {
            let path = self.file("memory", "memory.memsw.limit_in_bytes")?;
            if !path.exists() {
                return Err(Error::ControllerUnavailable {
                    controller: "memory",
                    file: path,
                    fix: "swap accounting is off in this kernel: boot with swapaccount=1, or leave --memory-swap out",
                });
            }
            files::write(&path, &total.to_string())?;
        }
        Ok(())
    }

    /// `cpu.cfs_period_us`, then `cpu.cfs_quota_us`.
    fn set_cpu_quota(&self, quota: CpuQuota) -> Result<()> {
        files::write(
            &self.file("cpu", "cpu.cfs_period_us")?,
            &quota.period_us.to_string(),
        )?;
        files::write(
            &self.file("cpu", "cpu.cfs_quota_us")?,
            &quota.quota_us.to_string(),
        )
    }

    /// `cpu.shares`, which is what Docker's `--cpu-shares` was named after.
    fn set_cpu_shares(&self, shares: u64) -> Result<()> {
        files::write(&self.file("cpu", "cpu.shares")?, &shares.to_string())
    }

    fn set_pids_max(&self, max: u64) -> Result<()> {
        // exercise 02.3 pids-limit: begin
        files::write(&self.file("pids", "pids.max")?, &max.to_string())
        // exercise 02.3: end
    }

    /// Writes FROZEN to `freezer.state` and waits until it reads FROZEN.
    fn freeze(&self) -> Result<()> {
        self.set_freezer_state("FROZEN")
    }

    /// Writes THAWED to `freezer.state` and waits until it reads THAWED.
    fn thaw(&self) -> Result<()> {
        self.set_freezer_state("THAWED")
    }

    fn stats(&self) -> Result<Stats> {
        let usec = |ns: Option<u64>| ns.map(|n| n / 1_000);
        Ok(Stats {
            memory_current: self.optional("memory", "memory.usage_in_bytes", None)?,
            memory_peak: self.optional("memory", "memory.max_usage_in_bytes", None)?,
            oom_kills: self.optional("memory", "memory.oom_control", Some("oom_kill"))?,
            cpu_usage_usec: usec(self.optional("cpuacct", "cpuacct.usage", None)?),
            cpu_periods: self.optional("cpu", "cpu.stat", Some("nr_periods"))?,
            cpu_throttled_periods: self.optional("cpu", "cpu.stat", Some("nr_throttled"))?,
            pids_current: self.optional("pids", "pids.current", None)?,
            pids_limit_hits: self.optional("pids", "pids.events", Some("max"))?,
        })
    }

    fn oom_kills(&self) -> Result<Option<u64>> {
        self.optional("memory", "memory.oom_control", Some("oom_kill"))
    }

    /// v1 has no `cgroup.kill`. A process could fork between our reading `cgroup.procs` and
    /// our kill(2), so when we have the freezer we freeze first, SIGKILL everyone, then thaw
    /// (frozen tasks die once thawed). Then we wait until every directory is empty.
    // ANCHOR: kill
    fn kill_all(&self) -> Result<()> {
        // An empty cgroup cannot gain a process on its own (only a write to cgroup.procs
        // moves one in), so there is nothing to freeze — the usual case when a container's
        // last process has already exited, and freezing costs milliseconds.
        let mut empty = true;
        for dir in self.directories() {
            empty &= files::read_pids(&dir.join("cgroup.procs"))?.is_empty();
        }
        if empty {
            return Ok(());
        }
        let frozen = self.dirs.contains_key("freezer") && self.freeze().is_ok();
        for dir in self.directories() {
            crate::process::kill_each(&dir.join("cgroup.procs"))?;
        }
        if frozen {
            self.thaw()?;
        }
        for dir in self.directories() {
            let procs = dir.join("cgroup.procs");
            files::wait_until("the cgroup to become empty", &procs, DEADLINE, || {
                crate::process::kill_each(&procs)?;
                Ok(files::read_pids(&procs)?.is_empty())
            })?;
        }
        Ok(())
    }
    // ANCHOR_END: kill
}

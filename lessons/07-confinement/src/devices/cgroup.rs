//! A cgroup made only to hold device rules: one directory in the v1 `devices` hierarchy or in
//! the cgroup2 tree, removed again (processes killed first) when dropped — so a failed step or
//! test leaves nothing behind.

use crate::error::io;
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Which device mechanism a [`DeviceCgroup`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// cgroup v1 `devices` controller: `devices.allow`/`devices.deny` files.
    V1,
    /// cgroup v2: a `BPF_PROG_TYPE_CGROUP_DEVICE` program.
    V2,
}

/// A cgroup directory that holds device rules; removed on drop.
#[derive(Debug)]
pub struct DeviceCgroup {
    dir: PathBuf,
    version: Version,
}

/// Where this machine mounts the v1 `devices` hierarchy, if it has one.
pub fn v1_mount() -> Result<Option<PathBuf>> {
    let (_, mounts) = cgroups::layout::detect().map_err(setup)?;
    Ok(mounts
        .into_iter()
        .find(|m| !m.v2 && m.controllers.iter().any(|c| c == "devices"))
        .map(|m| m.mount_point))
}

/// Where this machine mounts cgroup2 (`/sys/fs/cgroup`, or `/sys/fs/cgroup/unified` on a
/// hybrid machine), if it does. A device program works on any cgroup2 directory, even on a
/// hybrid machine whose controllers are v1.
pub fn v2_mount() -> Result<Option<PathBuf>> {
    let (_, mounts) = cgroups::layout::detect().map_err(setup)?;
    Ok(mounts.into_iter().find(|m| m.v2).map(|m| m.mount_point))
}

fn setup(e: cgroups::Error) -> Error {
    Error::Devices(format!("cannot find the cgroup mounts: {e}"))
}

impl DeviceCgroup {
    /// Makes a cgroup called `name` for `version` with mkdir(2).
    pub fn create(version: Version, name: &str) -> Result<DeviceCgroup> {
        let mount = match version {
            Version::V1 => v1_mount()?,
            Version::V2 => v2_mount()?,
        };
        let Some(mount) = mount else {
            return Err(Error::Devices(format!(
                "this machine has no {} mount: device rules of that kind cannot be shown here",
                match version {
                    Version::V1 => "cgroup v1 `devices`",
                    Version::V2 => "cgroup2",
                }
            )));
        };
        let dir = mount.join(name);
        std::fs::create_dir(&dir).map_err(io(&dir))?;
        Ok(DeviceCgroup { dir, version })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The mechanism it uses.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Moves process `pid` in (a write to `cgroup.procs`); its future children stay inside.
    pub fn add_process(&self, pid: i32) -> Result<()> {
        let procs = self.dir.join("cgroup.procs");
        std::fs::write(&procs, pid.to_string()).map_err(io(&procs))
    }

    /// Applies `rules` after a "deny everything": through the v1 files, or as a BPF program.
    pub fn apply(&self, rules: &[super::Rule]) -> Result<()> {
        match self.version {
            Version::V1 => super::v1::apply(&self.dir, rules),
            Version::V2 => super::bpf::attach(&self.dir, &super::bpf::assemble(rules)),
        }
    }
}

impl Drop for DeviceCgroup {
    fn drop(&mut self) {
        let procs = self.dir.join("cgroup.procs");
        let _ = cgroups::process::kill_each(&procs);
        // A killed process leaves asynchronously: rmdir(2) says EBUSY until it has.
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Err(e) = std::fs::remove_dir(&self.dir) {
            if e.kind() == std::io::ErrorKind::NotFound || Instant::now() > deadline {
                if e.kind() != std::io::ErrorKind::NotFound {
                    eprintln!("warning: could not remove {}: {e}", self.dir.display());
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

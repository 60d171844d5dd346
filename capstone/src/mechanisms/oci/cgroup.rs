//! A container's cgroup from the spec: `linux.cgroupsPath` made with lesson 02 (one API over
//! cgroup v1, hybrid and v2), and `linux.resources` written into it.
//!
//! The path is used as the caller gives it, less its leading `/`: lesson 02 makes it under
//! the v2 root, and on v1 under the cgroup the runtime itself runs in (so limits placed on the
//! caller — a shim's, a test's — still apply to the container). `pause` and `resume` use the
//! freezer, `ps` the cgroup's process list.

use anyhow::{Result, bail};
use cgroups::{Cgroup, Controller, CpuQuota, Hierarchy, Resources};
use oci_spec::runtime::LinuxResources;

/// The controllers a container gets: memory, CPU, pids, and the freezer for `pause`.
pub const CONTROLLERS: [Controller; 4] = Controller::ALL;

/// `cgroupsPath` as lesson 02's relative name (`/docker/abc` → `docker/abc`). The systemd
/// form (`slice:prefix:name`) is refused: that is `--systemd-cgroup`'s, not offered.
pub fn name_of(cgroups_path: &str) -> Result<String> {
    let name = cgroups_path.trim_start_matches('/').to_string();
    if name.split('/').count() == 1 && name.matches(':').count() == 2 {
        bail!(
            "cgroupsPath {cgroups_path:?} is in systemd's form: systemd cgroups are not supported, use cgroupfs"
        );
    }
    Ok(name)
}

/// Creates the cgroup (or opens it, if the caller made it) and applies `resources`.
pub fn create(name: &str, resources: Option<&LinuxResources>) -> Result<Box<dyn Cgroup>> {
    let hierarchy = Hierarchy::detect()?;
    let cgroup = match hierarchy.create(name, &CONTROLLERS) {
        Ok(cgroup) => cgroup,
        Err(cgroups::Error::AlreadyExists { .. }) => hierarchy.open(name, &CONTROLLERS)?,
        Err(e) => return Err(e.into()),
    };
    if let Some(resources) = resources
        && let Err(e) = apply(cgroup.as_ref(), resources)
    {
        let _ = cgroup.remove();
        return Err(e);
    }
    Ok(cgroup)
}

/// Opens the cgroup if it still exists.
pub fn open(name: &str) -> Option<Box<dyn Cgroup>> {
    Hierarchy::detect().ok()?.open(name, &CONTROLLERS).ok()
}

/// Writes the limits lesson 02 knows (memory, swap, CPU quota and shares, pids); other fields
/// of `linux.resources` are left alone.
pub fn apply(cgroup: &dyn Cgroup, resources: &LinuxResources) -> Result<()> {
    cgroup.apply(&limits(resources))?;
    Ok(())
}

/// `linux.resources` in lesson 02's terms (a negative or absent value sets nothing).
pub fn limits(resources: &LinuxResources) -> Resources {
    let positive = |v: Option<i64>| v.filter(|v| *v > 0).map(|v| v as u64);
    let memory = resources.memory().as_ref();
    let cpu = resources.cpu().as_ref();
    Resources {
        memory: positive(memory.and_then(|m| m.limit())),
        memory_swap: positive(memory.and_then(|m| m.swap())),
        cpu_quota: positive(cpu.and_then(|c| c.quota())).map(|quota_us| CpuQuota {
            quota_us,
            period_us: cpu.and_then(|c| c.period()).unwrap_or(100_000),
        }),
        cpu_shares: cpu.and_then(|c| c.shares()).filter(|s| *s > 0),
        pids: positive(resources.pids().as_ref().map(|p| p.limit())),
    }
}

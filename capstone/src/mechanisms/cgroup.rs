//! A container's cgroup, through lesson 02's one API over cgroup v1 and v2 (cgroups(7)): made
//! with the container's limits before its process is released, frozen for `pause`, and
//! removed (killing anything left inside) when the container exits.

use crate::Result;
use crate::model::container::Container;
use cgroups::{Cgroup, Controller, CpuQuota, Hierarchy, Resources};

/// The controllers every container gets: memory, CPU, pids for limits and accounting, and the
/// freezer for `pause`.
pub const CONTROLLERS: [Controller; 4] = Controller::ALL;

/// The cgroup name of a container: flat (no parent directory left behind after removal).
pub fn name_for(id: &str) -> String {
    format!("capstone-{id}")
}

/// The limits a record asks for, in lesson 02's terms.
pub fn resources(record: &Container) -> Resources {
    let h = &record.host_config;
    Resources {
        memory: (h.memory > 0).then_some(h.memory),
        cpu_quota: (h.nano_cpus > 0).then_some(CpuQuota {
            quota_us: h.nano_cpus / 10_000,
            period_us: 100_000,
        }),
        pids: (h.pids_limit > 0).then_some(h.pids_limit),
        ..Resources::default()
    }
}

/// Creates the container's cgroup (mkdir(2) in each hierarchy) and writes its limits.
/// Nothing is left behind if a limit cannot be written.
pub fn create(record: &Container) -> Result<Box<dyn Cgroup>> {
    let cgroup = Hierarchy::detect()?.create(&record.cgroup, &CONTROLLERS)?;
    if let Err(e) = cgroup.apply(&resources(record)) {
        let _ = cgroup.remove();
        return Err(e.into());
    }
    Ok(cgroup)
}

/// Opens the container's cgroup if it still exists.
pub fn open(record: &Container) -> Option<Box<dyn Cgroup>> {
    Hierarchy::detect()
        .ok()?
        .open(&record.cgroup, &CONTROLLERS)
        .ok()
}

/// Kills whatever is still inside and removes the cgroup; fine if it is already gone.
pub fn remove(record: &Container) -> Result<()> {
    if let Some(cgroup) = open(record) {
        cgroup.remove()?;
    }
    Ok(())
}

//! Noticing what nobody recorded. Without a daemon, a container's exit is recorded by its
//! monitor; if the monitor is killed too (SIGKILL, the OOM killer, a reboot), its record goes
//! on saying `running`. Two things follow, kept apart on purpose:
//! - [`observe`]: what to *show* — a record whose processes are gone reads as exited with
//!   Docker's "unknown" code 255. Pure: `ps` and `inspect` change nothing.
//! - [`refresh`]: what to *do* — write that exit into the record and give back what the dead
//!   monitor held (the cgroup, the address, the published ports). The engine calls it
//!   explicitly, before acting on a container and from [`crate::Engine::reconcile`].

use crate::Result;
use crate::mechanisms::network::attach;
use crate::mechanisms::process::alive;
use crate::model::container::Container;
use crate::store::{self, Paths};

/// Why a dead record's exit code is 255 (shown in `inspect`'s `State.Error`).
pub const DIED_UNRECORDED: &str = "the container and its monitor died; the exit status is unknown";

/// Whether the record claims live processes that are both gone.
pub fn died_unrecorded(record: &Container) -> bool {
    let s = &record.state;
    (s.running || s.paused || s.restarting)
        && !alive(s.pid, s.pid_start)
        && !alive(s.monitor_pid, s.monitor_start)
}

/// The record as it should be shown: exited (255) if it died unrecorded. Writes nothing.
pub fn observe(mut record: Container) -> Container {
    if died_unrecorded(&record) {
        record.state.mark_exited(255);
        record.state.error = DIED_UNRECORDED.into();
    }
    record
}

/// Records the exit of a container that died unrecorded, and releases its network address
/// and published ports (lesson 06). Returns the record as it now is on disk.
pub fn refresh(paths: &Paths, record: Container) -> Result<Container> {
    if !died_unrecorded(&record) {
        return Ok(record);
    }
    let record = store::containers::update(paths, &record.id, |c| {
        if died_unrecorded(c) {
            c.state.mark_exited(255);
            c.state.error = DIED_UNRECORDED.into();
        }
    })?;
    // Nor to remove its cgroup, which a new start would find in its way.
    let _ = crate::mechanisms::cgroup::remove(&record);
    // The monitor did not live to give back the address and the published ports: do it now.
    if record.network_settings.primary().is_some() && attach::disconnect_all(paths, &record).is_ok()
    {
        return store::containers::update(paths, &record.id, |c| {
            c.network_settings.clear_endpoints()
        });
    }
    Ok(record)
}

/// Every container record, oldest first, as it should be shown ([`observe`]).
pub fn list_observed(paths: &Paths) -> Result<Vec<Container>> {
    Ok(store::containers::list(paths)?
        .into_iter()
        .map(observe)
        .collect())
}

/// One container by id, name or unique prefix, as it should be shown ([`observe`]).
pub fn find_observed(paths: &Paths, query: &str) -> Result<Container> {
    store::containers::find(paths, query).map(observe)
}

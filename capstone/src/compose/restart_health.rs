//! Where compose meets the engine's restart policies and health checks: `restart:`,
//! `healthcheck:` and `depends_on: {condition: service_healthy}`.
//!
//! NOT WIRED YET. The engine's restart policies and health checks are being added beside
//! this work (create options `--restart`, `--health-*`, and `State.Health` in the record).
//! Until they are merged, [`apply`] passes `restart:` and `healthcheck:` on to nothing (the
//! values are still validated by [`super::validate`]), and [`check_conditions`] refuses
//! `service_healthy`, since there is no health to wait for. Wiring them is local to this
//! file: set the create options in [`apply`], and, instead of refusing `service_healthy`
//! in [`check_conditions`], wait for the dependency's health (beside `up`'s wait for
//! `service_completed_successfully`).

use super::error::{ComposeError, Result};
use super::load::Project;
use super::spec::{Condition, Service};
use crate::engine::create::CreateOptions;

/// Maps the service's `restart:` and `healthcheck:` onto the create options (see the module
/// documentation: nothing to map them onto yet).
pub fn apply(
    _project: &Project,
    _service_name: &str,
    _service: &Service,
    _opts: &mut CreateOptions,
) -> Result<()> {
    Ok(())
}

/// Checks, before anything is made, that `up` can honour every `depends_on` condition of
/// the services it will start.
pub fn check_conditions(project: &Project, services: &[String]) -> Result<()> {
    for name in services {
        let service = &project.model.services[name];
        for (dependency, how) in &service.depends_on {
            if how.condition == Condition::ServiceHealthy {
                return Err(ComposeError::Unsupported {
                    file: super::container_options::files(project),
                    path: format!("services.{name}.depends_on.{dependency}.condition"),
                    key: "service_healthy (health checks are not yet supported by the engine: use service_started)".into(),
                });
            }
        }
    }
    Ok(())
}

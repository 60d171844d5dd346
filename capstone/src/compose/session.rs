//! A loaded project and the engine it runs on, with what every verb asks of them: the
//! project's containers (found by their labels), service names checked, dependencies
//! followed, the stop timeout of a service.

use super::error::{ComposeError, Result};
use super::labels;
use super::load::Project;
use crate::Engine;
use crate::model::container::Container;
use std::time::Duration;

/// How a front end lays out a table (headers, rows) — the CLI's Docker-style table.
pub type Table = fn(&[&str], &[Vec<String>]) -> String;

/// One compose command's view of the world.
pub struct Session<'a> {
    /// Renders tables for `ps`, `images`, `top`.
    pub table: Table,
    /// The engine (the same one `capstone run` uses).
    pub engine: &'a Engine,
    /// The resolved project.
    pub project: &'a Project,
}

impl Session<'_> {
    /// The project's containers of `services` (all services when empty), in service then
    /// number order; `all`: stopped ones too. `run` containers are included.
    pub fn containers(&self, services: &[String], all: bool) -> Result<Vec<Container>> {
        let mut found: Vec<Container> = self
            .engine
            .containers()?
            .into_iter()
            .filter(|c| labels::label(c, labels::PROJECT) == self.project.name)
            .filter(|c| {
                services.is_empty()
                    || services
                        .iter()
                        .any(|s| s == labels::label(c, labels::SERVICE))
            })
            .filter(|c| all || c.is_active())
            .collect();
        found.sort_by(|a, b| {
            let key = |c: &Container| {
                (
                    labels::label(c, labels::SERVICE).to_string(),
                    labels::is_oneoff(c),
                    labels::number(c),
                    c.name.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        Ok(found)
    }

    /// The containers of one service's replicas (not `run` ones), by number.
    pub fn replicas(&self, service: &str) -> Result<Vec<Container>> {
        let mut found = self.containers(&[service.to_string()], true)?;
        found.retain(|c| !labels::is_oneoff(c));
        Ok(found)
    }

    /// Refuses a service name that the project does not have.
    pub fn check_services(&self, names: &[String]) -> Result<()> {
        match names
            .iter()
            .find(|n| !self.project.model.services.contains_key(*n))
        {
            Some(name) => Err(ComposeError::Project(format!(
                "no such service: {name} (the project's services: {})",
                self.service_names().join(", ")
            ))),
            None => Ok(()),
        }
    }

    /// Every service's name.
    pub fn service_names(&self) -> Vec<String> {
        self.project.model.services.keys().cloned().collect()
    }

    /// `names` (all services when empty) and, transitively, what they depend on.
    pub fn with_dependencies(&self, names: &[String]) -> Vec<String> {
        if names.is_empty() {
            return self.service_names();
        }
        let mut out: Vec<String> = Vec::new();
        let mut todo: Vec<String> = names.to_vec();
        while let Some(name) = todo.pop() {
            if out.contains(&name) {
                continue;
            }
            if let Some(service) = self.project.model.services.get(&name) {
                todo.extend(service.depends_on.keys().cloned());
                out.push(name);
            }
        }
        out
    }

    /// How long `stop` waits before SIGKILL: the flag, else the service's
    /// `stop_grace_period`, else Docker's 10 s.
    pub fn stop_timeout(&self, service: &str, flag: Option<u64>) -> Duration {
        if let Some(seconds) = flag {
            return Duration::from_secs(seconds);
        }
        self.project
            .model
            .services
            .get(service)
            .and_then(|s| s.stop_grace_period.as_deref())
            .and_then(crate::model::clock::parse_go_duration)
            .unwrap_or(Duration::from_secs(10))
    }
}

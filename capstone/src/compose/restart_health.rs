//! Where compose meets the engine's restart policies and health checks: `restart:` and
//! `deploy.restart_policy` become `--restart`, `healthcheck:` becomes the container's
//! `Config.Healthcheck` (the monitor probes it, `engine::health`), and
//! `depends_on: {condition: service_healthy}` makes `up` wait for the dependency's
//! `State.Health` before it starts the service. Semantics as Docker Compose's
//! (`pkg/compose/create.go`, `convergence.go`) and the Compose Specification's `restart`,
//! `deploy.restart_policy` and `healthcheck` sections.

use super::container_options::files;
use super::error::{ComposeError, Result};
use super::load::Project;
use super::session::Session;
use super::spec::{Command, Healthcheck, Service};
use crate::engine::create::CreateOptions;
use crate::model::container::Container;
use crate::model::restart::RestartPolicy;
use std::time::{Duration, Instant};

/// Maps the service's `restart:`, `deploy.restart_policy` and `healthcheck:` onto the create
/// options. A `run` container (`oneoff`) gets no restart policy, as in Docker Compose.
pub fn apply(
    project: &Project,
    name: &str,
    service: &Service,
    oneoff: bool,
    opts: &mut CreateOptions,
) -> Result<()> {
    if !oneoff {
        opts.restart = restart(project, name, service)?;
    }
    if let Some(check) = &service.healthcheck {
        healthcheck(project, name, check, opts)?;
    }
    Ok(())
}

/// `restart:` as it is (checked by `validate`), unless `deploy.restart_policy` is there: then
/// its condition (`none` → no, `on-failure`, `any` → always; the Specification's default is
/// `any`) with `max_attempts` as the retry count.
fn restart(project: &Project, name: &str, service: &Service) -> Result<Option<String>> {
    let deploy = service
        .deploy
        .as_ref()
        .and_then(|d| d.restart_policy.as_ref());
    let Some(policy) = deploy else {
        return Ok(service.restart.clone());
    };
    let path = format!("services.{name}.deploy.restart_policy");
    let condition = match policy.condition.as_deref().unwrap_or("any") {
        "none" | "no" => "no",
        "any" | "always" => "always",
        "on-failure" => "on-failure",
        "unless-stopped" => "unless-stopped",
        other => {
            return Err(invalid(
                project,
                format!("{path}.condition"),
                format!("{other:?} is not a restart condition: use none, on-failure or any"),
            ));
        }
    };
    let text = match policy.max_attempts {
        Some(n) => format!("{condition}:{n}"),
        None => condition.to_string(),
    };
    // The engine's own check, with the file's words around it (`any` with max_attempts).
    RestartPolicy::parse(&text).map_err(|e| invalid(project, path, e.to_string()))?;
    Ok(Some(text))
}

/// `healthcheck:` as Docker Compose hands it to the engine: `test` as a string is
/// `CMD-SHELL`, a list starts with `CMD`, `CMD-SHELL` or `NONE`; `disable: true` is
/// `["NONE"]`; what is left out comes from the image's `HEALTHCHECK`.
fn healthcheck(
    project: &Project,
    name: &str,
    check: &Healthcheck,
    opts: &mut CreateOptions,
) -> Result<()> {
    let path = format!("services.{name}.healthcheck");
    if check.start_interval.is_some() {
        // Docker Compose refuses it too on an engine older than Docker 25, which lacks it.
        return Err(ComposeError::Unsupported {
            file: files(project),
            path,
            key: "start_interval".into(),
        });
    }
    let test = match &check.test {
        Some(Command::Shell(cmd)) => vec!["CMD-SHELL".to_string(), cmd.clone()],
        Some(Command::Exec(list)) => list.clone(),
        None => Vec::new(),
    };
    if check.disable == Some(true) {
        if !test.is_empty() {
            return Err(invalid(
                project,
                path,
                "healthcheck.disable and healthcheck.test can't be set at the same time: remove one",
            ));
        }
        opts.health_test = vec!["NONE".into()];
        return Ok(());
    }
    let well_formed = match test.split_first() {
        None => true,
        Some((kind, rest)) => match kind.as_str() {
            "NONE" => rest.is_empty(),
            "CMD" => !rest.is_empty(),
            "CMD-SHELL" => rest.len() == 1,
            _ => false,
        },
    };
    if !well_formed {
        return Err(invalid(
            project,
            format!("{path}.test"),
            format!(
                "{test:?} is not a check: write [\"CMD\", program, args…], [\"CMD-SHELL\", \"command\"], [\"NONE\"] or a command string"
            ),
        ));
    }
    opts.health_test = test;
    opts.health_interval = check.interval.clone();
    opts.health_timeout = check.timeout.clone();
    opts.health_start_period = check.start_period.clone();
    opts.health_retries = check.retries.map(|n| n.to_string());
    Ok(())
}

fn invalid(project: &Project, path: String, message: impl Into<String>) -> ComposeError {
    ComposeError::Invalid {
        file: files(project),
        path,
        message: message.into(),
    }
}

/// How often `up` looks at a dependency's record while it waits (Docker Compose: 500 ms).
const POLL: Duration = Duration::from_millis(100);

// ANCHOR: wait_healthy
/// Waits until every container of `dependency` reports `healthy`, polling its record with a
/// deadline. Errors as Docker Compose's: `dependency failed to start: container X is
/// unhealthy` (or exited, or has no health check).
pub fn wait_healthy(s: &Session, dependency: &str) -> Result<()> {
    for c in s.replicas(dependency)? {
        eprintln!(" Container {}  Waiting", c.name);
        let deadline = Instant::now() + patience(&c);
        loop {
            let now = s.engine.container(&c.id)?;
            let failed = |why: String| {
                ComposeError::Project(format!(
                    "dependency failed to start: container {} {why}",
                    now.name
                ))
            };
            if now.state.status == "exited" {
                return Err(failed(format!("exited ({})", now.state.exit_code)));
            }
            let health = now.state.health.as_ref().map(|h| h.status.as_str());
            let checked = now.config.healthcheck.as_ref().and_then(|h| h.argv());
            match health {
                Some("healthy") => {
                    eprintln!(" Container {}  Healthy", c.name);
                    break;
                }
                Some("unhealthy") => return Err(failed("is unhealthy".into())),
                None if checked.is_none() => {
                    return Err(failed(format!(
                        "has no healthcheck configured: give service {dependency:?} a healthcheck: or depend on it with condition: service_started"
                    )));
                }
                _ => {}
            }
            if Instant::now() > deadline {
                return Err(failed(format!(
                    "did not become healthy in {}s (its check still says {:?})",
                    patience(&c).as_secs(),
                    health.unwrap_or("starting")
                )));
            }
            std::thread::sleep(POLL);
        }
    }
    Ok(())
}
// ANCHOR_END: wait_healthy

/// Long enough for Docker's rules to have decided: the start period, then `retries` failed
/// probes (each at most interval + timeout), plus one probe and a little slack.
fn patience(c: &Container) -> Duration {
    let Some(check) = &c.config.healthcheck else {
        return Duration::ZERO;
    };
    let probe = check.interval() + check.timeout();
    check.start_period() + probe * (check.retries() + 1) + Duration::from_secs(5)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(service: &str) -> Result<CreateOptions> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("compose.yaml");
        let yaml = format!("name: p\nservices:\n  web:\n    image: busybox\n{service}");
        std::fs::write(&file, yaml).unwrap();
        let options = super::super::Options {
            files: vec![file],
            ..Default::default()
        };
        let project = super::super::load(&options, &Default::default())?;
        super::super::container_options::create_options(&project, "web", 1, false)
    }

    #[test]
    fn restart_and_healthcheck_become_the_flags_of_capstone_run() {
        let o = options("    restart: on-failure:3\n    healthcheck:\n      test: wget -q localhost\n      interval: 2s\n      retries: 4\n").unwrap();
        assert_eq!(o.restart.as_deref(), Some("on-failure:3"));
        assert_eq!(o.health_test, ["CMD-SHELL", "wget -q localhost"]);
        assert_eq!(o.health_interval.as_deref(), Some("2s"));
        assert_eq!(o.health_retries.as_deref(), Some("4"));
        let o = options("    restart: always\n    deploy:\n      restart_policy: {condition: on-failure, max_attempts: 2}\n    healthcheck: {disable: true}\n").unwrap();
        assert_eq!(o.restart.as_deref(), Some("on-failure:2"), "deploy wins");
        assert_eq!(o.health_test, ["NONE"]);
        let o = options("    deploy: {restart_policy: {}}\n").unwrap();
        assert_eq!(o.restart.as_deref(), Some("always"), "the default is any");
    }

    #[test]
    fn bad_checks_and_policies_name_their_key() {
        for (service, path) in [
            ("    healthcheck: {test: [wget, x]}\n", "healthcheck.test"),
            ("    healthcheck: {test: [CMD]}\n", "healthcheck.test"),
            (
                "    healthcheck: {test: true, disable: true}\n",
                "healthcheck",
            ),
            ("    healthcheck: {start_interval: 1s}\n", "healthcheck"),
            (
                "    deploy: {restart_policy: {condition: sometimes}}\n",
                "deploy.restart_policy.condition",
            ),
            (
                "    deploy: {restart_policy: {condition: any, max_attempts: 2}}\n",
                "deploy.restart_policy",
            ),
        ] {
            let e = options(service).unwrap_err().to_string();
            assert!(
                e.contains(&format!("services.web.{path}")),
                "{service}: {e}"
            );
        }
    }
}

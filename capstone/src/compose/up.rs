//! `compose up`: networks and volumes, then images, then each service's containers in
//! `depends_on` order. A service is *converged*: its containers are numbered 1..N (N from
//! `--scale`, `deploy.replicas` or 1); one whose `config-hash` label or image differs from
//! what the files now say is replaced, a stopped one is started, extra ones are removed, and
//! missing numbers are created. A service that fails is reported and its dependants are
//! skipped; the others stay up, so a second `up` carries on from there.

use super::args::UpArgs;
use super::container_options::create_options;
use super::error::{ComposeError, Result};
use super::images::{self, BuildWhen};
use super::labels;
use super::session::Session;
use super::spec::Condition;
use super::{resources, restart_health, validate};
use crate::model::container::Container;
use std::collections::BTreeMap;
use std::time::Duration;

/// Runs `up`; returns the exit code.
pub fn up(s: &Session, args: &UpArgs) -> Result<i32> {
    s.check_services(&args.services)?;
    let scale = parse_scale(s, &args.scale)?;
    let selected = s.with_dependencies(&args.services);
    // Every service's options are checked before anything is made.
    for name in &selected {
        create_options(s.project, name, 1, false)?;
    }
    resources::ensure_networks(s)?;
    resources::ensure_volumes(s)?;
    let when = match (args.build, args.no_build) {
        (true, _) => BuildWhen::Always,
        (_, true) => BuildWhen::Never,
        _ => BuildWhen::Missing,
    };
    images::for_up(s, &selected, when)?;
    remove_orphans(s, args.remove_orphans, Duration::from_secs(args.timeout))?;

    let mut failed: Vec<String> = Vec::new();
    for wave in validate::start_order(&s.project.model) {
        for name in wave.iter().filter(|n| selected.contains(n)) {
            let service = &s.project.model.services[name];
            let blocked: Vec<&String> = service
                .depends_on
                .keys()
                .filter(|d| failed.contains(d))
                .collect();
            if !blocked.is_empty() {
                eprintln!(" Service {name}  Skipped: it depends on {blocked:?}, which failed");
                failed.push(name.clone());
                continue;
            }
            let replicas = scale.get(name).copied().unwrap_or_else(|| {
                service
                    .deploy
                    .as_ref()
                    .and_then(|d| d.replicas)
                    .unwrap_or(1)
            });
            let outcome = wait_for_dependencies(s, name)
                .and_then(|()| converge(s, name, replicas, args.force_recreate, args.timeout));
            if let Err(e) = outcome {
                eprintln!(" Service {name}  Error: {e}");
                failed.push(name.clone());
            }
        }
    }
    if !failed.is_empty() {
        return Err(ComposeError::Project(format!(
            "up failed for service(s) {}: the others are running; fix the cause and run up again",
            failed.join(", ")
        )));
    }
    if args.detach {
        return Ok(0);
    }
    super::logs::attach_until_interrupted(s, &selected, Duration::from_secs(args.timeout))
}

/// `--scale SERVICE=N`, checked.
fn parse_scale(s: &Session, flags: &[String]) -> Result<BTreeMap<String, u32>> {
    let mut out = BTreeMap::new();
    for flag in flags {
        let parsed = flag
            .split_once('=')
            .and_then(|(name, n)| Some((name.to_string(), n.parse::<u32>().ok()?)));
        let Some((name, n)) = parsed else {
            return Err(ComposeError::Project(format!(
                "--scale {flag}: write it as SERVICE=N, e.g. --scale backend=2"
            )));
        };
        s.check_services(std::slice::from_ref(&name))?;
        out.insert(name, n);
    }
    Ok(out)
}

/// Containers of the project whose service is no longer in the files: removed with
/// `--remove-orphans`, otherwise only named in a warning (as Docker Compose does).
pub fn remove_orphans(s: &Session, remove: bool, timeout: Duration) -> Result<()> {
    let services = s.service_names();
    for c in s.containers(&[], true)? {
        let service = labels::label(&c, labels::SERVICE);
        if services.iter().any(|n| n == service) {
            continue;
        }
        if !remove {
            eprintln!(
                "warning: found orphan container {} of service {service:?}: remove it with --remove-orphans",
                c.name
            );
            continue;
        }
        if c.is_active() {
            s.engine.stop(&c.id, timeout)?;
        }
        s.engine.remove(&c.id, false, false)?;
        eprintln!(" Container {}  Removed", c.name);
    }
    Ok(())
}

/// Waits until each dependency with `condition: service_healthy` is healthy and each with
/// `service_completed_successfully` has exited with status 0 (`service_started` needs
/// nothing more: earlier waves are started).
pub fn wait_for_dependencies(s: &Session, name: &str) -> Result<()> {
    let service = &s.project.model.services[name];
    for (dependency, how) in &service.depends_on {
        match how.condition {
            Condition::ServiceStarted => continue,
            Condition::ServiceHealthy => {
                restart_health::wait_healthy(s, dependency)?;
                continue;
            }
            Condition::ServiceCompletedSuccessfully => {}
        }
        for c in s.replicas(dependency)? {
            let code = s.engine.wait(&c.id)?;
            if code != 0 {
                return Err(ComposeError::Project(format!(
                    "service {dependency:?} didn't complete successfully: exit {code}"
                )));
            }
        }
    }
    Ok(())
}

/// Brings one service to `replicas` containers, each made from the current configuration
/// and image, each running.
// ANCHOR: converge
fn converge(s: &Session, name: &str, replicas: u32, force: bool, timeout: u64) -> Result<()> {
    let service = &s.project.model.services[name];
    let hash = labels::config_hash(service);
    let image = s
        .engine
        .image_id(&labels::image_name(&s.project.name, name, service))?;
    let timeout = s.stop_timeout(name, Some(timeout));
    let mut present: Vec<u32> = Vec::new();
    for c in s.replicas(name)? {
        let number = labels::number(&c);
        if number == 0 || number > replicas || present.contains(&number) {
            remove(s, &c, timeout)?;
            continue;
        }
        present.push(number);
        let stale = labels::label(&c, labels::CONFIG_HASH) != hash
            || image.as_ref().is_some_and(|id| *id != c.image);
        if force || stale {
            remove(s, &c, timeout)?;
            create_and_start(s, name, number, "Recreated")?;
        } else if !c.is_active() {
            s.engine.start(&c.id)?;
            eprintln!(" Container {}  Started", c.name);
        } else {
            eprintln!(" Container {}  Running", c.name);
        }
    }
    for number in (1..=replicas).filter(|n| !present.contains(n)) {
        create_and_start(s, name, number, "Started")?;
    }
    Ok(())
}
// ANCHOR_END: converge

fn remove(s: &Session, c: &Container, timeout: Duration) -> Result<()> {
    if c.is_active() {
        s.engine.stop(&c.id, timeout)?;
    }
    s.engine.remove(&c.id, false, false)?;
    eprintln!(" Container {}  Removed", c.name);
    Ok(())
}

fn create_and_start(s: &Session, name: &str, number: u32, done: &str) -> Result<()> {
    let opts = create_options(s.project, name, number, false)?;
    let record = s.engine.create(&opts, &mut |line| eprintln!("   {line}"))?;
    eprintln!(" Container {}  Created", record.name);
    if let Err(e) = s.engine.start(&record.id) {
        return Err(ComposeError::Project(format!(
            "container {} was created but did not start: {e}",
            record.name
        )));
    }
    eprintln!(" Container {}  {done}", record.name);
    Ok(())
}

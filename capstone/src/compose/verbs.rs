//! The verbs that act on a project's existing containers, found by their labels: `ps`,
//! `start`, `stop`, `restart`, `rm`, `kill`, `top`, `images`, `port`, and `ls` (every
//! project on the engine). Each is a loop over the engine's own container operations.

use super::args::{KillArgs, LsArgs, PortArgs, PsArgs, RmArgs, StopArgs};
use super::error::{ComposeError, Result};
use super::labels;
use super::session::Session;
use crate::model::clock;
use crate::model::container::Container;
use std::collections::BTreeMap;

/// `ps`: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS, as Docker Compose v2 prints them.
pub fn ps(s: &Session, args: &PsArgs) -> Result<i32> {
    s.check_services(&args.names)?;
    let containers = s.containers(&args.names, args.all)?;
    if args.quiet {
        containers.iter().for_each(|c| println!("{}", c.id));
        return Ok(0);
    }
    if args.services {
        let mut names: Vec<&str> = containers
            .iter()
            .map(|c| labels::label(c, labels::SERVICE))
            .collect();
        names.dedup();
        names.iter().for_each(|n| println!("{n}"));
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = containers
        .iter()
        .map(|c| {
            let command = format!("\"{}\"", ellipsis(&c.config.args.join(" "), 20));
            let created = clock::since(&c.created)
                .map(clock::human)
                .unwrap_or_default();
            vec![
                c.name.clone(),
                crate::store::image_refs::familiar(&c.config.image),
                command,
                labels::label(c, labels::SERVICE).to_string(),
                format!("{created} ago"),
                c.state.status_line(),
                c.ps_ports(),
            ]
        })
        .collect();
    let headers = [
        "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
    ];
    print!("{}", (s.table)(&headers, &rows));
    Ok(0)
}

/// `start`: the services' stopped containers, in `depends_on` order.
pub fn start(s: &Session, services: &[String]) -> Result<i32> {
    s.check_services(services)?;
    for c in in_start_order(s, s.containers(services, true)?) {
        if !c.is_active() && !labels::is_oneoff(&c) {
            s.engine.start(&c.id)?;
            eprintln!(" Container {}  Started", c.name);
        }
    }
    Ok(0)
}

/// `stop`: the services' running containers, dependants first.
pub fn stop(s: &Session, args: &StopArgs) -> Result<i32> {
    s.check_services(&args.services)?;
    let mut containers = in_start_order(s, s.containers(&args.services, false)?);
    containers.reverse();
    for c in containers {
        let timeout = s.stop_timeout(labels::label(&c, labels::SERVICE), args.timeout);
        s.engine.stop(&c.id, timeout)?;
        eprintln!(" Container {}  Stopped", c.name);
    }
    Ok(0)
}

/// `restart`: stop and start each of the services' containers.
pub fn restart(s: &Session, args: &StopArgs) -> Result<i32> {
    s.check_services(&args.services)?;
    for c in in_start_order(s, s.containers(&args.services, true)?) {
        let timeout = s.stop_timeout(labels::label(&c, labels::SERVICE), args.timeout);
        s.engine.restart(&c.id, timeout)?;
        eprintln!(" Container {}  Restarted", c.name);
    }
    Ok(0)
}

/// `rm`: the services' stopped containers (`-s`: stop the running ones first), after asking
/// as docker-compose does: `Going to remove a, b` then `Are you sure? [yN] ` on stdout, and
/// only a `y`/`yes` line on stdin goes ahead (`-f`: no question). `-v`: their anonymous
/// volumes too.
pub fn rm(s: &Session, args: &RmArgs) -> Result<i32> {
    s.check_services(&args.services)?;
    if args.stop {
        stop(
            s,
            &StopArgs {
                timeout: None,
                services: args.services.clone(),
            },
        )?;
    }
    let stopped: Vec<Container> = (s.containers(&args.services, true)?.into_iter())
        .filter(|c| !c.is_active())
        .collect();
    if stopped.is_empty() {
        println!("No stopped containers");
        return Ok(0);
    }
    let names: Vec<&str> = stopped.iter().map(|c| c.name.as_str()).collect();
    println!("Going to remove {}", names.join(", "));
    if !args.force && !confirmed("Are you sure? [yN] ")? {
        return Ok(0);
    }
    for c in stopped {
        s.engine.remove(&c.id, false, args.volumes)?;
        eprintln!(" Container {}  Removed", c.name);
    }
    Ok(0)
}

/// Prints `question` and reads one line of stdin: true for `y` or `yes` (any case); no
/// answer (end of input) is no.
fn confirmed(question: &str) -> Result<bool> {
    use std::io::Write;
    print!("{question}");
    let mut answer = String::new();
    let io = |e: std::io::Error| ComposeError::Project(format!("cannot read the answer: {e}"));
    std::io::stdout().flush().map_err(io)?;
    std::io::stdin().read_line(&mut answer).map_err(io)?;
    Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
}

/// `kill -s SIGNAL`: the signal to each running container of the services.
pub fn kill(s: &Session, args: &KillArgs) -> Result<i32> {
    s.check_services(&args.services)?;
    let signal = crate::engine::lifecycle::parse_signal(&args.signal)?;
    for c in s.containers(&args.services, false)? {
        s.engine.kill(&c.id, signal)?;
        eprintln!(" Container {}  Killed", c.name);
    }
    Ok(0)
}

/// `top`: each running container's name, then its processes (the engine's `top`).
pub fn top(s: &Session, services: &[String]) -> Result<i32> {
    s.check_services(services)?;
    for c in s.containers(services, false)? {
        let (titles, rows) = s.engine.top(&c.id, &[])?;
        let titles: Vec<&str> = titles.iter().map(String::as_str).collect();
        println!("{}", c.name);
        println!("{}", (s.table)(&titles, &rows));
    }
    Ok(0)
}

/// `images`: CONTAINER REPOSITORY TAG IMAGE ID of each of the services' containers.
pub fn images(s: &Session, services: &[String]) -> Result<i32> {
    s.check_services(services)?;
    let rows: Vec<Vec<String>> = s
        .containers(services, true)?
        .iter()
        .map(|c| {
            let (repository, tag) = crate::store::image_refs::repository_and_tag(&c.config.image);
            let id = c
                .image
                .trim_start_matches("sha256:")
                .chars()
                .take(12)
                .collect();
            vec![c.name.clone(), repository, tag, id]
        })
        .collect();
    print!(
        "{}",
        (s.table)(&["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID"], &rows)
    );
    Ok(0)
}

/// `port SERVICE PORT`: the host address the container's port is published on.
pub fn port(s: &Session, args: &PortArgs) -> Result<i32> {
    s.check_services(std::slice::from_ref(&args.service))?;
    let containers = s.replicas(&args.service)?;
    let Some(c) = containers.iter().find(|c| labels::number(c) == args.index) else {
        return Err(ComposeError::Project(format!(
            "service {:?} has no container number {}",
            args.service, args.index
        )));
    };
    let found = c
        .network_settings
        .ports
        .iter()
        .find(|b| b.container_port == args.private_port && b.protocol == args.protocol);
    match found {
        Some(b) => {
            let ip = if b.host_ip.is_empty() {
                "0.0.0.0"
            } else {
                b.host_ip.as_str()
            };
            println!("{ip}:{}", b.host_port);
            Ok(0)
        }
        None => Err(ComposeError::Project(format!(
            "no port {}/{} published for service {:?}",
            args.private_port, args.protocol, args.service
        ))),
    }
}

/// `ls`: NAME STATUS CONFIG FILES of every project that has containers on this engine
/// (running ones only, unless `-a`), from the containers' labels.
pub fn ls(engine: &crate::Engine, args: &LsArgs, table: super::session::Table) -> Result<i32> {
    let mut projects: BTreeMap<String, Vec<Container>> = BTreeMap::new();
    for c in engine.containers()? {
        let project = labels::label(&c, labels::PROJECT).to_string();
        if !project.is_empty() {
            projects.entry(project).or_default().push(c);
        }
    }
    let mut rows = Vec::new();
    for (name, containers) in &projects {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for c in containers {
            *counts.entry(c.state.status.clone()).or_default() += 1;
        }
        if !args.all && !counts.contains_key("running") {
            continue;
        }
        if args.quiet {
            println!("{name}");
            continue;
        }
        let status: Vec<String> = counts.iter().map(|(s, n)| format!("{s}({n})")).collect();
        let files = labels::label(&containers[0], labels::CONFIG_FILES).to_string();
        rows.push(vec![name.clone(), status.join(", "), files]);
    }
    if !args.quiet {
        print!("{}", table(&["NAME", "STATUS", "CONFIG FILES"], &rows));
    }
    Ok(0)
}

/// Containers sorted by their service's place in the start order.
fn in_start_order(s: &Session, mut containers: Vec<Container>) -> Vec<Container> {
    let order: Vec<String> = super::validate::start_order(&s.project.model)
        .into_iter()
        .flatten()
        .collect();
    containers.sort_by_key(|c| {
        let service = labels::label(c, labels::SERVICE);
        (order.iter().position(|n| n == service), labels::number(c))
    });
    containers
}

/// Cuts `text` to `max` characters with a trailing `…`, as Docker's tables do.
fn ellipsis(text: &str, max: usize) -> String {
    match text.chars().count() <= max {
        true => text.to_string(),
        false => text.chars().take(max - 1).chain(['…']).collect(),
    }
}

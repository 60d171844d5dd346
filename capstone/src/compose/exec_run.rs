//! `exec` (a command in a service's running container, by `--index`) and `run` (a one-off
//! container of a service, named `<project>-<service>-run-<id>` and labelled `oneoff`, its
//! dependencies started first): both are the engine's own `exec` and `create` + start.

use super::args::{ExecArgs, RunArgs, UpArgs};
use super::container_options::create_options;
use super::error::{ComposeError, Result};
use super::labels;
use super::session::Session;
use crate::engine::containers::Foreground;
use crate::engine::exec::ExecOptions;
use std::io::IsTerminal;

/// `exec SERVICE COMMAND…`: returns the command's exit code.
pub fn exec(s: &Session, args: &ExecArgs) -> Result<i32> {
    s.check_services(std::slice::from_ref(&args.service))?;
    if args.detach {
        return Err(ComposeError::Project(
            "exec -d is not supported: run the command in the foreground".into(),
        ));
    }
    let replicas = s.replicas(&args.service)?;
    let Some(c) = replicas
        .iter()
        .find(|c| labels::number(c) == args.index && c.is_active())
    else {
        return Err(ComposeError::Project(format!(
            "service {:?} is not running container #{}: start it with `capstone compose up -d {}`",
            args.service, args.index, args.service
        )));
    };
    let tty = !args.no_tty && std::io::stdin().is_terminal();
    let opts = ExecOptions {
        args: args.command.clone(),
        env: args.env.clone(),
        user: args.user.clone(),
        workdir: args.workdir.clone(),
        tty,
        interactive: true,
    };
    Ok(s.engine.exec(&c.id, &opts)?)
}

/// `run SERVICE [COMMAND…]`: returns the container's exit code (0 with `-d`).
pub fn run(s: &Session, args: &RunArgs) -> Result<i32> {
    s.check_services(std::slice::from_ref(&args.service))?;
    let service = &s.project.model.services[&args.service];
    if !args.no_deps && !service.depends_on.is_empty() {
        let deps: Vec<String> = service.depends_on.keys().cloned().collect();
        let up = UpArgs {
            detach: true,
            build: false,
            no_build: false,
            force_recreate: false,
            remove_orphans: false,
            scale: Vec::new(),
            timeout: 10,
            services: deps,
        };
        super::up::up(s, &up)?;
        // As `up` does before it starts a service: healthy, or completed, as the file asks.
        super::up::wait_for_dependencies(s, &args.service)?;
    } else {
        super::resources::ensure_networks(s)?;
        super::resources::ensure_volumes(s)?;
    }
    super::images::for_up(
        s,
        std::slice::from_ref(&args.service),
        super::images::BuildWhen::Missing,
    )?;
    let mut opts = create_options(s.project, &args.service, 1, true)?;
    let suffix = crate::model::ids::random_id()?;
    opts.name =
        Some(args.name.clone().unwrap_or_else(|| {
            format!("{}-{}-run-{}", s.project.name, args.service, &suffix[..12])
        }));
    if !args.command.is_empty() {
        opts.command = args.command.clone();
    }
    if let Some(e) = &args.entrypoint {
        opts.entrypoint = Some(e.clone());
    }
    opts.env.extend(args.env.iter().cloned());
    opts.user = args.user.clone().or(opts.user);
    opts.workdir = args.workdir.clone().or(opts.workdir);
    opts.rm = args.rm;
    // `run` publishes no ports (Docker Compose's default, so it never collides with `up`).
    opts.publish.clear();
    let interactive = std::io::stdin().is_terminal();
    opts.tty = !args.no_tty && !args.detach && interactive;
    opts.interactive = !args.detach;
    let record = s.engine.create(&opts, &mut |line| eprintln!("{line}"))?;
    if args.detach {
        s.engine.start(&record.id)?;
        println!("{}", record.name);
        return Ok(0);
    }
    Ok(s.engine
        .run_attached(&record.id, Foreground { stdin: true })?)
}

//! Container verbs: run, create, start, stop, restart, kill, pause/unpause, wait, rm, exec.

use crate::cli::args::{ExecArgs, RunArgs};
use crate::engine::containers::Foreground;
use crate::engine::create::CreateOptions;
use crate::engine::exec::ExecOptions;
use crate::engine::lifecycle;
use crate::mechanisms::pty;
use crate::{Engine, Error, Result};
use std::os::fd::AsFd;
use std::time::Duration;

fn options(args: RunArgs) -> Result<CreateOptions> {
    if let Some(p) = &args.platform {
        let here = format!("linux/{}", native_arch());
        if *p != here && *p != "linux" {
            return Err(Error::invalid(
                "--platform",
                p.as_str(),
                format!("this engine runs only {here} images"),
            ));
        }
    }
    Ok(CreateOptions {
        image: args.image,
        command: args.command,
        name: args.name,
        env: args.env,
        env_files: args.env_file,
        workdir: args.workdir,
        user: args.user,
        hostname: args.hostname,
        entrypoint: args.entrypoint,
        memory: args.memory,
        cpus: args.cpus,
        pids_limit: args.pids_limit,
        read_only: args.read_only,
        tty: args.tty,
        interactive: args.interactive,
        rm: args.rm,
        network: args.network,
        publish: args.publish,
        cap_add: args.cap_add,
        cap_drop: args.cap_drop,
        security_opt: args.security_opt,
        privileged: args.privileged,
        init: args.init,
        volumes: args.volume,
        mounts: args.mount,
        run_flags: args.more.flags(),
        restart: args.restart,
        health_cmd: args.health_cmd,
        health_interval: args.health_interval,
        health_timeout: args.health_timeout,
        health_start_period: args.health_start_period,
        health_retries: args.health_retries,
        no_healthcheck: args.no_healthcheck,
        ..CreateOptions::default()
    })
}

/// The OCI name of this machine's architecture.
pub fn native_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Prints the engine's progress lines (pulls) on stderr, as Docker's CLI does.
fn say(line: String) {
    eprintln!("{line}");
}

pub(super) fn create(engine: &Engine, args: RunArgs) -> Result<i32> {
    if !args.more.attach.is_empty() {
        return Err(Error::invalid(
            "-a",
            args.more.attach.join(","),
            "create does not record streams to attach here: give -a to run, or use start -a",
        ));
    }
    let cidfile = args.more.cidfile.clone();
    super::run_flags::check_cidfile(cidfile.as_deref())?;
    let record = engine.create(&options(args)?, &mut say)?;
    super::run_flags::write_cidfile(cidfile.as_deref(), &record.id)?;
    println!("{}", record.id);
    Ok(0)
}

/// `run`: create, then start detached (print the id) or in the foreground (we are the
/// monitor; our exit code is the container's).
///
/// Unlike Docker, a bare `run IMAGE sh` typed at a terminal attaches that terminal (as if
/// `-it` were given): it is what a student expects from `capstone run alpine sh`. Redirect
/// stdin, or pass `-i`/`-t`/`-d` explicitly, to get Docker's exact behaviour.
pub(super) fn run(engine: &Engine, args: RunArgs) -> Result<i32> {
    let detach = args.detach;
    let cidfile = args.more.cidfile.clone();
    let streams = super::run_flags::Streams::parse(&args.more.attach, detach)?;
    super::run_flags::check_cidfile(cidfile.as_deref())?;
    let mut opts = options(args)?;
    let stdin = std::io::stdin();
    let at_terminal =
        pty::is_terminal(stdin.as_fd()) && pty::is_terminal(std::io::stdout().as_fd());
    if !detach && !opts.tty && !opts.interactive && at_terminal && streams.is_none() {
        opts.tty = true;
        opts.interactive = true;
    }
    let record = engine.create(&opts, &mut say)?;
    super::run_flags::write_cidfile(cidfile.as_deref(), &record.id)?;
    if detach {
        engine.start(&record.id)?;
        println!("{}", record.id);
        return Ok(0);
    }
    match streams {
        Some(streams) => {
            streams.while_attached(|stdin| engine.run_attached(&record.id, Foreground { stdin }))
        }
        None => engine.run_attached(&record.id, Foreground { stdin: true }),
    }
}

pub(super) fn start(
    engine: &Engine,
    names: &[String],
    attach: bool,
    interactive: bool,
) -> Result<i32> {
    // Docker: `start -i` attaches as `-ai` does.
    if attach || interactive {
        let [name] = names else {
            return Err(Error::invalid(
                "containers",
                names.join(" "),
                "you cannot start and attach multiple containers at once",
            ));
        };
        return engine.run_attached(name, Foreground { stdin: interactive });
    }
    for name in names {
        engine.start(name)?;
        println!("{name}");
    }
    Ok(0)
}

/// `start --all-restartable`: prints the id of each container it started.
pub(super) fn start_restartable(engine: &Engine) -> Result<i32> {
    for id in engine.start_restartable()? {
        println!("{id}");
    }
    Ok(0)
}

/// `update`: prints each name it updated, as Docker does.
pub(super) fn update(
    engine: &Engine,
    names: &[String],
    opts: &crate::engine::update::UpdateOptions,
) -> Result<i32> {
    each(names, |n| engine.update(n, opts))
}

/// Applies `action` to each named container, printing each name on success (as Docker
/// does); the first failure is reported after trying them all.
fn each(names: &[String], mut action: impl FnMut(&str) -> Result<()>) -> Result<i32> {
    let mut first_error = None;
    for name in names {
        match action(name) {
            Ok(()) => println!("{name}"),
            Err(e) => {
                if first_error.is_some() {
                    eprintln!("capstone: {e}");
                } else {
                    first_error = Some(e);
                }
            }
        }
    }
    first_error.map_or(Ok(0), Err)
}

pub(super) fn stop(engine: &Engine, names: &[String], time: Option<u64>) -> Result<i32> {
    each(names, |n| {
        engine.stop_or_default(n, time.map(Duration::from_secs))
    })
}

pub(super) fn restart(engine: &Engine, names: &[String], time: Option<u64>) -> Result<i32> {
    each(names, |n| {
        engine.restart_or_default(n, time.map(Duration::from_secs))
    })
}

pub(super) fn kill(engine: &Engine, names: &[String], signal: &str) -> Result<i32> {
    let signal = lifecycle::parse_signal(signal)?;
    each(names, |n| engine.kill(n, signal))
}

pub(super) fn pause(engine: &Engine, names: &[String], freeze: bool) -> Result<i32> {
    each(names, |n| {
        if freeze {
            engine.pause(n)
        } else {
            engine.unpause(n)
        }
    })
}

pub(super) fn wait(engine: &Engine, names: &[String]) -> Result<i32> {
    for name in names {
        println!("{}", engine.wait(name)?);
    }
    Ok(0)
}

pub(super) fn rm(engine: &Engine, names: &[String], force: bool, volumes: bool) -> Result<i32> {
    each(names, |n| engine.remove(n, force, volumes))
}

pub(super) fn exec(engine: &Engine, args: ExecArgs) -> Result<i32> {
    let opts = ExecOptions {
        args: args.command,
        env: args.env,
        user: args.user,
        workdir: args.workdir,
        tty: args.tty,
        interactive: args.interactive,
    };
    engine.exec(&args.container, &opts)
}

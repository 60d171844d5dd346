//! Container verbs: run, create, start, stop, restart, kill, pause/unpause, wait, rm, exec.

use crate::cli::{ExecArgs, RunArgs};
use crate::create::CreateOptions;
use crate::{
    Error, Result, create as engine, exec as engine_exec, lifecycle, monitor, pty, remove, state,
};
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
        privileged: args.privileged,
        init: args.init,
        volumes: args.volume,
        mounts: args.mount,
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

/// `create`, pulling the image first when it is not in the store (as `docker run` does).
fn create_pulling(
    paths: &state::Paths,
    opts: &CreateOptions,
) -> Result<crate::container::Container> {
    // Until the record names its image, a collection (`rmi`) must not free that image's layers.
    let _using_images = crate::gc::lock_for_writing(paths)?;
    match engine::create(paths, opts) {
        Err(Error::NoSuchImage(_)) => {
            eprintln!(
                "Unable to find image '{}' locally",
                crate::images_ref::familiar(&crate::images_ref::normalize(&opts.image)?)
            );
            super::image::pull(paths, &opts.image)?;
            engine::create(paths, opts)
        }
        other => other,
    }
}

pub(super) fn create(paths: &state::Paths, args: RunArgs) -> Result<i32> {
    let record = create_pulling(paths, &options(args)?)?;
    println!("{}", record.id);
    Ok(0)
}

/// `run`: create, then start detached (print the id) or in the foreground (we are the
/// monitor; our exit code is the container's).
///
/// Unlike Docker, a bare `run IMAGE sh` typed at a terminal attaches that terminal (as if
/// `-it` were given): it is what a student expects from `capstone run alpine sh`. Redirect
/// stdin, or pass `-i`/`-t`/`-d` explicitly, to get Docker's exact behaviour.
pub(super) fn run(paths: &state::Paths, args: RunArgs) -> Result<i32> {
    let detach = args.detach;
    let mut opts = options(args)?;
    let stdin = std::io::stdin();
    let at_terminal =
        pty::is_terminal(stdin.as_fd()) && pty::is_terminal(std::io::stdout().as_fd());
    if !detach && !opts.tty && !opts.interactive && at_terminal {
        opts.tty = true;
        opts.interactive = true;
    }
    let record = create_pulling(paths, &opts)?;
    if detach {
        lifecycle::start_detached(paths, &record)?;
        println!("{}", record.id);
        return Ok(0);
    }
    foreground(paths, &record.id, true)
}

/// Runs a container with this process as its monitor (our stdin attached if `stdin` and the
/// container was created with `-i`); on a failure to start, a `--rm` container is removed again.
fn foreground(paths: &state::Paths, id: &str, stdin: bool) -> Result<i32> {
    let result = monitor::run(paths, id, monitor::Attach::Foreground { stdin }, |_| {});
    if let Err(e) = &result {
        let _ = state::update(paths, id, |c| c.state.error = e.to_string());
        if let Ok(record) = state::load(paths, id)
            && record.host_config.auto_remove
        {
            let _ = remove::remove(paths, &record);
        }
    }
    result
}

pub(super) fn start(
    paths: &state::Paths,
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
        let record = state::find(paths, name)?;
        return foreground(paths, &record.id, interactive);
    }
    for name in names {
        let record = state::find(paths, name)?;
        lifecycle::start_detached(paths, &record)?;
        println!("{name}");
    }
    Ok(0)
}

/// Applies `action` to each named container, printing each name on success (as Docker
/// does); the first failure is reported after trying them all.
fn each(
    paths: &state::Paths,
    names: &[String],
    mut action: impl FnMut(&crate::container::Container) -> Result<()>,
) -> Result<i32> {
    let mut first_error = None;
    for name in names {
        match state::find(paths, name).and_then(|r| action(&r)) {
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

pub(super) fn stop(paths: &state::Paths, names: &[String], time: u64) -> Result<i32> {
    each(paths, names, |r| {
        lifecycle::stop(paths, r, Duration::from_secs(time))
    })
}

pub(super) fn restart(paths: &state::Paths, names: &[String], time: u64) -> Result<i32> {
    each(paths, names, |r| {
        lifecycle::stop(paths, r, Duration::from_secs(time))?;
        lifecycle::start_detached(paths, &state::load(paths, &r.id)?)
    })
}

pub(super) fn kill(paths: &state::Paths, names: &[String], signal: &str) -> Result<i32> {
    let signal = lifecycle::parse_signal(signal)?;
    each(paths, names, |r| lifecycle::kill_container(r, signal))
}

pub(super) fn pause(paths: &state::Paths, names: &[String], freeze: bool) -> Result<i32> {
    each(paths, names, |r| {
        if freeze {
            lifecycle::pause(paths, r)
        } else {
            lifecycle::unpause(paths, r)
        }
    })
}

pub(super) fn wait(paths: &state::Paths, names: &[String]) -> Result<i32> {
    for name in names {
        let record = state::find(paths, name)?;
        println!("{}", lifecycle::wait(paths, &record)?);
    }
    Ok(0)
}

pub(super) fn rm(
    paths: &state::Paths,
    names: &[String],
    force: bool,
    volumes: bool,
) -> Result<i32> {
    each(paths, names, |r| {
        lifecycle::rm(paths, r, force)?;
        if volumes {
            crate::volumes::store::remove_anonymous(paths, r)?;
        }
        Ok(())
    })
}

pub(super) fn exec(paths: &state::Paths, args: ExecArgs) -> Result<i32> {
    let record = state::find(paths, &args.container)?;
    let opts = engine_exec::ExecOptions {
        args: args.command,
        env: args.env,
        user: args.user,
        workdir: args.workdir,
        tty: args.tty,
        interactive: args.interactive,
    };
    engine_exec::exec(&record, &opts)
}

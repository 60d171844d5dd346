//! The front end: the command line ([`args`], clap) and the verbs, each of which takes parsed
//! arguments, calls the [`crate::Engine`], and prints what Docker prints. Errors are printed by [`main`] as `capstone: …` with Docker's exit codes: 125 when
//! `run`/`create`/`start` fail before the container's command runs, 1 for other commands.

pub mod args;
pub mod build;
mod containers;
mod containers_cp;
mod events;
pub mod format;
pub mod format_limits;
mod image;
mod inspect_order;
mod login;
mod logs;
mod network;
pub mod network_args;
mod push;
pub mod run_flags;
mod show;
mod stats;
mod system;
mod table;
mod volume;
pub mod volume_args;

use crate::cli::args::{Cli, Command, ContainerCommand, ImageCommand, SystemCommand};
use crate::engine::lifecycle;
use crate::{Engine, Result, store};

/// Runs the command line and returns the process exit code.
pub fn main(cli: Cli) -> i32 {
    let engine_failure = matches!(
        cli.command,
        Command::Run(_) | Command::Create(_) | Command::Start { .. }
    );
    let result =
        Engine::open(&cli.root, &cli.runroot).and_then(|engine| dispatch(&engine, cli.command));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("capstone: {e}");
            if engine_failure { 125 } else { 1 }
        }
    }
}

/// Runs a detached container's monitor (`capstone --root R --runroot RR __monitor ID`) and
/// returns its exit code, without the command-line parser (see `main.rs`).
pub fn monitor(root: &std::path::Path, runroot: &std::path::Path, id: &str) -> i32 {
    match store::Paths::open(root, runroot).and_then(|paths| lifecycle::monitor_main(&paths, id)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("capstone: {e}");
            1
        }
    }
}

fn dispatch(engine: &Engine, command: Command) -> Result<i32> {
    let paths = engine.paths();
    // Commands that add to the image store keep garbage collection out while they write.
    let _writing = match &command {
        Command::Build(_) => Some(crate::engine::gc::lock_for_writing(paths)?),
        _ => None,
    };
    match command {
        Command::Run(args) => containers::run(engine, args),
        Command::Compose(args) => crate::compose::main(engine, args, table::render),
        Command::Create(args) => containers::create(engine, args),
        Command::Start {
            all_restartable: true,
            ..
        } => containers::start_restartable(engine),
        Command::Start {
            attach,
            interactive,
            containers,
            ..
        } => containers::start(engine, &containers, attach, interactive),
        Command::Stop { time, containers } => containers::stop(engine, &containers, time),
        Command::Restart { time, containers } => containers::restart(engine, &containers, time),
        Command::Kill { signal, containers } => containers::kill(engine, &containers, &signal),
        Command::Pause { containers } => containers::pause(engine, &containers, true),
        Command::Unpause { containers } => containers::pause(engine, &containers, false),
        Command::Wait { containers } => containers::wait(engine, &containers),
        Command::Rm {
            force,
            volumes,
            containers,
        } => containers::rm(engine, &containers, force, volumes),
        Command::Exec(args) => containers::exec(engine, args),
        Command::Ps {
            all,
            quiet,
            filter,
            format,
        } => show::ps(paths, all, quiet, &filter, format.as_deref()),
        Command::Logs {
            follow,
            tail,
            timestamps,
            since,
            until,
            container,
        } => logs::logs(
            engine,
            &container,
            follow,
            &tail,
            timestamps,
            since.as_deref(),
            until.as_deref(),
        ),
        Command::Attach {
            no_stdin,
            detach_keys,
            sig_proxy,
            container,
        } => {
            let opts = crate::engine::attach::AttachOptions {
                no_stdin,
                sig_proxy,
                detach_keys,
            };
            logs::attach(engine, &container, &opts)
        }
        Command::Inspect {
            kind,
            format,
            names,
        } => show::inspect(paths, kind.as_deref(), &names, format.as_deref()),
        Command::Images {
            quiet,
            filter,
            format,
            reference,
        } => image::images(
            paths,
            quiet,
            reference.as_deref(),
            &filter,
            format.as_deref(),
        ),
        Command::Tag { source, target } => image::tag(engine, &source, &target),
        Command::Rmi { force, images } => image::rmi(engine, &images, force),
        Command::Import {
            file,
            reference,
            change,
        } => image::import(engine, &file, reference.as_deref(), &change),
        Command::Save { output, images } => image::save(engine, output.as_deref(), &images),
        Command::Load { input } => image::load(engine, input.as_deref()),
        Command::Diff { container } => image::diff(engine, &container),
        Command::Build(args) => Ok(crate::cli::build::main(paths, args)),
        Command::Commit {
            author,
            message,
            container,
            reference,
        } => {
            let notes = crate::engine::commit::CommitNotes { author, message };
            image::commit(engine, &container, reference.as_deref(), &notes)
        }
        Command::Pull { image } => engine
            .pull(&image, &mut |line| eprintln!("{line}"))
            .map(|()| 0),
        Command::Push { image } => push::push(engine, &image),
        Command::Login {
            username,
            password,
            password_stdin,
            server,
        } => {
            let password = match (password, password_stdin) {
                (Some(p), _) => login::Password::Given(p),
                (None, true) => login::Password::Stdin,
                (None, false) => login::Password::Prompt,
            };
            login::login(paths, server.as_deref(), username, password)
        }
        Command::Logout { server } => login::logout(paths, server.as_deref()),
        Command::Info { format } => system::info(paths, format.as_deref()),
        Command::System {
            command: SystemCommand::Df,
        } => system::df(paths),
        Command::System {
            command: SystemCommand::Prune { force, volumes },
        } => system::prune(engine, force, volumes),
        Command::Volume { command } => volume::main(engine, command),
        Command::Version { format } => system::version(format.as_deref()),
        Command::Doctor => system::doctor(),
        Command::Network { command } => network::main(engine, command),
        Command::Port { container, port } => network::port(paths, &container, port.as_deref()),
        Command::Top { container, ps_args } => stats::top(engine, &container, &ps_args),
        Command::Stats {
            all,
            no_stream,
            format,
            containers,
        } => stats::stats(engine, &containers, all, no_stream, format.as_deref()),
        Command::Cp {
            archive,
            follow_link,
            src,
            dest,
        } => containers_cp::cp(engine, &src, &dest, archive, follow_link),
        Command::Update {
            memory,
            cpus,
            pids_limit,
            restart,
            containers,
        } => containers::update(
            engine,
            &containers,
            &crate::engine::update::UpdateOptions {
                memory,
                cpus,
                pids_limit,
                restart,
            },
        ),
        Command::Events {
            since,
            until,
            filter,
            format,
        } => events::events(
            engine,
            since.as_deref(),
            until.as_deref(),
            &filter,
            format.as_deref(),
        ),
        Command::Rename { container, name } => engine.rename(&container, &name).map(|()| 0),
        Command::History {
            no_trunc,
            quiet,
            image,
        }
        | Command::Image {
            command:
                ImageCommand::History {
                    no_trunc,
                    quiet,
                    image,
                },
        } => image::history(engine, &image, no_trunc, quiet),
        Command::Export { output, container } => {
            image::export(engine, &container, output.as_deref())
        }
        Command::Container {
            command: ContainerCommand::Prune { force },
        } => system::prune_containers(engine, force),
        Command::Image {
            command: ImageCommand::Prune { all, force },
        } => system::prune_images(engine, all, force),
        Command::Monitor { id } => lifecycle::monitor_main(paths, &id),
        Command::Daemon { host, group } => {
            let socket = paths.runroot.join("docker.sock");
            let host = host.unwrap_or_else(|| format!("unix://{}", socket.display()));
            crate::api::serve(engine.clone(), &host, group.as_deref())
        }
    }
}

//! The verbs: each takes parsed arguments, calls the engine's modules, and prints what Docker
//! prints. Errors are printed by [`main`] as `capstone: …` with Docker's exit codes: 125 when
//! `run`/`create`/`start` fail before the container's command runs, 1 for other commands.

mod containers;
mod image;
mod inspect_order;
mod login;
mod network;
mod push;
mod show;
mod system;
mod table;
mod volume;

use crate::cli::{Cli, Command, SystemCommand};
use crate::{Result, lifecycle, state};
pub use image::pull;

/// Runs the command line and returns the process exit code.
pub fn main(cli: Cli) -> i32 {
    let engine_failure = matches!(
        cli.command,
        Command::Run(_) | Command::Create(_) | Command::Start { .. }
    );
    let result =
        state::Paths::open(&cli.root, &cli.runroot).and_then(|paths| dispatch(&paths, cli.command));
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
    match state::Paths::open(root, runroot).and_then(|paths| lifecycle::monitor_main(&paths, id)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("capstone: {e}");
            1
        }
    }
}

fn dispatch(paths: &state::Paths, command: Command) -> Result<i32> {
    // Commands that add to the image store keep garbage collection out while they write.
    let _writing = match &command {
        Command::Build(_)
        | Command::Import { .. }
        | Command::Load { .. }
        | Command::Commit { .. } => Some(crate::gc::lock_for_writing(paths)?),
        _ => None,
    };
    match command {
        Command::Run(args) => containers::run(paths, args),
        Command::Create(args) => containers::create(paths, args),
        Command::Start {
            attach,
            interactive,
            containers,
        } => containers::start(paths, &containers, attach, interactive),
        Command::Stop { time, containers } => containers::stop(paths, &containers, time),
        Command::Restart { time, containers } => containers::restart(paths, &containers, time),
        Command::Kill { signal, containers } => containers::kill(paths, &containers, &signal),
        Command::Pause { containers } => containers::pause(paths, &containers, true),
        Command::Unpause { containers } => containers::pause(paths, &containers, false),
        Command::Wait { containers } => containers::wait(paths, &containers),
        Command::Rm {
            force,
            volumes,
            containers,
        } => containers::rm(paths, &containers, force, volumes),
        Command::Exec(args) => containers::exec(paths, args),
        Command::Ps { all, quiet, filter } => show::ps(paths, all, quiet, &filter),
        Command::Logs {
            follow,
            tail,
            timestamps,
            container,
        } => show::logs(paths, &container, follow, &tail, timestamps),
        Command::Inspect { kind, names } => show::inspect(paths, kind.as_deref(), &names),
        Command::Images { quiet } => image::images(paths, quiet),
        Command::Tag { source, target } => image::tag(paths, &source, &target),
        Command::Rmi { force, images } => image::rmi(paths, &images, force),
        Command::Import {
            file,
            reference,
            change,
        } => image::import(paths, &file, reference.as_deref(), &change),
        Command::Save { output, images } => image::save(paths, output.as_deref(), &images),
        Command::Load { input } => image::load(paths, input.as_deref()),
        Command::Diff { container } => image::diff(paths, &container),
        Command::Build(args) => Ok(crate::build::cli::main(paths, args)),
        Command::Commit {
            container,
            reference,
        } => image::commit(paths, &container, reference.as_deref()),
        Command::Pull { image } => image::pull(paths, &image).map(|_| 0),
        Command::Push { image } => push::push(paths, &image),
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
        Command::Info => system::info(paths),
        Command::System {
            command: SystemCommand::Df,
        } => system::df(paths),
        Command::System {
            command: SystemCommand::Prune { force, volumes },
        } => system::prune(paths, force, volumes),
        Command::Volume { command } => volume::main(paths, command),
        Command::Version => system::version(),
        Command::Doctor => system::doctor(),
        Command::Network { command } => network::main(paths, command),
        Command::Port { container } => network::port(paths, &container),
        Command::Monitor { id } => lifecycle::monitor_main(paths, &id),
    }
}

//! `capstone-runtime`'s front end: runc's command line (the structures of youki's
//! `liboci-cli` crate), each command handed to `engine::oci` and its answer printed. This is
//! the program dockerd, containerd and podman call as their OCI runtime.

pub mod log;

use crate::engine::oci::{self, control, create, exec, info, query, start};
use crate::store::oci_state::DEFAULT_ROOT;
use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The command line: runc's global options, then one command.
#[derive(Parser, Debug)]
#[command(
    name = "capstone-runtime",
    version = concat!(env!("CARGO_PKG_VERSION"), "\nspec: 1.0.2"),
    about = "An OCI runtime with runc's command line, built on the container lab's lessons"
)]
pub struct Cli {
    #[command(flatten)]
    global: liboci_cli::GlobalOpts,
    #[command(subcommand)]
    command: Command,
}

/// runc's commands.
#[derive(Subcommand, Debug)]
enum Command {
    Create(liboci_cli::Create),
    Start(liboci_cli::Start),
    State(liboci_cli::State),
    Kill(KillArgs),
    Delete(liboci_cli::Delete),
    Run(liboci_cli::Run),
    Exec(liboci_cli::Exec),
    Ps(liboci_cli::Ps),
    Pause(liboci_cli::Pause),
    Resume(liboci_cli::Resume),
    Update(liboci_cli::Update),
    List(liboci_cli::List),
    Features(liboci_cli::Features),
    Spec(liboci_cli::Spec),
}

/// `kill ID [SIGNAL]`: runc's default signal is SIGTERM.
#[derive(Args, Debug)]
struct KillArgs {
    container_id: String,
    #[arg(default_value = "SIGTERM")]
    signal: String,
    /// Send it to every process of the container.
    #[arg(short, long)]
    all: bool,
}

/// Parses `args`, runs the command, and returns the exit code (1 on error, as runc).
pub fn main(args: Vec<std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    let logger = match log::Logger::new(cli.global.log.clone(), cli.global.log_format.as_deref()) {
        Ok(logger) => logger,
        Err(e) => {
            eprintln!("capstone-runtime: {e}");
            return 1;
        }
    };
    if cli.global.systemd_cgroup {
        logger.error("--systemd-cgroup is not supported by capstone-runtime: use cgroupfs (dockerd: --exec-opt native.cgroupdriver=cgroupfs)");
        return 1;
    }
    let root = cli
        .global
        .root
        .clone()
        .unwrap_or_else(|| DEFAULT_ROOT.into());
    match dispatch(&root, cli.command) {
        Ok(code) => code,
        Err(e) => {
            logger.error(&format!("{e:#}"));
            1
        }
    }
}

fn dispatch(root: &Path, command: Command) -> Result<i32> {
    match command {
        Command::Create(c) => create::create(
            root,
            &create_options(
                c.container_id,
                c.bundle,
                c.pid_file,
                c.console_socket,
                c.preserve_fds,
            ),
        )?,
        Command::Run(c) => {
            let options = create_options(
                c.container_id,
                c.bundle,
                c.pid_file,
                c.console_socket,
                c.preserve_fds,
            );
            return create::run(root, &options, c.detach, c.keep);
        }
        Command::Start(c) => start::start(root, &c.container_id)?,
        Command::State(c) => print_json(&query::state(root, &c.container_id)?)?,
        Command::Kill(c) => control::kill(
            root,
            &c.container_id,
            control::parse_signal(&c.signal)?,
            c.all,
        )?,
        Command::Delete(c) => control::delete(root, &c.container_id, c.force)?,
        Command::Exec(c) => return exec::exec(root, &exec_options(c)),
        Command::Ps(c) => {
            let pids = query::pids(root, &c.container_id)?;
            match c.format.as_str() {
                "json" => println!("{}", serde_json::to_string(&pids)?),
                "table" => print!("{}", query::ps_table(&pids, &c.ps_options)?),
                other => bail!("invalid format option {other:?}: use table or json"),
            }
        }
        Command::Pause(c) => control::pause(root, &c.container_id)?,
        Command::Resume(c) => control::resume(root, &c.container_id)?,
        Command::Update(c) => {
            let Some(file) = c.resources else {
                bail!("update: pass --resources FILE (or - for stdin) with linux.resources JSON");
            };
            control::update(root, &c.container_id, &read_file_or_stdin(&file)?)?
        }
        Command::List(c) => list(root, &c.format, c.quiet)?,
        Command::Features(_) => print_json(&info::features())?,
        Command::Spec(c) => info::write_default_spec(&c.bundle.unwrap_or_else(|| ".".into()))?,
    }
    Ok(0)
}

fn create_options(
    id: String,
    bundle: PathBuf,
    pid_file: Option<PathBuf>,
    console_socket: Option<PathBuf>,
    preserve_fds: i32,
) -> create::CreateOptions {
    create::CreateOptions {
        id,
        bundle,
        pid_file,
        console_socket,
        preserve_fds,
    }
}

fn exec_options(c: liboci_cli::Exec) -> exec::ExecOptions {
    exec::ExecOptions {
        id: c.container_id,
        process: c.process,
        args: c.command,
        detach: c.detach,
        pid_file: c.pid_file,
        tty: c.tty,
        console_socket: c.console_socket,
        cwd: c.cwd,
        env: c.env.into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
        user: c.user,
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn read_file_or_stdin(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("read {}", path.display()))
}

/// `list`: runc's table (`ID PID STATUS BUNDLE CREATED OWNER`), ids alone with `-q`, or JSON.
fn list(root: &Path, format: &str, quiet: bool) -> Result<()> {
    let states = query::list(root)?;
    if quiet {
        states.iter().for_each(|s| println!("{}", s.id));
        return Ok(());
    }
    match format {
        "json" => println!("{}", serde_json::to_string(&states)?),
        "table" => {
            println!(
                "{:<12} {:<8} {:<10} {:<40} {:<30} OWNER",
                "ID", "PID", "STATUS", "BUNDLE", "CREATED"
            );
            for s in &states {
                let status: oci::Status = s.status;
                println!(
                    "{:<12} {:<8} {:<10} {:<40} {:<30} {}",
                    s.id,
                    s.pid,
                    status.word(),
                    s.bundle.display(),
                    s.created,
                    s.owner
                );
            }
        }
        other => bail!("invalid format option {other:?}: use table or json"),
    }
    Ok(())
}

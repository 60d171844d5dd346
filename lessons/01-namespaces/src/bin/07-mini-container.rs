//! Step 7: all together — a mini container. New UTS, PID, mount, IPC, network and cgroup
//! namespaces; `/proc`, read-only `/sys`, a minimal `/dev` and a `/tmp`; pivot_root into a
//! busybox root filesystem; a hostname; and the command as pid 1, its exit code passed through.
//!
//! Run:  cargo run -p namespaces --bin 07-mini-container -- sh -c 'hostname; echo pid $$; ps'
//!       cargo run -p namespaces --bin 07-mini-container -- sh      (an interactive shell)
//! Look for: hostname `container`, the shell is pid 1, `ps` shows only the container's
//! processes, `ls /` shows the busybox root; `exit 3` → this program exits 3 too.
//! Read: clone(2), pivot_root(2), namespaces(7), and this crate's `container.rs`.

use clap::Parser;
use namespaces::container::{ContainerSpec, create};
use namespaces::{Namespace, rootfs};
use nix::unistd::Pid;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run a command in a mini container.
#[derive(Parser)]
#[command(name = "07-mini-container")]
struct Args {
    /// The root filesystem (default: the kit's busybox root filesystem, built on first use).
    #[arg(long)]
    rootfs: Option<PathBuf>,
    /// The hostname inside.
    #[arg(long, default_value = "container")]
    hostname: String,
    /// Let the command write to the root filesystem (it is shared: careful).
    #[arg(long)]
    writable: bool,
    /// The command to run, and its arguments.
    #[arg(required = true, trailing_var_arg = true)]
    command: Vec<String>,
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    namespaces::privilege::require_root("a container")?;
    let rootfs = match args.rootfs {
        Some(dir) => dir,
        None => rootfs::busybox_rootfs()?,
    };
    let mut spec = ContainerSpec::new(rootfs, args.command);
    spec.hostname = args.hostname;
    spec.readonly_rootfs = !args.writable;

    // ANCHOR: run
    let created = create(&spec)?;
    eprintln!(
        "[host] container created: host pid {}, rootfs {}",
        created.pid(),
        spec.rootfs.display()
    );
    for ns in [Namespace::Uts, Namespace::Pid, Namespace::Net] {
        let (host, inside) = (ns.inode(Pid::this())?, ns.inode(created.pid())?);
        eprintln!(
            "[host] {} namespace: host {host}, container {inside}",
            ns.proc_name()
        );
    }
    let code = created.start()?.wait()?;
    // ANCHOR_END: run
    eprintln!("[host] container exited with code {code}");
    Ok(ExitCode::from(code as u8))
}

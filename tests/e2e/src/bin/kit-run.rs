//! Runs a command in a busybox container built from the lessons' libraries — a cgroup
//! (lesson 02), an overlay root (lesson 03), new namespaces and pivot_root (lesson 01) — and
//! removes it all afterwards. It prints nothing of its own, so `hyperfine` can time it next to
//! `runc run` and `crun run`; the exit code is the command's.
//!
//! Run:  cargo run -p e2e --bin kit-run -- /bin/true
//!       hyperfine -N 'target/release/kit-run /bin/true'
//! While it runs it is also the container's monitor: the `memory` benchmark measures it.

use anyhow::Context;
use e2e::sandbox::Sandbox;
use std::process::ExitCode;

fn main() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    anyhow::ensure!(
        !args.is_empty(),
        "usage: kit-run COMMAND [ARG...]: say what to run, e.g. `kit-run /bin/true`"
    );
    let image =
        namespaces::rootfs::busybox_rootfs().context("preparing the busybox root filesystem")?;
    let name = format!("kit-run-{}", std::process::id());
    let sandbox =
        Sandbox::new(&name, &image).context("preparing the container's cgroup and root")?;
    let code = sandbox.run(args).context("running the container")?;
    drop(sandbox); // remove the cgroup and unmount before exiting
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(255)))
}

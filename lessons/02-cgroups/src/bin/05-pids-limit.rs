//! Step 5: a pids limit. A fork bomb inside the cgroup hits the limit and fork(2) fails
//! with EAGAIN; outside, the machine can still start processes.
//!
//! Run: `cargo run -p cgroups --bin 05-pids-limit -- --pids 10`
//! Look for: "fork number 10 failed: EAGAIN" (the bomb itself is process 1 of 10),
//! pids.current at the limit, pids.events counting the refusals, and a process started
//! outside the cgroup afterwards.
//! Man pages: cgroups(7), fork(2) (EAGAIN); the kernel's cgroup-v1/pids.rst.

use anyhow::Context;
use cgroups::workload::{Workload, command_self};
use cgroups::{CgroupGuard, Controller, Hierarchy, limits, process, shown};
use clap::Parser;
use std::process::Command;

/// Run a fork bomb under a pids limit.
#[derive(Parser)]
struct Args {
    /// Most processes the cgroup may hold, like `docker run --pids-limit`.
    #[arg(long, default_value = "10")]
    pids: String,
}

fn main() -> anyhow::Result<()> {
    cgroups::workload::serve_if_asked();
    let max =
        limits::parse_pids(&Args::parse().pids)?.context("this step needs a limit, not -1")?;

    // ANCHOR: limit
    let name = format!("lesson02-pids-{}", std::process::id());
    let cgroup =
        CgroupGuard(Hierarchy::detect()?.create(&name, &[Controller::Pids, Controller::Freezer])?);
    cgroup.set_pids_max(max)?;
    println!("cgroup {name}: pids.max = {max}");
    // ANCHOR_END: limit

    // ANCHOR: bomb
    let mut bomb = command_self(&Workload::ForkBomb(1000));
    process::join_on_exec(&mut bomb, &*cgroup);
    let output = bomb.output()?;
    print!(
        "fork bomb says: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    // ANCHOR_END: bomb
    let stats = cgroup.stats()?;
    println!(
        "pids.current = {} (its children are still there, waiting)",
        shown(stats.pids_current)
    );
    println!(
        "pids.events max = {} (forks refused)",
        shown(stats.pids_limit_hits)
    );
    anyhow::ensure!(
        output.status.success(),
        "the fork bomb was not stopped: {}",
        output.status
    );

    let outside = Command::new("true")
        .status()
        .context("starting `true` outside the cgroup")?;
    println!("outside the cgroup, starting a process still works: `true` exited with {outside}");
    println!(
        "removing the cgroup kills the {} children left inside",
        stats.pids_current.unwrap_or(0)
    );
    Ok(())
}

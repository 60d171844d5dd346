//! Step 3: a memory limit. A program that keeps allocating is stopped by the kernel's OOM
//! killer when its cgroup reaches the limit — only it, not the rest of the machine — and the
//! cgroup counts the kill.
//!
//! Run: `cargo run -p cgroups --bin 03-memory-limit -- --memory 32m`
//! Look for: the hog's last "allocated N MiB" line just under the limit, "killed by signal 9
//! (SIGKILL)", the OOM kill count going to 1, and the peak usage at the limit.
//! Man pages: cgroups(7); the kernel's cgroup-v2.rst ("memory.max", "memory.events") and
//! cgroup-v1/memory.rst ("memory.limit_in_bytes", "memory.oom_control").

use anyhow::Context;
use cgroups::workload::{Workload, command_self};
use cgroups::{CgroupGuard, Controller, Hierarchy, limits, process, shown};
use clap::Parser;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

/// Run a memory hog under a memory limit.
#[derive(Parser)]
struct Args {
    /// The limit, written like `docker run --memory`: 32m, 1g, 6291456…
    #[arg(long, default_value = "32m")]
    memory: String,
}

fn main() -> anyhow::Result<()> {
    cgroups::workload::serve_if_asked();
    let args = Args::parse();
    let limit = limits::parse_memory(&args.memory)?;

    // ANCHOR: limit
    let name = format!("lesson02-memory-{}", std::process::id());
    let cgroup = CgroupGuard(Hierarchy::detect()?.create(&name, &[Controller::Memory])?);
    // memory+swap = memory: no swapping out to escape the limit (Docker's --memory-swap).
    cgroup
        .set_memory(limit, Some(limit))
        .context("setting the memory limit")?;
    println!(
        "cgroup {name}: memory limit {} MiB (and no swap)",
        limit >> 20
    );
    for dir in cgroup.directories() {
        println!("  {}", dir.display());
    }
    // ANCHOR_END: limit

    // ANCHOR: hog
    let mut hog = command_self(&Workload::MemoryHog);
    process::join_on_exec(&mut hog, &*cgroup);
    let mut hog = hog
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the memory hog")?;
    println!(
        "\nhog {} started inside the cgroup; it allocates 1 MiB at a time:",
        hog.id()
    );
    let mut last = String::new();
    for line in BufReader::new(hog.stdout.take().context("hog stdout")?).lines() {
        last = line?;
    }
    let status = hog.wait()?;
    // ANCHOR_END: hog
    println!("  last words: {last}");

    // ANCHOR: evidence
    let stats = cgroup.stats()?;
    println!("\nhog ended: {status}");
    println!(
        "OOM kills counted by the cgroup: {}",
        shown(stats.oom_kills)
    );
    println!(
        "peak memory use: {} MiB (limit {} MiB)",
        shown(stats.memory_peak.map(|b| b >> 20)),
        limit >> 20
    );
    anyhow::ensure!(
        status.signal() == Some(libc::SIGKILL),
        "expected the OOM killer's SIGKILL, got {status}"
    );
    anyhow::ensure!(
        stats.oom_kills.unwrap_or(0) >= 1,
        "the cgroup counted no OOM kill"
    );
    // ANCHOR_END: evidence
    println!("the rest of the machine was untouched: this step is still running");
    Ok(())
}

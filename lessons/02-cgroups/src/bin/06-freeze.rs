//! Step 6: freeze and thaw. Every process in a cgroup can be stopped at once, without a
//! signal it could notice or catch, and resumed later — how `docker pause` works.
//!
//! Run: `cargo run -p cgroups --bin 06-freeze`
//! Look for: the counter advancing, then nothing while frozen (state FROZEN / frozen 1),
//! then counting on from where it stopped.
//! Man pages: cgroups(7); the kernel's cgroup-v2.rst ("cgroup.freeze") and
//! cgroup-v1/freezer-subsystem.rst ("freezer.state").

use anyhow::Context;
use cgroups::workload::{Workload, command_self};
use cgroups::{CgroupGuard, Controller, Hierarchy, process};
use std::io::{BufRead, BufReader};
use std::os::fd::AsFd;
use std::process::Stdio;

fn main() -> anyhow::Result<()> {
    cgroups::workload::serve_if_asked();
    let name = format!("lesson02-freeze-{}", std::process::id());
    let cgroup = CgroupGuard(Hierarchy::detect()?.create(&name, &[Controller::Freezer])?);

    let mut counter = command_self(&Workload::Counter);
    process::join_on_exec(&mut counter, &*cgroup);
    let mut counter = counter.stdout(Stdio::piped()).spawn()?;
    let mut lines = BufReader::new(counter.stdout.take().context("counter stdout")?);
    let mut line = String::new();
    for _ in 0..10 {
        line.clear();
        lines.read_line(&mut line)?;
    }
    println!("counter {} is counting: … {}", counter.id(), line.trim());

    // ANCHOR: freeze
    cgroup.freeze()?;
    println!("frozen (the kernel confirmed it)");
    // Read what it wrote before it stopped, then wait up to 300 ms for anything new.
    let mut last = line.trim().to_string();
    while has_data(&lines, 0)? {
        line.clear();
        lines.read_line(&mut line)?;
        last = line.trim().to_string();
    }
    println!("last number before freezing: {last}");
    let moved = has_data(&lines, 300)?;
    println!(
        "new output in 300 ms while frozen: {}",
        if moved { "yes" } else { "none" }
    );
    // ANCHOR_END: freeze

    // ANCHOR: thaw
    cgroup.thaw()?;
    line.clear();
    lines.read_line(&mut line)?;
    println!("thawed; the counter goes on: {}", line.trim());
    // ANCHOR_END: thaw
    anyhow::ensure!(!moved, "the counter advanced while frozen");
    drop(cgroup);
    counter.wait()?;
    Ok(())
}

/// Whether the pipe has something to read (its buffer, or poll(2) within `millis`).
fn has_data(reader: &BufReader<std::process::ChildStdout>, millis: u16) -> anyhow::Result<bool> {
    use nix::poll::{PollFd, PollFlags, poll};
    if !reader.buffer().is_empty() {
        return Ok(true);
    }
    let mut fds = [PollFd::new(reader.get_ref().as_fd(), PollFlags::POLLIN)];
    Ok(poll(&mut fds, millis)? > 0)
}

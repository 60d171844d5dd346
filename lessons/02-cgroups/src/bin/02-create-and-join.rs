//! Step 2: create a cgroup and move a child process into it.
//!
//! Run: `cargo run -p cgroups --bin 02-create-and-join`
//! Look for: the new directory (one per hierarchy on v1), the child's pid appearing in its
//! `cgroup.procs`, and `/proc/PID/cgroup` of the child naming the new cgroup.
//! Then the cgroup is removed: the child is killed first, since rmdir(2) refuses a cgroup
//! that still has processes.
//! Man pages: cgroups(7) ("Creating cgroups and moving processes"), rmdir(2).

use anyhow::Context;
use cgroups::workload::{Workload, command_self};
use cgroups::{CgroupGuard, Controller, Hierarchy, process};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn main() -> anyhow::Result<()> {
    cgroups::workload::serve_if_asked();
    let hierarchy = Hierarchy::detect()?;

    // ANCHOR: create
    let name = format!("lesson02-join-{}", std::process::id());
    let cgroup = CgroupGuard(
        hierarchy
            .create(&name, &Controller::ALL)
            .with_context(|| format!("creating cgroup {name}"))?,
    );
    println!("created cgroup {name}:");
    for dir in cgroup.directories() {
        println!("  mkdir {}", dir.display());
    }
    // ANCHOR_END: create

    // ANCHOR: join
    let mut child = command_self(&Workload::Counter)
        .stdout(Stdio::piped())
        .spawn()?;
    let pid = child.id() as i32;
    println!("\nstarted child {pid}; writing its pid to cgroup.procs");
    cgroup.add_process(pid)?;
    // ANCHOR_END: join

    // The child proves it runs by printing a number. (We keep its pipe open until the end:
    // the counter stops by itself when nobody reads it any more.)
    let mut output = BufReader::new(child.stdout.take().context("child stdout")?);
    let mut line = String::new();
    output.read_line(&mut line)?;
    println!("child says {} (it is running)", line.trim());

    println!("\ncgroup.procs lists: {:?}", cgroup.processes()?);
    println!("/proc/{pid}/cgroup:");
    for line in process::cgroup_of(pid)?.lines() {
        println!("  {line}");
    }
    let inside = cgroup.processes()?.contains(&pid);

    println!("\nremoving the cgroup: SIGKILL what is inside, wait until empty, rmdir");
    drop(cgroup);
    let status = child.wait()?;
    println!("child ended with {status}");
    anyhow::ensure!(inside, "child {pid} did not show up in cgroup.procs");
    Ok(())
}

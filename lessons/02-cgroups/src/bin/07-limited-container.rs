//! Step 7: all together with lesson 01 — a namespaced busybox container under limits, like
//! `docker run --memory 64m --cpus 0.5 --pids-limit 16 busybox sh -c …`.
//!
//! Run: `cargo run -p cgroups --bin 07-limited-container -- --memory 64m --cpus 0.5 --pids-limit 16`
//! Look for: inside, `/proc/self/cgroup` says `/` — the container's cgroup namespace is
//! rooted at its cgroup, hiding where that is on the host; the shell's attempts to start 30 background processes stop at the
//! pids limit ("can't fork"); outside, the cgroup's files show the limits and the refusals.
//! Man pages: cgroups(7), cgroup_namespaces(7), clone(2).

use anyhow::Context;
use cgroups::{CgroupGuard, Controller, Hierarchy, Resources, limits, shown};
use clap::Parser;
use namespaces::container::{ContainerSpec, create};
use namespaces::rootfs;
use std::process::ExitCode;

/// Run a busybox container under memory, CPU and pids limits.
#[derive(Parser)]
struct Args {
    /// Memory limit, like `docker run --memory`.
    #[arg(long, default_value = "64m")]
    memory: String,
    /// CPUs, like `docker run --cpus`.
    #[arg(long, default_value = "0.5")]
    cpus: String,
    /// Most processes, like `docker run --pids-limit`.
    #[arg(long, default_value = "16")]
    pids_limit: String,
}

/// What the container runs: show its cgroup, then start background sleeps in a subshell
/// until fork(2) fails at the pids limit, then kill them with the shell's built-in `kill`
/// (starting a `pkill` would need a fork too) and report how many got started.
const SCRIPT: &str = r#"echo "inside: /proc/self/cgroup: $(tr '\n' ' ' < /proc/self/cgroup)"
(n=0; for i in $(seq 30); do sleep 30 & n=$((n+1)); echo $n > /tmp/started; done) 2>/dev/null
kill -9 -1
read n < /tmp/started
echo "inside: started $n of 30 background sleeps, then fork failed""#;

fn main() -> anyhow::Result<ExitCode> {
    cgroups::workload::serve_if_asked();
    let args = Args::parse();
    let host_cpus = std::thread::available_parallelism()?.get();
    // ANCHOR: resources
    let memory = limits::parse_memory(&args.memory)?;
    let resources = Resources {
        memory: Some(memory),
        memory_swap: Some(memory),
        cpu_quota: Some(limits::parse_cpus(&args.cpus, host_cpus)?),
        cpu_shares: None,
        pids: limits::parse_pids(&args.pids_limit)?,
    };
    // ANCHOR_END: resources
    let spec = ContainerSpec::new(
        rootfs::busybox_rootfs()?,
        vec!["sh".into(), "-c".into(), SCRIPT.into()],
    );

    // ANCHOR: run
    let name = format!("lesson02-container-{}", std::process::id());
    let hierarchy = Hierarchy::detect()?;
    let cgroup = CgroupGuard(hierarchy.create(&name, &Controller::ALL)?);
    cgroup.apply(&resources).context("applying the limits")?;
    // Clone the container from *inside* its cgroup: the child is born there (never running
    // unlimited), and its new cgroup namespace is rooted there. Then step back out.
    let me = std::process::id() as i32;
    let origin = hierarchy.origin(&Controller::ALL)?;
    cgroup.add_process(me)?;
    let created = create(&spec);
    origin.return_here(me)?;
    let created = created.context("creating the container")?;
    println!(
        "host: container pid {} was born in cgroup {name}: memory {} MiB (no swap), {} CPUs, pids.max {}",
        created.pid(),
        memory >> 20,
        resources.cpu_quota.map_or(0.0, |q| q.cpus()),
        resources.pids.map_or("max".into(), |n| n.to_string())
    );
    let code = created.start()?.wait()?;
    // ANCHOR_END: run

    let stats = cgroup.stats()?;
    println!("host: the container exited with {code}");
    println!(
        "host: forks refused by pids.max: {}",
        shown(stats.pids_limit_hits)
    );
    println!(
        "host: peak memory {} KiB, CPU used {} µs",
        shown(stats.memory_peak.map(|b| b >> 10)),
        shown(stats.cpu_usage_usec)
    );
    Ok(ExitCode::from(code as u8))
}

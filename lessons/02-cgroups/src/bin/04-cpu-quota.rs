//! Step 4: a CPU quota. A busy loop that would use a whole CPU is held to a fraction of one:
//! the scheduler lets the cgroup run for QUOTA microseconds every PERIOD, then "throttles" it
//! until the next period.
//!
//! Run: `cargo run -p cgroups --bin 04-cpu-quota -- --cpus 0.2`
//! Look for: CPU time ≈ 0.2 × wall time, and a throttled-period count close to the number of
//! periods.
//! Man pages: cgroups(7); the kernel's scheduler/sched-bwc.rst (CFS bandwidth control),
//! cgroup-v2.rst ("cpu.max", "cpu.stat").

use cgroups::workload::{Workload, command_self};
use cgroups::{CgroupGuard, Controller, Hierarchy, limits, process, shown};
use clap::Parser;
use std::time::{Duration, Instant};

/// Run a busy loop under a CPU quota.
#[derive(Parser)]
struct Args {
    /// CPUs the cgroup may use, like `docker run --cpus`.
    #[arg(long, default_value = "0.2")]
    cpus: String,
    /// How long the busy loop runs, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    millis: u64,
}

fn main() -> anyhow::Result<()> {
    cgroups::workload::serve_if_asked();
    let args = Args::parse();
    let host_cpus = std::thread::available_parallelism()?.get();
    let quota = limits::parse_cpus(&args.cpus, host_cpus)?;

    // ANCHOR: quota
    let name = format!("lesson02-cpu-{}", std::process::id());
    let cgroup = CgroupGuard(Hierarchy::detect()?.create(&name, &[Controller::Cpu])?);
    cgroup.set_cpu_quota(quota)?;
    println!(
        "cgroup {name}: {} µs of CPU every {} µs = {} CPUs",
        quota.quota_us,
        quota.period_us,
        quota.cpus()
    );
    // ANCHOR_END: quota

    // ANCHOR: busy
    let mut busy = command_self(&Workload::BusyFor(Duration::from_millis(args.millis)));
    process::join_on_exec(&mut busy, &*cgroup);
    let start = Instant::now();
    let status = busy.status()?;
    let wall = start.elapsed();
    let stats = cgroup.stats()?;
    // ANCHOR_END: busy
    anyhow::ensure!(status.success(), "busy loop failed: {status}");

    let used = Duration::from_micros(stats.cpu_usage_usec.unwrap_or(0));
    println!(
        "\nwall time {:?}, CPU time used by the cgroup {:?}",
        wall, used
    );
    println!(
        "→ {:.2} CPUs on average (the quota is {})",
        used.as_secs_f64() / wall.as_secs_f64(),
        quota.cpus()
    );
    println!(
        "periods with work: {}, of which throttled: {}",
        shown(stats.cpu_periods),
        shown(stats.cpu_throttled_periods)
    );
    Ok(())
}

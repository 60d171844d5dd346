//! `doctor`: check this machine for everything the container lab kit needs.
//!
//! Run:  cargo doctor            (the alias for `cargo run -q -p doctor --`; runs as root
//!                                through the kit's runner, so every check can prove itself)
//!       cargo doctor --explain  (also why the kit needs each thing, and the evidence)
//!       cargo doctor --json     (for scripts: one JSON document on stdout)
//! Look for: a ✗ line means a required thing is missing, and the `fix:` line under it says what
//! to type; `!` lines are optional. The exit status is 1 only when something required is
//! missing.

use clap::Parser;
use std::process::ExitCode;

// ANCHOR: cli
/// Check this machine for everything the container lab kit needs, and say how to fix what is
/// missing.
///
/// One line per check: ✓ present, ✗ required and missing, ! optional and missing.
///
/// Required (exit status 1 when any is missing): root or sudo, Linux ≥ 5.11 (for close_range(2)
/// with CLOSE_RANGE_CLOEXEC, openat2(2) and pidfd_open(2)), a mounted cgroup hierarchy with the
/// memory, cpu and pids controllers, overlayfs, the seven namespace kinds, veth and bridge
/// devices, and the programs busybox (static), ip and nft.
///
/// Optional (reported with `!`, exit status stays 0): unprivileged user namespaces, KVM, and
/// the programs skopeo, umoci, docker-registry, runc, crun, qemu-system-x86_64, iptables and
/// mdbook.
#[derive(Parser)]
#[command(name = "doctor", version)]
struct Cli {
    /// Print one JSON document instead of the table (same checks, same verdict).
    #[arg(long)]
    json: bool,
    /// Also print why the kit needs each thing, and the evidence each check found.
    #[arg(long)]
    explain: bool,
}
// ANCHOR_END: cli

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    // ANCHOR: main
    let report = doctor::Report::new(doctor::run_all());
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.to_human(cli.explain));
    }
    Ok(ExitCode::from(report.exit_code()))
    // ANCHOR_END: main
}

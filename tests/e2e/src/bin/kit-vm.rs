//! Boots Debian's kernel with an initramfs whose init powers off at once, and reports how long
//! that took from launching QEMU to QEMU's exit: the cost of a VM that does nothing.
//!
//! Run:  cargo run -p e2e --bin kit-vm -- boot --machine microvm
//!       cargo run -p e2e --bin kit-vm -- accel      (which accelerator works here: KVM or TCG)
//!       cargo run -p e2e --bin kit-vm -- args --machine q35   (the QEMU command line, to run by hand)
//! `--accel auto` probes KVM with a real boot (a few seconds); pass `--accel tcg` or
//! `--accel kvm` to skip the probe when timing many boots.

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use e2e::qemu::{Accel, Boot, Kernel, Machine, accel_label, choose_accel};
use harness::vm::initramfs;
use std::time::Duration;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Boot once and print launch → power-off.
    Boot(Which),
    /// Print the accelerator that works here (KVM or TCG).
    Accel,
    /// Print the qemu-system-x86_64 command line for one boot.
    Args(Which),
}

#[derive(clap::Args)]
struct Which {
    /// QEMU machine type.
    #[arg(long, default_value = "microvm")]
    machine: Machine,
    /// Accelerator.
    #[arg(long, value_enum, default_value = "auto")]
    accel: AccelArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum AccelArg {
    Auto,
    Kvm,
    Tcg,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let kernel = Kernel::find()?;
    let resolve = |arg: AccelArg| match arg {
        AccelArg::Auto => choose_accel(&kernel),
        AccelArg::Kvm => Accel::Kvm,
        AccelArg::Tcg => Accel::Tcg,
    };
    let poweroff = || initramfs::cached(&kernel, "poweroff", initramfs::POWEROFF_INIT, &[]);
    match cli.command {
        Cmd::Accel => println!("{}", accel_label(resolve(AccelArg::Auto))),
        Cmd::Args(which) => {
            let boot = Boot::new(which.machine, resolve(which.accel), &kernel, &poweroff()?);
            let quoted: Vec<String> = boot.args().iter().map(|a| shell_quote(a)).collect();
            println!("qemu-system-x86_64 {}", quoted.join(" "));
        }
        Cmd::Boot(which) => {
            anyhow::ensure!(
                which.machine.supported(),
                "this qemu-system-x86_64 has no {} machine (see `qemu-system-x86_64 -M help`)",
                which.machine.name()
            );
            let boot = Boot::new(which.machine, resolve(which.accel), &kernel, &poweroff()?);
            let took = boot
                .time_to_power_off(Duration::from_secs(300))
                .with_context(|| format!("booting {}", kernel.image.display()))?;
            eprintln!(
                "{} ({}): launch → power-off in {took:.2?}",
                which.machine.name(),
                accel_label(boot.accel)
            );
        }
    }
    Ok(())
}

/// Quotes an argument for a POSIX shell when it needs it.
fn shell_quote(arg: &str) -> String {
    if arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./=:,".contains(c))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

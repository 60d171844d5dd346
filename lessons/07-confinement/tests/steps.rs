//! Each step of lesson 07 run as the student runs it, and each layer checked in the kernel:
//! `/proc/PID/status` (CapEff, CapBnd, NoNewPrivs, Seccomp), the errno of refused system
//! calls, the mount table, device opens, and the checksum of a binary under attack.

#[path = "steps/capabilities.rs"]
mod capabilities;
#[path = "steps/confine.rs"]
mod confine;
#[path = "steps/devices.rs"]
mod devices;
#[path = "steps/paths.rs"]
mod paths;
#[path = "steps/sealed.rs"]
mod sealed;
#[path = "steps/seccomp.rs"]
mod seccomp;
#[path = "steps/v2_in_vm.rs"]
mod v2_in_vm;

use std::process::{Command, Output};

/// Runs a step binary to completion and returns what it printed.
pub fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"))
}

/// Runs a step that must succeed and returns its standard output.
pub fn stdout_of(bin: &str, args: &[&str]) -> String {
    let out = run(bin, args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{bin} failed: {}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The line starting with `prefix`.
pub fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting `{prefix}` in:\n{text}"))
}

//! Step 4: Docker's default seccomp profile. Some 360 system calls are allowed by name; the
//! rest — about 50 that reach kernel-wide state, such as creating user namespaces, the kernel
//! keyring, loading BPF programs, kexec, swap, the clock — fail with `EPERM`. Some come back
//! with a capability (`CAP_SYS_ADMIN` gives `mount`, `unshare`, `setns` back). libseccomp
//! compiles the JSON into a BPF program here, before the child exists; the child only
//! installs it.
//!
//! Run:  cargo run -p confinement --bin 04-docker-profile
//!       cargo run -p confinement --bin 04-docker-profile -- --cap-add SYS_ADMIN
//! Look for: `EPERM` for every family (namespaces, keyring, BPF, perf, userfaultfd, kexec,
//! swap, clock, syslog, mount, open_by_handle_at) and `ok` for getpid, getppid, close_range and
//! socket; with `--cap-add SYS_ADMIN`, unshare, setns and mount are let through to the kernel.
//! Read: seccomp(2), `profiles/docker-default.json`, Docker's "Seccomp security profiles"
//! page, and `src/seccomp/compile.rs`.

use confinement::Status;
use confinement::capabilities::capability_set;
use confinement::probe::{ALLOWED_BY_DEFAULT, REFUSED_BY_DEFAULT, outcome};
use confinement::seccomp::SeccompOption;
use namespaces::process::{Gate, spawn};

fn main() -> anyhow::Result<()> {
    namespaces::privilege::require_root("installing a seccomp filter")?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cap_add: Vec<String> = match args.as_slice() {
        [flag, cap] if flag == "--cap-add" => vec![cap.clone()],
        [] => vec![],
        _ => anyhow::bail!("usage: 04-docker-profile [--cap-add CAPABILITY]"),
    };
    let caps = capability_set(&cap_add, &[], false)?;
    // ANCHOR: compile
    let filter = SeccompOption::Default
        .filter(&caps)?
        .expect("the default profile");
    // ANCHOR_END: compile
    println!(
        "Docker's default profile compiled to {} BPF instructions",
        filter.instructions().len()
    );
    if !filter.unknown_syscalls.is_empty() {
        println!(
            "(names this libseccomp does not know, left refused: {})",
            filter.unknown_syscalls.join(" ")
        );
    }
    let (ready, go) = (Gate::new()?, Gate::new()?);
    let child = spawn(&[], || {
        // Root with CAP_SYS_ADMIN may install a filter without no_new_privs.
        if filter.install().is_err() {
            return 1;
        }
        // ANCHOR: probes
        for probe in REFUSED_BY_DEFAULT.iter().chain(&ALLOWED_BY_DEFAULT) {
            let outcome = outcome((probe.run)());
            println!("inside: {:<18} {:<32} {outcome}", probe.family, probe.call);
        }
        // ANCHOR_END: probes
        if ready.open().is_err() || !go.wait() {
            return 1;
        }
        0
    })?;
    ready.wait();
    let seen = Status::of(Some(child.pid().as_raw()))?;
    println!(
        "outside: Seccomp={} Seccomp_filters={}",
        seen.seccomp_mode,
        seen.seccomp_filters.map_or("-".into(), |n| n.to_string())
    );
    go.open()?;
    anyhow::ensure!(child.wait()? == 0, "the child failed");
    Ok(())
}

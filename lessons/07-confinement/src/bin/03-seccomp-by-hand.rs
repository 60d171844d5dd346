//! Step 3: a seccomp filter written by hand. Seven classic-BPF instructions, run by the kernel
//! at every system call: check the architecture, load the call's number, and answer `EPERM`
//! for one call — sethostname(2) — and "allow" for all others. The child is root, in its own
//! UTS namespace, with every capability: sethostname works before the filter and fails after.
//! Privilege does not matter to seccomp.
//!
//! Run:  cargo run -p confinement --bin 03-seccomp-by-hand
//! Look for: `inside: sethostname before=ok after=EPERM getpid=ok`, and from outside
//! `Seccomp=2 Seccomp_filters=1` (mode 2 is "filter").
//! Read: seccomp(2), the kernel's Documentation/userspace-api/seccomp_filter.rst, and
//! `src/seccomp/filter.rs`.

use confinement::Status;
use confinement::seccomp::filter::{install_with_no_new_privs, refuse_one};
use namespaces::Namespace;
use namespaces::process::{Gate, spawn};

fn main() -> anyhow::Result<()> {
    namespaces::privilege::require_root("a UTS namespace")?;
    let filter = refuse_one(libc::SYS_sethostname, libc::EPERM);
    println!("the filter, {} instructions:", filter.instructions().len());
    for (i, insn) in filter.instructions().iter().enumerate() {
        println!(
            "  {i}: code={:#06x} jt={} jf={} k={:#010x}",
            insn.code, insn.jt, insn.jf, insn.k
        );
    }
    let (ready, go) = (Gate::new()?, Gate::new()?);
    let child = spawn(&[Namespace::Uts], || {
        let set = |name: &str| match nix::unistd::sethostname(name) {
            Ok(()) => "ok".to_string(),
            Err(e) => format!("{e:?}"),
        };
        let before = set("before-filter");
        // ANCHOR: install
        if let Err(e) = install_with_no_new_privs(&filter) {
            eprintln!("inside: {e}");
            return 1;
        }
        // ANCHOR_END: install
        let after = set("after-filter");
        let pid = nix::unistd::getpid();
        println!("inside: sethostname before={before} after={after} getpid=ok ({pid})");
        if ready.open().is_err() || !go.wait() {
            return 1;
        }
        0
    })?;
    ready.wait();
    let seen = Status::of(Some(child.pid().as_raw()))?;
    println!(
        "outside: Seccomp={} Seccomp_filters={} NoNewPrivs={}",
        seen.seccomp_mode,
        seen.seccomp_filters.map_or("-".into(), |n| n.to_string()),
        seen.no_new_privs as u8
    );
    go.open()?;
    anyhow::ensure!(child.wait()? == 0, "the child failed");
    Ok(())
}

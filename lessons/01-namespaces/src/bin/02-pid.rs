//! Step 2: a PID namespace gives a process tree of its own, whose first process is pid 1.
//!
//! Run:  cargo run -p namespaces --bin 02-pid
//! Look for: inside pid=1 and a fresh /proc listing only the child's own processes; outside,
//! the same process has an ordinary pid, and the host's /proc is untouched.
//! Read: pid_namespaces(7), proc(5), mount_namespaces(7).

use namespaces::{Namespace, mounts, process::spawn};
use std::path::Path;
use std::process::ExitCode;

fn main() -> anyhow::Result<ExitCode> {
    namespaces::privilege::require_root("a new PID namespace")?;
    println!(
        "outside: my pid={} /proc lists {} processes",
        std::process::id(),
        proc_pids().len()
    );

    println!("cloning a child with CLONE_NEWPID | CLONE_NEWNS; it mounts its own /proc");
    // ANCHOR: clone
    let child = spawn(&[Namespace::Pid, Namespace::Mount], || {
        println!("inside: pid={}", std::process::id());
        // The /proc we inherited still shows the host's processes: procfs shows the PID
        // namespace of whoever mounted it. Mount a new one (in our own mount namespace,
        // made private so the host's /proc is not replaced).
        let fresh_proc =
            mounts::make_private().and_then(|_| mounts::mount_proc(Path::new("/proc")));
        if let Err(e) = fresh_proc {
            eprintln!("{e}");
            return 1;
        }
        // A grandchild, to show the tree growing inside: it is pid 2.
        let grandchild = std::process::Command::new("/bin/true").spawn();
        let gpid = grandchild.as_ref().map(|c| c.id()).unwrap_or(0);
        println!("inside: started a grandchild, its pid={gpid}");
        println!("inside: /proc lists pids={:?}", proc_pids());
        let _ = grandchild.map(|mut c| c.wait());
        0
    })?;
    // ANCHOR_END: clone
    println!("outside: the child's pid here is {}", child.pid());
    let code = child.wait()?;

    println!(
        "outside: /proc still lists {} processes (host /proc unchanged)",
        proc_pids().len()
    );
    Ok(ExitCode::from(code as u8))
}

/// The numeric entries of /proc: one per process this /proc can see.
fn proc_pids() -> Vec<u32> {
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    pids.sort();
    pids
}

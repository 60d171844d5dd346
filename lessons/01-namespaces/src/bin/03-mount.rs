//! Step 3: a mount namespace gives a process a mount table of its own.
//!
//! Run:  cargo run -p namespaces --bin 03-mount
//! Look for: inside, a tmpfs is mounted on a directory and a file written into it; outside, at
//! the same moment, the directory is empty and the host's mount table does not list it.
//! Read: mount_namespaces(7) (shared subtrees), mount(2).

use namespaces::mounts::{make_private, mount_points, mount_tmpfs};
use namespaces::{Namespace, process::Gate, process::spawn};
use std::process::ExitCode;

fn main() -> anyhow::Result<ExitCode> {
    namespaces::privilege::require_root("a new mount namespace")?;
    let dir = tempfile::Builder::new().prefix("lab-mount-").tempdir()?;
    let target = dir.path().to_path_buf();
    println!(
        "outside: {} is an empty directory; the host has {} mounts",
        target.display(),
        mount_points()?.len()
    );

    let mounted = Gate::new()?; // child → parent: "my mount is in place"
    let done = Gate::new()?; // parent → child: "I have looked; you may exit"
    println!("cloning a child with CLONE_NEWNS; it makes its mounts private, then mounts a tmpfs");
    // ANCHOR: clone
    let child = spawn(&[Namespace::Mount], || {
        let result = make_private().and_then(|_| mount_tmpfs(&target, "size=1m"));
        if let Err(e) = result {
            eprintln!("{e}");
            return 1;
        }
        let _ = std::fs::write(target.join("hello.txt"), "only visible inside\n");
        let listed = mount_points()
            .unwrap_or_default()
            .iter()
            .any(|m| *m == target.to_string_lossy());
        println!(
            "inside: tmpfs mounted on {} listed={listed} hello.txt exists={}",
            target.display(),
            target.join("hello.txt").exists()
        );
        let _ = mounted.open();
        done.wait(); // keep the mount alive while the parent looks
        0
    })?;
    // ANCHOR_END: clone
    mounted.wait();
    let listed = mount_points()?
        .iter()
        .any(|m| *m == target.to_string_lossy());
    let visible = target.join("hello.txt").exists();
    println!(
        "outside: while the child holds its mount: listed={listed} hello.txt exists={visible}"
    );
    done.open()?;
    let code = child.wait()?;
    println!("outside: the child exited; its mount namespace and the tmpfs are gone with it");
    Ok(ExitCode::from(code as u8))
}

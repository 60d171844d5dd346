//! Step 4: pivot_root(2) swaps the root filesystem for a directory of our own, and the old root
//! is detached so the host's files are out of reach.
//!
//! Run:  cargo run -p namespaces --bin 04-pivot-root [CMD…]     (default: `ls /`)
//! Look for: a marker file the host puts in its `/` is listed outside but not inside; inside,
//! `/` is the busybox root filesystem; the host's mount table is unchanged afterwards.
//! Read: pivot_root(2) (especially NOTES: `pivot_root(".", ".")`), mount_namespaces(7),
//! and compare chroot(2).

use namespaces::mounts::{make_private, pivot_into};
use namespaces::{Namespace, process::spawn, rootfs};
use std::ffi::CString;
use std::path::Path;
use std::process::ExitCode;

fn main() -> anyhow::Result<ExitCode> {
    namespaces::privilege::require_root("pivot_root")?;
    let mut command: Vec<String> = std::env::args().skip(1).collect();
    if command.is_empty() {
        command = vec!["ls".into(), "/".into()];
    }
    let rootfs = rootfs::busybox_rootfs()?;
    let marker = Marker::create()?;
    println!("outside: the new root is {}", rootfs.display());
    println!(
        "outside: {} exists={}",
        marker.0,
        Path::new(&marker.0).exists()
    );

    println!(
        "cloning a child with CLONE_NEWNS; it pivots into the new root and detaches the old one"
    );
    // ANCHOR: clone
    let child = spawn(&[Namespace::Mount], || {
        if let Err(e) = make_private().and_then(|_| pivot_into(&rootfs)) {
            eprintln!("{e}");
            return 1;
        }
        let entries: Vec<String> = std::fs::read_dir("/")
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "inside: / has {} entries, marker visible={}",
            entries.len(),
            Path::new(&marker.0).exists()
        );
        println!("inside: running {command:?}");
        // Become the command (from the busybox root now: the host's /bin is gone).
        let args: Vec<CString> = command
            .iter()
            .map(|a| CString::new(a.as_str()).unwrap_or_default())
            .collect();
        let Err(e) = nix::unistd::execvp(&args[0], &args);
        eprintln!("inside: cannot run {}: {e}", command[0]);
        127
    })?;
    // ANCHOR_END: clone
    let code = child.wait()?;
    println!(
        "outside: {} still exists={}",
        marker.0,
        Path::new(&marker.0).exists()
    );
    Ok(ExitCode::from(code as u8))
}

/// A file in the host's `/` that only the host can see; removed when the step ends.
struct Marker(String);

impl Marker {
    fn create() -> std::io::Result<Marker> {
        let path = format!("/lab-01-marker-{}", std::process::id());
        std::fs::write(&path, "the host's root filesystem\n")?;
        Ok(Marker(path))
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

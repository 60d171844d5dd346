//! Step 5: masked and read-only paths. `/proc` and `/sys` are windows into the whole kernel,
//! and much of what they show is not namespaced: `/proc/kcore` is the host's memory,
//! `/proc/sys` sets kernel parameters for everyone. Inside a busybox container, Docker's
//! masks are mounted over them: files read as empty, directories as an empty tmpfs, and
//! `/proc/sys` & co. become read-only.
//!
//! Run:  cargo run -p confinement --bin 05-masked-paths
//! Look for: `inside: /proc/timer_list bytes=0` where the host shows thousands of bytes,
//! `/sys/firmware entries=0`, `create a file in /proc/acpi: EROFS` (a masked directory),
//! `write /proc/sys/kernel/domainname: EROFS`, and from outside the
//! container's mount table with one mount per masked and read-only path (paths this kernel
//! does not have, such as `/proc/kcore` on some, are `missing` and skipped).
//! Read: mount(2) MS_BIND and MS_REMOUNT, proc(5), and `src/paths.rs`.

use confinement::{paths, sandbox};
use namespaces::Namespace;
use namespaces::process::{Gate, spawn};
use std::io::Read;

/// `bytes=N` for a file, `entries=N` for a directory, `missing` if this kernel has no such path.
fn look(path: &str) -> String {
    let mut buf = Vec::new();
    match std::fs::read_dir(path) {
        Ok(dir) => format!("entries={}", dir.count()),
        Err(_) => match std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut buf)) {
            Ok(n) => format!("bytes={n}"),
            Err(_) => "missing".into(),
        },
    }
}

/// `ok`, or the errno's name (`EROFS`).
fn errno_of(result: std::io::Result<()>) -> String {
    match result {
        Ok(()) => "ok".into(),
        Err(e) => format!("{:?}", nix::Error::from_raw(e.raw_os_error().unwrap_or(0))),
    }
}

fn main() -> anyhow::Result<()> {
    namespaces::privilege::require_root("a container")?;
    let rootfs = namespaces::rootfs::busybox_rootfs()?;
    let (masked, readonly) = paths::docker_defaults();
    let (ready, go) = (Gate::new()?, Gate::new()?);
    let namespaces = [Namespace::Mount, Namespace::Pid, Namespace::Uts];
    let child = spawn(&namespaces, || {
        // ANCHOR: confine
        let set_up = sandbox::enter_busybox_root(&rootfs)
            .and_then(|_| paths::mask_and_protect(&masked, &readonly));
        // ANCHOR_END: confine
        if let Err(e) = set_up {
            eprintln!("inside: {e}");
            return 1;
        }
        for path in &masked {
            println!("inside: {path} {}", look(path));
            // A masked directory is an empty read-only tmpfs: nothing can be created in it.
            if std::path::Path::new(path).is_dir() {
                let created = std::fs::write(format!("{path}/lab07"), "x");
                println!("inside: create a file in {path}: {}", errno_of(created));
            }
        }
        let write = std::fs::write("/proc/sys/kernel/domainname", "lab07");
        println!(
            "inside: write /proc/sys/kernel/domainname: {}",
            errno_of(write)
        );
        if ready.open().is_err() || !go.wait() {
            return 1;
        }
        0
    })?;
    ready.wait();
    for path in &masked {
        println!("outside: host {path} {}", look(path));
    }
    let mountinfo = std::fs::read_to_string(format!("/proc/{}/mountinfo", child.pid()))?;
    for line in mountinfo.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let (point, options) = (fields[4], fields[5]);
        if masked.iter().chain(&readonly).any(|p| p == point) {
            println!("outside: container mount {point} {options}");
        }
    }
    go.open()?;
    anyhow::ensure!(child.wait()? == 0, "the child failed");
    Ok(())
}

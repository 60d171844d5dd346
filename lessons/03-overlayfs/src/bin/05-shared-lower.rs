//! Step 5: many containers share one lower layer; its files are on disk (and in the page
//! cache) once.
//!
//! Run: `cargo run -p overlay --bin 05-shared-lower`
//!
//! Look for: five overlays over the same 16 MiB lower; each upper dir holds only that
//! container's own small change; through every merged view the shared file reports the lower
//! file's inode number — it is the same file, not a copy. Disk use is summed from st_blocks
//! like `du` (stat(2)); reading through one container fills the page cache of the *lower*
//! file (fincore(1)), which every container then shares.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Result;
use nix::fcntl::{PosixFadviseAdvice, posix_fadvise};
use nix::sys::stat::{major, minor};
use overlay::scratch::{Scratch, write_file};
use overlay::tree::disk_usage;
use overlay::{Mounted, Overlay};

const CONTAINERS: usize = 5;

/// Bytes of `path` in the page cache, from fincore(1) (util-linux), which uses mincore(2).
fn cached(path: &Path) -> String {
    match cached_bytes(path) {
        Some(bytes) => format!("{bytes} bytes"),
        None => "unknown (install util-linux for fincore)".into(),
    }
}

/// How many bytes of `path` are in the page cache, as fincore(1) counts them (mincore(2)).
fn cached_bytes(path: &Path) -> Option<u64> {
    let out = Command::new("fincore")
        .args(["--bytes", "--noheadings", "--output", "RES"])
        .arg(path)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success().then(|| text.trim().parse().ok())?
}

fn main() -> Result<()> {
    let lab = Scratch::new()?;
    let lower = lab.dir("image")?;
    write_file(&lower.join("usr/lib/libbig.so"), vec![7u8; 16 << 20])?;
    write_file(&lower.join("etc/hostname"), "image\n")?;
    let shared = fs::metadata(lower.join("usr/lib/libbig.so"))?;
    println!(
        "image layer: {} KiB on disk; usr/lib/libbig.so is inode {} on device {}:{}\n",
        disk_usage(&lower)? / 1024,
        shared.ino(),
        major(shared.dev()),
        minor(shared.dev())
    );

    // ANCHOR: containers
    let mut containers: Vec<Mounted> = Vec::new();
    for n in 0..CONTAINERS {
        let (upper, work, merged) = lab.overlay_dirs(&format!("c{n}"))?;
        containers.push(Overlay::new([&lower], &upper, &work).mount(&merged)?);
        write_file(&merged.join("etc/hostname"), format!("container-{n}\n"))?;
    }
    // ANCHOR_END: containers

    let mut uppers_total = 0;
    for (n, mounted) in containers.iter().enumerate() {
        let via = fs::metadata(mounted.target().join("usr/lib/libbig.so"))?;
        let upper = lab.path().join(format!("c{n}-upper"));
        let used = disk_usage(&upper)?;
        uppers_total += used;
        println!(
            "container {n}: libbig.so inode {} (overlay device {}:{}); upper uses {} KiB",
            via.ino(),
            major(via.dev()),
            minor(via.dev()),
            used / 1024
        );
    }
    let lower_used = disk_usage(&lower)?;
    println!(
        "\n{CONTAINERS} containers use {} KiB in all (image once + uppers); {CONTAINERS} full copies would use {} KiB",
        (lower_used + uppers_total) / 1024,
        CONTAINERS as u64 * lower_used / 1024
    );

    // ANCHOR: page_cache
    // Memory too: evict the lower file from the page cache (posix_fadvise(2) DONTNEED after
    // fsync(2)), read it through container 0, and ask fincore(1) about the *lower* file.
    let lib = lower.join("usr/lib/libbig.so");
    let file = fs::File::open(&lib)?;
    file.sync_all()?;
    // DONTNEED is advice: pages another CPU still holds in its batch of new pages are
    // skipped, so ask again until they are gone (or a few seconds have passed).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        posix_fadvise(&file, 0, 0, PosixFadviseAdvice::POSIX_FADV_DONTNEED)?;
        if cached_bytes(&lib).is_none_or(|b| b == 0) || Instant::now() > deadline {
            break;
        }
    }
    println!(
        "\npage cache of the lower file, evicted:         {}",
        cached(&lib)
    );
    fs::read(containers[0].target().join("usr/lib/libbig.so"))?;
    println!(
        "after container 0 read it through its overlay: {}",
        cached(&lib)
    );
    // ANCHOR_END: page_cache
    println!("(the other containers' reads are served from those same pages)");

    for mounted in containers {
        mounted.unmount()?;
    }
    Ok(())
}

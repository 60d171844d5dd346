//! Step 5: many containers share one lower layer; its files are on disk (and in the page
//! cache) once.
//!
//! Run: `cargo run -p overlay --bin 05-shared-lower`
//!
//! Look for: five overlays over the same 16 MiB lower; each upper dir holds only that
//! container's own small change; through every merged view the shared file reports the lower
//! file's inode number — it is the same file, not a copy. Disk use is summed from st_blocks
//! like `du` (stat(2)).

use std::fs;
use std::os::unix::fs::MetadataExt;

use anyhow::Result;
use nix::sys::stat::{major, minor};
use overlay::scratch::{Scratch, write_file};
use overlay::tree::disk_usage;
use overlay::{Mounted, Overlay};

const CONTAINERS: usize = 5;

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
    for mounted in containers {
        mounted.unmount()?;
    }
    Ok(())
}

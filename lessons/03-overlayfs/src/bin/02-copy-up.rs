//! Step 2: writing through the merged view copies the file up; the lower stays untouched.
//!
//! Run: `cargo run -p overlay --bin 02-copy-up`
//!
//! Look for: after the write, the lower file has its old bytes, inode and mtime; the upper dir
//! now holds a full copy (and its parent dir); appending ONE byte to a 32 MiB file copies all
//! 32 MiB first — that is the copy-up cost. See Documentation/filesystems/overlayfs.rst
//! ("Non-directories"), stat(2).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use overlay::Overlay;
use overlay::scratch::{Scratch, write_file};

fn describe(label: &str, path: &Path) -> Result<()> {
    let meta = fs::symlink_metadata(path)?;
    let head: String = String::from_utf8_lossy(&fs::read(path)?)
        .chars()
        .take(24)
        .collect();
    println!(
        "  {label:<6} inode {:>9}  size {:>9}  mtime {}  {:?}",
        meta.ino(),
        meta.len(),
        meta.mtime(),
        head.trim_end()
    );
    Ok(())
}

fn main() -> Result<()> {
    let lab = Scratch::new()?;
    let lower = lab.dir("lower")?;
    write_file(&lower.join("etc/motd"), "welcome, from the image\n")?;
    write_file(&lower.join("data/big.bin"), vec![b'x'; 32 << 20])?;
    let (upper, work, merged) = lab.overlay_dirs("c1")?;
    let mounted = Overlay::new([&lower], &upper, &work).mount(&merged)?;

    println!("before the write:");
    describe("lower", &lower.join("etc/motd"))?;
    println!("  upper has etc/motd: {}", upper.join("etc/motd").exists());

    // ANCHOR: write
    // Opening a lower file for writing makes overlayfs copy it (data, mode, owner, xattrs,
    // times) into the upper dir first; the write then goes to the copy.
    fs::write(merged.join("etc/motd"), "changed inside the container\n")?;
    // ANCHOR_END: write

    println!("\nafter writing merged/etc/motd:");
    describe("lower", &lower.join("etc/motd"))?;
    describe("upper", &upper.join("etc/motd"))?;
    describe("merged", &merged.join("etc/motd"))?;
    println!(
        "  the upper dir also got the parent: upper/etc is a dir: {}",
        upper.join("etc").is_dir()
    );
    let private: Vec<String> = xattr::list(upper.join("etc/motd"))?
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    println!(
        "  the copy's overlayfs xattrs (kept so st_ino in merged stays the lower's): {private:?}"
    );

    println!("\ncopy-up cost: append one byte to a 32 MiB lower file");
    let started = Instant::now();
    OpenOptions::new()
        .append(true)
        .open(merged.join("data/big.bin"))?
        .write_all(b"!")?;
    let took = started.elapsed();
    let copied = fs::metadata(upper.join("data/big.bin"))?;
    println!(
        "  took {:.1} ms; upper/data/big.bin is now {} bytes ({} KiB on disk): the whole file was copied",
        took.as_secs_f64() * 1e3,
        copied.len(),
        copied.blocks() / 2
    );
    println!(
        "  lower/data/big.bin still {} bytes",
        fs::metadata(lower.join("data/big.bin"))?.len()
    );
    mounted.unmount()?;
    Ok(())
}

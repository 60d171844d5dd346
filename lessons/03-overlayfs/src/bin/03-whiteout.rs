//! Step 3: deleting a lower file leaves a whiteout — a 0/0 character device — in the upper dir.
//!
//! Run: `cargo run -p overlay --bin 03-whiteout`
//!
//! Look for: `merged/bin/tool` is gone, `lower/bin/tool` is still there, and `upper/bin/tool`
//! is a character device with major 0, minor 0 (what `stat -c '%F %t:%T'` would print). A file
//! that only ever lived in the upper dir is simply removed: nothing below needs hiding.
//! See Documentation/filesystems/overlayfs.rst ("whiteouts and opaque directories"), mknod(2).

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use anyhow::Result;
use nix::sys::stat::{major, minor};
use overlay::Overlay;
use overlay::scratch::{Scratch, write_file};
use overlay::whiteout::is_overlay_whiteout;

fn stat_line(path: &Path) -> String {
    match fs::symlink_metadata(path) {
        Err(_) => "does not exist".into(),
        Ok(meta) if meta.file_type().is_char_device() => format!(
            "character device {}:{}  mode {:o}  links {}  → whiteout: {}",
            major(meta.rdev()),
            minor(meta.rdev()),
            meta.mode() & 0o7777,
            meta.nlink(),
            is_overlay_whiteout(&meta)
        ),
        Ok(meta) if meta.is_file() => format!("regular file, {} bytes", meta.len()),
        Ok(meta) => format!("{:?}", meta.file_type()),
    }
}

fn main() -> Result<()> {
    let lab = Scratch::new()?;
    let lower = lab.dir("lower")?;
    write_file(&lower.join("bin/tool"), "tool v1\n")?;
    write_file(&lower.join("bin/other"), "other\n")?;
    let (upper, work, merged) = lab.overlay_dirs("c1")?;
    let mounted = Overlay::new([&lower], &upper, &work).mount(&merged)?;

    // ANCHOR: delete
    fs::remove_file(merged.join("bin/tool"))?;
    // ANCHOR_END: delete
    println!("rm merged/bin/tool");
    println!("  merged/bin/tool: {}", stat_line(&merged.join("bin/tool")));
    println!("  lower/bin/tool:  {}", stat_line(&lower.join("bin/tool")));
    println!("  upper/bin/tool:  {}", stat_line(&upper.join("bin/tool")));
    println!("  (links > 1: recent kernels hard-link every whiteout to one shared inode)");

    write_file(&merged.join("bin/scratch"), "temporary\n")?;
    fs::remove_file(merged.join("bin/scratch"))?;
    println!("\ncreate then rm merged/bin/scratch (never in a lower)");
    println!(
        "  upper/bin/scratch: {}",
        stat_line(&upper.join("bin/scratch"))
    );
    mounted.unmount()?;
    Ok(())
}

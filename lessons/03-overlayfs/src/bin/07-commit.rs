//! Step 7: `docker commit` — pack the upper dir as a tar layer, then stack that layer as a new
//! read-only lower under a fresh container.
//!
//! Run: `cargo run -p overlay --bin 07-commit`
//!
//! Look for: the tar lists the changed files plus `.wh.` entries for the deletions (the OCI
//! image spec's whiteouts, layer.md); unpacked as a lower, its whiteouts turn back into 0/0
//! devices and the opaque xattr; a new container on top sees exactly what the first one saw.

use std::fs::{self, File};
use std::io::BufWriter;

use anyhow::Result;
use overlay::Overlay;
use overlay::apply::unpack_as_lower;
use overlay::layer::write_layer;
use overlay::scratch::{Scratch, write_file};
use overlay::tree::Tree;

fn main() -> Result<()> {
    let lab = Scratch::new()?;
    let base = lab.dir("lower-base")?;
    write_file(&base.join("bin/tool"), "tool\n")?;
    write_file(&base.join("etc/motd"), "hello\n")?;
    write_file(&base.join("var/cache/old"), "old\n")?;
    let (upper, work, merged) = lab.overlay_dirs("c1")?;
    let first = Overlay::new([&base], &upper, &work).mount(&merged)?;
    fs::write(merged.join("etc/motd"), "committed\n")?;
    fs::remove_file(merged.join("bin/tool"))?;
    fs::remove_dir_all(merged.join("var/cache"))?;
    write_file(&merged.join("var/cache/new"), "new\n")?;
    println!("container 1 changed /etc/motd, removed /bin/tool, replaced /var/cache");

    // ANCHOR: commit
    let tar_path = lab.path().join("layer.tar");
    let stats = write_layer(&upper, BufWriter::new(File::create(&tar_path)?))?;
    // ANCHOR_END: commit
    println!(
        "\nlayer.tar: {} entries, {} whiteouts, {} content bytes",
        stats.entries, stats.whiteouts, stats.content_bytes
    );
    let mut archive = tar::Archive::new(File::open(&tar_path)?);
    for entry in archive.entries()? {
        let entry = entry?;
        let header = entry.header();
        println!(
            "  {:?} {:o} {}",
            header.entry_type(),
            header.mode()?,
            entry.path()?.display()
        );
    }

    // ANCHOR: stack
    let committed = lab.dir("lower-committed")?;
    unpack_as_lower(File::open(&tar_path)?, &committed)?;
    let (upper2, work2, merged2) = lab.overlay_dirs("c2")?;
    let second = Overlay::new([&committed, &base], &upper2, &work2).mount(&merged2)?;
    // ANCHOR_END: stack
    println!(
        "\nunpacked as a lower: the layer dir holds {:?}",
        Tree::read(&committed)?.0.keys().collect::<Vec<_>>()
    );
    // Compare names, types, modes, owners, contents and link targets; not mtimes, which a
    // ustar header keeps only to the second.
    let first_view = Tree::read(&merged)?.without_mtimes();
    let second_view = Tree::read(&merged2)?.without_mtimes();
    let differ = first_view.differences(&second_view);
    println!(
        "container 2 (committed layer + base) sees the same tree as container 1: {}",
        differ.is_empty()
    );
    println!(
        "  container 2's /etc/motd: {:?}",
        fs::read_to_string(merged2.join("etc/motd"))?.trim()
    );
    second.unmount()?;
    first.unmount()?;
    Ok(())
}

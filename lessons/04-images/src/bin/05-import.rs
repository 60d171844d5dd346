//! Step 5 — import a directory as an image, read it back, and move it as a `docker save` tar.
//!
//! Takes lesson 01's busybox root file system, makes it a one-layer image (`docker import`),
//! unpacks that image again and compares the two trees. Then saves it in `docker save` format
//! and loads it into a second store: the image ID (config digest) is the same on both sides.
//!
//! Run:   cargo run -p images --bin 05-import
//! Look:  tar tvf /tmp/lab04/05-import/saved.tar
//! Read:  docker-import(1), docker-save(1), OCI image-spec config.md

use std::fs;

use anyhow::Result;
use images::{ApplyOptions, ImportOptions, Store, archive, demo, import_dir};

fn main() -> Result<()> {
    let dir = demo::workdir("05-import")?;
    let src = dir.join("source-rootfs");
    namespaces::rootfs::build_busybox_rootfs(&src)?;

    // ANCHOR: import
    let store = Store::open(dir.join("store"))?;
    let opts = ImportOptions {
        cmd: vec!["/bin/sh".into()],
        ..ImportOptions::default()
    };
    let image = import_dir(&store, &src, "lab/imported:v1", &opts)?;
    let layer = &image.layers[0];
    println!("imported {} as lab/imported:v1", src.display());
    println!("  layer blob (gzip) {} {} bytes", layer.digest, layer.size);
    println!("  diff ID (the tar) {}", layer.diff_id);
    // ANCHOR_END: import

    // ANCHOR: readback
    let back = dir.join("read-back");
    store.unpack_flat(&image, &back, &ApplyOptions::default())?;
    let (a, b) = (listing(&src)?, listing(&back)?);
    println!(
        "read back into {}: {} entries, identical names/types/modes/owners: {}",
        back.display(),
        b.len(),
        a == b
    );
    // ANCHOR_END: readback

    // ANCHOR: save
    let tarball = dir.join("saved.tar");
    archive::save(&store, &["lab/imported:v1"], fs::File::create(&tarball)?)?;
    let other = Store::open(dir.join("other-store"))?;
    let loaded = archive::load(&other, fs::File::open(&tarball)?)?;
    println!(
        "\nsaved to {} ({} bytes) and loaded into a second store:",
        tarball.display(),
        fs::metadata(&tarball)?.len()
    );
    for (tag, img) in &loaded {
        println!(
            "  {tag}: image ID {} (was {})",
            img.config_digest, image.config_digest
        );
    }
    // ANCHOR_END: save
    Ok(())
}

/// (path, type, mode, uid, gid, link target) of every entry, sorted.
fn listing(root: &std::path::Path) -> Result<Vec<String>> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d)? {
            let e = e?;
            let m = fs::symlink_metadata(e.path())?;
            let link = fs::read_link(e.path())
                .map(|l| l.display().to_string())
                .unwrap_or_default();
            let rel = e.path().strip_prefix(root)?.display().to_string();
            out.push(format!(
                "{rel} {:o} {}:{} {link}",
                m.mode(),
                m.uid(),
                m.gid()
            ));
            if m.is_dir() {
                stack.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

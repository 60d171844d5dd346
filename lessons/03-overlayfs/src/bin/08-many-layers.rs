//! Step 8: many layers with long paths — the one-page limit of mount(2) options, and the
//! short links that real storage drivers use to get past it.
//!
//! Run: `cargo run -p overlay --bin 08-many-layers`
//!
//! Look for: 120 layers under a long path give an option string over 4095 bytes; handed to
//! mount(2) as it is, the kernel reads only the first page and fails; `Overlay::mount` instead
//! mounts through short symlinks (`0`, `1`, … like Docker's `l/` dir) and every layer's file
//! shows up. 501 layers fail before any mount: overlayfs stacks at most 500.

use std::path::PathBuf;

use anyhow::Result;
use overlay::mount::option_limit;
use overlay::scratch::{Scratch, write_file};
use overlay::{MAX_LOWER_LAYERS, Overlay};

const LAYERS: usize = 120;

fn main() -> Result<()> {
    let lab = Scratch::new()?;
    let store = lab.dir("var/lib/container-lab/storage/overlay-layers-with-a-long-name")?;
    let mut lowers: Vec<PathBuf> = Vec::new();
    for n in (0..LAYERS).rev() {
        let layer = store.join(format!("{n:03}-0123456789abcdef0123456789abcdef/diff"));
        write_file(&layer.join(format!("from-layer-{n:03}")), "")?;
        lowers.push(layer);
    }
    let (upper, work, merged) = lab.overlay_dirs("c1")?;
    let overlay = Overlay::new(&lowers, &upper, &work);
    let options = overlay.options();
    println!(
        "{LAYERS} layers: the option string is {} bytes; mount(2) reads at most {} (one page minus the NUL)",
        options.len(),
        option_limit()
    );

    // ANCHOR: raw
    // What happens without short links: the kernel copies one page and cuts the string there.
    let raw = nix::mount::mount(
        Some("overlay"),
        &merged,
        Some("overlay"),
        nix::mount::MsFlags::empty(),
        Some(options.as_str()),
    );
    println!("mount(2) with the full paths: {raw:?}");
    println!(
        "  (the string was cut at byte {}: the kernel log, `dmesg | tail -1`, names the half path it failed to resolve)",
        option_limit()
    );
    if raw.is_ok() {
        nix::mount::umount2(&merged, nix::mount::MntFlags::MNT_DETACH)?;
    }
    // ANCHOR_END: raw

    // ANCHOR: short
    let mounted = overlay.mount(&merged)?;
    // ANCHOR_END: short
    let visible = std::fs::read_dir(mounted.target())?.count();
    println!(
        "Overlay::mount through short links: mounted, {visible} files visible (one per layer)"
    );
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
    let target = mounted.target().display().to_string();
    if let Some(line) = mountinfo.lines().find(|l| l.contains(&target)) {
        let options = line.rsplit(' ').next().unwrap_or("");
        println!(
            "  the kernel's record starts: {}…",
            &options[..options.len().min(100)]
        );
    }
    mounted.unmount()?;

    let too_many: Vec<PathBuf> = (0..=MAX_LOWER_LAYERS).map(|_| lowers[0].clone()).collect();
    let err = Overlay::new(too_many, &upper, &work)
        .mount(&merged)
        .unwrap_err();
    println!("\n{} layers: error: {err}", MAX_LOWER_LAYERS + 1);
    Ok(())
}

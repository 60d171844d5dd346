//! Step 1: two read-only lower dirs and one upper dir, mounted as one merged view.
//!
//! Run: `cargo run -p overlay --bin 01-merged-view`
//!
//! Look for: every file of both lowers appears in the merged dir; where both have
//! `etc/os-release`, the upper-most lower wins; the mount table lists a filesystem of type
//! `overlay` with the `lowerdir=`, `upperdir=` and `workdir=` options. See mount(2) and the
//! kernel's Documentation/filesystems/overlayfs.rst.

use anyhow::{Context, Result};
use overlay::Overlay;
use overlay::scratch::{Scratch, write_file};
use overlay::tree::Tree;

fn main() -> Result<()> {
    let lab = Scratch::new()?;
    let base = lab.dir("lower-base")?;
    let app = lab.dir("lower-app")?;
    write_file(&base.join("etc/os-release"), "NAME=base\n")?;
    write_file(&base.join("bin/tool"), "tool v1\n")?;
    write_file(&app.join("etc/os-release"), "NAME=app\n")?;
    write_file(&app.join("app/main.sh"), "echo hello\n")?;
    let (upper, work, merged) = lab.overlay_dirs("c1")?;

    // ANCHOR: mount
    // The kernel's order: the topmost lower first.
    let overlay = Overlay::new([&app, &base], &upper, &work);
    println!(
        "mount -t overlay overlay -o {} {}",
        overlay.options(),
        merged.display()
    );
    let mounted = overlay.mount(&merged).context("mount the overlay")?;
    // ANCHOR_END: mount

    println!("\nmerged view, and the layers holding each path (a file comes from the first):");
    for (path, _) in Tree::read(mounted.target())?.0 {
        let layers: Vec<&str> = [
            ("upper", &upper),
            ("lower-app", &app),
            ("lower-base", &base),
        ]
        .into_iter()
        .filter(|(_, layer)| layer.join(&path).exists())
        .map(|(name, _)| name)
        .collect();
        println!("  /{:<16} ← {}", path.display(), layers.join(" + "));
    }
    let os_release = std::fs::read_to_string(merged.join("etc/os-release"))?;
    println!(
        "\nmerged/etc/os-release says {:?}: lower-app hides lower-base",
        os_release.trim()
    );

    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
    let target = mounted.target().display().to_string();
    for line in mountinfo.lines().filter(|l| l.contains(&target)) {
        println!("\n/proc/self/mountinfo:\n  {line}");
    }
    mounted.unmount()?;
    println!(
        "\nunmounted; the upper dir is still empty: {} entries",
        Tree::read(&upper)?.0.len()
    );
    Ok(())
}

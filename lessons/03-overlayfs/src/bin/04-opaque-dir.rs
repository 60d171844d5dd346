//! Step 4: replacing a directory makes it opaque: the xattr `trusted.overlay.opaque=y` hides
//! everything the lower layers hold under that name.
//!
//! Run: `cargo run -p overlay --bin 04-opaque-dir`
//!
//! Look for: after `rm -r merged/etc && mkdir merged/etc`, the merged `etc` shows only the new
//! file; `upper/etc` carries `trusted.overlay.opaque = "y"` (what `getfattr -n
//! trusted.overlay.opaque` would print); the lower `etc` still has all its files. See
//! Documentation/filesystems/overlayfs.rst ("whiteouts and opaque directories"), xattr(7).

use std::fs;

use anyhow::Result;
use overlay::Overlay;
use overlay::scratch::{Scratch, write_file};
use overlay::whiteout::{OPAQUE_XATTR, is_opaque};

fn names(dir: &std::path::Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = fs::read_dir(dir)?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    names.sort();
    Ok(names)
}

fn main() -> Result<()> {
    let lab = Scratch::new()?;
    let lower = lab.dir("lower")?;
    for name in ["passwd", "group", "hosts"] {
        write_file(
            &lower.join("etc").join(name),
            format!("{name} from the image\n"),
        )?;
    }
    let (upper, work, merged) = lab.overlay_dirs("c1")?;
    let mounted = Overlay::new([&lower], &upper, &work).mount(&merged)?;
    println!("merged/etc before: {:?}", names(&merged.join("etc"))?);

    // ANCHOR: replace
    fs::remove_dir_all(merged.join("etc"))?;
    fs::create_dir(merged.join("etc"))?;
    write_file(&merged.join("etc/only-new"), "fresh\n")?;
    // ANCHOR_END: replace
    println!("rm -r merged/etc; mkdir merged/etc; echo fresh > merged/etc/only-new\n");

    println!("merged/etc after:  {:?}", names(&merged.join("etc"))?);
    println!("lower/etc:         {:?}", names(&lower.join("etc"))?);
    println!("upper/etc:         {:?}", names(&upper.join("etc"))?);
    let value = xattr::get(upper.join("etc"), OPAQUE_XATTR)?;
    println!(
        "upper/etc xattr {OPAQUE_XATTR} = {:?} → opaque: {}",
        value.map(|v| String::from_utf8_lossy(&v).into_owned()),
        is_opaque(&upper.join("etc"))?
    );
    println!("(no whiteouts needed for passwd, group, hosts: the opaque dir hides them all)");
    mounted.unmount()?;
    Ok(())
}

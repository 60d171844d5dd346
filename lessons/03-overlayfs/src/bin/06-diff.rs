//! Step 6: `docker diff` — list what a container added (A), changed (C) and deleted (D),
//! reading only its upper dir and the lower layers.
//!
//! Run: `cargo run -p overlay --bin 06-diff`
//!
//! Look for: a copied-up file and its parent dir are `C`; a new file is `A`; a whiteout is `D`;
//! an opaque dir lists a `D` for each lower entry it hides. The upper dir alone cannot tell `A`
//! from `C` — only a lookup in the lowers can.

use std::fs;
use std::os::unix::fs::symlink;

use anyhow::Result;
use overlay::scratch::{Scratch, write_file};
use overlay::{Overlay, changes};

fn main() -> Result<()> {
    let lab = Scratch::new()?;
    let base = lab.dir("lower-base")?;
    let app = lab.dir("lower-app")?;
    write_file(&base.join("bin/tool"), "tool\n")?;
    write_file(&base.join("etc/motd"), "hello\n")?;
    write_file(&app.join("var/cache/a"), "a\n")?;
    write_file(&app.join("var/cache/b"), "b\n")?;
    let (upper, work, merged) = lab.overlay_dirs("c1")?;
    let lowers = vec![app.clone(), base.clone()];
    let mounted = Overlay::new(&lowers, &upper, &work).mount(&merged)?;

    // ANCHOR: edits
    println!("edits made through the merged view:");
    let m = |p: &str| merged.join(p);
    println!("  echo changed > /etc/motd");
    fs::write(m("etc/motd"), "changed\n")?;
    println!("  mkdir /srv && echo new > /srv/new.txt && ln -s /srv/new.txt /srv/latest");
    write_file(&m("srv/new.txt"), "new\n")?;
    symlink("/srv/new.txt", m("srv/latest"))?;
    println!("  rm /bin/tool");
    fs::remove_file(m("bin/tool"))?;
    println!("  rm -r /var/cache && mkdir /var/cache && echo c > /var/cache/c");
    fs::remove_dir_all(m("var/cache"))?;
    write_file(&m("var/cache/c"), "c\n")?;
    // ANCHOR_END: edits

    // ANCHOR: diff
    println!("\ndiff (like `docker diff`):");
    for change in changes(&upper, &lowers)? {
        println!("  {change}");
    }
    // ANCHOR_END: diff
    mounted.unmount()?;
    Ok(())
}

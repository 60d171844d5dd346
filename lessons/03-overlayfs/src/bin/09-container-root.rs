//! Step 9: a container (lesson 01) whose root filesystem is an overlay over the busybox image.
//!
//! Run: `cargo run -p overlay --bin 09-container-root`
//!
//! Look for: the container writes, deletes and replaces files in its `/`; `docker diff`-style
//! output lists exactly those changes; the image dir is byte-for-byte, mode-for-mode and
//! mtime-for-mtime what it was before. This is how every container engine gives each
//! container a private writable root over shared read-only image layers.

use anyhow::{Context, Result};
use namespaces::container::{ContainerSpec, run};
use overlay::scratch::Scratch;
use overlay::tree::Tree;
use overlay::{Overlay, changes};

/// What the container does to its root filesystem.
const SCRIPT: &str = "echo hello > /hello.txt; \
                      echo 'guest:x:1000:1000::/home/guest:/bin/sh' >> /etc/passwd; \
                      rm /bin/vi; \
                      mkdir -p /var/log/app && echo started > /var/log/app/log; \
                      cat /hello.txt";

fn main() -> Result<()> {
    let image = namespaces::rootfs::busybox_rootfs().context("build the busybox image dir")?;
    let image = std::fs::canonicalize(&image)?;
    let before = Tree::read(&image)?;
    println!(
        "image: {} ({} entries), used as the only lower layer",
        image.display(),
        before.0.len()
    );

    let lab = Scratch::new()?;
    let (upper, work, rootfs) = lab.overlay_dirs("container")?;
    // ANCHOR: run
    let mounted = Overlay::new([&image], &upper, &work).mount(&rootfs)?;
    let mut spec = ContainerSpec::new(
        mounted.target(),
        vec!["sh".into(), "-c".into(), SCRIPT.into()],
    );
    spec.readonly_rootfs = false; // the overlay's upper layer takes the writes
    println!("\ncontainer runs: sh -c {SCRIPT:?}");
    let code = run(&spec).context("run the container")?;
    // ANCHOR_END: run
    println!("container exited with {code}");

    println!("\nits changes (from the upper dir {}):", upper.display());
    for change in changes(&upper, &[&image])? {
        println!("  {change}");
    }
    mounted.unmount()?;

    let differ = before.differences(&Tree::read(&image)?);
    println!(
        "\nimage dir after the container: {} entries differ (bytes, modes, owners, mtimes)",
        differ.len()
    );
    Ok(())
}

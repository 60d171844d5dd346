//! Short links: how a storage driver mounts hundreds of layers with long paths.
//!
//! mount(2) copies at most one page (4096 bytes on x86-64) of option data from user space, so
//! `lowerdir=/var/lib/…/diff:/var/lib/…/diff:…` stops fitting after a few dozen layers.
//! Docker's overlay2 driver keeps a directory `l/` of symlinks with short names pointing at
//! each layer, changes into the driver's root and mounts with relative paths `l/ABC:l/DEF`.
//! We do the same with a throw-away directory of links named `0`, `1`, `2` …: overlayfs
//! resolves every path once, at mount time, so the links can be removed right afterwards.

use std::os::unix::fs::symlink;
use std::path::Path;

use nix::sched::{CloneFlags, unshare};

use crate::error::{Error, IoContext, Result};
use crate::mount::{Overlay, mount_overlay, option_limit, options_string};

/// Mount `overlay` on `target` (an absolute path) through a directory of short symlinks.
///
/// The relative paths in the options are resolved against the current directory of the
/// process calling mount(2). Changing directory would disturb every other thread, so the
/// mount runs on a helper thread that first gives itself a private current directory with
/// unshare(2) `CLONE_FS` — the same trick Docker uses for this mount.
pub(crate) fn mount_via_short_links(overlay: &Overlay, target: &Path) -> Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("ovl-links-")
        .tempdir()
        .with_path("create link dir in", std::env::temp_dir())?;
    let mut lower_names = Vec::with_capacity(overlay.lowers.len());
    for (index, lower) in overlay.lowers.iter().enumerate() {
        let name = index.to_string();
        make_link(lower, &dir.path().join(&name))?;
        lower_names.push(name);
    }
    make_link(&overlay.upper, &dir.path().join("u"))?;
    make_link(&overlay.work, &dir.path().join("w"))?;

    let options = options_string(&lower_names, "u", "w") + overlay.extra_options();
    if options.len() > option_limit() {
        return Err(Error::OptionsTooLong {
            len: options.len(),
            limit: option_limit(),
        });
    }
    // ANCHOR: thread
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // Why unshare(CLONE_FS): cwd is shared by all threads of a process; after
                // this call, this thread's chdir(2) moves only this thread.
                unshare(CloneFlags::CLONE_FS).with_path("unshare(CLONE_FS) for", dir.path())?;
                nix::unistd::chdir(dir.path()).with_path("chdir", dir.path())?;
                mount_overlay(target, &options)
            })
            .join()
            .expect("the mount thread does not panic")
    })
    // ANCHOR_END: thread
    // `dir` drops here and removes the links: the mount already holds the real directories.
}

/// A symlink `link` → the canonical path of `layer` (so relative layer paths still work
/// after the helper thread changes directory).
fn make_link(layer: &Path, link: &Path) -> Result<()> {
    let real = std::fs::canonicalize(layer).with_path("resolve", layer)?;
    symlink(&real, link).with_path("symlink", link)
}

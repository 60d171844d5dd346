//! `/etc/resolv.conf` and `/etc/hosts` during a `RUN`, as Docker's builder gives them: the
//! step can resolve names (a copy of the host's `resolv.conf`; with `--network none` there is
//! nothing to reach, but the file is there all the same) and its own name
//! (`buildkitsandbox`); and neither file ends up in the layer, whatever the image had there.
//!
//! How: before the container is cloned, copies in the step's scratch dir are bind-mounted
//! (mount(2) `MS_BIND`) over the two paths of the merged overlay; the clone copies those
//! mounts into the container's mount namespace (mount_namespaces(7)), and lesson 01's
//! recursive bind of the root before pivot_root(2) carries them along. Writes inside go to the
//! copies, never to the host's file or to the upper dir. Afterwards they are unmounted, and a
//! mount point the image did not have is removed from the upper dir again, so the layer holds
//! only what the command itself changed.
//!
//! A path of the image is used only when it is a plain file under a real `/etc` directory: a
//! symlink there (which would be followed on the *host*) means the file is left alone.

use super::run::Scratch;
use crate::{Error, Result};
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use std::fs;
use std::path::{Path, PathBuf};

/// What Docker's builder puts in a step's `/etc/hosts`.
pub const HOSTS: &str =
    "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n";

/// The bind mounts made for one step, unmounted when dropped (also on every error path).
#[derive(Debug, Default)]
pub struct Lent {
    mounted: Vec<PathBuf>,
    created: Vec<&'static str>,
}

/// Lends `/etc/resolv.conf` (the host's, copied) and `/etc/hosts` ([`HOSTS`]) to the step
/// whose overlay is mounted at `merged`.
pub fn lend(merged: &Path, scratch: &Scratch) -> Result<Lent> {
    let mut lent = Lent::default();
    let etc = merged.join("etc");
    if !fs::symlink_metadata(&etc).is_ok_and(|m| m.is_dir()) {
        return Ok(lent); // no real /etc: nothing to mount over (FROM scratch images)
    }
    let resolv = fs::read("/etc/resolv.conf").unwrap_or_default();
    let copies = scratch.sub("etc")?;
    for (name, content) in [
        ("resolv.conf", resolv),
        ("hosts", HOSTS.as_bytes().to_vec()),
    ] {
        let target = etc.join(name);
        match fs::symlink_metadata(&target) {
            Ok(m) if m.is_file() => {}
            Ok(_) => continue, // a symlink or anything else: leave the image's own
            Err(_) => {
                fs::File::create_new(&target).map_err(Error::io("create mount point", &target))?;
                lent.created.push(name);
            }
        }
        let copy = copies.join(name);
        fs::write(&copy, content).map_err(Error::io("write", &copy))?;
        mount(
            Some(&copy),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(Error::sys(format!("bind mount onto {}", target.display())))?;
        lent.mounted.push(target);
    }
    Ok(lent)
}

impl Lent {
    /// Unmounts the files; returns the names of the mount points this step had to create,
    /// for [`tidy_upper`] once the overlay is unmounted too.
    pub fn give_back(mut self) -> Vec<&'static str> {
        std::mem::take(&mut self.created)
    } // dropped here: unmounted
}

impl Drop for Lent {
    fn drop(&mut self) {
        for target in self.mounted.drain(..).rev() {
            // MNT_DETACH: the step's processes are gone, but never fail a teardown on EBUSY.
            let _ = umount2(&target, MntFlags::MNT_DETACH);
        }
    }
}

/// Removes from the (unmounted) overlay's upper dir the empty mount points [`lend`] created,
/// and `etc/` itself when nothing else of the step is in it: the layer keeps only what the
/// command changed. (The upper dir of a mounted overlay must not be changed, overlayfs.rst.)
pub fn tidy_upper(upper: &Path, created: &[&str]) {
    let etc = upper.join("etc");
    for name in created {
        let _ = fs::remove_file(etc.join(name));
    }
    if !created.is_empty() {
        let _ = fs::remove_dir(&etc); // fails, as it should, when the command wrote in /etc
    }
}

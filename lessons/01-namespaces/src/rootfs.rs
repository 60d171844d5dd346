//! A minimal root filesystem made from `busybox-static`: one statically linked binary that is
//! a whole userland (sh, ls, ps, hostname, ip…), plus the few directories and files programs
//! expect. Lessons 01–03 use it before images exist (lesson 04).
//!
//! It must be *static*: inside the container there is no `/lib` with a C library to load.

use crate::error::io;
use crate::{Error, Result};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Where Debian's and Ubuntu's `busybox-static` package installs the binary.
pub const BUSYBOX: &str = "/bin/busybox";

/// The cached busybox root filesystem, built on first use under the workspace's
/// `target/kit/rootfs/busybox`. Shared by every step and test: treat it as read-only, and use
/// [`build_busybox_rootfs`] for a copy you may change.
pub fn busybox_rootfs() -> Result<PathBuf> {
    let cache = workspace_target().join("kit/rootfs");
    let done = cache.join("busybox");
    if done.join("bin/busybox").exists() {
        return Ok(done);
    }
    std::fs::create_dir_all(&cache).map_err(io(&cache))?;
    // Build beside the final place and rename(2) it in: another builder at the same time never
    // sees a half-made tree, and whoever renames first wins. Each builder has its own partial
    // tree — the process id alone is not enough: a test binary's tests are threads of one
    // process, and on a fresh machine several of them build at once.
    static BUILDS: AtomicUsize = AtomicUsize::new(0);
    let build = BUILDS.fetch_add(1, Ordering::Relaxed);
    let partial = cache.join(format!("busybox.partial-{}-{build}", std::process::id()));
    let _ = std::fs::remove_dir_all(&partial);
    build_busybox_rootfs(&partial)?;
    if std::fs::rename(&partial, &done).is_err() {
        let _ = std::fs::remove_dir_all(&partial);
        if !done.join("bin/busybox").exists() {
            return Err(Error::Rootfs {
                path: done,
                why: "could not be created".into(),
            });
        }
    }
    Ok(done)
}

/// Builds a busybox root filesystem in `dest` (created if missing): `/bin/busybox` with a
/// symlink per applet, `/sbin` and `/usr/*` pointing at it, `/etc/passwd`, `/etc/group`, and
/// empty `/proc`, `/sys`, `/dev`, `/tmp` for the container's mounts.
pub fn build_busybox_rootfs(dest: &Path) -> Result<()> {
    ensure_static_busybox()?;
    for dir in [
        "bin", "etc", "proc", "sys", "dev", "tmp", "root", "home", "var", "run", "usr",
    ] {
        let path = dest.join(dir);
        std::fs::create_dir_all(&path).map_err(io(&path))?;
    }
    let tmp = dest.join("tmp");
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777)).map_err(io(&tmp))?;
    let target = dest.join("bin/busybox");
    std::fs::copy(BUSYBOX, &target).map_err(io(&target))?;
    for applet in applets()? {
        let link = dest.join("bin").join(&applet);
        if applet != "busybox" && !link.exists() {
            symlink("busybox", &link).map_err(io(&link))?;
        }
    }
    for (link, to) in [
        ("sbin", "bin"),
        ("usr/bin", "../bin"),
        ("usr/sbin", "../bin"),
    ] {
        let path = dest.join(link);
        symlink(to, &path).map_err(io(&path))?;
    }
    let files = [
        (
            "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
        ),
        ("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
        ("etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n"),
    ];
    for (name, text) in files {
        let path = dest.join(name);
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    Ok(())
}

/// The applets this busybox provides (`busybox --list`).
fn applets() -> Result<Vec<String>> {
    let out = Command::new(BUSYBOX)
        .arg("--list")
        .output()
        .map_err(io(BUSYBOX))?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

/// Checks that [`BUSYBOX`] exists and is statically linked: an ELF file with no `PT_INTERP`
/// program header (elf(5)), i.e. no dynamic loader to find.
fn ensure_static_busybox() -> Result<()> {
    let missing = || Error::Rootfs {
        path: BUSYBOX.into(),
        why: "busybox-static is not installed: run `sudo scripts/setup-host.sh` \
              (or `apt-get install busybox-static`)"
            .into(),
    };
    let elf = std::fs::read(BUSYBOX).map_err(|_| missing())?;
    if !has_no_interpreter(&elf) {
        return Err(Error::Rootfs {
            path: BUSYBOX.into(),
            why: "this busybox is dynamically linked and cannot run without the host's libraries: \
                  install the static one with `apt-get install busybox-static`"
                .into(),
        });
    }
    Ok(())
}

/// True for a 64-bit little-endian ELF file whose program headers include no `PT_INTERP`.
fn has_no_interpreter(elf: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    let u16_at = |at: usize| {
        elf.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u64_at = |at: usize| {
        elf.get(at..at + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()) as usize)
    };
    if elf.get(..4) != Some(b"\x7fELF".as_slice()) {
        return false;
    }
    let (Some(phoff), Some(phentsize), Some(phnum)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38))
    else {
        return false;
    };
    (0..phnum).all(|i| {
        let at = phoff + i * phentsize;
        elf.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            != Some(PT_INTERP)
    })
}

/// The workspace's `target/` directory, found from this crate's source location (the cache is
/// shared by every build of the workspace, whatever `CARGO_TARGET_DIR` says).
pub fn workspace_target() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_static_busybox_has_no_interpreter_and_a_dynamic_binary_has_one() {
        let busybox = std::fs::read(BUSYBOX).expect("busybox-static installed");
        assert!(has_no_interpreter(&busybox));
        let dynamic = std::fs::read("/bin/ls").expect("/bin/ls");
        assert!(!has_no_interpreter(&dynamic));
        assert!(!has_no_interpreter(b"#!/bin/sh\n"));
    }
}

//! A writer for the "newc" cpio format, the one the kernel unpacks as an initramfs
//! (the kernel's Documentation/driver-api/early-userspace/buffer-format.rst).
//!
//! Each entry is a 110-byte ASCII header (`070701` and thirteen 8-digit hex fields), the
//! NUL-terminated name padded to 4 bytes, then the data padded to 4 bytes. A `TRAILER!!!`
//! entry ends the archive.

use std::io::{self, Write};

/// Builds an archive in memory.
#[derive(Default)]
pub struct Archive {
    bytes: Vec<u8>,
    next_inode: u32,
}

const DIR: u32 = 0o040_000;
const FILE: u32 = 0o100_000;
const SYMLINK: u32 = 0o120_000;
const CHAR_DEVICE: u32 = 0o020_000;

impl Archive {
    /// A directory, e.g. `dev` (names are relative, without a leading slash).
    pub fn dir(&mut self, name: &str) {
        self.entry(name, DIR | 0o755, &[], (0, 0));
    }

    /// A regular file with permission bits `perm` (e.g. 0o755 for programs).
    pub fn file(&mut self, name: &str, perm: u32, data: &[u8]) {
        self.entry(name, FILE | perm, data, (0, 0));
    }

    /// A symbolic link `name` → `target`.
    pub fn symlink(&mut self, name: &str, target: &str) {
        self.entry(name, SYMLINK | 0o777, target.as_bytes(), (0, 0));
    }

    /// A character device node, e.g. `dev/console` (5, 1).
    pub fn char_device(&mut self, name: &str, major: u32, minor: u32) {
        self.entry(name, CHAR_DEVICE | 0o600, &[], (major, minor));
    }

    /// Writes the trailer and the whole archive to `out`.
    pub fn finish(mut self, out: &mut impl Write) -> io::Result<()> {
        self.entry("TRAILER!!!", 0, &[], (0, 0));
        out.write_all(&self.bytes)
    }

    fn entry(&mut self, name: &str, mode: u32, data: &[u8], rdev: (u32, u32)) {
        self.next_inode += 1;
        let fields = [
            self.next_inode,
            mode,
            0, // uid
            0, // gid
            if mode & DIR != 0 { 2 } else { 1 },
            0, // mtime: fixed, so the same inputs give the same archive
            data.len() as u32,
            0,
            0, // device of the file itself
            rdev.0,
            rdev.1,
            name.len() as u32 + 1,
            0, // checksum (unused in newc)
        ];
        self.bytes.extend_from_slice(b"070701");
        for field in fields {
            self.bytes
                .extend_from_slice(format!("{field:08X}").as_bytes());
        }
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(data);
        self.pad();
    }

    fn pad(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newc_entries_are_aligned_and_terminated() {
        let mut archive = Archive::default();
        archive.dir("bin");
        archive.file("init", 0o755, b"#!/bin/sh\n");
        let mut out = Vec::new();
        archive.finish(&mut out).unwrap();
        assert_eq!(&out[..6], b"070701");
        assert!(out.len().is_multiple_of(4));
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.contains("init\0")
                && text.contains("#!/bin/sh\n")
                && text.contains("TRAILER!!!\0")
        );
    }
}

//! An uncompressed kernel, for a faster boot.
//!
//! `/boot/vmlinuz-*` is a bzImage: a small decompressor plus the real kernel, compressed
//! (xz on Debian). Under software emulation the decompression alone takes seconds. When the
//! kernel was built with `CONFIG_PVH`, QEMU can instead load the plain ELF kernel (`vmlinux`)
//! and jump straight to its PVH entry point. We extract it once, the way the kernel's
//! `scripts/extract-vmlinux` does — find the compressed stream's magic bytes, decompress from
//! there — and cache it beside the initramfs.

use super::initramfs::Kernel;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Compressed-stream signatures in a bzImage, and the tool that unpacks each.
const FORMATS: &[(&[u8], &str, &[&str])] = &[
    (b"\xfd7zXZ\x00", "xz", &["-dc", "--single-stream"]),
    (b"\x28\xb5\x2f\xfd", "zstd", &["-dc"]),
    (b"\x1f\x8b\x08", "gzip", &["-dc"]),
];

impl Kernel {
    /// The kernel as a plain ELF file with a PVH entry, extracted and cached under
    /// `target/kit/vm/`, or `None` when that is not possible (no `CONFIG_PVH=y` in
    /// `/boot/config-VERSION`, unknown compression, tool missing): then boot [`Kernel::image`].
    pub fn uncompressed(&self) -> Option<PathBuf> {
        let config = std::fs::read_to_string(format!("/boot/config-{}", self.version)).ok()?;
        if !config.lines().any(|l| l == "CONFIG_PVH=y") {
            return None;
        }
        let dest = super::initramfs::cache_dir().join(format!("vmlinux-{}", self.version));
        if dest.exists() {
            return Some(dest);
        }
        let image = std::fs::read(&self.image).ok()?;
        for (magic, tool, args) in FORMATS {
            let Some(offset) = image.windows(magic.len()).position(|w| w == *magic) else {
                continue;
            };
            if let Some(elf) = unpack(&image[offset..], tool, args) {
                let temp = dest.with_extension(format!("part{}", std::process::id()));
                std::fs::create_dir_all(dest.parent()?).ok()?;
                std::fs::write(&temp, elf).ok()?;
                std::fs::rename(&temp, &dest).ok()?;
                return Some(dest);
            }
        }
        None
    }
}

/// Runs `tool args` with `data` on stdin; keeps the output if it is an ELF file (the
/// decompressors may complain about the bytes after the stream, which is expected).
fn unpack(data: &[u8], tool: &str, args: &[&str]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let data = data.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let output = child.wait_with_output().ok()?;
    let _ = writer.join();
    output
        .stdout
        .starts_with(b"\x7fELF")
        .then_some(output.stdout)
}

/// The image QEMU should boot for `kernel`: the uncompressed one when available.
pub fn boot_image(kernel: &Kernel) -> PathBuf {
    kernel
        .uncompressed()
        .unwrap_or_else(|| kernel.image.clone())
}

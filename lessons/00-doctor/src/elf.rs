//! Is a program statically linked? Read its ELF program headers (elf(5)).
//!
//! A dynamically linked program carries a `PT_INTERP` program header naming its loader
//! (`/lib64/ld-linux-x86-64.so.2`): execve(2) starts that loader, which then maps the shared
//! libraries. A statically linked program (busybox-static) has no such header and runs on its
//! own — which is what a container root filesystem without `/lib` needs.

use crate::error::{Error, Result, io};
use std::path::Path;

/// True when the ELF file at `path` has no `PT_INTERP` program header (elf(5)): the kernel
/// runs it directly, without a dynamic loader or shared libraries.
pub fn is_static_elf(path: &Path) -> Result<bool> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let not_elf = || Error::Unexpected(format!("{} is not a valid ELF file", path.display()));
    if bytes.get(..4) != Some(b"\x7fELF") || bytes.get(5) != Some(&1) {
        return Err(not_elf()); // not ELF, or not little-endian (every x86 and arm64 machine is)
    }
    let u16_at = |o: usize| {
        bytes
            .get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u32_at = |o: usize| {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
    };
    let u64_at = |o: usize| {
        bytes
            .get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
    };
    // e_phoff, e_phentsize, e_phnum sit at different offsets in 32- and 64-bit headers.
    let (phoff, entsize, count) = match bytes[4] {
        1 => (u32_at(0x1C).map(|v| v as usize), u16_at(0x2A), u16_at(0x2C)),
        2 => (u64_at(0x20).map(|v| v as usize), u16_at(0x36), u16_at(0x38)),
        _ => return Err(not_elf()),
    };
    let (phoff, entsize, count) = (
        phoff.ok_or_else(not_elf)?,
        entsize.ok_or_else(not_elf)?,
        count.ok_or_else(not_elf)?,
    );
    const PT_INTERP: u32 = 3;
    for i in 0..count {
        let p_type = u32_at(phoff + i * entsize).ok_or_else(not_elf)?;
        if p_type == PT_INTERP {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamically_linked_program_is_not_static() {
        // /bin/sh on Debian and Ubuntu is dash, always dynamically linked.
        let sh = std::fs::canonicalize("/bin/sh").unwrap();
        assert!(!is_static_elf(&sh).unwrap(), "{}", sh.display());
    }

    #[test]
    fn busybox_static_has_no_program_interpreter() {
        // The kit's setup script installs busybox-static; lesson 01 copies this file.
        assert!(is_static_elf(Path::new(crate::tools::BUSYBOX)).unwrap());
    }

    #[test]
    fn a_text_file_is_not_an_elf_file() {
        assert!(is_static_elf(Path::new("/proc/self/status")).is_err());
    }
}

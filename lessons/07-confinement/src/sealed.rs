//! The runtime's binary out of the container's reach (CVE-2019-5736). When a runtime enters a
//! container (`docker exec`, or a `#!/proc/self/exe` entrypoint that makes the kernel run the
//! runtime's own binary inside), a process of the container can open `/proc/PID/exe` of that
//! runtime process: a handle on the *host's* runtime file. Opening it for writing fails while
//! the binary runs (`ETXTBSY`), but an `O_PATH` handle can be kept, and reopened through
//! `/proc/self/fd/N` for writing once the runtime process has exited: the next `runc` anyone
//! runs on the host is the attacker's.
//!
//! runc's fix, and ours: the runtime first copies itself into a memfd (memfd_create(2)),
//! seals it (fcntl(2) `F_ADD_SEALS`: no write, no grow, no shrink, no more seals) and
//! re-executes from it. `/proc/PID/exe` then leads to that sealed anonymous copy — the host's
//! file is never the executable of a process a container can see, and the copy cannot be
//! written by anybody.

use crate::Result;
use crate::error::{io, sys};
use nix::fcntl::{FcntlArg, SealFlag, fcntl};
use nix::sys::memfd::{MFdFlags, memfd_create};
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

/// A sealed, anonymous, in-memory copy of a program.
#[derive(Debug)]
pub struct SealedCopy {
    file: File,
}

// ANCHOR: seal
impl SealedCopy {
    /// Copies `program` into a new memfd and seals it against every change.
    pub fn of(program: &Path) -> Result<SealedCopy> {
        let name = program
            .file_name()
            .map_or("program".into(), |n| n.to_string_lossy());
        SealedCopy::named(program, &name)
    }

    /// Like [`SealedCopy::of`], with the name `/proc/PID/exe` will show (`/memfd:NAME`).
    pub fn named(program: &Path, name: &str) -> Result<SealedCopy> {
        let mut source = File::open(program).map_err(io(program))?;
        SealedCopy::filled(name, |file| {
            std::io::copy(&mut source, file).map_err(io(program))?;
            Ok(())
        })
    }

    /// A sealed copy of a program held in memory (e.g. embedded with include_bytes!).
    pub fn from_bytes(program: &[u8], name: &str) -> Result<SealedCopy> {
        SealedCopy::filled(name, |file| {
            std::io::Write::write_all(file, program).map_err(io(format!("memfd:{name}")))
        })
    }

    /// A new memfd, filled by `fill`, then sealed.
    fn filled(name: &str, fill: impl FnOnce(&mut File) -> Result<()>) -> Result<SealedCopy> {
        let fd: OwnedFd = memfd_create(
            name,
            MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING | exec_flag(),
        )
        .map_err(sys("memfd_create(2)"))?;
        let mut file = File::from(fd);
        fill(&mut file)?;
        let seals = SealFlag::F_SEAL_SEAL
            | SealFlag::F_SEAL_SHRINK
            | SealFlag::F_SEAL_GROW
            | SealFlag::F_SEAL_WRITE;
        fcntl(&file, FcntlArg::F_ADD_SEALS(seals)).map_err(sys("fcntl(F_ADD_SEALS)"))?;
        Ok(SealedCopy { file })
    }
    // ANCHOR_END: seal

    /// A path that executes the copy: `/proc/self/fd/N`. execve(2) opens it before
    /// close-on-exec descriptors are closed, so the copy stays private to this process and
    /// whatever it runs.
    pub fn exec_path(&self) -> String {
        format!("/proc/self/fd/{}", self.file.as_raw_fd())
    }

    /// The memfd itself.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The seals on the copy (fcntl(2) `F_GET_SEALS`).
    pub fn seals(&self) -> Result<SealFlag> {
        let bits = fcntl(&self.file, FcntlArg::F_GET_SEALS).map_err(sys("fcntl(F_GET_SEALS)"))?;
        Ok(SealFlag::from_bits_truncate(bits))
    }
}

/// On Linux 6.3 and later a memfd is executable only if asked for (`MFD_EXEC`), depending on
/// the `vm.memfd_noexec` sysctl; older kernels know no such flag and refuse it.
fn exec_flag() -> MFdFlags {
    const MFD_EXEC: u32 = 0x10;
    if std::path::Path::new("/proc/sys/vm/memfd_noexec").exists() {
        MFdFlags::from_bits_retain(MFD_EXEC)
    } else {
        MFdFlags::empty()
    }
}

/// Whether this process runs from a sealed memfd (`/proc/self/exe` reads `/memfd:…`).
pub fn running_sealed() -> bool {
    std::fs::read_link("/proc/self/exe").is_ok_and(|p| p.to_string_lossy().starts_with("/memfd:"))
}

// ANCHOR: reexec
/// Makes sure this process runs from a sealed copy of its own binary: if it does not yet, copy
/// `/proc/self/exe` into a sealed memfd and execve(2) it with the same arguments and
/// environment. An engine calls this first thing in every command that enters a container.
/// Returns only if it already runs sealed (or on error).
pub fn reexec_sealed() -> Result<()> {
    if running_sealed() {
        return Ok(());
    }
    let me = std::fs::read_link("/proc/self/exe").map_err(io("/proc/self/exe"))?;
    let name = me
        .file_name()
        .map_or("runtime".into(), |n| n.to_string_lossy());
    let copy = SealedCopy::named(Path::new("/proc/self/exe"), &name)?;
    let to_c =
        |s: std::ffi::OsString| std::ffi::CString::new(s.into_encoded_bytes()).unwrap_or_default();
    let args: Vec<_> = std::env::args_os().map(to_c).collect();
    let env: Vec<_> = std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k;
            kv.push("=");
            kv.push(v);
            to_c(kv)
        })
        .collect();
    let path = std::ffi::CString::new(copy.exec_path()).unwrap_or_default();
    let Err(e) = nix::unistd::execve(&path, &args, &env);
    Err(sys("execve(2) of the sealed copy")(e))
}
// ANCHOR_END: reexec

/// The sha256 of a file, as hex: how a step or test sees whether a binary was changed.
pub fn sha256_of(path: &Path) -> Result<String> {
    use sha2::Digest;
    let bytes = std::fs::read(path).map_err(io(path))?;
    Ok(hex::encode(sha2::Sha256::digest(&bytes)))
}

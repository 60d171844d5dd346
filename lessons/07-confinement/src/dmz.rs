//! The dmz: the runtime's only program a container ever runs (runc 1.2 had one, `runc-dmz`,
//! for the same reason). A container's process runs the *engine's* binary from clone(2) until
//! its final execve(2). Two ways a container could get a handle on that file meanwhile:
//!
//! 1. open `/proc/PID/exe` of the process while it sets up — closed by making it non-dumpable
//!    (lesson 01's `setup::not_dumpable`: only `CAP_SYS_PTRACE` opens it then);
//! 2. make the engine's binary run *inside*: an image whose command (or `/bin/sh`) is a
//!    `#!/proc/self/exe` script. execve(2) resolves the interpreter in the exec'ing process:
//!    `/proc/self/exe` is the engine, which now runs as a dumpable process of the container
//!    (CVE-2019-5736). Non-dumpable does not help: execve(2) resets it.
//!
//! The dmz closes the second: a static program of about 3 KB (`dmz/dmz.rs`, no libc), copied
//! once per engine process into a sealed memfd ([`SealedCopy::from_bytes`]). Lesson 01's
//! container execs it with execveat(2) `AT_EMPTY_PATH` (the [`namespaces::hooks::Hooks::exec_through`]
//! hook), and it execs the command; `/proc/self/exe` of the command's exec is then the sealed
//! dmz. Copying the whole engine (13 MB) into a memfd would do too, but costs milliseconds
//! per container; the dmz costs microseconds. With `--init` the dmz is the init as well, so no
//! process of the container ever has the engine's binary as its executable after set-up.

use crate::Result;
use crate::error::Error;
use crate::sealed::SealedCopy;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::OnceLock;

/// The dmz program, built by `build.rs` for this machine (empty where none can be built).
pub const PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/dmz"));

static SEALED: OnceLock<SealedCopy> = OnceLock::new();

/// This process's sealed copy of the dmz, made on first use (memfd_create(2), one write,
/// fcntl(2) `F_ADD_SEALS`). Call it before clone(2) or fork(2): the copy's descriptor is
/// inherited, and the child need not allocate.
pub fn sealed() -> Result<&'static SealedCopy> {
    if let Some(copy) = SEALED.get() {
        return Ok(copy);
    }
    if PROGRAM.is_empty() {
        return Err(Error::NoDmz(format!(
            "no dmz for {}: its entry point is written for x86_64 and aarch64 only (dmz/)",
            std::env::consts::ARCH
        )));
    }
    let copy = SealedCopy::from_bytes(PROGRAM, "dmz")?;
    Ok(SEALED.get_or_init(|| copy))
}

/// The descriptor to execveat(2) for lesson 01's [`namespaces::hooks::Hooks::exec_through`],
/// if [`sealed`] has made the copy in this process.
pub fn loaded() -> Option<BorrowedFd<'static>> {
    SEALED.get().map(|copy| copy.file().as_fd())
}

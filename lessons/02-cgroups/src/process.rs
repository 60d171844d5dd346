//! Putting processes into cgroups, and getting them out again.

use crate::error::{Error, Result};
use crate::{Cgroup, files};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// Makes `command`'s child join `cgroup` before it execs, so not one instruction of the new
/// program runs outside the limits. The child writes `0` ("myself") to every
/// `cgroup.procs` of the cgroup between fork(2) and execve(2); if that fails, spawn()
/// returns the error.
///
/// (This is what runc does for its init process. Linux 5.7+ can also start a child directly
/// inside a v2 cgroup with clone3(2)'s `CLONE_INTO_CGROUP`.)
// ANCHOR: join
pub fn join_on_exec(command: &mut Command, cgroup: &dyn Cgroup) {
    let procs_files: Vec<CString> = cgroup
        .directories()
        .iter()
        .map(|dir| {
            CString::new(dir.join("cgroup.procs").as_os_str().as_bytes())
                .expect("paths have no NUL")
        })
        .collect();
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // calls are allowed: it uses just open(2), write(2) and close(2) on strings prepared above,
    // allocating nothing.
    unsafe {
        command.pre_exec(move || {
            for file in &procs_files {
                let fd = libc::open(file.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if fd < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                let written = libc::write(fd, b"0".as_ptr().cast(), 1);
                let error = std::io::Error::last_os_error();
                libc::close(fd);
                if written != 1 {
                    return Err(error);
                }
            }
            Ok(())
        });
    }
}
// ANCHOR_END: join

/// Sends SIGKILL (kill(2)) to every process listed in a `cgroup.procs` file. A process that
/// is already gone (ESRCH) is fine: that is what we wanted.
pub fn kill_each(procs_file: &Path) -> Result<()> {
    for pid in files::read_pids(procs_file)? {
        match kill(Pid::from_raw(pid), Signal::SIGKILL) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
            Err(errno) => {
                return Err(Error::Io {
                    action: "kill a process listed in",
                    path: procs_file.into(),
                    source: errno.into(),
                });
            }
        }
    }
    Ok(())
}

/// The cgroup path of process `pid` in each hierarchy, as `/proc/PID/cgroup` shows it
/// (`hierarchy-id:controllers:path` per line; v2 has the single line `0::path`).
pub fn cgroup_of(pid: i32) -> Result<String> {
    files::read(Path::new(&format!("/proc/{pid}/cgroup")))
}

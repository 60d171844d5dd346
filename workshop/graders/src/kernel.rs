//! What the graders read from the kernel, and guards that undo what a grader made even when
//! the student's code panics or fails midway (every resource is owned by a value whose Drop
//! removes it).

use anyhow::Context;
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;
use std::path::{Path, PathBuf};

/// A name nobody can guess before the run: `prefix-` and eight random letters.
pub fn random_name(prefix: &str) -> String {
    let letters: String = (0..8).map(|_| fastrand::lowercase()).collect();
    format!("{prefix}-{letters}")
}

/// One line of `/proc/PID/mountinfo` (proc_pid_mountinfo(5)).
#[derive(Debug, Clone)]
pub struct MountLine {
    /// The mount point, as the process sees it.
    pub mount_point: String,
    /// Per-mount options (`rw,nosuid,…`).
    pub mount_options: String,
    /// Optional fields, e.g. `shared:1` or `master:2`: the propagation of this mount.
    pub propagation: Vec<String>,
    /// The filesystem type (`proc`, `overlay`, `tmpfs`…).
    pub fs_type: String,
    /// Per-superblock options (for overlay: `lowerdir=…,upperdir=…`).
    pub super_options: String,
}

/// The mount table of process `pid` (`self` for the grader), parsed.
pub fn mountinfo(pid: &str) -> anyhow::Result<Vec<MountLine>> {
    let path = format!("/proc/{pid}/mountinfo");
    let text = std::fs::read_to_string(&path).with_context(|| format!("read {path}"))?;
    Ok(text.lines().filter_map(parse_mount_line).collect())
}

fn parse_mount_line(line: &str) -> Option<MountLine> {
    let (left, right) = line.split_once(" - ")?;
    let fields: Vec<&str> = left.split(' ').collect();
    let right: Vec<&str> = right.split(' ').collect();
    Some(MountLine {
        mount_point: fields.get(4)?.replace("\\040", " "),
        mount_options: fields.get(5)?.to_string(),
        propagation: fields.iter().skip(6).map(|s| s.to_string()).collect(),
        fs_type: right.first()?.to_string(),
        super_options: right.get(2).unwrap_or(&"").to_string(),
    })
}

/// The mount at exactly `point` in `table`, the topmost if several are stacked.
pub fn mount_at<'a>(table: &'a [MountLine], point: &Path) -> Option<&'a MountLine> {
    let point = point.to_string_lossy();
    table.iter().rev().find(|m| m.mount_point == point)
}

/// A mount the grader made (or a student's code made in the grader's namespace): detached
/// with umount2(2) `MNT_DETACH` when dropped.
#[derive(Debug)]
pub struct MountGuard(pub PathBuf);

impl Drop for MountGuard {
    fn drop(&mut self) {
        let _ = umount2(&self.0, MntFlags::MNT_DETACH);
    }
}

/// Mounts an empty tmpfs on `dir` in the grader's own mount namespace.
pub fn mount_tmpfs(dir: &Path) -> anyhow::Result<MountGuard> {
    mount(
        Some("tmpfs"),
        dir,
        Some("tmpfs"),
        MsFlags::empty(),
        Some("size=1m"),
    )
    .with_context(|| format!("mount tmpfs on {}", dir.display()))?;
    Ok(MountGuard(dir.to_path_buf()))
}

/// Mounts an overlay by hand (mount(2) with the option string), for graders whose exercise
/// is not the option string itself.
pub fn mount_overlay(
    lower: &Path,
    upper: &Path,
    work: &Path,
    on: &Path,
) -> anyhow::Result<MountGuard> {
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    mount(
        Some("overlay"),
        on,
        Some("overlay"),
        MsFlags::empty(),
        Some(options.as_str()),
    )
    .with_context(|| format!("mount overlay on {}", on.display()))?;
    Ok(MountGuard(on.to_path_buf()))
}

/// Makes every mount of the calling process's (new) mount namespace private: the grader's own
/// copy of `mount --make-rprivate /`, for graders whose exercise is not this call.
pub fn make_rprivate() -> nix::Result<()> {
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
}

/// A child process of the grader: SIGKILLed and reaped when dropped, so a grader that fails
/// midway leaves no process behind.
#[derive(Debug)]
pub struct ChildGuard {
    /// The child's pid.
    pub pid: Pid,
    reaped: bool,
}

impl ChildGuard {
    /// Takes ownership of child `pid`.
    pub fn new(pid: Pid) -> ChildGuard {
        ChildGuard { pid, reaped: false }
    }

    /// Waits for the child to end and describes how it ended ("exited 0", "killed by SIGKILL").
    pub fn wait(&mut self) -> String {
        self.reaped = true;
        describe(waitpid(self.pid, None))
    }
}

/// A wait status in words.
pub fn describe(status: nix::Result<WaitStatus>) -> String {
    match status {
        Ok(WaitStatus::Exited(_, 101)) => "exited 101 (a panic)".into(),
        Ok(WaitStatus::Exited(_, code)) => format!("exited {code}"),
        Ok(WaitStatus::Signaled(_, signal, _)) => format!("killed by {signal}"),
        Ok(other) => format!("{other:?}"),
        Err(e) => format!("wait failed: {e}"),
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = kill(self.pid, Signal::SIGKILL);
            let _ = waitpid(self.pid, None);
        }
    }
}

/// A pipe a child writes one line to (an error message, a count) before the parent reads it;
/// reading returns whatever was written once every write end is closed.
#[derive(Debug)]
pub struct Note {
    read_end: std::os::fd::OwnedFd,
    write_end: std::os::fd::OwnedFd,
}

impl Note {
    /// Makes the pipe (pipe2(2), close-on-exec).
    pub fn new() -> anyhow::Result<Note> {
        let (read_end, write_end) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        Ok(Note {
            read_end,
            write_end,
        })
    }

    /// Child side: writes `text`.
    pub fn write(&self, text: &str) {
        let _ = nix::unistd::write(&self.write_end, text.as_bytes());
    }

    /// Parent side: closes its write end and reads what the child wrote (empty if nothing).
    pub fn read(self) -> String {
        drop(self.write_end);
        let mut file = std::fs::File::from(self.read_end);
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut file, &mut text);
        text
    }
}

/// Runs a child's `body` and turns a panic (the student's `todo!()`, an `unwrap`) into a
/// note for the parent and exit code 101: a panic must not unwind out of clone(2)'s
/// callback, where it would abort the child without a word.
pub fn catching(note: &Note, body: impl FnOnce() -> i32) -> i32 {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(code) => code,
        Err(panic) => {
            note.write(&format!("panicked: {}", panic_text(panic.as_ref())));
            101
        }
    }
}

/// The message of a caught panic.
pub fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Forks a child that runs `body` (a panic becomes a note, see [`catching`]) and _exit(2)s
/// with its result. Graders of lessons after 01 fork this way rather than through lesson
/// 01's `spawn`, so that they use no other exercise's code.
pub fn fork_child(note: &Note, body: impl FnOnce() -> i32) -> anyhow::Result<ChildGuard> {
    // SAFETY: the grader is single-threaded, so the child's copy of memory is consistent; the
    // child runs `body` and leaves with _exit(2), never returning into the grader's code.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => {
            let code = catching(note, body);
            // SAFETY: _exit(2) ends the child without running the parent's destructors.
            unsafe { libc::_exit(code) }
        }
        nix::unistd::ForkResult::Parent { child } => Ok(ChildGuard::new(child)),
    }
}

/// The value of `field:` in `/proc/PID/status` (proc_pid_status(5)).
pub fn status_field(pid: Pid, field: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    Ok(text
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)
                .and_then(|rest| rest.strip_prefix(':'))
        })
        .map(|v| v.trim().to_string())
        .unwrap_or_default())
}

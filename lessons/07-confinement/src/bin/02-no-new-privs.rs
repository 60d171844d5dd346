//! Step 2: `no_new_privs`. A setuid-root program runs as root whoever starts it — that is how
//! `passwd` and `sudo` work, and how a process that lost its privileges could get them back.
//! After prctl(PR_SET_NO_NEW_PRIVS) execve(2) ignores the setuid bit: the program starts, but
//! gains nothing. This step copies its own binary, makes the copy setuid root, and runs it as
//! user `nobody` (65534) twice: without and with `no_new_privs`.
//!
//! Run:  cargo run -p confinement --bin 02-no-new-privs
//! Look for: `without: euid=0`, then `with: euid=65534`, and `NoNewPrivs=1` from outside.
//! Read: prctl(2) PR_SET_NO_NEW_PRIVS, execve(2) "set-user-ID", the kernel's
//! Documentation/userspace-api/no_new_privs.rst, and `src/no_new_privs.rs`.

use confinement::Status;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

const NOBODY: u32 = 65534;

/// The setuid copy's job: say who it runs as, then wait until stdin closes so the parent can
/// read its `/proc/PID/status`.
fn report() -> anyhow::Result<()> {
    println!("euid={}", nix::unistd::geteuid());
    std::io::stdin().read_to_end(&mut Vec::new())?;
    Ok(())
}

/// Runs the setuid copy as `nobody`, with `no_new_privs` set just before execve(2) if asked.
fn run_copy(copy: &std::path::Path, no_new_privs: bool) -> anyhow::Result<(String, Status)> {
    let mut command = Command::new(copy);
    command.arg("--report").uid(NOBODY).gid(NOBODY);
    command.stdin(Stdio::piped()).stdout(Stdio::piped());
    if no_new_privs {
        // ANCHOR: pre_exec
        // SAFETY: runs in the forked child before execve(2); prctl(2) is async-signal-safe.
        unsafe {
            command.pre_exec(|| confinement::no_new_privs::set().map_err(std::io::Error::other));
        }
        // ANCHOR_END: pre_exec
    }
    let mut child = command.spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    let status = Status::of(Some(child.id() as i32))?;
    drop(child.stdin.take()); // let it finish
    child.wait()?;
    Ok((line.trim().to_string(), status))
}

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("--report") {
        return report();
    }
    namespaces::privilege::require_root("making a setuid-root program")?;
    let dir = tempfile::Builder::new().prefix("lab07-setuid-").tempdir()?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    let copy = dir.path().join("whoami-setuid");
    std::fs::copy(std::env::current_exe()?, &copy)?;
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o4755))?;
    println!("made {} setuid root (mode 4755)", copy.display());

    for (name, nnp) in [("without", false), ("with", true)] {
        let (said, status) = run_copy(&copy, nnp)?;
        println!("{name}: started as uid {NOBODY}, the program says {said}");
        println!("outside: {name}: NoNewPrivs={}", status.no_new_privs as u8);
    }
    Ok(())
}

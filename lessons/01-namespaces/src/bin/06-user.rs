//! Step 6: a user namespace makes an unprivileged process root — inside only.
//!
//! Run:  cargo run -p namespaces --bin 06-user
//! Look for: the child drops to uid 65534 (nobody) on the host, then creates a user namespace
//! *without* root and maps itself to uid 0: inside uid=0 with all capabilities; outside the
//! same process is uid 65534, a file it creates is owned by 65534, and root inside cannot
//! change the host's hostname.
//! Read: user_namespaces(7) (the uid_map rules), capabilities(7), prctl(2) PR_SET_DUMPABLE.

use namespaces::process::{Gate, spawn};
use namespaces::userns::{IdMap, unprivileged_userns_restriction};
use nix::sched::{CloneFlags, unshare};
use nix::unistd::{Gid, Uid, getuid, setresgid, setresuid};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::ExitCode;

const NOBODY: u32 = 65534;

fn main() -> anyhow::Result<ExitCode> {
    namespaces::privilege::require_root("dropping to another user for this demonstration")?;
    let dir = tempfile::Builder::new().prefix("lab-user-").tempdir()?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))?;
    let file = dir.path().join("made-inside");
    let mapped = Gate::new()?; // child → parent: "I am in my user namespace, mapped"
    let looked = Gate::new()?; // parent → child: "I have looked at you from outside"

    println!("outside: my uid={}", getuid());
    // ANCHOR: child
    let child = spawn(&[], || {
        // Become an ordinary user on the host first: no privilege at all from here on.
        if let Err(e) = become_nobody() {
            eprintln!("dropping privileges: {e}");
            return 1;
        }
        println!(
            "inside (before): uid={} — an unprivileged user on the host",
            getuid()
        );
        if let Err(e) = unshare(CloneFlags::CLONE_NEWUSER) {
            eprintln!("unshare(CLONE_NEWUSER) as uid {NOBODY}: {e}");
            if let Some(why) = unprivileged_userns_restriction() {
                eprintln!("{why}");
            }
            return 2;
        }
        // An unprivileged process may map exactly one id: its own, to any id inside.
        let me = IdMap {
            inside: 0,
            outside: NOBODY,
            count: 1,
        };
        let write = |file: &str, text: &str| std::fs::write(format!("/proc/self/{file}"), text);
        let maps = write("setgroups", "deny")
            .and(write("uid_map", &me.line()))
            .and(write("gid_map", &me.line()));
        if let Err(e) = maps {
            eprintln!("writing my own uid_map: {e}");
            return 3;
        }
        println!(
            "inside: uid={} gid={} capabilities={}",
            getuid(),
            nix::unistd::getgid(),
            effective_caps()
        );
        let _ = std::fs::write(&file, "who owns me?\n");
        let hostname = nix::unistd::sethostname("root-inside")
            .map_or_else(|e| e.desc().to_string(), |_| "allowed".into());
        println!("inside: sethostname on the host's UTS namespace: {hostname}");
        let _ = mapped.open();
        looked.wait();
        0
    })?;
    // ANCHOR_END: child
    mapped.wait();
    let uid_map = std::fs::read_to_string(format!("/proc/{}/uid_map", child.pid()))?;
    println!(
        "outside: /proc/{}/uid_map = {}",
        child.pid(),
        uid_map.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    println!(
        "outside: the process's uid={}",
        status_uid(child.pid().as_raw())?
    );
    looked.open()?;
    let code = child.wait()?;
    if let Ok(meta) = std::fs::metadata(&file) {
        println!("outside: {} is owned by uid={}", file.display(), meta.uid());
    }
    Ok(ExitCode::from(code as u8))
}

/// setresgid(2)/setresuid(2) to nobody. Changing credentials makes a process non-dumpable,
/// which would make its own /proc/self files root-owned and its uid_map unwritable: turn
/// dumpable back on with prctl(2).
fn become_nobody() -> nix::Result<()> {
    nix::unistd::setgroups(&[])?;
    setresgid(
        Gid::from_raw(NOBODY),
        Gid::from_raw(NOBODY),
        Gid::from_raw(NOBODY),
    )?;
    setresuid(
        Uid::from_raw(NOBODY),
        Uid::from_raw(NOBODY),
        Uid::from_raw(NOBODY),
    )?;
    nix::sys::prctl::set_dumpable(true)
}

/// The effective capability mask from /proc/self/status (`CapEff`, see capabilities(7)).
fn effective_caps() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .unwrap_or("?")
        .trim()
        .to_string()
}

/// The real uid of a process, as the host sees it (`Uid:` in /proc/PID/status).
fn status_uid(pid: i32) -> std::io::Result<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    Ok(status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .unwrap_or("")
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string())
}

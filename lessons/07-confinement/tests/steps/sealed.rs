//! Step 7: the /proc/self/exe attack against a copy of busybox, and the sealed memfd copy.

use super::{line, stdout_of};
use confinement::sealed::{SealedCopy, sha256_of};
use nix::fcntl::SealFlag;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

#[test]
fn the_attack_overwrites_a_plain_runtime_but_not_a_sealed_copy() {
    let text = stdout_of(env!("CARGO_BIN_EXE_07-proc-self-exe"), &[]);
    let plain = line(&text, "plain:");
    assert!(
        plain.ends_with("write=ok changed=true"),
        "the attack works on the plain copy: {plain}"
    );
    let sealed = line(&text, "sealed:");
    assert!(sealed.starts_with("sealed: exe=/memfd:runtime"), "{sealed}");
    assert!(sealed.ends_with("write=EPERM changed=false"), "{sealed}");
}

#[test]
fn a_sealed_copy_refuses_writes_and_runs_as_an_anonymous_file() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("runtime");
    std::fs::copy(namespaces::rootfs::BUSYBOX, &program).unwrap();
    let before = sha256_of(&program).unwrap();
    let copy = SealedCopy::of(&program).unwrap();

    // Through our own descriptor, and through a reopened /proc path, as an attacker would.
    let err = copy.file().write_at(b"x", 0).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "F_SEAL_WRITE");
    let reopened = std::fs::OpenOptions::new()
        .write(true)
        .open(copy.exec_path())
        .and_then(|mut f| f.write_all(b"#!/bin/sh\n"));
    // Depending on the kernel the open (ETXTBSY) or the write (EPERM) is refused.
    let errno = reopened.unwrap_err().raw_os_error();
    assert!(
        matches!(errno, Some(libc::EPERM | libc::ETXTBSY)),
        "{errno:?}"
    );
    assert_eq!(
        copy.file().set_len(0).unwrap_err().raw_os_error(),
        Some(libc::EPERM),
        "F_SEAL_SHRINK"
    );

    // It runs, and the kernel names an anonymous memfd as its executable, not the file.
    let mut child = Command::new(copy.exec_path())
        .arg0("cat") // busybox picks its applet by argv[0]
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // spawn can return a moment before /proc/PID/exe switches from this test binary to the
    // new program (the vfork parent wakes before the child's new mm is in place): poll.
    let me = std::fs::read_link("/proc/self/exe").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let exe = loop {
        let exe = std::fs::read_link(format!("/proc/{}/exe", child.id())).unwrap();
        if exe != me || std::time::Instant::now() > deadline {
            break exe;
        }
        std::thread::yield_now();
    };
    drop(child.stdin.take());
    child.wait().unwrap();
    assert!(
        exe.to_string_lossy().starts_with("/memfd:runtime"),
        "{}",
        exe.display()
    );
    assert_eq!(
        sha256_of(&program).unwrap(),
        before,
        "the file on disk is untouched"
    );
}

#[test]
fn an_engine_reexecutes_itself_from_a_sealed_copy() {
    let text = stdout_of(env!("CARGO_BIN_EXE_07-proc-self-exe"), &["--reexec"]);
    assert_eq!(
        line(&text, "re-executed:"),
        "re-executed: exe=/memfd:07-proc-self-exe (deleted)"
    );
}

#[test]
fn a_proc_self_exe_command_runs_the_runtime_inside_unless_a_dmz_execs_it() {
    let text = stdout_of(env!("CARGO_BIN_EXE_07-proc-self-exe"), &["--dmz"]);
    // Without a dmz the kernel ran the step's own binary as the container's pid 1...
    assert_eq!(
        line(&text, "inside:"),
        "inside: this step's own binary runs as pid 1"
    );
    assert_eq!(line(&text, "without dmz:"), "without dmz: exit=42");
    // ...through the dmz, the script's interpreter is the sealed dmz, which refuses.
    assert_eq!(line(&text, "with dmz:"), "with dmz: exit=126");
    assert_eq!(text.matches("inside:").count(), 1, "{text}");
}

#[test]
fn the_dmz_is_a_few_kilobytes_in_a_fully_sealed_memfd() {
    assert!(
        (1..16 * 1024).contains(&confinement::dmz::PROGRAM.len()),
        "{} bytes",
        confinement::dmz::PROGRAM.len()
    );
    let copy = confinement::dmz::sealed().unwrap();
    let all = SealFlag::F_SEAL_SEAL
        | SealFlag::F_SEAL_SHRINK
        | SealFlag::F_SEAL_GROW
        | SealFlag::F_SEAL_WRITE;
    assert_eq!(copy.seals().unwrap(), all);
    let err = copy.file().write_at(b"x", 0).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EPERM), "F_SEAL_WRITE");
}

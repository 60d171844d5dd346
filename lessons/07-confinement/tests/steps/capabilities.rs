//! Steps 1 and 2: capabilities and no_new_privs, seen in `/proc/PID/status`.

use super::{line, stdout_of};
use caps::CapsHashSet;
use confinement::Status;
use confinement::capabilities::{
    DEFAULT_CAPABILITIES, limit_bounding_set, set_process_capabilities,
};
use std::io::Read;

#[test]
fn capabilities_step_keeps_dockers_fourteen_and_mount_is_refused() {
    let text = stdout_of(env!("CARGO_BIN_EXE_01-capabilities"), &[]);
    assert_eq!(
        line(&text, "inside:"),
        "inside: mount before=ok after=EPERM uid=0"
    );
    assert_eq!(
        line(&text, "outside: the child:"),
        "outside: the child: CapInh=0 CapPrm=14 CapEff=14 CapBnd=14 CapAmb=0 sys_admin=false"
    );
}

#[test]
fn a_confined_child_shows_dockers_mask_in_its_status_file() {
    let keep: CapsHashSet = DEFAULT_CAPABILITIES.into_iter().collect();
    let (read_end, write_end) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    // SAFETY: the child makes capset/prctl calls and blocks in read(2), then _exit(2)s.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        drop(write_end);
        let ok = limit_bounding_set(&keep).and_then(|_| set_process_capabilities(&keep, true));
        let mut byte = [0u8; 1];
        let _ = std::fs::File::from(read_end).read(&mut byte);
        // SAFETY: ends the forked child without the parent's destructors.
        unsafe { libc::_exit(if ok.is_ok() { 0 } else { 1 }) };
    }
    drop(read_end);
    // Poll until the child has dropped its capabilities (no sleeping on a guess).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let done = ["CapBnd:", "CapEff:", "CapPrm:"];
        if done
            .iter()
            .all(|f| line(&text, f).ends_with("\t00000000a80425fb"))
        {
            break Status::parse(&text);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the child never dropped its capabilities:\n{text}"
        );
        std::thread::yield_now();
    };
    assert_eq!(status.caps.effective, keep);
    assert_eq!(status.caps.permitted, keep);
    assert!(status.caps.inheritable.is_empty() && status.caps.ambient.is_empty());
    drop(write_end);
    let mut code = 0;
    // SAFETY: reaps our own child.
    unsafe { libc::waitpid(pid, &mut code, 0) };
    assert_eq!(libc::WEXITSTATUS(code), 0);
}

#[test]
fn no_new_privs_makes_a_setuid_program_gain_nothing() {
    let text = stdout_of(env!("CARGO_BIN_EXE_02-no-new-privs"), &[]);
    assert!(
        line(&text, "without:").ends_with("the program says euid=0"),
        "{text}"
    );
    assert_eq!(
        line(&text, "outside: without:"),
        "outside: without: NoNewPrivs=0"
    );
    assert!(
        line(&text, "with:").ends_with("the program says euid=65534"),
        "{text}"
    );
    assert_eq!(line(&text, "outside: with:"), "outside: with: NoNewPrivs=1");
}

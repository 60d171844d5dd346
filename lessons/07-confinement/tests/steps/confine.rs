//! The whole of Docker's confinement through `Confinement::apply_in_child`, in a busybox
//! container, checked in the kernel after execve(2): what an engine gets.

use confinement::capabilities::DEFAULT_CAPABILITIES;
use confinement::seccomp::SeccompOption;
use confinement::{Confinement, Flags, Status, sandbox};
use nix::sched::CloneFlags;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::time::{Duration, Instant};

/// Starts `busybox sleep 30` confined by `confinement` in a container and returns its
/// status file as seen from outside once it runs, then kills it.
///
/// The test harness is multi-threaded, so the child is made with glibc's fork(3) — whose
/// handlers leave malloc's locks usable in the child — and enters new namespaces with
/// unshare(2), rather than lesson 01's raw clone(2), which is for single-threaded programs.
fn status_of_confined_sleep(confinement: &Confinement) -> Status {
    let rootfs = namespaces::rootfs::busybox_rootfs().unwrap();
    let flags = CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWUTS | CloneFlags::CLONE_NEWIPC;
    // SAFETY: the child sets itself up, confines itself and execs, or _exit(2)s.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let code = (|| {
            nix::sched::unshare(flags).map_err(|e| format!("unshare: {e}"))?;
            sandbox::enter_busybox_root(&rootfs).map_err(|e| e.to_string())?;
            confinement.apply_in_child().map_err(|e| e.to_string())?;
            let Err(e) = nix::unistd::execv(c"/bin/sleep", &[c"sleep", c"30"]);
            Err::<(), String>(format!("exec: {e}"))
        })();
        eprintln!("confined child: {code:?}");
        // SAFETY: ends the forked child.
        unsafe { libc::_exit(1) };
    }
    let child = Pid::from_raw(pid);
    // Poll until the child has become `sleep` (execve(2) done), with a deadline.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "sleep" {
            break;
        }
        if let Ok(WaitStatus::Exited(..)) = waitpid(child, Some(WaitPidFlag::WNOHANG)) {
            panic!("the confined child failed before execve (its stderr says why)");
        }
        assert!(
            Instant::now() < deadline,
            "the confined child never ran sleep"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let status = Status::of(Some(pid)).unwrap();
    kill(child, Signal::SIGKILL).unwrap();
    waitpid(child, None).unwrap();
    status
}

#[test]
fn docker_default_confinement_survives_execve() {
    let status = status_of_confined_sleep(&Confinement::docker_default().unwrap());
    let fourteen = DEFAULT_CAPABILITIES.into_iter().collect();
    // Root regains its bounding set as permitted at execve(2): exactly Docker's 14.
    assert_eq!(status.caps.bounding, fourteen);
    assert_eq!(status.caps.effective, fourteen);
    assert_eq!(status.seccomp_mode, 2);
    assert!(
        !status.no_new_privs,
        "Docker leaves no_new_privs off by default"
    );
}

#[test]
fn no_new_privileges_puts_the_filter_last_and_still_applies_it() {
    let flags = Flags {
        no_new_privileges: true,
        cap_drop: vec!["ALL".into()],
        ..Flags::default()
    };
    let status = status_of_confined_sleep(&Confinement::from_flags(&flags).unwrap());
    assert!(status.no_new_privs);
    assert_eq!(status.seccomp_mode, 2);
    assert!(status.caps.effective.is_empty() && status.caps.bounding.is_empty());
}

#[test]
fn privileged_means_every_capability_and_no_filter() {
    let flags = Flags {
        privileged: true,
        ..Flags::default()
    };
    let confinement = Confinement::from_flags(&flags).unwrap();
    assert!(confinement.seccomp.is_none() && confinement.masked_paths.is_empty());
    let status = status_of_confined_sleep(&confinement);
    assert_eq!(status.seccomp_mode, 0);
    // …unless a profile is asked for explicitly, as with Docker.
    let explicit = Flags {
        seccomp: Some(SeccompOption::Default),
        ..flags
    };
    assert!(
        Confinement::from_flags(&explicit)
            .unwrap()
            .seccomp
            .is_some()
    );
    assert_eq!(
        status.caps.bounding,
        confinement::capabilities::grantable().unwrap()
    );
}

//! seccomp checked in the kernel: a forked child installs a filter and makes one raw system
//! call; its exit code is the errno it got (0 for success). Without a filter the same call
//! must answer something else, so each check can fail.

use confinement::capabilities::capability_set;
use confinement::probe::{ALLOWED_BY_DEFAULT, Probe, REFUSED_BY_DEFAULT};
use confinement::seccomp::compile::compile;
use confinement::seccomp::profile::Profile;
use confinement::seccomp::{Filter, SeccompOption};

/// Forks; the child installs `filter` (if any), makes the probe's call and exits with its
/// errno (0 on success). Only async-signal-safe work happens in the child: the filter was
/// compiled before fork(2), and installing it allocates nothing.
pub fn errno_in_child(filter: Option<&Filter>, probe: &Probe) -> i32 {
    // SAFETY: the child only calls seccomp(2), the probe's raw system call and _exit(2).
    match unsafe { libc::fork() } {
        -1 => panic!("fork: {}", std::io::Error::last_os_error()),
        0 => {
            if let Some(filter) = filter
                && filter.install().is_err()
            {
                // SAFETY: _exit(2) ends the child without running the parent's destructors.
                unsafe { libc::_exit(200) };
            }
            let rc = (probe.run)();
            let errno = if rc < 0 { nix::Error::last() as i32 } else { 0 };
            // SAFETY: as above.
            unsafe { libc::_exit(errno) }
        }
        pid => {
            let mut status = 0;
            // SAFETY: waits for our own child; `status` is a valid out-pointer.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            assert!(
                libc::WIFEXITED(status),
                "{} was killed: {status:#x}",
                probe.call
            );
            libc::WEXITSTATUS(status)
        }
    }
}

fn default_filter(cap_add: &[&str]) -> Filter {
    let add: Vec<String> = cap_add.iter().map(|s| s.to_string()).collect();
    let caps = capability_set(&add, &[], false).unwrap();
    SeccompOption::Default.filter(&caps).unwrap().unwrap()
}

#[test]
fn dockers_default_profile_refuses_every_family_with_eperm() {
    let filter = default_filter(&[]);
    let mut decisive = Vec::new();
    for probe in &REFUSED_BY_DEFAULT {
        let errno = errno_in_child(Some(&filter), probe);
        assert_eq!(
            errno,
            libc::EPERM,
            "{} ({}) got errno {errno}",
            probe.call,
            probe.family
        );
        // Without the filter the kernel must answer otherwise, or this probe proves nothing
        // here (in a chroot, for one, the kernel itself refuses unshare(CLONE_NEWUSER)).
        if errno_in_child(None, probe) != libc::EPERM {
            decisive.push(probe.family);
        }
    }
    for family in [
        "namespaces",
        "keyring",
        "BPF",
        "perf",
        "userfaultfd",
        "kexec",
        "swap",
        "clock",
        "syslog",
        "mount",
        "open_by_handle_at",
    ] {
        assert!(
            decisive.contains(&family),
            "no probe shows the filter refusing {family}"
        );
    }
}

#[test]
fn without_a_filter_the_ordinary_calls_and_most_probes_get_through() {
    for probe in &ALLOWED_BY_DEFAULT {
        assert_eq!(errno_in_child(None, probe), 0, "{}", probe.call);
    }
}

#[test]
fn dockers_default_profile_keeps_ordinary_calls_working() {
    let filter = default_filter(&[]);
    for probe in &ALLOWED_BY_DEFAULT {
        assert_eq!(
            errno_in_child(Some(&filter), probe),
            0,
            "{} was refused",
            probe.call
        );
    }
}

fn probe_named(call: &str) -> &'static Probe {
    REFUSED_BY_DEFAULT
        .iter()
        .find(|p| p.call.starts_with(call))
        .unwrap()
}

#[test]
fn added_capabilities_bring_their_system_calls_back() {
    for (cap, calls) in [
        (
            "SYS_ADMIN",
            &["unshare", "setns", "mount", "bpf", "perf_event_open"][..],
        ),
        ("SYS_TIME", &["clock_settime", "settimeofday"]),
        ("SYSLOG", &["syslog"]),
        ("DAC_READ_SEARCH", &["open_by_handle_at"]),
    ] {
        let relaxed = default_filter(&[cap]);
        for call in calls {
            let probe = probe_named(call);
            if errno_in_child(None, probe) == libc::EPERM {
                continue; // refused by this kernel itself: nothing to learn about the filter
            }
            let errno = errno_in_child(Some(&relaxed), probe);
            assert_ne!(errno, libc::EPERM, "{call} still refused with CAP_{cap}");
        }
    }
    // …and only those: the keyring stays closed whatever is added.
    let relaxed = default_filter(&["SYS_ADMIN"]);
    assert_eq!(
        errno_in_child(Some(&relaxed), probe_named("keyctl")),
        libc::EPERM
    );
}

#[test]
fn argument_filters_refuse_vsock_sockets_and_odd_personalities() {
    let filter = default_filter(&[]);
    let vsock = Probe {
        family: "network",
        call: "socket(AF_VSOCK)",
        // SAFETY: plain integers; a socket, if made, is closed when the child exits.
        run: || unsafe { libc::syscall(libc::SYS_socket, libc::AF_VSOCK, libc::SOCK_STREAM, 0) },
    };
    let inet = Probe {
        family: "network",
        call: "socket(AF_INET)",
        // SAFETY: as above.
        run: || unsafe { libc::syscall(libc::SYS_socket, libc::AF_INET, libc::SOCK_STREAM, 0) },
    };
    let query = Probe {
        family: "process",
        call: "personality(0xffffffff)",
        // SAFETY: 0xffffffff only asks for the current persona.
        run: || unsafe { libc::syscall(libc::SYS_personality, 0xffff_ffffu32) },
    };
    let no_randomize = Probe {
        family: "process",
        call: "personality(ADDR_NO_RANDOMIZE)",
        // SAFETY: changes this short-lived child's persona only.
        run: || unsafe { libc::syscall(libc::SYS_personality, 0x0040000) },
    };
    assert_eq!(errno_in_child(Some(&filter), &vsock), libc::EPERM);
    assert_ne!(errno_in_child(None, &vsock), libc::EPERM);
    assert_eq!(errno_in_child(Some(&filter), &inet), 0);
    assert_eq!(errno_in_child(Some(&filter), &query), 0);
    assert_eq!(errno_in_child(Some(&filter), &no_randomize), libc::EPERM);
    assert_eq!(errno_in_child(None, &no_randomize), 0);
}

#[test]
fn clone3_answers_enosys_so_the_c_library_falls_back_to_clone() {
    let clone3 = Probe {
        family: "process",
        call: "clone3(NULL, 0)",
        // SAFETY: a null argument of size 0 is refused (EINVAL) by the kernel itself.
        run: || unsafe { libc::syscall(libc::SYS_clone3, std::ptr::null::<u8>(), 0) },
    };
    assert_eq!(
        errno_in_child(Some(&default_filter(&[])), &clone3),
        libc::ENOSYS
    );
    assert_eq!(errno_in_child(None, &clone3), libc::EINVAL);
}

#[test]
fn a_rule_without_errno_ret_returns_eperm_whatever_the_default_errno() {
    // Debian's runc 1.1.5 gives `mkdir` EPERM under such a profile, not the default's ENOENT:
    // `defaultErrnoRet` is the default action's only, and a rule's SCMP_ACT_ERRNO without its
    // own `errnoRet` is EPERM.
    let text = r#"{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":2,
        "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO"}]}"#;
    let profile = Profile::parse(text, "eperm.json").unwrap();
    let caps = capability_set(&[], &[], false).unwrap();
    let filter = compile(&profile, "eperm.json", &caps).unwrap();
    let getppid = ALLOWED_BY_DEFAULT
        .iter()
        .find(|p| p.call == "getppid()")
        .unwrap();
    assert_eq!(errno_in_child(Some(&filter), getppid), libc::EPERM);
}

#[test]
fn a_custom_profile_file_loads_the_same_way_and_unconfined_means_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-getppid.json");
    std::fs::write(
        &path,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]},{"architecture":"SCMP_ARCH_AARCH64","subArchitectures":[]}],
            "syscalls":[{"names":["getppid"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#,
    )
    .unwrap();
    let caps = capability_set(&[], &[], false).unwrap();
    let option = SeccompOption::parse(path.to_str().unwrap());
    let filter = option.filter(&caps).unwrap().unwrap();
    let getppid = ALLOWED_BY_DEFAULT
        .iter()
        .find(|p| p.call == "getppid()")
        .unwrap();
    assert_eq!(errno_in_child(Some(&filter), getppid), libc::EACCES);
    assert_eq!(
        errno_in_child(Some(&filter), probe_named("keyctl")),
        0,
        "allowed by default here"
    );
    assert!(
        SeccompOption::parse("unconfined")
            .filter(&caps)
            .unwrap()
            .is_none()
    );

    std::fs::write(&path, r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_EROR"}]}"#).unwrap();
    let err = option.filter(&caps).unwrap_err().to_string();
    assert!(
        err.contains("at syscalls[0].action: unknown variant `SCMP_ACT_EROR`"),
        "{err}"
    );
    assert!(err.contains(&path.display().to_string()), "{err}");
}

#[test]
fn hand_written_filter_step_refuses_sethostname_and_the_kernel_shows_the_filter() {
    let text = super::stdout_of(env!("CARGO_BIN_EXE_03-seccomp-by-hand"), &[]);
    assert!(
        super::line(&text, "inside:")
            .starts_with("inside: sethostname before=ok after=EPERM getpid=ok"),
        "{text}"
    );
    assert_eq!(
        super::line(&text, "outside:"),
        "outside: Seccomp=2 Seccomp_filters=1 NoNewPrivs=1"
    );
}

#[test]
fn docker_profile_step_shows_eperm_for_each_family_and_ok_for_the_rest() {
    let text = super::stdout_of(env!("CARGO_BIN_EXE_04-docker-profile"), &[]);
    for probe in &REFUSED_BY_DEFAULT {
        let l = text
            .lines()
            .find(|l| l.contains(probe.call))
            .unwrap_or_else(|| panic!("{}:\n{text}", probe.call));
        assert!(l.ends_with("EPERM"), "{l}");
    }
    for probe in &ALLOWED_BY_DEFAULT {
        let l = text.lines().find(|l| l.contains(probe.call)).unwrap();
        assert!(l.ends_with(" ok"), "{l}");
    }
    assert_eq!(
        super::line(&text, "outside:"),
        "outside: Seccomp=2 Seccomp_filters=1"
    );
    let relaxed = super::stdout_of(
        env!("CARGO_BIN_EXE_04-docker-profile"),
        &["--cap-add", "SYS_ADMIN"],
    );
    // With CAP_SYS_ADMIN the filter lets setns through, and the kernel itself answers.
    let setns = super::line(&relaxed, "inside: namespaces         setns");
    assert!(setns.ends_with("EBADF"), "{setns}");
}

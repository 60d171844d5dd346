//! Step 6: device rules, on cgroup v1 (`devices.deny`/`allow`) and as a cgroup v2 BPF program.
//! A control run without rules shows that it is the rules that refuse the open.

use super::stdout_of;
use confinement::devices::cgroup::{self, Version};
use confinement::devices::{DOCKER_DEFAULT, DeviceCgroup, bpf};
use nix::sys::stat::{Mode, SFlag, makedev, mknod};

#[test]
fn devices_step_allows_mknod_and_refuses_open_on_each_version() {
    let text = stdout_of(env!("CARGO_BIN_EXE_06-devices"), &[]);
    let wanted = "inside: mknod c 1:1=ok open=EPERM; mknod c 1:3=ok open=ok";
    let versions: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("V1:") || l.starts_with("V2:"))
        .collect();
    assert!(!versions.is_empty(), "{text}");
    assert_eq!(
        text.lines().filter(|l| *l == wanted).count(),
        versions.len(),
        "{text}"
    );
    for v in versions {
        let dir = v.rsplit(' ').next().unwrap();
        assert!(!std::path::Path::new(dir).exists(), "{dir} was left behind");
    }
    if cgroup::v2_mount().unwrap().is_some() {
        assert!(
            text.contains("outside: device programs attached=1"),
            "{text}"
        );
    }
    if cgroup::v1_mount().unwrap().is_some() {
        assert!(
            text.contains("outside: devices.list = c *:* m, b *:* m, c 1:3 rwm"),
            "{text}"
        );
    }
}

/// Forks a child into `group`, which opens a fresh `c 1:11` node (`/dev/kmsg`: not in
/// Docker's list, and present on every kernel, unlike `/dev/mem`) on a tmpfs of its own
/// mount namespace and exits with the errno (0: opened).
fn open_kmsg_in(group: &DeviceCgroup) -> i32 {
    let scratch = tempfile::tempdir().unwrap();
    let node = scratch.path().join("kmsg");
    let (read_end, write_end) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
    // SAFETY: the child makes plain system calls and _exit(2)s.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        drop(write_end);
        let code = (|| {
            // Wait until the parent has moved us into the cgroup.
            nix::unistd::read(&read_end, &mut [0u8; 1]).ok()?;
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS).ok()?;
            namespaces::mounts::make_private().ok()?;
            nix::mount::mount(
                Some("tmpfs"),
                scratch.path(),
                Some("tmpfs"),
                nix::mount::MsFlags::empty(),
                None::<&str>,
            )
            .ok()?;
            mknod(
                &node,
                SFlag::S_IFCHR,
                Mode::from_bits_truncate(0o600),
                makedev(1, 11),
            )
            .ok()?;
            Some(
                std::fs::File::open(&node)
                    .err()
                    .map_or(0, |e| e.raw_os_error().unwrap_or(255)),
            )
        })();
        // SAFETY: ends the forked child.
        unsafe { libc::_exit(code.unwrap_or(254)) };
    }
    drop(read_end);
    group.add_process(pid).unwrap();
    nix::unistd::write(&write_end, &[1]).unwrap();
    let mut status = 0;
    // SAFETY: reaps our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    libc::WEXITSTATUS(status)
}

/// In a cgroup of `version`: without rules the open works; with Docker's rules it is refused.
fn rules_refuse_the_open(version: Version) {
    let name = harness::names::unique("lab07-dev");
    let group = DeviceCgroup::create(version, &name).unwrap();
    assert_eq!(open_kmsg_in(&group), 0, "without rules, root opens c 1:11");
    group.apply(&DOCKER_DEFAULT).unwrap();
    if version == Version::V2 {
        assert_eq!(bpf::attached(group.dir()).unwrap(), 1);
    }
    assert_eq!(
        open_kmsg_in(&group),
        libc::EPERM,
        "with Docker's rules, open is refused"
    );
    let dir = group.dir().to_path_buf();
    drop(group);
    assert!(!dir.exists(), "{} was left behind", dir.display());
}

#[test]
fn the_v2_device_program_is_what_refuses_the_open() {
    if cgroup::v2_mount().unwrap().is_none() {
        eprintln!("no cgroup2 mount here: nothing to check");
        return;
    }
    rules_refuse_the_open(Version::V2);
}

#[test]
fn the_v1_device_list_is_what_refuses_the_open() {
    if cgroup::v1_mount().unwrap().is_none() {
        eprintln!("no cgroup v1 devices hierarchy here (a cgroup v2 machine): nothing to check");
        return;
    }
    rules_refuse_the_open(Version::V1);
}

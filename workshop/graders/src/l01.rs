//! Graders for lesson 01 (namespaces): each runs the student's function in a child process
//! and looks at that child from outside, through `/proc/PID/ns`, `/proc/PID/uid_map` and
//! setns(2) — never at what the code printed. The mount exercises are in `l01_mounts.rs`.

use crate::kernel::{self, ChildGuard};
use crate::report::Report;
use anyhow::Context;
use namespaces::Namespace;
use namespaces::process::{Gate, spawn};
use nix::unistd::Pid;

/// 01.1: a child cloned with a random set of kinds must be in a new namespace of exactly
/// those kinds (inode of `/proc/PID/ns/KIND` differs from the grader's) and share the others.
pub fn namespace_flags(r: &mut Report) -> anyhow::Result<()> {
    let kinds: Vec<Namespace> = loop {
        let pick: Vec<Namespace> = Namespace::ALL
            .into_iter()
            .filter(|_| fastrand::bool())
            .collect();
        if !pick.is_empty() && pick.len() < Namespace::ALL.len() {
            break pick;
        }
    };
    let release = Gate::new()?;
    let child = spawn(&kinds, || i32::from(!release.wait()))?;
    let mut child = ChildGuard::new(child.pid());
    let mut new_ones = 0;
    for kind in Namespace::ALL {
        let (mine, theirs) = (kind.inode(Pid::this())?, kind.inode(child.pid)?);
        let wanted = kinds.contains(&kind);
        new_ones += usize::from(mine != theirs);
        let expect = if wanted { "a new one" } else { "the grader's" };
        let saw = format!(
            "child {0}:[{theirs}], grader {0}:[{mine}]",
            kind.proc_name()
        );
        r.check(
            format!(
                "{} namespace is {expect} (asked for {kinds:?})",
                kind.proc_name()
            ),
            saw,
            wanted == (mine != theirs),
        );
    }
    if new_ones == 0 {
        r.advise(
            "the child shares every namespace with the grader: no flag was returned",
            0,
        );
    } else {
        r.advise(
            "some kinds got the wrong namespace: add exactly one flag per kind asked for",
            1,
        );
    }
    release.open()?;
    child.wait();
    Ok(())
}

/// 01.2: a busybox container with a random hostname; the hostname is read by entering its
/// UTS namespace (nsenter(1), i.e. setns(2)), and the host's must not change.
pub fn hostname(r: &mut Report) -> anyhow::Result<()> {
    let host_before = host_name();
    let name = kernel::random_name("kit");
    let rootfs = namespaces::rootfs::busybox_rootfs()?;
    let mut spec =
        namespaces::container::ContainerSpec::new(rootfs, vec!["sleep".into(), "600".into()]);
    spec.hostname = name.clone();
    let running = namespaces::container::create(&spec)?.start()?;
    let mut child = ChildGuard::new(running.pid());
    let out = std::process::Command::new("nsenter")
        .args(["-t", &child.pid.to_string(), "-u", "hostname"])
        .output()
        .context("run nsenter(1)")?;
    let inside = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let seen = if out.status.success() {
        format!("{inside:?}")
    } else {
        format!("could not enter: the container {}", child.wait())
    };
    if !r.check(
        format!("the container's hostname is {name:?} (setns(2) into its UTS namespace)"),
        seen,
        inside == name,
    ) {
        r.advise(
            "the container still has the host's hostname: call sethostname(2) with spec.hostname",
            1,
        );
    }
    r.check(
        "the host's hostname is unchanged",
        format!("{:?}", host_name()),
        host_name() == host_before,
    );
    Ok(())
}

fn host_name() -> String {
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// 01.6: maps with random ids written for a child in a new user namespace; the kernel's
/// `/proc/PID/uid_map`, `gid_map` and `setgroups` must show them.
pub fn uid_map(r: &mut Report) -> anyhow::Result<()> {
    use namespaces::userns::{IdMap, write_id_maps};
    let random_map = || IdMap {
        inside: fastrand::u32(0..1000),
        outside: fastrand::u32(100_000..900_000),
        count: fastrand::u32(1..65_536),
    };
    let (uid, gid) = (random_map(), random_map());
    let release = Gate::new()?;
    let child = spawn(&[Namespace::User], || i32::from(!release.wait()))?;
    let mut child = ChildGuard::new(child.pid());
    if let Err(e) = write_id_maps(child.pid, uid, gid) {
        r.check("write_id_maps succeeded", e.to_string(), false);
        if e.to_string().contains("gid_map") {
            r.advise(
                "the kernel refused the gid map: write \"deny\" to setgroups first",
                1,
            );
        }
    }
    for (file, want) in [("uid_map", uid), ("gid_map", gid)] {
        let text = std::fs::read_to_string(format!("/proc/{}/{file}", child.pid))?;
        let numbers: Vec<u32> = text
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let ok = numbers == [want.inside, want.outside, want.count];
        if !r.check(
            format!("/proc/PID/{file} maps {}", want.line().trim()),
            format!("{:?}", text.trim()),
            ok,
        ) {
            r.advise(
                format!("{file} is not what was asked: write IdMap::line() to /proc/PID/{file}"),
                0,
            );
        }
    }
    let setgroups = std::fs::read_to_string(format!("/proc/{}/setgroups", child.pid))?;
    r.check(
        "/proc/PID/setgroups says deny",
        setgroups.trim().to_string(),
        setgroups.trim() == "deny",
    );
    release.open()?;
    child.wait();
    Ok(())
}

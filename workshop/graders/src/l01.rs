//! Graders for lesson 01 (namespaces): each runs the student's function in a child process
//! and looks at that child from outside, through `/proc/PID/ns`, `/proc/PID/mountinfo`,
//! `/proc/PID/root` and setns(2) — never at what the code printed.

use crate::kernel::{self, ChildGuard, Note};
use crate::report::Report;
use anyhow::Context;
use namespaces::Namespace;
use namespaces::process::{Gate, spawn};
use nix::unistd::Pid;
use std::path::Path;

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

/// 01.3: the grader makes a shared tmpfs; a child in a new mount namespace calls
/// `make_private` and mounts a tmpfs under it. The host must not see that mount, and the
/// child's copy must have no `shared:` peer group.
pub fn make_private(r: &mut Report) -> anyhow::Result<()> {
    let scratch = tempfile::Builder::new().prefix("kit-private-").tempdir()?;
    let shared = kernel::mount_tmpfs(scratch.path())?;
    nix::mount::mount(
        None::<&str>,
        &shared.0,
        None::<&str>,
        nix::mount::MsFlags::MS_SHARED,
        None::<&str>,
    )?;
    let inner = shared.0.join(kernel::random_name("inside"));
    std::fs::create_dir(&inner)?;
    let (ready, release, note) = (Gate::new()?, Gate::new()?, Note::new()?);
    let child = spawn(&[Namespace::Mount], || {
        kernel::catching(&note, || {
            if let Err(e) = namespaces::mounts::make_private() {
                note.write(&format!("make_private failed: {e}"));
                return 2;
            }
            if let Err(e) = kernel::mount_tmpfs(&inner).map(std::mem::forget) {
                note.write(&format!("the grader's tmpfs mount failed: {e}"));
                return 3;
            }
            let _ = ready.open();
            i32::from(!release.wait())
        })
    })?;
    let mut child = ChildGuard::new(child.pid());
    let _host_copy = kernel::MountGuard(inner.clone()); // in case it did propagate
    if !ready.wait() {
        let how = child.wait();
        r.check(
            "the child ran make_private and mounted a tmpfs",
            format!("it {how}: {}", note.read()),
            false,
        );
        return Ok(());
    }
    let host = kernel::mountinfo("self")?;
    let leaked = kernel::mount_at(&host, &inner).is_some();
    if !r.check(
        format!(
            "the child's tmpfs at {} stays out of the host's mountinfo",
            inner.display()
        ),
        if leaked {
            "the host sees it"
        } else {
            "absent on the host"
        },
        !leaked,
    ) {
        r.advise("the child's mount propagated to the host: its mounts are still shared — mount(2) \"/\" with MS_REC | MS_PRIVATE", 2);
    }
    let theirs = kernel::mountinfo(&child.pid.to_string())?;
    let peer = kernel::mount_at(&theirs, &shared.0)
        .map(|m| m.propagation.join(" "))
        .unwrap_or_default();
    if !r.check(
        format!(
            "the child's copy of {} has no shared peer group",
            shared.0.display()
        ),
        format!("optional fields: {peer:?}"),
        !peer.contains("shared:"),
    ) {
        r.advise(
            "propagation is still shared below /: did you use MS_REC?",
            1,
        );
    }
    release.open()?;
    child.wait();
    Ok(())
}

/// 01.4: a child in new mount and PID namespaces mounts proc on a random directory; its
/// mountinfo must show proc there with nosuid,nodev,noexec, and listing it through
/// `/proc/PID/root` must show only pid 1.
pub fn mount_proc(r: &mut Report) -> anyhow::Result<()> {
    let scratch = tempfile::Builder::new().prefix("kit-proc-").tempdir()?;
    let target = scratch.path().join(kernel::random_name("proc"));
    std::fs::create_dir(&target)?;
    let (ready, release, note) = (Gate::new()?, Gate::new()?, Note::new()?);
    let child = spawn(&[Namespace::Mount, Namespace::Pid], || {
        kernel::catching(&note, || {
            if let Err(e) = kernel::make_rprivate() {
                note.write(&format!("the grader's make-rprivate failed: {e}"));
                return 3;
            }
            if let Err(e) = namespaces::mounts::mount_proc(&target) {
                note.write(&format!("mount_proc failed: {e}"));
                return 2;
            }
            let _ = ready.open();
            i32::from(!release.wait())
        })
    })?;
    let mut child = ChildGuard::new(child.pid());
    if !ready.wait() {
        let how = child.wait();
        r.check(
            "the child ran mount_proc",
            format!("it {how}: {}", note.read()),
            false,
        );
        return Ok(());
    }
    let table = kernel::mountinfo(&child.pid.to_string())?;
    let Some(line) = kernel::mount_at(&table, &target) else {
        r.check(
            format!("a mount at {} in the child's mountinfo", target.display()),
            "none",
            false,
        );
        r.advise(
            "nothing is mounted on target: call mount(2) with type \"proc\"",
            0,
        );
        return Ok(());
    };
    if !r.check(
        "its filesystem type is proc",
        line.fs_type.clone(),
        line.fs_type == "proc",
    ) {
        r.advise("the filesystem type must be \"proc\"", 0);
    }
    let opts: Vec<&str> = line.mount_options.split(',').collect();
    let flags_ok = ["nosuid", "nodev", "noexec"]
        .iter()
        .all(|f| opts.contains(f));
    if !r.check(
        "it is mounted nosuid,nodev,noexec",
        line.mount_options.clone(),
        flags_ok,
    ) {
        r.advise(
            "a container's /proc needs MS_NOSUID | MS_NODEV | MS_NOEXEC",
            1,
        );
    }
    let through = Path::new(&format!("/proc/{}/root", child.pid)).join(target.strip_prefix("/")?);
    let mut pids: Vec<String> = std::fs::read_dir(&through)?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.chars().all(|c| c.is_ascii_digit()))
        .collect();
    pids.sort();
    r.check(
        "it lists the child's PID namespace: only pid 1",
        format!("{pids:?}"),
        pids == ["1"],
    );
    release.open()?;
    child.wait();
    Ok(())
}

/// 01.5: a child pivots into a fresh busybox root holding a random file; through
/// `/proc/PID/root` that file must be at `/`, and the child's mount table must hold only the
/// new root (the old one detached).
pub fn pivot_root(r: &mut Report) -> anyhow::Result<()> {
    let scratch = tempfile::Builder::new().prefix("kit-pivot-").tempdir()?;
    let root = scratch.path().join("rootfs");
    namespaces::rootfs::build_busybox_rootfs(&root)?;
    let (marker, content) = (
        kernel::random_name("marker"),
        kernel::random_name("content"),
    );
    std::fs::write(root.join(&marker), &content)?;
    let (ready, release, note) = (Gate::new()?, Gate::new()?, Note::new()?);
    let child = spawn(&[Namespace::Mount], || {
        kernel::catching(&note, || {
            if let Err(e) = kernel::make_rprivate() {
                note.write(&format!("the grader's make-rprivate failed: {e}"));
                return 3;
            }
            if let Err(e) = namespaces::mounts::pivot_into(&root) {
                note.write(&format!("pivot_into failed: {e}"));
                return 2;
            }
            let _ = ready.open();
            i32::from(!release.wait())
        })
    })?;
    let mut child = ChildGuard::new(child.pid());
    if !ready.wait() {
        let how = child.wait();
        let why = note.read();
        r.check(
            "the child ran pivot_into",
            format!("it {how}: {why}"),
            false,
        );
        if why.contains("EINVAL") {
            r.advise("pivot_root(2) returned EINVAL: new_root must be a mount point — bind-mount it onto itself first", 0);
        }
        return Ok(());
    }
    let seen = std::fs::read_to_string(format!("/proc/{}/root/{marker}", child.pid))
        .unwrap_or_else(|e| format!("({e})"));
    if !r.check(
        format!("the child's / holds /{marker} of the new root"),
        seen.clone(),
        seen == content,
    ) {
        r.advise(
            "the child's root is not new_root: call pivot_root(\".\", \".\") from inside it",
            1,
        );
    }
    let table = kernel::mountinfo(&child.pid.to_string())?;
    let points: Vec<&str> = table.iter().map(|m| m.mount_point.as_str()).collect();
    if !r.check(
        "the old root is detached: the child's mount table holds only /",
        format!(
            "{} mounts: {:?}",
            points.len(),
            &points[..points.len().min(4)]
        ),
        points == ["/"],
    ) {
        r.advise("the host's mounts are still in the child's table: umount2(\".\", MNT_DETACH) after pivot_root", 2);
    }
    release.open()?;
    child.wait();
    Ok(())
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

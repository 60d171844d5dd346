//! Graders for lesson 01's mount exercises: a child in a new mount namespace runs the
//! student's function, and the grader reads its `/proc/PID/mountinfo` and its files through
//! `/proc/PID/root`, and the host's own mount table.

use crate::kernel::{self, ChildGuard};
use crate::parked::Parked;
use crate::report::Report;
use namespaces::Namespace;
use namespaces::process::spawn;
use std::path::Path;

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
    let parked = Parked::new()?;
    let child = spawn(&[Namespace::Mount], || {
        kernel::catching(&parked.note, || {
            parked.park(|_| {
                namespaces::mounts::make_private()
                    .map_err(|e| format!("make_private failed: {e}"))?;
                std::mem::forget(
                    kernel::mount_tmpfs(&inner)
                        .map_err(|e| format!("the grader's tmpfs mount failed: {e}"))?,
                );
                Ok(())
            })
        })
    })?;
    let mut child = ChildGuard::new(child.pid());
    let _host_copy = kernel::MountGuard(inner.clone()); // in case it did propagate
    let Some((release, _)) = parked.wait(r, &mut child, "make_private and mounted a tmpfs") else {
        return Ok(());
    };
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
    let parked = Parked::new()?;
    let child = spawn(&[Namespace::Mount, Namespace::Pid], || {
        kernel::catching(&parked.note, || {
            parked.park(|_| {
                kernel::make_rprivate()
                    .map_err(|e| format!("the grader's make-rprivate failed: {e}"))?;
                namespaces::mounts::mount_proc(&target)
                    .map_err(|e| format!("mount_proc failed: {e}"))
            })
        })
    })?;
    let mut child = ChildGuard::new(child.pid());
    let Some((release, _)) = parked.wait(r, &mut child, "mount_proc") else {
        return Ok(());
    };
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
    let parked = Parked::new()?;
    let child = spawn(&[Namespace::Mount], || {
        kernel::catching(&parked.note, || {
            parked.park(|_| {
                kernel::make_rprivate()
                    .map_err(|e| format!("the grader's make-rprivate failed: {e}"))?;
                namespaces::mounts::pivot_into(&root).map_err(|e| format!("pivot_into failed: {e}"))
            })
        })
    })?;
    let mut child = ChildGuard::new(child.pid());
    let Some((release, _)) = parked.wait(r, &mut child, "pivot_into") else {
        if r.checks.last().is_some_and(|c| c.saw.contains("EINVAL")) {
            r.advise("pivot_root(2) returned EINVAL: new_root must be a mount point — bind-mount it onto itself first", 0);
        }
        return Ok(());
    };
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

//! Graders for lesson 07's masked and read-only paths: the student's function runs in a
//! forked child with a mount namespace of its own; the grader reads the child's mount table
//! and its files through `/proc/PID/root`, and the host's files.

use crate::kernel::{self, ChildGuard};
use crate::parked::Parked;
use crate::report::Report;
use std::path::{Path, PathBuf};

/// A child in a new, private mount namespace (unshare(2) `CLONE_NEWNS`, the grader's own).
fn own_mount_namespace() -> Result<(), String> {
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)
        .map_err(|e| format!("unshare: {e}"))?;
    kernel::make_rprivate().map_err(|e| format!("make-rprivate: {e}"))
}

fn scratch() -> anyhow::Result<tempfile::TempDir> {
    Ok(tempfile::Builder::new().prefix("kit-confine-").tempdir()?)
}

fn through_child(child: &ChildGuard, path: &Path) -> PathBuf {
    Path::new(&format!("/proc/{}/root", child.pid)).join(path.strip_prefix("/").unwrap_or(path))
}

/// 07.4: a random file and a random directory masked in a child's mount namespace: through
/// `/proc/PID/root` the file reads empty and the directory lists nothing; the host still sees both.
pub fn mask_path(r: &mut Report) -> anyhow::Result<()> {
    let dir = scratch()?;
    let (file, folder) = (
        dir.path().join(kernel::random_name("secret")),
        dir.path().join(kernel::random_name("hidden")),
    );
    let content = kernel::random_name("content");
    std::fs::write(&file, &content)?;
    std::fs::create_dir(&folder)?;
    std::fs::write(folder.join(kernel::random_name("inside")), &content)?;
    let missing = dir.path().join("not-there");
    let parked = Parked::new()?;
    let mut child = kernel::fork_child(&parked.note, || {
        parked.park(|_| {
            own_mount_namespace()?;
            for path in [&file, &folder, &missing] {
                confinement::paths::mask(path).map_err(|e| e.to_string())?;
            }
            Ok(())
        })
    })?;
    let Some((release, _)) = parked.wait(
        r,
        &mut child,
        "mask on a file, a directory and a missing path",
    ) else {
        return Ok(());
    };
    let read =
        std::fs::read_to_string(through_child(&child, &file)).unwrap_or_else(|e| format!("({e})"));
    if !r.check(
        "the masked file reads empty in the child",
        format!("{read:?}"),
        read.is_empty(),
    ) {
        r.advise("bind /dev/null over a file (MS_BIND)", 1);
    }
    let listed: Vec<_> = std::fs::read_dir(through_child(&child, &folder))?
        .flatten()
        .map(|e| e.file_name())
        .collect();
    if !r.check(
        "the masked directory lists nothing in the child",
        format!("{listed:?}"),
        listed.is_empty(),
    ) {
        r.advise("mount an empty tmpfs over a directory", 1);
    }
    r.check(
        "the host still reads the file",
        std::fs::read_to_string(&file)?,
        std::fs::read_to_string(&file)? == content,
    );
    release.open()?;
    child.wait();
    Ok(())
}

/// 07.5: a random directory made read-only in a child's mount namespace: its mount there is
/// `ro,nosuid,nodev,noexec`, creating a file in it fails with EROFS, and on the host it works.
pub fn readonly_path(r: &mut Report) -> anyhow::Result<()> {
    let dir = scratch()?;
    let target = dir.path().join(kernel::random_name("protected"));
    std::fs::create_dir(&target)?;
    let parked = Parked::new()?;
    let mut child = kernel::fork_child(&parked.note, || {
        parked.park(|note| {
            own_mount_namespace()?;
            confinement::paths::make_readonly(&target).map_err(|e| e.to_string())?;
            let tried = std::fs::write(target.join("attempt"), "x");
            note.write(&match tried {
                Ok(()) => "the write succeeded".to_string(),
                Err(e) => format!("errno {}", e.raw_os_error().unwrap_or(0)),
            });
            Ok(())
        })
    })?;
    let Some((release, note)) = parked.wait(r, &mut child, "make_readonly") else {
        return Ok(());
    };
    let table = kernel::mountinfo(&child.pid.to_string())?;
    let options = kernel::mount_at(&table, &target)
        .map(|m| m.mount_options.clone())
        .unwrap_or_else(|| "(no mount of its own)".into());
    let opts: Vec<&str> = options.split(',').collect();
    let ok = ["ro", "nosuid", "nodev", "noexec"]
        .iter()
        .all(|o| opts.contains(o));
    if !r.check(
        "the child's mount at the path is ro,nosuid,nodev,noexec",
        options.clone(),
        ok,
    ) {
        let hint = if options.starts_with('(') { 0 } else { 1 };
        r.advise("bind-mount the path onto itself, then remount that bind read-only (MS_REMOUNT | MS_BIND | MS_RDONLY …)", hint);
    }
    release.open()?;
    child.wait();
    let said = note.read();
    r.check(
        "creating a file there fails with EROFS in the child",
        said.clone(),
        said == format!("errno {}", libc::EROFS),
    );
    let host = std::fs::write(target.join("from-host"), "x");
    r.check(
        "the host can still write there",
        format!("{host:?}"),
        host.is_ok(),
    );
    Ok(())
}

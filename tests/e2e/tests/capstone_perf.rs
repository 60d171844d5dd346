//! What the start-up work of issue #14 changed, seen in the kernel: a `--rm` container's
//! overlay is mounted `volatile` (its layer is thrown away, so unmounting it must not sync the
//! upper's whole file system), a kept container's is not (its layer must survive a power cut),
//! and a `--rm` container still leaves nothing behind — not even the directories overlayfs
//! makes for a volatile mount. A removed container leaves the store in one rename(2) and its
//! files are deleted in the background — never through a mount point left inside. A container
//! enters the store in one rename(2) too, and costs as few new files as it can: on a file system
//! without a journal every new inode is paid for by a walk past the ones deleted in the last
//! minutes (the capstone chapter's "Every new file walks past the deleted ones").

mod capstone_support;

use capstone_support::{Engine, eventually, host_mounts};
use std::path::{Path, PathBuf};

/// The mount options of the container's `/`, as its own `/proc/self/mountinfo` shows them.
const ROOT_OPTIONS: &str = "awk '$5 == \"/\" { print $NF }' /proc/self/mountinfo";

#[test]
fn a_removed_containers_overlay_is_volatile_and_a_kept_ones_is_not() {
    let engine = Engine::with_busybox();
    let removed = engine.ok(&["run", "--rm", "busybox", "sh", "-c", ROOT_OPTIONS]);
    // Linux shows it as `volatile` (5.10) or `fsync=volatile` (6.6, overlayfs's fsync= option).
    assert!(removed.contains("volatile"), "{removed}");
    assert!(
        removed.contains("upperdir="),
        "the root is the overlay: {removed}"
    );

    let kept = engine.ok(&["run", "--name", "kept", "busybox", "sh", "-c", ROOT_OPTIONS]);
    assert!(
        kept.contains("upperdir="),
        "the root is the overlay: {kept}"
    );
    assert!(!kept.contains("volatile"), "{kept}");
    engine.ok(&["rm", "kept"]);

    let left: Vec<_> = std::fs::read_dir(engine.root.path().join("containers"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "nothing left behind: {left:?}");
}

/// The entries of a directory (none if it does not exist).
fn entries(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(list) => list.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn a_removed_container_leaves_the_store_at_once_and_its_files_follow() {
    let engine = Engine::with_busybox();
    let root = engine.root.path();
    // A layer with 4 MB of data, so that deleting it takes a while.
    engine.ok(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "head -c 4000000 /dev/zero > /data",
    ]);
    let left = entries(&root.join("containers"));
    assert!(left.is_empty(), "gone from the store on return: {left:?}");
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
    eventually("the removed directory to be deleted", || {
        entries(&root.join("removing")).is_empty().then_some(())
    });

    // What an `rm` killed half-way would leave: `container prune` finishes it.
    let leftover = root.join("removing/0123abcd/upper");
    std::fs::create_dir_all(&leftover).unwrap();
    std::fs::write(leftover.join("data"), vec![0u8; 100_000]).unwrap();
    let out = engine.ok(&["container", "prune", "-f"]);
    assert!(!root.join("removing/0123abcd").exists(), "{out}");
    assert!(!out.contains("Total reclaimed space: 0B"), "counted: {out}");
}

#[test]
fn a_container_is_its_layer_and_its_record_and_nothing_else_until_it_prints() {
    let engine = Engine::with_busybox();
    let root = engine.root.path();
    let id = engine.ok(&["create", "--network", "none", "busybox", "true"]);
    let id = id.trim();
    engine.ok(&["start", "-a", id]);
    let mut files: Vec<String> = entries(&root.join("containers").join(id))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    files.sort();
    // No log until the first line, no mount point (the overlay goes on the shared
    // `<runroot>/rootfs`, in the container's own mount namespace), no temporary record.
    assert_eq!(files, ["config.json", "upper", "work"]);
    assert_eq!(engine.ok(&["logs", id]), "", "a missing log reads as empty");
    // No lock file of its own either: its record's lock is a flock(2) on its directory.
    let locks = entries(&engine.runroot.path().join("locks"));
    assert!(
        locks.iter().all(|l| !l.to_string_lossy().contains(id)),
        "{locks:?}"
    );
    assert!(entries(&root.join("creating")).is_empty());

    // The first line makes the log, and `logs` and `start -a` read it as before.
    engine.ok(&["rm", id]);
    let id = engine.ok(&["run", "-d", "busybox", "echo", "hello"]);
    let id = id.trim();
    assert_eq!(engine.ok(&["wait", id]).trim(), "0");
    assert_eq!(engine.ok(&["logs", id]), "hello\n");
    assert!(
        root.join("containers")
            .join(id)
            .join(format!("{id}-json.log"))
            .exists()
    );
}

#[test]
fn on_ext4_new_containers_directories_are_spread_over_the_block_groups() {
    let engine = Engine::with_busybox();
    let creating = engine.root.path().join("creating");
    engine.ok(&["ps"]);
    let fs = nix::sys::statfs::statfs(&creating)
        .unwrap()
        .filesystem_type();
    if fs != nix::sys::statfs::EXT4_SUPER_MAGIC {
        eprintln!("skipped: the store is not on ext2/3/4 (the flag is ext4's)");
        return;
    }
    // lsattr(1) prints the flags first: `-------------T-e------- /path`.
    let out = std::process::Command::new("lsattr")
        .arg("-d")
        .arg(&creating)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout);
    let flags = out.split_whitespace().next().unwrap_or_default();
    assert!(flags.contains('T'), "chattr +T on creating/: {out}");
    // A container made there still arrives whole, wherever its directory was placed.
    let id = engine.ok(&["create", "busybox", "true"]);
    assert!(
        engine
            .root
            .path()
            .join("containers")
            .join(id.trim())
            .join("config.json")
            .exists()
    );
}

#[test]
fn a_create_that_died_half_way_is_no_container_and_prune_sweeps_it() {
    let engine = Engine::with_busybox();
    let root = engine.root.path();
    // What a `create` killed before its rename into the store leaves: a whole directory,
    // record and all, under `creating/`.
    let id = engine.ok(&["create", "--name", "whole", "busybox", "true"]);
    let half = root.join("creating").join(id.trim());
    std::fs::create_dir_all(root.join("creating")).unwrap();
    std::fs::rename(root.join("containers").join(id.trim()), &half).unwrap();
    assert_eq!(engine.ok(&["ps", "-aq"]), "", "not a container");
    // Its name is free: the record under `creating/` claims nothing.
    engine.ok(&["create", "--name", "whole", "busybox", "true"]);
    let out = engine.ok(&["container", "prune", "-f"]);
    assert!(!half.exists(), "{out}");
}

/// Detaches a bind mount wherever it ended up, even if the test fails half-way.
struct Unmount(Vec<PathBuf>);

impl Drop for Unmount {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = nix::mount::umount2(path, nix::mount::MntFlags::MNT_DETACH);
        }
    }
}

#[test]
fn removing_a_container_never_deletes_through_a_mount_left_inside_it() {
    let engine = Engine::with_busybox();
    let id = engine.ok(&["create", "busybox", "true"]).trim().to_string();
    // Someone's directory, bind-mounted (same file system, so rm's --one-file-system alone
    // would not notice it) into the container's directory on the host.
    let theirs = tempfile::tempdir().unwrap();
    std::fs::write(theirs.path().join("precious"), "keep me").unwrap();
    let inside = engine
        .root
        .path()
        .join("containers")
        .join(&id)
        .join("upper");
    let moved = engine.root.path().join("removing").join(&id).join("upper");
    let _unmount = Unmount(vec![inside.clone(), moved.clone()]);
    let bound = std::process::Command::new("mount")
        .arg("--bind")
        .arg(theirs.path())
        .arg(&inside)
        .status()
        .unwrap();
    assert!(bound.success());
    assert!(host_mounts().contains(inside.to_str().unwrap()));

    engine.ok(&["rm", &id]);
    eventually("the removed directory to be deleted", || {
        entries(&engine.root.path().join("removing"))
            .is_empty()
            .then_some(())
    });
    assert_eq!(
        std::fs::read_to_string(theirs.path().join("precious")).unwrap(),
        "keep me"
    );
    let mounts = host_mounts();
    assert!(!mounts.contains(inside.to_str().unwrap()), "{mounts}");
    assert!(!mounts.contains(moved.to_str().unwrap()), "{mounts}");
}

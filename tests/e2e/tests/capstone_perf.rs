//! What the start-up work of issue #14 changed, seen in the kernel: a `--rm` container's
//! overlay is mounted `volatile` (its layer is thrown away, so unmounting it must not sync the
//! upper's whole file system), a kept container's is not (its layer must survive a power cut),
//! and a `--rm` container still leaves nothing behind — not even the directories overlayfs
//! makes for a volatile mount. A removed container leaves the store in one rename(2) and its
//! files are deleted in the background — never through a mount point left inside.

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
        .join("merged");
    let moved = engine.root.path().join("removing").join(&id).join("merged");
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

//! What the start-up work of issue #14 changed, seen in the kernel: a `--rm` container's
//! overlay is mounted `volatile` (its layer is thrown away, so unmounting it must not sync the
//! upper's whole file system), a kept container's is not (its layer must survive a power cut),
//! and a `--rm` container still leaves nothing behind — not even the directories overlayfs
//! makes for a volatile mount.

mod capstone_support;

use capstone_support::Engine;

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

//! Each step binary, run as its own (single-threaded) process, graded on the evidence it
//! prints and on what it leaves behind: nothing mounted, nothing left in its temp dir.

use std::fs;
use std::path::Path;
use std::process::Command;

/// Run a step with `TMPDIR` pointing at a fresh dir of ours; return its stdout after checking
/// it succeeded and cleaned up after itself.
fn run_step(binary: &str) -> String {
    // A fresh, uniquely named dir (mkdtemp(3)) per run, so parallel tests never share one.
    let tmp = tempfile::Builder::new()
        .prefix("ovl-step-")
        .tempdir()
        .unwrap();
    let output = Command::new(binary)
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{binary} failed: {}\n{stdout}\n{stderr}",
        output.status
    );

    let root = fs::canonicalize(tmp.path()).unwrap();
    let mountinfo = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let leftover: Vec<&str> = mountinfo
        .lines()
        .filter(|line| line.contains(root.to_str().unwrap()))
        .collect();
    assert!(
        leftover.is_empty(),
        "{binary} left mounts behind: {leftover:?}"
    );
    let left: Vec<_> = fs::read_dir(&root).unwrap().collect();
    assert!(
        left.is_empty(),
        "{binary} left files in its temp dir: {left:?}"
    );
    stdout
}

/// The text after `marker` up to the end of that line.
fn line_after<'a>(stdout: &'a str, marker: &str) -> &'a str {
    let start = stdout
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{stdout}"));
    stdout[start + marker.len()..]
        .lines()
        .next()
        .unwrap()
        .trim()
}

#[test]
fn step_01_merged_view_shows_both_lowers_with_the_top_one_winning() {
    let out = run_step(env!("CARGO_BIN_EXE_01-merged-view"));
    assert!(out.contains("/app/main.sh      ← lower-app"), "{out}");
    assert!(out.contains("/bin/tool         ← lower-base"), "{out}");
    assert!(
        out.contains(r#"merged/etc/os-release says "NAME=app""#),
        "{out}"
    );
    assert!(out.contains(" - overlay overlay rw,lowerdir="), "{out}");
}

#[test]
fn step_02_copy_up_leaves_the_lower_file_as_it_was() {
    let out = run_step(env!("CARGO_BIN_EXE_02-copy-up"));
    let before = line_after(&out, "before the write:\n  lower ");
    let after = line_after(&out, "after writing merged/etc/motd:\n  lower ");
    assert_eq!(before, after, "the lower file changed:\n{out}");
    assert!(
        line_after(&out, "  upper  inode").ends_with(r#""changed inside the conta""#),
        "{out}"
    );
    assert!(
        out.contains("upper/data/big.bin is now 33554433 bytes"),
        "{out}"
    );
}

#[test]
fn step_03_deleting_leaves_a_0_0_whiteout_only_for_lower_files() {
    let out = run_step(env!("CARGO_BIN_EXE_03-whiteout"));
    assert!(
        line_after(&out, "upper/bin/tool:").starts_with("character device 0:0"),
        "{out}"
    );
    assert!(out.contains("whiteout: true"), "{out}");
    assert_eq!(line_after(&out, "lower/bin/tool:"), "regular file, 8 bytes");
    assert_eq!(line_after(&out, "upper/bin/scratch:"), "does not exist");
}

#[test]
fn step_04_replaced_directory_is_opaque() {
    let out = run_step(env!("CARGO_BIN_EXE_04-opaque-dir"));
    assert_eq!(line_after(&out, "merged/etc after:"), r#"["only-new"]"#);
    assert_eq!(
        line_after(&out, "lower/etc:"),
        r#"["group", "hosts", "passwd"]"#
    );
    assert!(
        out.contains(r#"trusted.overlay.opaque = Some("y") → opaque: true"#),
        "{out}"
    );
}

#[test]
fn step_05_every_container_sees_the_one_lower_inode() {
    let out = run_step(env!("CARGO_BIN_EXE_05-shared-lower"));
    let image_inode = line_after(&out, "libbig.so is inode ")
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let seen: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("container "))
        .map(|l| line_after(l, "libbig.so inode ").split(' ').next().unwrap())
        .collect();
    assert_eq!(seen, vec![image_inode.as_str(); 5], "{out}");
    let total: u64 = line_after(&out, "containers use ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        total < 2 * 16 * 1024,
        "the lower was not shared: {total} KiB\n{out}"
    );
    let bytes = |marker: &str| -> u64 {
        let value = line_after(&out, marker).split(' ').next().unwrap();
        value.parse().unwrap()
    };
    let evicted = bytes("page cache of the lower file, evicted:");
    let after_read = bytes("after container 0 read it through its overlay:");
    assert!(
        evicted < after_read,
        "the read did not fill the lower's page cache:\n{out}"
    );
    // Usually all 16 MiB; under memory pressure from other work the kernel may already have
    // reclaimed some of it again, so ask for most, not all.
    assert!(after_read >= 8 << 20, "{out}");
}

#[test]
fn step_06_diff_lists_added_changed_and_deleted() {
    let out = run_step(env!("CARGO_BIN_EXE_06-diff"));
    let diff: Vec<&str> = out
        .split("diff (like `docker diff`):\n")
        .nth(1)
        .unwrap()
        .lines()
        .map(str::trim)
        .collect();
    assert_eq!(
        diff,
        [
            "C /bin",
            "D /bin/tool",
            "C /etc",
            "C /etc/motd",
            "A /srv",
            "A /srv/latest",
            "A /srv/new.txt",
            "C /var",
            "C /var/cache",
            "D /var/cache/a",
            "D /var/cache/b",
            "A /var/cache/c",
        ]
    );
}

#[test]
fn step_07_commit_writes_whiteouts_and_the_stacked_layer_reproduces_the_view() {
    let out = run_step(env!("CARGO_BIN_EXE_07-commit"));
    assert!(out.contains("Regular 644 bin/.wh.tool"), "{out}");
    assert!(out.contains("Regular 644 var/cache/.wh..wh..opq"), "{out}");
    assert!(out.contains("same tree as container 1: true"), "{out}");
}

#[test]
fn step_08_long_options_fail_raw_and_mount_through_short_links() {
    let out = run_step(env!("CARGO_BIN_EXE_08-many-layers"));
    assert!(
        line_after(&out, "mount(2) with the full paths:").starts_with("Err("),
        "{out}"
    );
    assert!(out.contains("mounted, 120 files visible"), "{out}");
    assert!(out.contains("too many lower layers: 501 given"), "{out}");
}

#[test]
fn step_09_container_on_an_overlay_root_leaves_the_image_untouched() {
    let out = run_step(env!("CARGO_BIN_EXE_09-container-root"));
    assert!(out.contains("container exited with 0"), "{out}");
    for change in [
        "A /hello.txt",
        "C /etc/passwd",
        "D /bin/vi",
        "A /var/log/app/log",
    ] {
        assert!(
            out.contains(&format!("  {change}\n")),
            "{change} missing:\n{out}"
        );
    }
    assert!(
        out.contains("image dir after the container: 0 entries differ"),
        "{out}"
    );
    assert!(Path::new("/bin/busybox").exists());
}

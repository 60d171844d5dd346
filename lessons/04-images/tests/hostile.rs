//! Hostile layers: every class of entry that has let real engines write outside the root.
//! Each test extracts into `target` and asserts that the `sentinel` directory beside it (and
//! everything else outside `target`) is exactly as it was.

mod common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};

use common::{Arena, RawTar};
use images::{ApplyOptions, Error, WhiteoutMode, apply_layer};

fn apply(arena: &Arena, tar: &[u8]) -> Result<images::ApplyReport, Error> {
    apply_layer(&arena.target, tar, &ApplyOptions::default())
}

#[test]
fn absolute_entry_names_stay_inside_the_target() {
    let a = Arena::new();
    let abs = format!("{}/keep", a.sentinel_str());
    apply(&a, &RawTar::new().file(&abs, b"pwned", 0o644).finish()).unwrap();
    // Contained: the file lands at target/<the absolute path>, like tar(1) strips the `/`.
    let inside = a.target.join(abs.trim_start_matches('/'));
    assert_eq!(fs::read(inside).unwrap(), b"pwned");
    a.assert_outside_untouched();
}

#[test]
fn dotdot_entry_names_reject_the_layer() {
    let a = Arena::new();
    let err = apply(
        &a,
        &RawTar::new()
            .file("../sentinel/keep", b"pwned", 0o644)
            .finish(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::HostileEntry { .. }), "{err}");
    let err = apply(
        &a,
        &RawTar::new()
            .file("a/../../sentinel/new", b"x", 0o644)
            .finish(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::HostileEntry { .. }), "{err}");
    a.assert_outside_untouched();
}

#[test]
fn writes_through_a_symlink_in_the_same_layer_stay_inside() {
    let a = Arena::new();
    for link in [
        a.sentinel_str(),
        "../sentinel".to_string(),
        "../../../../../../".to_string(),
    ] {
        let tar = RawTar::new()
            .symlink("evil", &link)
            .file("evil/keep", b"pwned", 0o644)
            .file("evil/sub/inner", b"pwned", 0o644)
            .finish();
        // Either contained (created under target) or refused: never outside.
        let _ = apply(&a, &tar);
        a.assert_outside_untouched();
    }
}

#[test]
fn symlink_planted_by_an_earlier_layer_is_resolved_inside_the_root() {
    let a = Arena::new();
    apply(
        &a,
        &RawTar::new().symlink("etc", &a.sentinel_str()).finish(),
    )
    .unwrap();
    // Layer 2 writes etc/keep: resolved with RESOLVE_IN_ROOT, `etc` points at
    // <target>/<sentinel path>, which does not exist, so the layer is refused.
    let r = apply(
        &a,
        &RawTar::new().file("etc/keep", b"pwned", 0o644).finish(),
    );
    assert!(r.is_err());
    a.assert_outside_untouched();
    // A layer that replaces the symlink by a directory first is fine and stays inside.
    apply(
        &a,
        &RawTar::new()
            .dir("etc", 0o755)
            .file("etc/keep", b"mine", 0o644)
            .finish(),
    )
    .unwrap();
    assert_eq!(fs::read(a.target.join("etc/keep")).unwrap(), b"mine");
    a.assert_outside_untouched();
}

#[test]
fn relative_symlink_climbing_out_is_clamped_at_the_root() {
    let a = Arena::new();
    fs::create_dir_all(a.target.join("sentinel")).unwrap();
    apply(
        &a,
        &RawTar::new().symlink("up", "../../../../sentinel").finish(),
    )
    .unwrap();
    apply(
        &a,
        &RawTar::new().file("up/keep", b"contained", 0o644).finish(),
    )
    .unwrap();
    // `..` above the root stays at the root, as in a chroot: target/sentinel/keep.
    assert_eq!(
        fs::read(a.target.join("sentinel/keep")).unwrap(),
        b"contained"
    );
    a.assert_outside_untouched();
}

#[test]
fn hardlinks_cannot_point_outside() {
    let a = Arena::new();
    let err = apply(
        &a,
        &RawTar::new().hardlink("hl", "../sentinel/keep").finish(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::HostileEntry { .. }), "{err}");
    // An absolute link name is looked up inside the root, where there is no such file.
    let abs = format!("{}/keep", a.sentinel_str());
    assert!(apply(&a, &RawTar::new().hardlink("hl", &abs).finish()).is_err());
    // Through a planted symlink: still inside the root.
    apply(&a, &RawTar::new().symlink("s", &a.sentinel_str()).finish()).unwrap();
    assert!(apply(&a, &RawTar::new().hardlink("hl", "s/keep").finish()).is_err());
    assert_eq!(fs::metadata(a.sentinel.join("keep")).unwrap().nlink(), 1);
    a.assert_outside_untouched();
}

#[test]
fn writing_over_a_hardlinked_or_symlinked_name_replaces_it_instead_of_writing_through() {
    let a = Arena::new();
    let target = format!("{}/keep", a.sentinel_str());
    let tar = RawTar::new()
        .symlink("s", &target)
        .hardlink("h", "s") // links the symlink itself, not what it points to
        .file("h", b"pwned", 0o666)
        .file("s", b"pwned", 0o4777)
        .finish();
    apply(&a, &tar).unwrap();
    assert_eq!(fs::read(a.target.join("s")).unwrap(), b"pwned");
    a.assert_outside_untouched();
}

#[test]
fn chmod_chown_and_utimes_never_go_through_a_symlink() {
    let a = Arena::new();
    let target = format!("{}/keep", a.sentinel_str());
    // A symlink whose header carries an owner and a time: applied to the link (lchown,
    // utimensat with AT_SYMLINK_NOFOLLOW), never to what it points at.
    let tar = RawTar::new()
        .symlink_owned("s", &target, 4242, 42)
        .dir("d", 0o777)
        .finish();
    apply(&a, &tar).unwrap();
    let m = fs::symlink_metadata(a.target.join("s")).unwrap();
    assert!(m.file_type().is_symlink());
    assert_eq!(m.uid(), 4242);
    assert_eq!(m.mtime(), 42);
    // A directory entry over a planted symlink replaces the symlink, then chmods the new dir.
    apply(&a, &RawTar::new().symlink("t", &a.sentinel_str()).finish()).unwrap();
    apply(&a, &RawTar::new().dir("t", 0o777).finish()).unwrap();
    assert!(fs::symlink_metadata(a.target.join("t")).unwrap().is_dir());
    a.assert_outside_untouched();
}

#[test]
fn whiteouts_naming_dot_or_dotdot_are_refused() {
    let a = Arena::new();
    fs::create_dir(a.target.join("d")).unwrap();
    for name in ["d/.wh..", "d/.wh...", ".wh..."] {
        let err = apply(&a, &RawTar::new().file(name, b"", 0o644).finish()).unwrap_err();
        assert!(matches!(err, Error::HostileEntry { .. }), "{name}: {err}");
    }
    assert!(a.target.join("d").is_dir());
    a.assert_outside_untouched();
}

#[test]
fn whiteouts_and_opaque_markers_through_a_symlink_delete_nothing_outside() {
    let a = Arena::new();
    apply(
        &a,
        &RawTar::new()
            .symlink("s", &a.sentinel_str())
            .symlink("r", "../sentinel")
            .finish(),
    )
    .unwrap();
    let tar = RawTar::new()
        .file("s/.wh.keep", b"", 0o644)
        .file("s/.wh..wh..opq", b"", 0o644)
        .file("r/.wh.sub", b"", 0o644)
        .file("r/.wh..wh..opq", b"", 0o644)
        .finish();
    let _ = apply(&a, &tar);
    a.assert_outside_untouched();
    // And in overlay mode (whiteouts become device nodes) just the same.
    let opts = ApplyOptions {
        whiteouts: WhiteoutMode::Overlay,
        ..ApplyOptions::default()
    };
    let _ = apply_layer(&a.target, &tar[..], &opts);
    a.assert_outside_untouched();
}

#[test]
fn setuid_bits_are_kept_as_the_image_says() {
    let a = Arena::new();
    apply(
        &a,
        &RawTar::new()
            .file_owned("bin/su", b"#!", 0o4755, 0, 0)
            .file_owned("bin/sg", b"#!", 0o2711, 0, 5)
            .finish(),
    )
    .unwrap();
    let su = fs::metadata(a.target.join("bin/su")).unwrap();
    assert_eq!(su.mode() & 0o7777, 0o4755);
    let sg = fs::metadata(a.target.join("bin/sg")).unwrap();
    assert_eq!(sg.mode() & 0o7777, 0o2711);
    assert_eq!(sg.gid(), 5);
}

#[test]
fn device_nodes_only_when_allowed() {
    let a = Arena::new();
    let tar = RawTar::new().char_dev("dev/null", 1, 3).finish();
    let no_devices = ApplyOptions {
        devices: false,
        ..ApplyOptions::default()
    };
    let report = apply_layer(&a.target, &tar[..], &no_devices).unwrap();
    assert_eq!(report.skipped_devices, 1);
    assert!(!a.target.join("dev/null").exists());
    // As root in the initial user namespace (this machine), the default creates it.
    assert!(!images::apply::in_user_namespace());
    apply(&a, &tar).unwrap();
    let m = fs::symlink_metadata(a.target.join("dev/null")).unwrap();
    assert!(m.file_type().is_char_device());
    assert_eq!(m.rdev(), nix::sys::stat::makedev(1, 3));
}

#[test]
fn device_nodes_are_skipped_inside_a_user_namespace() {
    const CHILD: &str = "IMAGES_TEST_IN_USERNS";
    if std::env::var_os(CHILD).is_some() {
        // We are the re-executed test, "root" inside a fresh user namespace: mknod(2) of a
        // device would fail there anyway (and must not be attempted with the host's trust).
        assert!(images::apply::in_user_namespace());
        assert!(!ApplyOptions::default().devices);
        let a = Arena::new();
        let report = apply(&a, &RawTar::new().char_dev("dev/sda", 8, 0).finish()).unwrap();
        assert_eq!(report.skipped_devices, 1);
        assert!(!a.target.join("dev/sda").exists());
        return;
    }
    let out = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user"])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "device_nodes_are_skipped_inside_a_user_namespace",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("run unshare(1) from util-linux");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran the test: {stdout}"
    );
}

#[test]
fn overlay_metadata_from_a_tar_never_becomes_live() {
    let a = Arena::new();
    let tar = RawTar::new()
        .pax(&[
            ("SCHILY.xattr.trusted.overlay.opaque", b"y"),
            ("SCHILY.xattr.user.note", b"kept"),
        ])
        .dir("d", 0o755)
        .pax(&[("SCHILY.xattr.trusted.overlay.redirect", b"/etc")])
        .file("f", b"x", 0o644)
        .char_dev("fake-whiteout", 0, 0)
        .finish();
    let opts = ApplyOptions {
        whiteouts: WhiteoutMode::Overlay,
        ..ApplyOptions::default()
    };
    let report = apply_layer(&a.target, &tar[..], &opts).unwrap();
    assert_eq!(report.dropped_overlay_metadata, 3);
    assert_eq!(xattr(&a.target.join("d"), "trusted.overlay.opaque"), None);
    assert_eq!(xattr(&a.target.join("f"), "trusted.overlay.redirect"), None);
    assert_eq!(
        xattr(&a.target.join("d"), "user.note").as_deref(),
        Some(&b"kept"[..])
    );
    assert!(!a.target.join("fake-whiteout").exists());
}

#[test]
fn decompression_bomb_fails_cleanly_at_the_bound() {
    use std::io::Write;
    let a = Arena::new();
    let big = vec![0u8; 8 << 20];
    let tar = RawTar::new().file("zeros", &big, 0o644).finish();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&tar).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(
        bomb.len() < 64 << 10,
        "8 MiB of zeros compress to {} bytes",
        bomb.len()
    );
    let opts = ApplyOptions {
        max_bytes: 1 << 20,
        ..ApplyOptions::default()
    };
    let err = apply_layer(&a.target, flate2::read::GzDecoder::new(&bomb[..]), &opts).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit } if limit == 1 << 20),
        "{err}"
    );
    a.assert_outside_untouched();
}

/// An extended attribute of `path` itself (not following a symlink).
fn xattr(path: &std::path::Path, name: &str) -> Option<Vec<u8>> {
    xattr::get(path, name).unwrap()
}

//! The library against the real kernel: every test mounts real overlays in its own scratch
//! dir; `Mounted` guards unmount them on every path, panics included.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use nix::sys::stat::{UtimensatFlags, utimensat};
use nix::sys::time::TimeSpec;
use overlay::apply::{apply_layer, unpack_as_lower};
use overlay::layer::write_layer;
use overlay::scratch::{Scratch, write_file};
use overlay::tree::Tree;
use overlay::whiteout::{OPAQUE_XATTR, is_opaque, oci_to_overlay, overlay_to_oci};
use overlay::{Change, ChangeKind, Error, Mounted, Overlay, changes};

/// Two lower layers, `app` (top) over `base`, every entry with an old fixed mtime.
struct Fixture {
    lab: Scratch,
    app: PathBuf,
    base: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let lab = Scratch::new().unwrap();
        let base = lab.dir("lower-base").unwrap();
        let app = lab.dir("lower-app").unwrap();
        write_file(&base.join("bin/tool"), "tool\n").unwrap();
        fs::set_permissions(base.join("bin/tool"), fs::Permissions::from_mode(0o755)).unwrap();
        write_file(&base.join("bin/keep"), "keep\n").unwrap();
        write_file(&base.join("etc/motd"), "base motd\n").unwrap();
        write_file(&base.join("etc/secret"), "secret\n").unwrap();
        fs::set_permissions(base.join("etc/secret"), fs::Permissions::from_mode(0o600)).unwrap();
        write_file(&base.join("var/cache/a"), "a\n").unwrap();
        write_file(&base.join("lib/libc.so"), "libc\n").unwrap();
        symlink("libc.so", base.join("lib/libc.so.6")).unwrap();
        write_file(&base.join("usr/share/doc/readme"), "docs\n").unwrap();
        write_file(&base.join("data/hard1"), "linked\n").unwrap();
        fs::hard_link(base.join("data/hard1"), base.join("data/hard2")).unwrap();
        write_file(&app.join("etc/motd"), "app motd\n").unwrap();
        write_file(&app.join("app/run.sh"), "#!/bin/sh\n").unwrap();
        write_file(&app.join("var/cache/b"), "b\n").unwrap();
        for layer in [&base, &app] {
            set_old_mtimes(layer);
        }
        Fixture { lab, app, base }
    }

    fn lowers(&self) -> Vec<PathBuf> {
        vec![self.app.clone(), self.base.clone()]
    }

    /// Mount a fresh container `name` over the two lowers: (guard, upper dir).
    fn container(&self, name: &str) -> (Mounted, PathBuf) {
        let (upper, work, merged) = self.lab.overlay_dirs(name).unwrap();
        let mounted = Overlay::new(self.lowers(), &upper, &work)
            .mount(&merged)
            .unwrap();
        (mounted, upper)
    }
}

/// Every entry under `root` gets mtime 2001-09-09 (utimensat(2), not following symlinks).
fn set_old_mtimes(root: &Path) {
    let old = TimeSpec::new(1_000_000_000, 0);
    for path in Tree::read(root).unwrap().0.keys() {
        utimensat(
            nix::fcntl::AT_FDCWD,
            &root.join(path),
            &old,
            &old,
            UtimensatFlags::NoFollowSymlink,
        )
        .unwrap();
    }
}

/// The scripted edits, made through the merged view `m`.
fn scripted_edits(m: &Path) {
    fs::write(m.join("etc/motd"), "container motd\n").unwrap();
    fs::set_permissions(m.join("etc/secret"), fs::Permissions::from_mode(0o640)).unwrap();
    fs::remove_file(m.join("bin/tool")).unwrap();
    fs::remove_dir_all(m.join("var/cache")).unwrap();
    write_file(&m.join("var/cache/c"), "c\n").unwrap();
    write_file(&m.join("srv/new.txt"), "new\n").unwrap();
    symlink("new.txt", m.join("srv/latest")).unwrap();
    fs::hard_link(m.join("srv/new.txt"), m.join("srv/new-link")).unwrap();
    fs::remove_file(m.join("lib/libc.so.6")).unwrap();
    symlink("libc.so.new", m.join("lib/libc.so.6")).unwrap();
    fs::remove_dir_all(m.join("usr/share/doc")).unwrap();
    xattr::set(m.join("app/run.sh"), "user.note", b"hello").unwrap();
    fs::rename(m.join("data/hard1"), m.join("data/renamed")).unwrap();
}

fn is_mounted(path: &Path) -> bool {
    let path = fs::canonicalize(path).unwrap();
    fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|line| line.split(' ').nth(4) == Some(path.to_str().unwrap()))
}

#[test]
fn writes_through_the_merged_view_leave_lower_bytes_modes_and_mtimes_unchanged() {
    let fx = Fixture::new();
    let before = (Tree::read(&fx.base).unwrap(), Tree::read(&fx.app).unwrap());
    let (mounted, upper) = fx.container("c");
    scripted_edits(mounted.target());
    mounted.unmount().unwrap();

    let after = (Tree::read(&fx.base).unwrap(), Tree::read(&fx.app).unwrap());
    assert_eq!(
        before.0.differences(&after.0),
        Vec::<PathBuf>::new(),
        "base changed"
    );
    assert_eq!(
        before.1.differences(&after.1),
        Vec::<PathBuf>::new(),
        "app changed"
    );
    // The upper dir holds the copied-up file with the new bytes and the new mode.
    assert_eq!(
        fs::read_to_string(upper.join("etc/motd")).unwrap(),
        "container motd\n"
    );
    let secret = fs::metadata(upper.join("etc/secret")).unwrap();
    assert_eq!(secret.mode() & 0o7777, 0o640);
    assert_eq!(
        fs::read_to_string(upper.join("etc/secret")).unwrap(),
        "secret\n"
    );
}

#[test]
fn deleting_a_lower_file_leaves_a_0_0_character_device_in_upper() {
    let fx = Fixture::new();
    let (mounted, upper) = fx.container("c");
    fs::remove_file(mounted.target().join("bin/tool")).unwrap();

    let meta = fs::symlink_metadata(upper.join("bin/tool")).unwrap();
    assert!(
        meta.file_type().is_char_device(),
        "whiteout is {:?}",
        meta.file_type()
    );
    assert_eq!(
        (
            nix::sys::stat::major(meta.rdev()),
            nix::sys::stat::minor(meta.rdev())
        ),
        (0, 0)
    );
    assert!(!mounted.target().join("bin/tool").exists());
    assert!(fx.base.join("bin/tool").is_file());
}

#[test]
fn replacing_a_directory_sets_the_opaque_xattr_and_hides_lower_entries() {
    let fx = Fixture::new();
    let (mounted, upper) = fx.container("c");
    let m = mounted.target();
    fs::remove_dir_all(m.join("var/cache")).unwrap();
    write_file(&m.join("var/cache/c"), "c\n").unwrap();

    let value = xattr::get(upper.join("var/cache"), OPAQUE_XATTR).unwrap();
    assert_eq!(value.as_deref(), Some(&b"y"[..]));
    let names: Vec<_> = fs::read_dir(m.join("var/cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["c"]);
}

#[test]
fn diff_of_the_scripted_edits_is_exactly_right() {
    use ChangeKind::{Added as A, Changed as C, Deleted as D};
    let fx = Fixture::new();
    let (mounted, upper) = fx.container("c");
    scripted_edits(mounted.target());

    let got = changes(&upper, &fx.lowers()).unwrap();
    let want: Vec<Change> = [
        (C, "/app"),
        (C, "/app/run.sh"),
        (C, "/bin"),
        (D, "/bin/tool"),
        (C, "/data"),
        (D, "/data/hard1"),
        (A, "/data/renamed"),
        (C, "/etc"),
        (C, "/etc/motd"),
        (C, "/etc/secret"),
        (C, "/lib"),
        (C, "/lib/libc.so.6"),
        (A, "/srv"),
        (A, "/srv/latest"),
        (A, "/srv/new-link"),
        (A, "/srv/new.txt"),
        (C, "/usr"),
        (C, "/usr/share"),
        (D, "/usr/share/doc"),
        (C, "/var"),
        (C, "/var/cache"),
        (D, "/var/cache/a"),
        (D, "/var/cache/b"),
        (A, "/var/cache/c"),
    ]
    .into_iter()
    .map(|(kind, path)| Change {
        kind,
        path: path.into(),
    })
    .collect();
    assert_eq!(got, want);
}

/// Paths and PAX records of every entry of a tar.
fn tar_entries(bytes: &[u8]) -> Vec<(String, tar::EntryType, Vec<String>)> {
    let mut archive = tar::Archive::new(bytes);
    let mut out = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let keys = match entry.pax_extensions().unwrap() {
            Some(pax) => pax
                .map(|ext| ext.unwrap().key().unwrap().to_string())
                .collect(),
            None => Vec::new(),
        };
        let path = entry.path().unwrap().display().to_string();
        out.push((path, entry.header().entry_type(), keys));
    }
    out
}

fn layer_of(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_layer(dir, &mut bytes).unwrap();
    bytes
}

#[test]
fn committed_layer_carries_whiteouts_and_applied_on_the_lowers_reproduces_the_merged_view() {
    let fx = Fixture::new();
    let (mounted, upper) = fx.container("c");
    scripted_edits(mounted.target());
    let committed = layer_of(&upper);

    let entries = tar_entries(&committed);
    let paths: Vec<&str> = entries.iter().map(|(p, _, _)| p.as_str()).collect();
    for whiteout in [
        "bin/.wh.tool",
        "data/.wh.hard1",
        "usr/share/.wh.doc",
        "var/cache/.wh..wh..opq",
    ] {
        assert!(
            paths.contains(&whiteout),
            "{whiteout} missing from {paths:?}"
        );
    }
    let keys: Vec<&String> = entries.iter().flat_map(|(_, _, keys)| keys).collect();
    assert!(
        keys.iter().all(|k| !k.contains("trusted.overlay")),
        "overlay xattrs leaked: {keys:?}"
    );
    assert!(
        keys.iter().any(|k| *k == "SCHILY.xattr.user.note"),
        "user xattr lost: {keys:?}"
    );
    let links = entries
        .iter()
        .filter(|(_, kind, _)| *kind == tar::EntryType::Link)
        .count();
    assert_eq!(
        links, 1,
        "srv/new-link should be a hard link entry: {entries:?}"
    );

    // Flatten: base, then app, then the committed layer, onto an empty dir.
    let flat = fx.lab.dir("flattened").unwrap();
    for layer in [&fx.base, &fx.app] {
        apply_layer(&layer_of(layer)[..], &flat).unwrap();
    }
    apply_layer(&committed[..], &flat).unwrap();

    let merged_view = Tree::read(mounted.target()).unwrap().without_mtimes();
    let flat_view = Tree::read(&flat).unwrap().without_mtimes();
    assert_eq!(merged_view.differences(&flat_view), Vec::<PathBuf>::new());
    assert_eq!(
        xattr::get(flat.join("app/run.sh"), "user.note")
            .unwrap()
            .as_deref(),
        Some(&b"hello"[..])
    );
}

#[test]
fn committed_layer_unpacked_as_a_lower_gives_a_new_container_the_same_view() {
    let fx = Fixture::new();
    let (first, upper) = fx.container("c1");
    scripted_edits(first.target());
    let committed = fx.lab.dir("lower-committed").unwrap();
    unpack_as_lower(&layer_of(&upper)[..], &committed).unwrap();

    let whiteout = fs::symlink_metadata(committed.join("bin/tool")).unwrap();
    assert!(whiteout.file_type().is_char_device() && whiteout.rdev() == 0);
    assert!(is_opaque(&committed.join("var/cache")).unwrap());

    let (upper2, work2, merged2) = fx.lab.overlay_dirs("c2").unwrap();
    let lowers2 = vec![committed.clone(), fx.app.clone(), fx.base.clone()];
    let second = Overlay::new(&lowers2, &upper2, &work2)
        .mount(&merged2)
        .unwrap();
    let first_view = Tree::read(first.target()).unwrap().without_mtimes();
    let second_view = Tree::read(second.target()).unwrap().without_mtimes();
    assert_eq!(first_view.differences(&second_view), Vec::<PathBuf>::new());

    // The diff of the second container sees through the committed layer's whiteouts.
    fs::remove_file(second.target().join("srv/new.txt")).unwrap();
    write_file(&second.target().join("bin/tool"), "back\n").unwrap();
    let got: Vec<String> = changes(&upper2, &lowers2)
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(got, ["C /bin", "A /bin/tool", "C /srv", "D /srv/new.txt"]);
}

#[test]
fn oci_and_overlay_whiteouts_convert_both_ways() {
    let fx = Fixture::new();
    let (mounted, upper) = fx.container("c");
    scripted_edits(mounted.target());
    mounted.unmount().unwrap();
    let original = Tree::read(&upper).unwrap().without_mtimes();

    overlay_to_oci(&upper).unwrap();
    let oci = Tree::read(&upper).unwrap();
    assert!(oci.0.contains_key(Path::new("bin/.wh.tool")));
    assert!(oci.0.contains_key(Path::new("var/cache/.wh..wh..opq")));
    assert!(!oci.0.contains_key(Path::new("bin/tool")));
    assert!(!is_opaque(&upper.join("var/cache")).unwrap());

    oci_to_overlay(&upper).unwrap();
    assert_eq!(
        original.differences(&Tree::read(&upper).unwrap().without_mtimes()),
        Vec::<PathBuf>::new()
    );
    assert!(is_opaque(&upper.join("var/cache")).unwrap());
}

#[test]
fn many_layers_with_long_paths_mount_through_short_links() {
    let lab = Scratch::new().unwrap();
    let store = lab
        .dir(&"long-directory-name-for-a-layer-store/".repeat(3))
        .unwrap();
    let lowers: Vec<PathBuf> = (0..150)
        .map(|n| {
            let layer = store.join(format!("{n:03}-0123456789abcdef0123456789abcdef/diff"));
            write_file(&layer.join(format!("f{n:03}")), format!("{n}")).unwrap();
            layer
        })
        .collect();
    let (upper, work, merged) = lab.overlay_dirs("c").unwrap();
    let overlay = Overlay::new(&lowers, &upper, &work);
    assert!(overlay.options().len() > overlay::mount::option_limit());

    let mounted = overlay.mount(&merged).unwrap();
    assert_eq!(fs::read_dir(mounted.target()).unwrap().count(), 150);
    assert_eq!(fs::read_to_string(merged.join("f042")).unwrap(), "42");
    drop(mounted);
    assert!(!is_mounted(&merged));
}

#[test]
fn too_many_layers_fail_with_an_error_naming_the_limit() {
    let lab = Scratch::new().unwrap();
    let lower = lab.dir("lower").unwrap();
    let (upper, work, merged) = lab.overlay_dirs("c").unwrap();
    let err = Overlay::new(vec![&lower; 501], &upper, &work)
        .mount(&merged)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::TooManyLayers {
                count: 501,
                max: 500
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("at most 500"), "{err}");
    assert!(!is_mounted(&merged));
}

#[test]
fn upper_on_an_overlay_is_refused_with_a_clear_error() {
    let fx = Fixture::new();
    let (outer, _) = fx.container("outer");
    let upper = outer.target().join("upper");
    let work = outer.target().join("work");
    fs::create_dir(&upper).unwrap();
    fs::create_dir(&work).unwrap();
    let target = fx.lab.dir("inner-merged").unwrap();

    let err = Overlay::new([&fx.base], &upper, &work)
        .mount(&target)
        .unwrap_err();
    assert!(matches!(err, Error::UpperOnOverlay { .. }), "{err:?}");
    assert!(err.to_string().contains("ext4, xfs or tmpfs"), "{err}");
    // Our check matches the kernel: asked directly, it refuses with EINVAL.
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        fx.base.display(),
        upper.display(),
        work.display()
    );
    let raw = nix::mount::mount(
        Some("overlay"),
        &target,
        Some("overlay"),
        nix::mount::MsFlags::empty(),
        Some(options.as_str()),
    );
    if raw.is_ok() {
        // Not expected; never leave it mounted.
        nix::mount::umount2(&target, nix::mount::MntFlags::MNT_DETACH).unwrap();
    }
    assert_eq!(raw, Err(nix::errno::Errno::EINVAL));
    assert!(!is_mounted(&target));
}

#[test]
fn a_missing_lower_is_named_in_the_error_and_nothing_is_mounted() {
    let lab = Scratch::new().unwrap();
    let (upper, work, merged) = lab.overlay_dirs("c").unwrap();
    let missing = lab.path().join("no-such-layer");
    let err = Overlay::new([&missing], &upper, &work)
        .mount(&merged)
        .unwrap_err();
    assert!(
        matches!(&err, Error::MissingDir { role: "lower", path } if *path == missing),
        "{err:?}"
    );
    assert!(err.to_string().contains("no-such-layer"), "{err}");
    assert!(!is_mounted(&merged));
}

#[test]
fn the_mount_guard_unmounts_when_the_test_panics() {
    let fx = Fixture::new();
    let (upper, work, merged) = fx.lab.overlay_dirs("c").unwrap();
    let result = std::panic::catch_unwind(|| {
        let _mounted = Overlay::new(fx.lowers(), &upper, &work)
            .mount(&merged)
            .unwrap();
        assert!(is_mounted(&merged));
        panic!("a failing test");
    });
    assert!(result.is_err());
    assert!(!is_mounted(&merged));
}

/// A tar with the given entries: (path, target of a symlink or None for a small file). Paths
/// are written into the header bytes directly, so `..` goes in unchecked, as an attacker would.
fn hostile_tar(entries: &[(&str, Option<&Path>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, link) in entries {
        let mut header = tar::Header::new_old();
        header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(1);
        match link {
            Some(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_link_name(target).unwrap();
                header.set_size(0);
                header.set_cksum();
                builder.append(&header, std::io::empty()).unwrap();
            }
            None => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(6);
                header.set_cksum();
                builder.append(&header, &b"owned\n"[..]).unwrap();
            }
        }
    }
    builder.into_inner().unwrap()
}

#[test]
fn applying_a_layer_refuses_to_touch_anything_outside_the_target() {
    let lab = Scratch::new().unwrap();
    let outside = lab.dir("outside").unwrap();
    write_file(&outside.join("victim"), "precious\n").unwrap();
    let attacks = [
        hostile_tar(&[("../escape", None)]),
        hostile_tar(&[("evil", Some(&outside)), ("evil/.wh.victim", None)]),
        hostile_tar(&[("evil", Some(&outside)), ("evil/victim", None)]),
    ];
    for (n, layer) in attacks.iter().enumerate() {
        let dest = lab.dir(&format!("dest-{n}")).unwrap();
        let err = apply_layer(&layer[..], &dest).unwrap_err();
        assert!(
            matches!(err, Error::UnsafePath { .. }),
            "attack {n}: {err:?}"
        );
        assert_eq!(
            fs::read_to_string(outside.join("victim")).unwrap(),
            "precious\n"
        );
        assert!(!lab.path().join("escape").exists());
    }
}

#[test]
fn gnu_tar_reads_the_committed_layer_with_its_whiteouts_links_and_xattrs() {
    let fx = Fixture::new();
    let (mounted, upper) = fx.container("c");
    scripted_edits(mounted.target());
    let tar_path = fx.lab.path().join("layer.tar");
    fs::write(&tar_path, layer_of(&upper)).unwrap();

    // A peer we did not write: GNU tar lists and extracts the layer.
    let listing = std::process::Command::new("tar")
        .arg("-tvf")
        .arg(&tar_path)
        .output()
        .unwrap();
    assert!(
        listing.status.success(),
        "{}",
        String::from_utf8_lossy(&listing.stderr)
    );
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("bin/.wh.tool"), "{listing}");
    assert!(listing.contains("var/cache/.wh..wh..opq"), "{listing}");
    assert!(listing.contains("srv/latest -> new.txt"), "{listing}");
    assert!(listing.contains("link to srv/"), "{listing}");

    let out = fx.lab.dir("gnu-extracted").unwrap();
    let extract = std::process::Command::new("tar")
        .args(["--xattrs", "--xattrs-include=user.*", "-xf"])
        .arg(&tar_path)
        .arg("-C")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        extract.status.success(),
        "{}",
        String::from_utf8_lossy(&extract.stderr)
    );
    assert_eq!(
        xattr::get(out.join("app/run.sh"), "user.note")
            .unwrap()
            .as_deref(),
        Some(&b"hello"[..])
    );
    assert_eq!(
        fs::metadata(out.join("etc/secret")).unwrap().mode() & 0o7777,
        0o640
    );
}

#[test]
fn layer_paths_with_colons_and_commas_mount_through_short_links() {
    let lab = Scratch::new().unwrap();
    // `:` separates lowerdir entries and `,` separates options: passed as they are, these
    // paths would be split in the wrong places.
    let top = lab.dir("layer:top,v2").unwrap();
    let bottom = lab.dir("layer:bottom").unwrap();
    write_file(&top.join("from-top"), "t").unwrap();
    write_file(&bottom.join("from-bottom"), "b").unwrap();
    let (upper, work, merged) = lab.overlay_dirs("c").unwrap();

    let mounted = Overlay::new([&top, &bottom], &upper, &work)
        .mount(&merged)
        .unwrap();
    assert!(
        overlay::overlay_available().unwrap(),
        "an overlay is mounted, yet /proc/filesystems lacks it"
    );
    assert_eq!(
        fs::read_to_string(mounted.target().join("from-top")).unwrap(),
        "t"
    );
    assert_eq!(
        fs::read_to_string(mounted.target().join("from-bottom")).unwrap(),
        "b"
    );
}

#[test]
fn applied_directories_keep_the_mtime_from_the_layer() {
    let lab = Scratch::new().unwrap();
    let dir = lab.dir("d").unwrap();
    write_file(&dir.join("inner/file"), "x").unwrap();
    set_old_mtimes(lab.path());
    let old_dir_mtime = fs::metadata(&dir).unwrap().mtime();
    let layer = layer_of(lab.path());

    let dest = Scratch::new().unwrap();
    apply_layer(&layer[..], dest.path()).unwrap();
    // The files inside were created after their directories, and yet:
    assert_eq!(
        fs::metadata(dest.path().join("d")).unwrap().mtime(),
        old_dir_mtime
    );
    assert_eq!(
        fs::metadata(dest.path().join("d/inner")).unwrap().mtime(),
        1_000_000_000
    );
}

/// The super options of the mount at `path` (after ` - TYPE SOURCE ` in mountinfo).
fn super_options(path: &Path) -> String {
    let path = fs::canonicalize(path).unwrap();
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let line = (info.lines())
        .find(|line| line.split(' ').nth(4) == Some(path.to_str().unwrap()))
        .unwrap_or_else(|| panic!("{} is not mounted", path.display()));
    let after = line.split(" - ").nth(1).unwrap();
    after.split(' ').nth(2).unwrap().to_string()
}

#[test]
fn a_volatile_overlay_is_never_synced_and_its_work_dir_keeps_the_mark() {
    let lab = Scratch::new().unwrap();
    let lower = lab.dir("lower").unwrap();
    write_file(&lower.join("f"), "lower").unwrap();
    // Both ways of mounting: the paths as they are, and (a `,` in the path) short links.
    for name in ["plain", "short,links"] {
        let (upper, work, merged) = lab.overlay_dirs(name).unwrap();
        let mut overlay = Overlay::new([&lower], &upper, &work);
        let ordinary = overlay.mount(&merged).unwrap();
        assert!(!super_options(&merged).contains("volatile"), "{name}");
        ordinary.unmount().unwrap();
        assert!(!work.join("work/incompat/volatile").exists(), "{name}");

        overlay.volatile = true;
        let volatile = overlay.mount(&merged).unwrap();
        let options = super_options(&merged);
        // Linux 6.x shows it as `fsync=volatile`, earlier kernels as `volatile`.
        let shown = |o: &str| o == "volatile" || o == "fsync=volatile";
        assert!(options.split(',').any(shown), "{name}: {options}");
        write_file(&merged.join("new"), "written").unwrap();
        volatile.unmount().unwrap();
        assert_eq!(fs::read_to_string(upper.join("new")).unwrap(), "written");
        // The kernel's mark: this upper may have lost writes, so it is never mounted again.
        assert!(work.join("work/incompat/volatile").is_dir(), "{name}");
        overlay.volatile = false;
        assert!(overlay.mount(&merged).is_err(), "{name}: mounted again");
        assert!(!is_mounted(&merged), "{name}");
    }
}

//! Interop with software we did not write: images made by `umoci` are read by our code and
//! unpack to the same tree as `umoci unpack`; images we write are accepted by `skopeo` and
//! `umoci`; `docker save` archives round-trip (and are read by `skopeo`).

mod common;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::snapshot;
use images::{ApplyOptions, ImportOptions, Store, archive, import_dir, layout};

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} is not installed ({e}): run scripts/setup-host.sh"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A small busybox root file system with the entry types worth comparing.
fn busybox_tree(dest: &Path) {
    for d in ["bin", "etc", "opt/old", "home/user", "tmp"] {
        fs::create_dir_all(dest.join(d)).unwrap();
    }
    fs::copy("/bin/busybox", dest.join("bin/busybox")).unwrap();
    for applet in ["sh", "ls", "cat", "id", "env", "pwd"] {
        symlink("busybox", dest.join("bin").join(applet)).unwrap();
    }
    fs::write(
        dest.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\n",
    )
    .unwrap();
    fs::write(dest.join("etc/group"), "root:x:0:\nuser:x:1000:\n").unwrap();
    fs::write(dest.join("etc/motd"), "welcome\n").unwrap();
    fs::write(dest.join("opt/old/a"), "a").unwrap();
    fs::write(dest.join("opt/old/b"), "b").unwrap();
    fs::write(dest.join("bin/suid"), "#!/bin/sh\n").unwrap();
    fs::set_permissions(dest.join("bin/suid"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::set_permissions(dest.join("tmp"), fs::Permissions::from_mode(0o1777)).unwrap();
    std::os::unix::fs::chown(dest.join("home/user"), Some(1000), Some(1000)).unwrap();
    symlink("/etc/passwd", dest.join("etc/abs-link")).unwrap();
    fs::hard_link(dest.join("bin/busybox"), dest.join("bin/busybox-hardlink")).unwrap();
    nix::unistd::mkfifo(
        &dest.join("tmp/fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o640),
    )
    .unwrap();
}

/// An image built by umoci: the busybox tree (`umoci unpack` + copy + `umoci repack`), then
/// /etc/motd deleted (repack writes a whiteout), then /opt/old replaced opaquely by a directory
/// holding only `c` (`umoci insert --opaque`).
fn umoci_image(work: &Path) -> PathBuf {
    let layout_dir = work.join("umoci-layout");
    let l = layout_dir.to_str().unwrap();
    let image = format!("{l}:bb");
    let bundle = work.join("umoci-bundle");
    let b = bundle.to_str().unwrap();
    let newopt = work.join("newopt");
    fs::create_dir(&newopt).unwrap();
    fs::write(newopt.join("c"), "c").unwrap();
    run("umoci", &["init", "--layout", l]);
    run("umoci", &["new", "--image", &image]);
    run("umoci", &["unpack", "--image", &image, b]);
    busybox_tree(&bundle.join("rootfs"));
    run("umoci", &["repack", "--image", &image, b]);
    fs::remove_dir_all(&bundle).unwrap();
    run("umoci", &["unpack", "--image", &image, b]);
    fs::remove_file(bundle.join("rootfs/etc/motd")).unwrap();
    run("umoci", &["repack", "--image", &image, b]);
    fs::remove_dir_all(&bundle).unwrap();
    run(
        "umoci",
        &[
            "insert",
            "--image",
            &image,
            "--opaque",
            newopt.to_str().unwrap(),
            "/opt/old",
        ],
    );
    run(
        "umoci",
        &["config", "--image", &image, "--config.cmd", "/bin/sh"],
    );
    layout_dir
}

/// One file as compared: path, type, mode, uid, gid, contents or link target.
type Row = (PathBuf, &'static str, u32, u32, u32, Vec<u8>);

/// Everything but modification times (directory mtimes legitimately differ between tools).
fn tree(root: &Path) -> Vec<Row> {
    let mut v: Vec<_> = snapshot(root)
        .into_iter()
        .map(|(p, n)| (p, n.kind, n.mode, n.uid, n.gid, n.content))
        .collect();
    let root_meta = fs::metadata(root).unwrap();
    use std::os::unix::fs::MetadataExt;
    v.push((
        PathBuf::from("."),
        "dir",
        root_meta.mode() & 0o7777,
        root_meta.uid(),
        root_meta.gid(),
        vec![],
    ));
    v
}

/// The tree without its root directory's own entry (an overlay's or import's root differs).
fn below_root(t: Vec<Row>) -> Vec<Row> {
    t.into_iter().filter(|e| e.0 != Path::new(".")).collect()
}

/// Our flat unpack of `image` into `dir`, as a tree to compare.
fn our_tree(store: &Store, image: &images::Image, dir: &Path) -> Vec<Row> {
    store
        .unpack_flat(image, dir, &ApplyOptions::default())
        .unwrap();
    tree(dir)
}

/// `umoci unpack [--rootless] --image LAYOUT:TAG BUNDLE`; returns the bundle's rootfs.
fn umoci_unpack(layout_ref: &str, bundle: &Path, rootless: bool) -> PathBuf {
    let mut args = vec!["unpack"];
    if rootless {
        args.push("--rootless");
    }
    args.extend(["--image", layout_ref, bundle.to_str().unwrap()]);
    run("umoci", &args);
    bundle.join("rootfs")
}

/// `skopeo copy [extra…] FROM TO`.
fn skopeo_copy(extra: &[&str], from: &str, to: &str) {
    let mut args = vec!["copy"];
    args.extend(extra);
    args.extend([from, to]);
    run("skopeo", &args);
}

/// An extended attribute of `path` itself (not following a symlink), as overlayfs reads it.
fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    xattr::get(path, name).unwrap()
}

#[test]
fn image_made_by_umoci_unpacks_to_the_same_tree_as_umoci_unpack() {
    let work = tempfile::tempdir().unwrap();
    let l = umoci_image(work.path());
    let store = Store::open(work.path().join("store")).unwrap();
    let image = layout::load(&store, &l, Some("bb"), "localhost/umoci/bb:latest").unwrap();
    assert_eq!(image.layers.len(), 3);

    let ours = work.path().join("ours");
    let our_rows = our_tree(&store, &image, &ours);
    let theirs = umoci_unpack(
        &format!("{}:bb", l.display()),
        &work.path().join("bundle"),
        false,
    );

    assert!(
        !ours.join("etc/motd").exists(),
        "the whiteout layer removed /etc/motd"
    );
    assert!(
        ours.join("opt/old/c").exists() && !ours.join("opt/old/a").exists(),
        "opaque dir"
    );
    assert_eq!(our_rows, tree(&theirs));
}

#[test]
fn rootless_unpack_matches_umoci_unpack_rootless() {
    let work = tempfile::tempdir().unwrap();
    let l = umoci_image(work.path());
    let store = Store::open(work.path().join("store")).unwrap();
    let image = layout::load(&store, &l, Some("bb"), "bb").unwrap();
    let ours = work.path().join("ours");
    let rootless = ApplyOptions {
        owners: false,
        devices: false,
        ..ApplyOptions::default()
    };
    store.unpack_flat(&image, &ours, &rootless).unwrap();
    let theirs = umoci_unpack(
        &format!("{}:bb", l.display()),
        &work.path().join("bundle"),
        true,
    );
    assert_eq!(tree(&ours), tree(&theirs));
}

#[test]
fn per_layer_overlay_dirs_mount_to_the_same_tree_as_umoci_unpack() {
    let work = tempfile::tempdir().unwrap();
    let l = umoci_image(work.path());
    let store = Store::open(work.path().join("store")).unwrap();
    let image = layout::load(&store, &l, Some("bb"), "bb").unwrap();
    let dirs = store.unpack(&image).unwrap();
    assert_eq!(dirs.len(), 3);
    // The opaque layer marks /opt/old with trusted.overlay.opaque=y.
    assert_eq!(
        xattr(&dirs[2].join("opt/old"), "trusted.overlay.opaque").as_deref(),
        Some(&b"y"[..])
    );
    // The whiteout layer holds an overlayfs whiteout: a 0/0 character device named motd.
    let wh = fs::symlink_metadata(dirs[1].join("etc/motd")).unwrap();
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    assert!(wh.file_type().is_char_device() && wh.rdev() == 0);

    let merged = work.path().join("merged");
    fs::create_dir(&merged).unwrap();
    let lower: Vec<String> = dirs.iter().rev().map(|d| d.display().to_string()).collect();
    let _mount = ReadOnlyOverlay::mount(&lower.join(":"), &merged);
    let theirs = umoci_unpack(
        &format!("{}:bb", l.display()),
        &work.path().join("bundle"),
        false,
    );
    // The overlay root takes the top layer's root mode; compare below the root.
    assert_eq!(below_root(tree(&merged)), below_root(tree(&theirs)));
}

#[test]
fn image_written_by_us_is_accepted_by_skopeo_and_umoci() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    busybox_tree(&src);
    let store = Store::open(work.path().join("store")).unwrap();
    let opts = ImportOptions {
        cmd: vec!["/bin/sh".into()],
        ..ImportOptions::default()
    };
    let image = import_dir(&store, &src, "localhost/ours:1", &opts).unwrap();
    let out = work.path().join("layout");
    layout::save(&store, "localhost/ours:1", &out, "ours").unwrap();

    let inspect = run(
        "skopeo",
        &["inspect", &format!("oci:{}:ours", out.display())],
    );
    let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(
        v["Layers"][0].as_str().unwrap(),
        image.layers[0].digest.to_string()
    );
    assert_eq!(v["Os"], "linux");

    let theirs = umoci_unpack(
        &format!("{}:ours", out.display()),
        &work.path().join("bundle"),
        false,
    );
    let ours = our_tree(&store, &image, &work.path().join("ours"));
    assert_eq!(tree(&theirs), ours);
    // And the imported tree is the source tree.
    assert_eq!(below_root(ours), below_root(tree(&src)));
}

#[test]
fn docker_save_then_load_round_trips_and_skopeo_reads_the_archive() {
    let work = tempfile::tempdir().unwrap();
    let l = umoci_image(work.path());
    let store = Store::open(work.path().join("store")).unwrap();
    let image = layout::load(&store, &l, Some("bb"), "localhost/bb:latest").unwrap();
    let tarball = work.path().join("bb.tar");
    archive::save(
        &store,
        &["localhost/bb:latest"],
        fs::File::create(&tarball).unwrap(),
    )
    .unwrap();

    let inspect = run(
        "skopeo",
        &["inspect", &format!("docker-archive:{}", tarball.display())],
    );
    let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(v["Layers"].as_array().unwrap().len(), 3);

    let other = Store::open(work.path().join("other")).unwrap();
    let loaded = archive::load(&other, fs::File::open(&tarball).unwrap()).unwrap();
    assert_eq!(loaded.len(), 1);
    let (tag, again) = &loaded[0];
    assert_eq!(tag, "localhost/bb:latest");
    // The config is carried byte for byte, so the image ID (config digest) survives.
    assert_eq!(again.config_digest, image.config_digest);
    let ids = |i: &images::Image| {
        i.layers
            .iter()
            .map(|l| l.chain_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(again), ids(&image));
    assert_eq!(
        our_tree(&store, &image, &work.path().join("a")),
        our_tree(&other, again, &work.path().join("b"))
    );
}

#[test]
fn docker_archive_written_by_skopeo_loads() {
    let work = tempfile::tempdir().unwrap();
    let l = umoci_image(work.path());
    let tarball = work.path().join("skopeo.tar");
    skopeo_copy(
        &[],
        &format!("oci:{}:bb", l.display()),
        &format!("docker-archive:{}:example.org/bb:v1", tarball.display()),
    );
    let store = Store::open(work.path().join("store")).unwrap();
    let loaded = archive::load(&store, fs::File::open(&tarball).unwrap()).unwrap();
    assert_eq!(loaded[0].0, "example.org/bb:v1");
    let root = work.path().join("root");
    store
        .unpack_flat(&loaded[0].1, &root, &ApplyOptions::default())
        .unwrap();
    assert!(root.join("bin/busybox").is_file() && !root.join("etc/motd").exists());
}

#[test]
fn zstd_layers_recompressed_by_skopeo_unpack_to_the_same_tree() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    busybox_tree(&src);
    let store = Store::open(work.path().join("store")).unwrap();
    let image = import_dir(&store, &src, "gz", &ImportOptions::default()).unwrap();
    let gz = work.path().join("gz");
    layout::save(&store, "gz", &gz, "gz").unwrap();
    let zst = work.path().join("zst");
    skopeo_copy(
        &["--dest-compress-format", "zstd"],
        &format!("oci:{}:gz", gz.display()),
        &format!("oci:{}:zst", zst.display()),
    );
    let zimage = layout::load(&store, &zst, Some("zst"), "zst").unwrap();
    assert_eq!(
        zimage.layers[0].media_type,
        "application/vnd.oci.image.layer.v1.tar+zstd"
    );
    assert_ne!(
        zimage.layers[0].digest, image.layers[0].digest,
        "another blob"
    );
    assert_eq!(
        zimage.layers[0].diff_id, image.layers[0].diff_id,
        "the same tar inside"
    );
    assert_eq!(
        our_tree(&store, &image, &work.path().join("a")),
        our_tree(&store, &zimage, &work.path().join("b"))
    );
}

#[test]
fn oci_archive_written_by_skopeo_loads() {
    let work = tempfile::tempdir().unwrap();
    let l = umoci_image(work.path());
    let tarball = work.path().join("oci.tar");
    skopeo_copy(
        &[],
        &format!("oci:{}:bb", l.display()),
        &format!("oci-archive:{}:bb", tarball.display()),
    );
    let store = Store::open(work.path().join("store")).unwrap();
    let loaded = archive::load(&store, fs::File::open(&tarball).unwrap()).unwrap();
    assert_eq!(loaded.len(), 1);
    assert_eq!(loaded[0].0, "bb");
    assert_eq!(store.resolve("bb").unwrap(), loaded[0].1.digest);
}

#[test]
fn oci_layout_save_then_load_round_trips() {
    let work = tempfile::tempdir().unwrap();
    let l = umoci_image(work.path());
    let store = Store::open(work.path().join("store")).unwrap();
    let image = layout::load(&store, &l, Some("bb"), "bb").unwrap();
    let out = work.path().join("out");
    layout::save(&store, "bb", &out, "v1").unwrap();
    let other = Store::open(work.path().join("other")).unwrap();
    let again = layout::load(&other, &out, Some("v1"), "bb").unwrap();
    assert_eq!(again.digest, image.digest, "the very same manifest bytes");
}

#[test]
fn layer_without_end_of_archive_blocks_is_accepted_like_go_does() {
    // `umoci insert` 0.4.7 forgets to close its tar writer: the layer stops right after the
    // last file's data. Go's archive/tar accepts that; GNU tar and the `tar` crate do not.
    let work = tempfile::tempdir().unwrap();
    let l = work.path().join("l");
    let src = work.path().join("src");
    fs::create_dir_all(src.join("bin")).unwrap();
    fs::write(src.join("bin/hello"), vec![b'x'; 1000]).unwrap();
    let image = format!("{}:t", l.display());
    run("umoci", &["init", "--layout", l.to_str().unwrap()]);
    run("umoci", &["new", "--image", &image]);
    run(
        "umoci",
        &["insert", "--image", &image, src.to_str().unwrap(), "/"],
    );
    let store = Store::open(work.path().join("store")).unwrap();
    let img = layout::load(&store, &l, Some("t"), "t").unwrap();
    let dest = work.path().join("rootfs");
    let report = store
        .apply_blob(
            &img.layers[0],
            &{
                fs::create_dir(&dest).unwrap();
                dest.clone()
            },
            &ApplyOptions::default(),
        )
        .unwrap();
    assert!(
        report.missing_trailer,
        "this umoci writes no end-of-archive blocks"
    );
    assert_eq!(fs::read(dest.join("bin/hello")).unwrap(), vec![b'x'; 1000]);
}

/// A read-only overlay mount of lower directories only, unmounted on drop.
struct ReadOnlyOverlay(PathBuf);

impl ReadOnlyOverlay {
    fn mount(lowerdir: &str, target: &Path) -> ReadOnlyOverlay {
        use nix::mount::{MsFlags, mount};
        mount(
            Some("overlay"),
            target,
            Some("overlay"),
            MsFlags::MS_RDONLY,
            Some(format!("lowerdir={lowerdir}").as_str()),
        )
        .expect("mount overlay (is the overlay module loaded?)");
        ReadOnlyOverlay(target.to_path_buf())
    }
}

impl Drop for ReadOnlyOverlay {
    fn drop(&mut self) {
        let _ = nix::mount::umount2(&self.0, nix::mount::MntFlags::MNT_DETACH);
    }
}

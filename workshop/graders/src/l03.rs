//! Graders for lesson 03 (overlayfs): layers with random file names and contents, mounted in
//! the grader's own mount namespace; the checks read the mount table's overlay options, the
//! upper dir on disk (lstat(2), getxattr(2)) and the merged view the kernel builds.

use crate::kernel;
use crate::report::Report;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// A scratch directory with `lowerN`, `upper`, `work` and `merged` inside; removed on drop.
struct Layers {
    dir: tempfile::TempDir,
}

impl Layers {
    fn new(lowers: usize) -> anyhow::Result<Layers> {
        let dir = tempfile::Builder::new().prefix("kit-overlay-").tempdir()?;
        for name in ["upper", "work", "merged"] {
            std::fs::create_dir(dir.path().join(name))?;
        }
        for i in 0..lowers {
            std::fs::create_dir(dir.path().join(format!("lower{i}")))?;
        }
        Ok(Layers { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// 03.1: 2–4 lower layers mounted through `Overlay::mount`; the mount table must show the
/// layers in order, the topmost layer's copy of a shared name must win, and a write through
/// the merged view must land in the upper dir.
pub fn overlay_options(r: &mut Report) -> anyhow::Result<()> {
    let count = fastrand::usize(2..5);
    let layers = Layers::new(count)?;
    let shared = kernel::random_name("shared");
    let lowers: Vec<PathBuf> = (0..count)
        .map(|i| layers.path(&format!("lower{i}")))
        .collect();
    for (i, lower) in lowers.iter().enumerate() {
        std::fs::write(lower.join(&shared), format!("layer {i}"))?;
        std::fs::write(lower.join(format!("only-in-{i}")), "")?;
    }
    let overlay = overlay::Overlay::new(lowers.clone(), layers.path("upper"), layers.path("work"));
    let merged = layers.path("merged");
    let _mounted = match overlay.mount(&merged) {
        Ok(m) => m,
        Err(e) => {
            r.check("the overlay mounts", e.to_string(), false);
            r.advise(
                "mount(2) refused the options: they need lowerdir=, upperdir= and workdir=",
                0,
            );
            return Ok(());
        }
    };
    let table = kernel::mountinfo("self")?;
    let line = kernel::mount_at(&table, &merged).cloned();
    let options = line
        .as_ref()
        .map(|l| l.super_options.clone())
        .unwrap_or_default();
    let order = lowers
        .iter()
        .map(|l| l.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    if !r.check(
        format!("mountinfo lists the {count} lower dirs topmost first"),
        options.clone(),
        options.contains(&format!("lowerdir={order}")),
    ) {
        r.advise(
            "join the lower dirs with ':' in the order given (topmost first)",
            1,
        );
    }
    let seen = std::fs::read_to_string(merged.join(&shared)).unwrap_or_default();
    r.check(
        format!("{shared} in the merged view comes from the top layer"),
        seen.clone(),
        seen == "layer 0",
    );
    let all = (0..count).all(|i| merged.join(format!("only-in-{i}")).exists());
    r.check(
        "every layer's own file is visible",
        format!("{:?}", listing(&merged)),
        all,
    );
    let written = kernel::random_name("written");
    std::fs::write(merged.join(&written), "x")?;
    let landed = layers.path("upper").join(&written).exists();
    r.check(
        "a file written through the merged view lands in upperdir",
        format!("upper: {:?}", listing(&layers.path("upper"))),
        landed,
    );
    Ok(())
}

/// 03.2: a whiteout made in the upper dir for a random lower file: on disk a 0/0 character
/// device, in the merged view the file is gone while the lower layer still has it.
pub fn whiteout(r: &mut Report) -> anyhow::Result<()> {
    let layers = Layers::new(1)?;
    let (gone, kept) = (kernel::random_name("gone"), kernel::random_name("kept"));
    std::fs::write(layers.path("lower0").join(&gone), "old")?;
    std::fs::write(layers.path("lower0").join(&kept), "old")?;
    let at = layers.path("upper").join(&gone);
    if let Err(e) = overlay::whiteout::make_overlay_whiteout(&at) {
        r.check("make_overlay_whiteout succeeded", e.to_string(), false);
    }
    let meta = std::fs::symlink_metadata(&at);
    let what = match &meta {
        Ok(m) if m.file_type().is_char_device() => format!(
            "character device {}:{}",
            libc::major(m.rdev()),
            libc::minor(m.rdev())
        ),
        Ok(m) => format!("{:?}", m.file_type()),
        Err(e) => e.to_string(),
    };
    let is_whiteout = meta
        .as_ref()
        .is_ok_and(|m| m.file_type().is_char_device() && m.rdev() == 0);
    if !r.check(
        format!("upper/{gone} is a character device 0:0 (lstat(2))"),
        what,
        is_whiteout,
    ) {
        r.advise(
            "a whiteout is made with mknod(2): S_IFCHR, device makedev(0, 0)",
            1,
        );
    }
    let _mount = kernel::mount_overlay(
        &layers.path("lower0"),
        &layers.path("upper"),
        &layers.path("work"),
        &layers.path("merged"),
    )?;
    let merged = listing(&layers.path("merged"));
    r.check(
        format!("{gone} is hidden in the merged view, {kept} is not"),
        format!("{merged:?}"),
        merged == [kept.clone()],
    );
    r.check(
        "the lower layer itself is untouched",
        format!("{:?}", listing(&layers.path("lower0"))),
        layers.path("lower0").join(&gone).exists(),
    );
    Ok(())
}

/// 03.3: an upper directory marked opaque over a lower directory of random files: the
/// trusted.overlay.opaque xattr must read "y" and the merged directory must list only the
/// upper's file.
pub fn opaque(r: &mut Report) -> anyhow::Result<()> {
    let layers = Layers::new(1)?;
    let dir = kernel::random_name("dir");
    let (lower_dir, upper_dir) = (
        layers.path("lower0").join(&dir),
        layers.path("upper").join(&dir),
    );
    std::fs::create_dir(&lower_dir)?;
    std::fs::create_dir(&upper_dir)?;
    for _ in 0..3 {
        std::fs::write(lower_dir.join(kernel::random_name("old")), "")?;
    }
    let new = kernel::random_name("new");
    std::fs::write(upper_dir.join(&new), "")?;
    if let Err(e) = overlay::whiteout::make_opaque(&upper_dir) {
        r.check("make_opaque succeeded", e.to_string(), false);
    }
    let xattr = xattr::get(&upper_dir, "trusted.overlay.opaque")
        .ok()
        .flatten();
    let shown = xattr
        .as_deref()
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_else(|| "(none)".into());
    if !r.check(
        format!("upper/{dir} has trusted.overlay.opaque=y (getxattr(2))"),
        shown,
        xattr.as_deref() == Some(b"y"),
    ) {
        r.advise(
            "set the xattr trusted.overlay.opaque to \"y\" on the directory",
            1,
        );
    }
    let _mount = kernel::mount_overlay(
        &layers.path("lower0"),
        &layers.path("upper"),
        &layers.path("work"),
        &layers.path("merged"),
    )?;
    let merged = listing(&layers.path("merged").join(&dir));
    r.check(
        format!("merged/{dir} lists only the upper's file"),
        format!("{merged:?}"),
        merged == [new.clone()],
    );
    Ok(())
}

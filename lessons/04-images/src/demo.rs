//! The small images the steps and tests build, from `busybox-static` (no registry needed).
//!
//! `lab/demo:latest` has three layers, so that every idea of the lesson shows up in it:
//! 1. a busybox root file system (`/bin/busybox`, applet symlinks, `/etc/passwd` with a user
//!    `student`, `/opt/app/{old-a,old-b}`);
//! 2. adds `/etc/motd` and `/opt/app/config`;
//! 3. deletes `/etc/motd` (a whiteout `.wh.motd`) and makes `/opt/app` opaque
//!    (`.wh..wh..opq`) with a single new file `/opt/app/new`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::build::ImageBuilder;
use crate::image::Image;
use crate::import::ImportOptions;
use crate::store::Store;

/// The tag of the demo image.
pub const DEMO: &str = "lab/demo:latest";

/// A fresh, empty working directory for a step: `$LAB04_DIR` if set (tests set it), otherwise
/// `/tmp/lab04/<step>`. Whatever was there from an earlier run is removed first.
pub fn workdir(step: &str) -> io::Result<PathBuf> {
    let dir = match std::env::var_os("LAB04_DIR") {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join("lab04").join(step),
    };
    if dir.exists() {
        fs::remove_dir_all(&dir)?;
    }
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A layer tar assembled in memory, entry by entry.
pub struct LayerTar {
    builder: tar::Builder<Vec<u8>>,
}

impl Default for LayerTar {
    fn default() -> Self {
        LayerTar::new()
    }
}

impl LayerTar {
    /// An empty layer.
    pub fn new() -> LayerTar {
        LayerTar {
            builder: tar::Builder::new(Vec::new()),
        }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64, uid: u64) -> tar::Header {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_uid(uid);
        h.set_gid(uid);
        h.set_mtime(1_700_000_000);
        h
    }

    /// Adds a directory.
    pub fn dir(mut self, path: &str, mode: u32, uid: u64) -> io::Result<LayerTar> {
        let mut h = Self::header(tar::EntryType::Directory, mode, 0, uid);
        self.builder.append_data(&mut h, path, io::empty())?;
        Ok(self)
    }

    /// Adds a regular file.
    pub fn file(mut self, path: &str, data: &[u8], mode: u32) -> io::Result<LayerTar> {
        let mut h = Self::header(tar::EntryType::Regular, mode, data.len() as u64, 0);
        self.builder.append_data(&mut h, path, data)?;
        Ok(self)
    }

    /// Adds a symlink.
    pub fn symlink(mut self, path: &str, target: &str) -> io::Result<LayerTar> {
        let mut h = Self::header(tar::EntryType::Symlink, 0o777, 0, 0);
        self.builder.append_link(&mut h, path, target)?;
        Ok(self)
    }

    /// Adds an OCI whiteout deleting `path` from the layers below: an empty file `.wh.<name>`.
    pub fn whiteout(self, path: &str) -> io::Result<LayerTar> {
        let p = Path::new(path);
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let wh = p.with_file_name(format!(".wh.{name}"));
        self.file(&wh.to_string_lossy(), b"", 0o644)
    }

    /// Makes directory `dir` opaque: nothing from the layers below shows through it.
    pub fn opaque(self, dir: &str) -> io::Result<LayerTar> {
        self.file(&format!("{dir}/.wh..wh..opq"), b"", 0o644)
    }

    /// The finished tar.
    pub fn finish(self) -> io::Result<Vec<u8>> {
        self.builder.into_inner()
    }
}

/// Layer 1 of the demo image: a busybox root file system.
pub fn busybox_layer() -> io::Result<Vec<u8>> {
    let busybox = fs::read("/bin/busybox").map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "cannot read /bin/busybox ({e}): install busybox-static (scripts/setup-host.sh)"
            ),
        )
    })?;
    let mut t = LayerTar::new()
        .dir("bin", 0o755, 0)?
        .file("bin/busybox", &busybox, 0o755)?;
    for applet in [
        "sh", "ls", "cat", "echo", "id", "env", "pwd", "whoami", "stat",
    ] {
        t = t.symlink(&format!("bin/{applet}"), "busybox")?;
    }
    t.dir("etc", 0o755, 0)?
        .file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\nstudent:x:1000:1000:student:/home/student:/bin/sh\n",
            0o644,
        )?
        .file("etc/group", b"root:x:0:\nstudent:x:1000:\n", 0o644)?
        .dir("home", 0o755, 0)?
        .dir("home/student", 0o755, 1000)?
        .dir("opt", 0o755, 0)?
        .dir("opt/app", 0o755, 0)?
        .file("opt/app/old-a", b"from layer 1\n", 0o644)?
        .file("opt/app/old-b", b"from layer 1\n", 0o644)?
        .dir("tmp", 0o1777, 0)?
        .dir("proc", 0o555, 0)?
        .dir("sys", 0o555, 0)?
        .dir("dev", 0o755, 0)?
        .finish()
}

/// The three layers of the demo image, bottom first.
pub fn demo_layers() -> io::Result<Vec<Vec<u8>>> {
    let two = LayerTar::new()
        .file("etc/motd", b"welcome to layer 2\n", 0o644)?
        .file("opt/app/config", b"added by layer 2\n", 0o644)?
        .finish()?;
    let three = LayerTar::new()
        .whiteout("etc/motd")?
        .dir("opt/app", 0o755, 0)?
        .opaque("opt/app")?
        .file("opt/app/new", b"from layer 3\n", 0o644)?
        .finish()?;
    Ok(vec![busybox_layer()?, two, three])
}

/// The config the demo image carries: what `docker run lab/demo` would do.
pub fn demo_config() -> ImportOptions {
    ImportOptions {
        entrypoint: vec!["/bin/sh".into(), "-c".into()],
        cmd: vec!["echo \"$GREETING\"; echo uid=$(id -u) gid=$(id -g); echo cwd=$(pwd)".into()],
        env: vec!["GREETING=hello from the image config".into()],
        working_dir: "/home/student".into(),
        user: "student".into(),
    }
}

/// Builds `lab/demo:latest` in `store` and returns it.
pub fn demo_image(store: &Store) -> Result<Image, Error> {
    let mut b = ImageBuilder::new(store);
    for layer in demo_layers().map_err(|e| Error::io("build demo layer", "/bin/busybox", e))? {
        b.add_layer(&layer[..])?;
    }
    b.commit(DEMO, &demo_config())
}

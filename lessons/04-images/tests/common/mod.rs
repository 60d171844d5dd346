//! Helpers shared by this crate's tests: hand-made (and hostile) tar layers, tree snapshots.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Builds a tar byte by byte, so names may contain `..` or be absolute (the `tar` crate's
/// safe setters refuse those, which is exactly what we need to feed the extractor).
#[derive(Default)]
pub struct RawTar {
    out: Vec<u8>,
}

impl RawTar {
    pub fn new() -> RawTar {
        RawTar::default()
    }

    fn header(
        &mut self,
        name: &str,
        kind: tar::EntryType,
        mode: u32,
        size: u64,
        link: &str,
    ) -> tar::Header {
        let mut h = tar::Header::new_ustar();
        let raw = &mut h.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        let l = &mut h.as_old_mut().linkname;
        l[..link.len()].copy_from_slice(link.as_bytes());
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_000_000);
        h
    }

    fn push(&mut self, mut h: tar::Header, data: &[u8]) -> &mut RawTar {
        h.set_cksum();
        self.out.extend_from_slice(h.as_bytes());
        self.out.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.out.extend(std::iter::repeat_n(0u8, pad));
        self
    }

    pub fn file(&mut self, name: &str, data: &[u8], mode: u32) -> &mut RawTar {
        let h = self.header(name, tar::EntryType::Regular, mode, data.len() as u64, "");
        self.push(h, data)
    }

    pub fn file_owned(
        &mut self,
        name: &str,
        data: &[u8],
        mode: u32,
        uid: u64,
        gid: u64,
    ) -> &mut RawTar {
        let mut h = self.header(name, tar::EntryType::Regular, mode, data.len() as u64, "");
        h.set_uid(uid);
        h.set_gid(gid);
        self.push(h, data)
    }

    pub fn dir(&mut self, name: &str, mode: u32) -> &mut RawTar {
        let h = self.header(name, tar::EntryType::Directory, mode, 0, "");
        self.push(h, &[])
    }

    pub fn symlink(&mut self, name: &str, target: &str) -> &mut RawTar {
        let h = self.header(name, tar::EntryType::Symlink, 0o777, 0, target);
        self.push(h, &[])
    }

    pub fn symlink_owned(&mut self, name: &str, target: &str, uid: u64, mtime: u64) -> &mut RawTar {
        let mut h = self.header(name, tar::EntryType::Symlink, 0o777, 0, target);
        h.set_uid(uid);
        h.set_gid(uid);
        h.set_mtime(mtime);
        self.push(h, &[])
    }

    pub fn hardlink(&mut self, name: &str, target: &str) -> &mut RawTar {
        let h = self.header(name, tar::EntryType::Link, 0o644, 0, target);
        self.push(h, &[])
    }

    pub fn char_dev(&mut self, name: &str, major: u32, minor: u32) -> &mut RawTar {
        let mut h = self.header(name, tar::EntryType::Char, 0o666, 0, "");
        h.set_device_major(major).unwrap();
        h.set_device_minor(minor).unwrap();
        self.push(h, &[])
    }

    /// A PAX extended header applying to the next entry (`key=value` records).
    pub fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut RawTar {
        let mut body = Vec::new();
        for (k, v) in records {
            let rest = k.len() + v.len() + 3; // ' ' '=' '\n'
            let mut len = rest + 1;
            while len.to_string().len() + rest != len {
                len += 1;
            }
            body.extend_from_slice(format!("{len} {k}=").as_bytes());
            body.extend_from_slice(v);
            body.push(b'\n');
        }
        let h = self.header(
            "PaxHeaders/x",
            tar::EntryType::XHeader,
            0o644,
            body.len() as u64,
            "",
        );
        self.push(h, &body)
    }

    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = self.out.clone();
        out.extend(std::iter::repeat_n(0u8, 1024));
        out
    }
}

/// What a file looks like, for comparing trees: type, mode, owner, size, contents or link target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub kind: &'static str,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
    pub content: Vec<u8>,
}

/// Every file under `root` (not following symlinks), keyed by relative path.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, NodeInfo> {
    let mut out = BTreeMap::new();
    walk(root, Path::new(""), &mut out);
    out
}

fn walk(root: &Path, rel: &Path, out: &mut BTreeMap<PathBuf, NodeInfo>) {
    let mut names: Vec<_> = fs::read_dir(root.join(rel))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    for name in names {
        let r = rel.join(&name);
        let p = root.join(&r);
        let m = fs::symlink_metadata(&p).unwrap();
        let ft = m.file_type();
        use std::os::unix::fs::FileTypeExt;
        let (kind, content) = if ft.is_symlink() {
            (
                "symlink",
                fs::read_link(&p)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes(),
            )
        } else if ft.is_dir() {
            ("dir", Vec::new())
        } else if ft.is_file() {
            ("file", fs::read(&p).unwrap())
        } else if ft.is_char_device() {
            ("char", m.rdev().to_string().into_bytes())
        } else if ft.is_block_device() {
            ("block", m.rdev().to_string().into_bytes())
        } else {
            ("fifo", Vec::new())
        };
        out.insert(
            r.clone(),
            NodeInfo {
                kind,
                mode: m.mode() & 0o7777,
                uid: m.uid(),
                gid: m.gid(),
                mtime: m.mtime(),
                content,
            },
        );
        if ft.is_dir() {
            walk(root, &r, out);
        }
    }
}

/// A scratch area with a `target` directory to extract into and a `sentinel` directory beside
/// it that no layer may touch.
pub struct Arena {
    pub dir: tempfile::TempDir,
    pub target: PathBuf,
    pub sentinel: PathBuf,
    before: BTreeMap<PathBuf, NodeInfo>,
}

impl Arena {
    pub fn new() -> Arena {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        let sentinel = dir.path().join("sentinel");
        fs::create_dir(&target).unwrap();
        fs::create_dir(&sentinel).unwrap();
        fs::write(sentinel.join("keep"), b"precious").unwrap();
        fs::create_dir(sentinel.join("sub")).unwrap();
        fs::write(sentinel.join("sub/inner"), b"also precious").unwrap();
        let before = snapshot(dir.path())
            .into_iter()
            .filter(|(p, _)| !p.starts_with("target"))
            .collect();
        Arena {
            dir,
            target,
            sentinel,
            before,
        }
    }

    /// Absolute path of the sentinel as a string, for planting symlinks at it.
    pub fn sentinel_str(&self) -> String {
        self.sentinel.display().to_string()
    }

    /// Panics if anything outside `target` was created, changed or removed.
    pub fn assert_outside_untouched(&self) {
        let now: BTreeMap<_, _> = snapshot(self.dir.path())
            .into_iter()
            .filter(|(p, _)| !p.starts_with("target"))
            .collect();
        assert_eq!(now, self.before, "something outside the target changed");
    }
}

//! The build context: the directory `COPY` and `ADD` read from, minus what `.dockerignore`
//! excludes. Sources are resolved *inside* the context — `..` cannot climb out, and a symlink
//! is followed only if its target stays inside (canonicalize(3) then a prefix check) — and are
//! hashed by content, so touching a file's mtime does not invalidate the cache.

use super::glob::{glob, glob_parent_or_self, has_glob};
use crate::{Error, Result};
use images::digest::Hasher;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// `.dockerignore` patterns, in order; a `!` pattern re-includes what earlier ones excluded.
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    patterns: Vec<(bool, Vec<String>)>,
}

impl Ignore {
    /// Reads `.dockerignore` lines (comments `#…` and blanks skipped; paths cleaned).
    pub fn parse(text: &str) -> Ignore {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (include, pattern) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            let parts = split_path(pattern);
            if !parts.is_empty() {
                patterns.push((include, parts));
            }
        }
        Ignore { patterns }
    }

    /// Whether `rel` (relative to the context) is excluded: the last pattern matching it, or
    /// any of its parent directories, decides.
    pub fn excluded(&self, rel: &Path) -> bool {
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let mut excluded = false;
        for (include, pattern) in &self.patterns {
            if glob_parent_or_self(pattern, &parts) {
                excluded = !include;
            }
        }
        excluded
    }
}

/// A pattern or path as cleaned components (leading `/`, `.` and empty parts dropped).
fn split_path(text: &str) -> Vec<String> {
    text.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .map(str::to_string)
        .collect()
}

/// A directory that sources are read from: the build context (with its ignore rules) or the
/// root file system of an earlier stage or image (no ignore rules).
#[derive(Debug, Clone)]
pub struct SourceRoot {
    /// The directory (canonical).
    pub dir: PathBuf,
    /// `.dockerignore` rules (empty for stages).
    pub ignore: Ignore,
}

impl SourceRoot {
    /// The build context at `dir`, reading its `.dockerignore` if there is one.
    pub fn context(dir: &Path) -> Result<SourceRoot> {
        SourceRoot::context_for(dir, None)
    }

    /// The build context at `dir` for the Dockerfile at `dockerfile`: BuildKit reads
    /// `<Dockerfile>.dockerignore` beside it when there is one (so two Dockerfiles in one
    /// context can ignore different files), else the context's `.dockerignore`.
    pub fn context_for(dir: &Path, dockerfile: Option<&Path>) -> Result<SourceRoot> {
        let dir = dir
            .canonicalize()
            .map_err(Error::io("open build context", dir))?;
        let beside = dockerfile.map(|f| {
            let mut name = f.as_os_str().to_owned();
            name.push(".dockerignore");
            std::path::PathBuf::from(name)
        });
        let ignore_file = beside
            .filter(|p| p.is_file())
            .unwrap_or_else(|| dir.join(".dockerignore"));
        let ignore = match fs::read_to_string(&ignore_file) {
            Ok(text) => Ignore::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ignore::default(),
            Err(e) => return Err(Error::io("read", ignore_file)(e)),
        };
        Ok(SourceRoot { dir, ignore })
    }

    /// A stage's or image's unpacked root file system (nothing ignored).
    pub fn tree(dir: &Path) -> Result<SourceRoot> {
        let dir = dir.canonicalize().map_err(Error::io("open", dir))?;
        Ok(SourceRoot {
            dir,
            ignore: Ignore::default(),
        })
    }

    /// The paths (relative to the root) a `COPY` source names: globs expanded, `..` refused
    /// where it would leave the root, ignored paths invisible. Errors are messages for the
    /// caller to put the Dockerfile line on.
    pub fn resolve(&self, source: &str) -> std::result::Result<Vec<PathBuf>, String> {
        let mut clean = Vec::new();
        for part in source.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if clean.pop().is_none() {
                        return Err(format!(
                            "{source}: outside the build context: sources must be inside it"
                        ));
                    }
                }
                p => clean.push(p.to_string()),
            }
        }
        let mut found: Vec<PathBuf> = vec![PathBuf::new()];
        for part in &clean {
            let mut next = Vec::new();
            for base in &found {
                if has_glob(part) {
                    let Ok(entries) = fs::read_dir(self.dir.join(base)) else {
                        continue;
                    };
                    let mut names: Vec<String> = entries
                        .filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|name| glob(part, name))
                        .collect();
                    names.sort();
                    next.extend(names.into_iter().map(|n| base.join(n)));
                } else if fs::symlink_metadata(self.dir.join(base).join(part)).is_ok() {
                    next.push(base.join(part));
                }
            }
            found = next;
        }
        let mut visible = Vec::new();
        for rel in found {
            if !rel.as_os_str().is_empty() && self.ignore.excluded(&rel) {
                continue;
            }
            let real = self
                .dir
                .join(&rel)
                .canonicalize()
                .map_err(|e| format!("{source}: {e}"))?;
            if !real.starts_with(&self.dir) {
                return Err(format!(
                    "{source}: resolves to {} outside the build context: sources must be inside it",
                    real.display()
                ));
            }
            visible.push(
                real.strip_prefix(&self.dir)
                    .unwrap_or(Path::new(""))
                    .to_path_buf(),
            );
        }
        if visible.is_empty() {
            return Err(format!(
                "{source}: no such file or directory in the build context (or excluded by .dockerignore)"
            ));
        }
        Ok(visible)
    }

    /// Hashes what copying `rel` would copy: names, types, modes, link targets and contents
    /// — not mtimes or owners, so `touch` alone keeps the cache valid.
    pub fn hash_into(&self, rel: &Path, hasher: &mut Hasher) -> Result<()> {
        let path = self.dir.join(rel);
        let meta = fs::symlink_metadata(&path).map_err(Error::io("read", &path))?;
        hasher.update(rel.as_os_str().as_encoded_bytes());
        hasher.update(format!("\0{:o}\0", meta.permissions().mode()).as_bytes());
        if meta.is_symlink() {
            let target = fs::read_link(&path).map_err(Error::io("read link", &path))?;
            hasher.update(target.as_os_str().as_encoded_bytes());
        } else if meta.is_file() {
            hasher.update(&meta.size().to_le_bytes());
            let mut file = fs::File::open(&path).map_err(Error::io("open", &path))?;
            std::io::copy(&mut file, &mut HashWrite(hasher)).map_err(Error::io("read", &path))?;
        } else if meta.is_dir() {
            let mut names: Vec<_> = fs::read_dir(&path)
                .map_err(Error::io("list", &path))?
                .filter_map(|e| e.ok().map(|e| e.file_name()))
                .collect();
            names.sort();
            for name in names {
                let child = rel.join(name);
                if !self.ignore.excluded(&child) {
                    self.hash_into(&child, hasher)?;
                }
            }
        }
        Ok(())
    }
}

/// Is `rel` a plain relative path with no `..` (used for destinations inside a layer)?
pub fn is_plain_relative(rel: &Path) -> bool {
    rel.components().all(|c| matches!(c, Component::Normal(_)))
}

struct HashWrite<'a>(&'a mut Hasher);

impl std::io::Write for HashWrite<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_within_one_component() {
        assert!(glob("*.txt", "a.txt"));
        assert!(!glob("*.txt", "a.md"));
        assert!(glob("file?.[a-c]", "file1.b"));
        assert!(!glob("[^a]x", "ax"));
    }

    #[test]
    fn dockerignore_last_match_wins_and_covers_children() {
        let ig = Ignore::parse("# comment\n*.log\nbuild\n!keep.log\n**/secret\n");
        assert!(ig.excluded(Path::new("a.log")));
        assert!(!ig.excluded(Path::new("keep.log")));
        assert!(ig.excluded(Path::new("build/out/x.o")));
        assert!(ig.excluded(Path::new("deep/er/secret")));
        assert!(!ig.excluded(Path::new("src/main.rs")));
    }

    #[test]
    fn sources_cannot_leave_the_context() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.txt"), "a").unwrap();
        fs::write(dir.path().join("b.txt"), "b").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("escape")).unwrap();
        let root = SourceRoot::context(dir.path()).unwrap();
        assert_eq!(
            root.resolve("*.txt").unwrap(),
            [PathBuf::from("a.txt"), PathBuf::from("b.txt")]
        );
        assert!(
            root.resolve("../etc/passwd")
                .unwrap_err()
                .contains("outside the build context")
        );
        assert!(
            root.resolve("escape")
                .unwrap_err()
                .contains("outside the build context")
        );
        assert!(
            root.resolve("missing")
                .unwrap_err()
                .contains("no such file")
        );
    }

    #[test]
    fn content_hash_ignores_mtime_but_not_content() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "one").unwrap();
        let root = SourceRoot::context(dir.path()).unwrap();
        let hash = |root: &SourceRoot| {
            let mut h = Hasher::new();
            root.hash_into(Path::new(""), &mut h).unwrap();
            h.digest()
        };
        let first = hash(&root);
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1000);
        fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(hash(&root), first);
        fs::write(&file, "two").unwrap();
        assert_ne!(hash(&root), first);
    }
}

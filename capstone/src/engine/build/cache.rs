//! The build cache. A step's key is a sha256 over everything its result depends on: the
//! parent image (its manifest digest), the instruction after variable substitution, the build
//! arguments the stage has declared, and — for `COPY`/`ADD` — the *content* of what it copies.
//! The cache maps a key to the manifest of the image that step produced, so a hit reuses the
//! very same layers: nothing runs and no new layer appears. A change anywhere changes that
//! step's key, and so its result's digest, and so every later step's key: from the first miss
//! on, everything is rebuilt — which is why cheap, rarely-changing steps go first.

use super::snapshot::Snapshot;
use crate::Result;
use images::Store;
use images::digest::{Digest, Hasher};
use std::path::PathBuf;

/// The cache index: `<dir>/<key hex>` holds the manifest digest a step produced.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    /// `false` with `--no-cache`: never read (results are still recorded).
    pub read: bool,
}

// ANCHOR: key
/// Computes a step's key.
pub fn key(
    parent: Option<&Digest>,
    instruction: &str,
    args: &[(String, String)],
    content: Option<&Digest>,
) -> Digest {
    let mut h = Hasher::new();
    h.update(
        parent
            .map_or("scratch".into(), |d| d.to_string())
            .as_bytes(),
    );
    h.update(b"\n");
    h.update(instruction.as_bytes());
    for (k, v) in args {
        h.update(format!("\narg {k}={v}").as_bytes());
    }
    if let Some(c) = content {
        h.update(format!("\ncontent {c}").as_bytes());
    }
    h.digest()
}
// ANCHOR_END: key

impl Cache {
    /// The cache kept in `dir`.
    pub fn new(dir: PathBuf, read: bool) -> Cache {
        Cache { dir, read }
    }

    /// The snapshot recorded for `key`, if any and if its image is still in the store.
    pub fn lookup(&self, store: &Store, key: &Digest) -> Option<Snapshot> {
        if !self.read {
            return None;
        }
        let text = std::fs::read_to_string(self.dir.join(key.hex())).ok()?;
        let digest: Digest = text.trim().parse().ok()?;
        let image = store.image_by_digest(&digest).ok()?;
        Some(Snapshot::of(store, &image))
    }

    /// Records that `key` produced `snapshot` (written atomically).
    pub fn record(&self, key: &Digest, snapshot: &Snapshot) -> Result<()> {
        let Some(digest) = &snapshot.digest else {
            return Ok(());
        };
        std::fs::create_dir_all(&self.dir).map_err(crate::Error::io("create", &self.dir))?;
        images::store::write_atomic(&self.dir.join(key.hex()), digest.to_string().as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_changes_with_each_input() {
        let parent = Digest::of(b"parent");
        let base = key(Some(&parent), "RUN make", &[], None);
        assert_eq!(base, key(Some(&parent), "RUN make", &[], None));
        assert_ne!(base, key(None, "RUN make", &[], None));
        assert_ne!(base, key(Some(&parent), "RUN make all", &[], None));
        assert_ne!(
            base,
            key(Some(&parent), "RUN make", &[("V".into(), "1".into())], None)
        );
        assert_ne!(
            base,
            key(Some(&parent), "RUN make", &[], Some(&Digest::of(b"x")))
        );
    }
}

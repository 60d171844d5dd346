//! A local, content-addressed image store: what `docker images` and `docker pull` sit on.
//!
//! ```text
//! <root>/blobs/sha256/<hex>   every blob (manifests, configs, layers), named by its sha256
//! <root>/tags.json            "repo:tag" → manifest digest
//! <root>/layers/<chain hex>/  each layer unpacked once, as an overlay lower directory
//! <root>/tmp/                 blobs and layers being written; never read
//! ```
//!
//! Nothing half-written ever becomes visible: a blob is written to `tmp/`, hashed as it is
//! written, `fsync(2)`ed, and only then `rename(2)`d into `blobs/` — rename within one file
//! system is atomic, so a reader sees either no blob or the whole verified blob. The tag file is
//! replaced the same way under an `flock(2)`, so two processes tagging at once lose nothing.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use oci_spec::image::ImageManifest;

use crate::Error;
use crate::digest::{Digest, Hasher, VerifyingReader};
use crate::media;

/// A local image store rooted at a directory. Cheap to clone; holds no open files.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// Opens (creating if needed) a store at `root`.
    pub fn open(root: impl AsRef<Path>) -> Result<Store, Error> {
        let root = root.as_ref().to_path_buf();
        for sub in ["blobs/sha256", "layers", "tmp"] {
            let p = root.join(sub);
            fs::create_dir_all(&p).map_err(|e| Error::io("create store directory", &p, e))?;
        }
        Ok(Store { root })
    }

    /// The store's root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a blob lives (whether or not it is there yet).
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs/sha256").join(digest.hex())
    }

    /// The directory for temporary files (same file system as the blobs, so `rename(2)` works).
    pub(crate) fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// The directory holding unpacked layers, one sub-directory per chain ID.
    pub fn layers_dir(&self) -> PathBuf {
        self.root.join("layers")
    }

    /// True if the blob is present (its contents are verified when it is opened, not here).
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// The size of a stored blob in bytes.
    pub fn blob_size(&self, digest: &Digest) -> Result<u64, Error> {
        let p = self.blob_path(digest);
        match fs::metadata(&p) {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(Error::MissingBlob(digest.clone()))
            }
            Err(e) => Err(Error::io("stat blob", p, e)),
        }
    }

    /// Starts writing a new blob. Write the bytes, then call [`BlobWriter::commit`]; if the
    /// writer is dropped without a successful commit, nothing appears in the store.
    pub fn blob_writer(&self) -> Result<BlobWriter, Error> {
        let tmp = tempfile::Builder::new()
            .prefix("blob-")
            .tempfile_in(self.tmp_dir())
            .map_err(|e| Error::io("create temporary blob in", self.tmp_dir(), e))?;
        Ok(BlobWriter {
            store: self.clone(),
            file: tmp,
            hasher: Hasher::new(),
        })
    }

    /// Stores `bytes` as a blob and returns its digest (for documents we produce ourselves).
    pub fn put_blob(&self, bytes: &[u8]) -> Result<Digest, Error> {
        let mut w = self.blob_writer()?;
        w.write_all(bytes)
            .map_err(|e| Error::io("write blob", self.tmp_dir(), e))?;
        w.commit(&Digest::of(bytes), Some(bytes.len() as u64))
    }

    /// Opens a blob for reading. The reader verifies the sha256 as it is read: reading it to the
    /// end (or calling [`VerifyingReader::finish`]) fails if the file on disk was changed.
    pub fn open_blob(&self, digest: &Digest) -> Result<VerifyingReader<File>, Error> {
        let p = self.blob_path(digest);
        let f = match File::open(&p) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::MissingBlob(digest.clone()));
            }
            Err(e) => return Err(Error::io("open blob", p, e)),
        };
        let size = f
            .metadata()
            .map_err(|e| Error::io("stat blob", &p, e))?
            .len();
        Ok(VerifyingReader::new(f, digest.clone(), size))
    }

    /// Reads a whole (small) blob into memory, verified, refusing blobs over `max` bytes.
    pub fn read_blob(&self, digest: &Digest, max: u64) -> Result<Vec<u8>, Error> {
        let size = self.blob_size(digest)?;
        if size > max {
            return Err(Error::bad(
                format!("blob {digest}"),
                format!("is {size} bytes, more than the {max} allowed for a JSON document"),
            ));
        }
        let mut r = self.open_blob(digest)?;
        let mut buf = Vec::with_capacity(size as usize);
        r.read_to_end(&mut buf)
            .map_err(|e| verify_error(digest, e))?;
        Ok(buf)
    }

    /// Stores an image manifest (OCI or Docker schema 2) after checking it parses as one and
    /// that its config and every layer are already in the store (so a tag never points at an
    /// incomplete image). Store the layers and config first, then the manifest, then tag it.
    pub fn put_manifest(&self, bytes: &[u8], media_type: Option<&str>) -> Result<Digest, Error> {
        let digest = Digest::of(bytes);
        let m = media::parse_manifest(bytes, media_type, &format!("manifest {digest}"))?;
        for d in std::iter::once(m.config()).chain(m.layers()) {
            let blob = Digest::from_oci(d.digest())?;
            if self.blob_size(&blob)? != d.size() {
                return Err(Error::bad(
                    format!("manifest {digest}"),
                    format!(
                        "blob {blob} in the store does not have the size {}",
                        d.size()
                    ),
                ));
            }
        }
        self.put_blob(bytes)
    }

    /// Reads and parses a stored manifest (verified).
    pub fn manifest(&self, digest: &Digest) -> Result<ImageManifest, Error> {
        let bytes = self.read_blob(digest, MAX_DOCUMENT)?;
        media::parse_manifest(&bytes, None, &format!("manifest {digest}"))
    }

    /// Points the reference name `reference` at a stored manifest.
    ///
    /// `reference` is an already-normalised name such as `docker.io/library/alpine:latest`
    /// (lesson 05 parses and normalises what users type); this store treats it as an opaque
    /// string. Re-tagging moves the tag, as `docker tag` does.
    pub fn tag(&self, reference: &str, manifest: &Digest) -> Result<(), Error> {
        if reference.is_empty() || reference.contains(char::is_whitespace) {
            return Err(Error::bad(
                format!("reference {reference:?}"),
                "is empty or has spaces",
            ));
        }
        self.manifest(manifest)?;
        self.update_tags(|tags| {
            tags.insert(reference.to_string(), manifest.clone());
        })
    }

    /// Removes a tag (the blobs stay; they may be shared). Returns whether it existed.
    pub fn untag(&self, reference: &str) -> Result<bool, Error> {
        let mut existed = false;
        self.update_tags(|tags| existed = tags.remove(reference).is_some())?;
        Ok(existed)
    }

    /// The manifest digest a reference names: a tag in this store, or a `sha256:…` digest of a
    /// stored manifest.
    pub fn resolve(&self, reference: &str) -> Result<Digest, Error> {
        if let Some(d) = reference
            .parse::<Digest>()
            .ok()
            .filter(|d| self.has_blob(d))
        {
            return Ok(d);
        }
        self.tags()?
            .remove(reference)
            .ok_or_else(|| Error::UnknownReference(reference.to_string()))
    }

    /// All tags, sorted by name.
    pub fn tags(&self) -> Result<BTreeMap<String, Digest>, Error> {
        let p = self.root.join("tags.json");
        match fs::read(&p) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| Error::bad("tags.json", e.to_string())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(Error::io("read", p, e)),
        }
    }

    /// Read-modify-write of `tags.json` under an exclusive `flock(2)` on `tags.lock`, replaced
    /// atomically (temp file, fsync, rename).
    fn update_tags(&self, change: impl FnOnce(&mut BTreeMap<String, Digest>)) -> Result<(), Error> {
        let lock_path = self.root.join("tags.lock");
        let lock_file = File::create(&lock_path).map_err(|e| Error::io("create", &lock_path, e))?;
        // flock: advisory, released when the fd closes, i.e. also if we crash.
        let _lock = Flock::lock(lock_file, FlockArg::LockExclusive)
            .map_err(|(_, e)| Error::sys("lock", &lock_path, e))?;
        let mut tags = self.tags()?;
        change(&mut tags);
        let json = serde_json::to_vec_pretty(&tags).expect("a map of strings serialises");
        write_atomic(&self.root.join("tags.json"), &json)
    }
}

/// The largest JSON document (manifest, config, index) we read into memory.
pub const MAX_DOCUMENT: u64 = 4 << 20;

/// Maps a failed verifying read to a digest error where that is what it was.
pub(crate) fn verify_error(digest: &Digest, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::InvalidData {
        Error::bad(format!("blob {digest}"), e.to_string())
    } else {
        Error::io("read blob", PathBuf::from(digest.to_string()), e)
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, `fsync(2)`, `rename(2)`,
/// then `fsync` of the directory so the rename itself survives a crash.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::io("create temporary file in", dir, e))?;
    tmp.write_all(bytes)
        .map_err(|e| Error::io("write", tmp.path().to_path_buf(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io("fsync", path, e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("rename into place", path, e.error))?;
    sync_dir(dir)
}

/// `fsync(2)` on a directory, making a rename into it durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io("fsync directory", dir, e))
}

/// A blob being written into a [`Store`]: hashes as it writes; visible only after
/// [`commit`](BlobWriter::commit) has checked digest and size.
pub struct BlobWriter {
    store: Store,
    file: tempfile::NamedTempFile,
    hasher: Hasher,
}

impl BlobWriter {
    /// The digest and size of what has been written so far.
    pub fn written(&self) -> (Digest, u64) {
        (self.hasher.digest(), self.hasher.size())
    }

    /// Verifies the bytes against `expected` (and `expected_size`, if known), then makes the
    /// blob visible atomically. On a mismatch the temporary file is deleted and the store is
    /// left exactly as it was.
    pub fn commit(self, expected: &Digest, expected_size: Option<u64>) -> Result<Digest, Error> {
        let (actual, actual_size) = self.written();
        if actual != *expected || expected_size.is_some_and(|s| s != actual_size) {
            return Err(Error::DigestMismatch {
                expected: expected.clone(),
                expected_size: expected_size.map_or("unknown".into(), |s| s.to_string()),
                actual,
                actual_size,
            });
        }
        self.persist(actual)
    }

    /// Makes the blob visible under the digest of what was written (for content we produce
    /// ourselves, where there is nothing to verify against).
    pub fn commit_computed(self) -> Result<(Digest, u64), Error> {
        let (digest, size) = self.written();
        Ok((self.persist(digest)?, size))
    }

    // ANCHOR: persist
    fn persist(self, digest: Digest) -> Result<Digest, Error> {
        let dest = self.store.blob_path(&digest);
        // fsync before rename: otherwise a crash could leave a visible, empty blob.
        self.file
            .as_file()
            .sync_all()
            .map_err(|e| Error::io("fsync blob", &dest, e))?;
        self.file
            .persist(&dest)
            .map_err(|e| Error::io("rename blob into place", &dest, e.error))?;
        sync_dir(dest.parent().expect("blob path has a parent"))?;
        Ok(digest)
    }
    // ANCHOR_END: persist
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

//! The one error type of this crate: each variant says what failed, on which file or blob,
//! and, where there is one, what to do about it.

use std::path::PathBuf;

use crate::digest::{Digest, DigestError};

/// Everything that can go wrong reading, storing or unpacking an image.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file-system operation failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What we were doing ("write blob", "read index.json").
        action: &'static str,
        /// The file it was done on.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A system call (through `nix`) failed.
    #[error("cannot {action} {path}: {errno}")]
    Sys {
        /// What we were doing.
        action: &'static str,
        /// The path inside the target or store.
        path: PathBuf,
        /// The errno.
        errno: nix::errno::Errno,
    },
    /// A string was not a valid digest.
    #[error(transparent)]
    Digest(#[from] DigestError),
    /// A blob's bytes did not hash to its name, or had the wrong size.
    #[error(
        "blob {expected} failed verification: got {actual} ({actual_size} bytes), expected {expected_size} bytes; the blob was rejected and the store left as it was"
    )]
    DigestMismatch {
        /// The digest we were promised.
        expected: Digest,
        /// The size we were promised (`None`: not known).
        expected_size: String,
        /// The digest of what we actually got.
        actual: Digest,
        /// The size of what we actually got.
        actual_size: u64,
    },
    /// A blob the image needs is not in the store or layout.
    #[error("blob {0} is not in the store: pull or load the image first")]
    MissingBlob(Digest),
    /// No tag of that name.
    #[error("image {0:?} not found: pull, load or import it first (`images` lists what is here)")]
    UnknownReference(String),
    /// A JSON document (manifest, index, config, layout file) is malformed or of the wrong kind.
    #[error("{what} is not valid: {reason}")]
    BadDocument {
        /// Which document ("manifest sha256:…", "index.json").
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A media type we do not handle (or one that contradicts the document).
    #[error("unsupported media type {media_type:?} for {what}")]
    UnsupportedMediaType {
        /// The media type found.
        media_type: String,
        /// Where it was found.
        what: String,
    },
    /// A layer entry tried to reach outside the target, or was otherwise hostile.
    #[error("layer entry {entry:?} rejected: {reason}; the layer is refused")]
    HostileEntry {
        /// The entry's name as written in the tar.
        entry: PathBuf,
        /// Why it is refused.
        reason: String,
    },
    /// Writing a directory as a layer tar failed (lesson 03's layer writer).
    #[error(transparent)]
    Overlay(#[from] overlay::Error),
    /// The uncompressed layer grew past the configured bound.
    #[error(
        "layer expands to more than {limit} bytes: refusing a possible decompression bomb (raise ApplyOptions::max_bytes if the image is genuine)"
    )]
    TooLarge {
        /// The configured bound in bytes.
        limit: u64,
    },
}

impl Error {
    /// Wraps an `io::Error` with what we were doing and on which path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Wraps an errno with what we were doing and on which path.
    pub fn sys(action: &'static str, path: impl Into<PathBuf>, errno: nix::errno::Errno) -> Error {
        Error::Sys {
            action,
            path: path.into(),
            errno,
        }
    }

    /// A "not valid" error for a named document.
    pub fn bad(what: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::BadDocument {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

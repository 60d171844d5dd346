//! Everything that can go wrong talking to a registry, each with what to do about it.

use std::path::PathBuf;

use crate::reference::ReferenceError;

/// Errors from the registry client and server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The image name does not parse.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// No TCP/TLS connection, or it broke mid-way.
    #[error(
        "cannot reach {url}: {source}: check the address and your network, or configure a mirror"
    )]
    Connect {
        /// What we were fetching.
        url: String,
        /// ureq's error (DNS, refused, TLS, timeout, reset).
        source: Box<ureq::Error>,
    },
    /// 401 and we have no (accepted) credentials.
    #[error(
        "authentication required for {url}: log in with `cargo run -p registry --bin login -- {registry}`"
    )]
    Unauthorized {
        /// The registry the credentials are for.
        registry: String,
        /// The request that was refused.
        url: String,
    },
    /// The token server or registry refused the user name and password.
    #[error(
        "the registry refused the login (HTTP {status} from {realm}): check the user name and password"
    )]
    LoginRejected {
        /// The token server or registry.
        realm: String,
        /// 401 or 403.
        status: u16,
    },
    /// 403: authenticated, but not allowed.
    #[error("access denied to {url}: your account may not {action} this repository")]
    Denied {
        /// The request.
        url: String,
        /// `pull` or `push`.
        action: String,
    },
    /// 404 (distribution error codes MANIFEST_UNKNOWN, BLOB_UNKNOWN, NAME_UNKNOWN…).
    #[error("{what} not found at {url}: check the repository name and tag")]
    NotFound {
        /// What was missing, in words (`manifest alpine:latest`).
        what: String,
        /// The request.
        url: String,
    },
    /// 429: the registry's rate limit (Docker Hub: 100 pulls / 6 h anonymously per IP).
    #[error(
        "rate limited by {registry} (HTTP 429): log in for a higher limit, or pull through a classroom mirror (`registry-mirrors` in the registry config)"
    )]
    RateLimited {
        /// The registry host.
        registry: String,
    },
    /// Any other unexpected status (5xx after retries, 400, 405 …).
    #[error("HTTP {status} from {url} {detail}")]
    Status {
        /// HTTP status code.
        status: u16,
        /// The request.
        url: String,
        /// The registry's error body or an explanation.
        detail: String,
    },
    /// Content whose sha256 is not the digest it was asked for: corrupt or tampered.
    #[error("{what} is corrupt: expected {expected}, got {actual}; nothing was stored")]
    DigestMismatch {
        /// Which manifest or blob.
        what: String,
        /// The digest we asked for.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// A blob of another size than its descriptor says.
    #[error("{what} has {actual} bytes but its descriptor says {expected}; nothing was stored")]
    SizeMismatch {
        /// Which blob.
        what: String,
        /// Size in the descriptor.
        expected: u64,
        /// Bytes received.
        actual: u64,
    },
    /// A manifest media type this client does not understand (e.g. Docker schema 1).
    #[error(
        "unsupported manifest type {media_type:?} for {what}: only OCI and Docker schema 2 are supported"
    )]
    UnsupportedMediaType {
        /// The type the registry sent.
        media_type: String,
        /// Which manifest.
        what: String,
    },
    /// The index has no image for the wanted platform.
    #[error(
        "no image for platform {wanted} in {what}; available: {available}: choose one with --platform"
    )]
    NoPlatform {
        /// `os/arch[/variant]` that was wanted.
        wanted: String,
        /// The reference.
        what: String,
        /// What the index offers.
        available: String,
    },
    /// JSON that does not parse.
    #[error("cannot parse {what}: {source}")]
    Json {
        /// Which document.
        what: String,
        /// serde_json's reason.
        source: serde_json::Error,
    },
    /// A local file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The local image store (lesson 04) failed.
    #[error(transparent)]
    Store(#[from] images::Error),
    /// Bad command-line style input (platform strings, config).
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// A connection-level error on `url`.
    pub fn connect(url: &str, source: ureq::Error) -> Error {
        Error::Connect {
            url: url.into(),
            source: Box::new(source),
        }
    }
}

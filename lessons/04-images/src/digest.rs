//! Content addresses: `sha256:<64 hex digits>`, and readers/writers that compute them on the fly.
//!
//! An image is named by the hash of its bytes, never by a file name we were told. Everything in
//! this crate that reads a blob goes through [`VerifyingReader`], which hashes while it reads and
//! fails at the end if the bytes were not the ones the digest promised (OCI image-spec,
//! `descriptor.md`, "Digests").

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

/// Why a string is not a digest we accept.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DigestError {
    /// The string has no `algorithm:` prefix.
    #[error("digest {0:?} has no algorithm: expected `sha256:<64 hex digits>`")]
    MissingAlgorithm(String),
    /// Only sha256 is supported (it is the only algorithm registries and tools use in practice).
    #[error("digest {0:?} uses an unsupported algorithm: only sha256 is supported")]
    UnsupportedAlgorithm(String),
    /// The hex part is not 64 lower-case hex digits.
    #[error("digest {0:?} is malformed: expected 64 lower-case hex digits after `sha256:`")]
    BadHex(String),
}

/// A sha256 content address, such as `sha256:e3b0c442…b855`.
///
/// Parsing is strict (lower-case hex, exactly 64 digits) because a digest becomes a file name
/// under `blobs/sha256/`: a looser parser would let `../../etc` or upper-case twins in.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    hex: String,
}

impl Digest {
    /// The digest of `bytes` (sha256, FIPS 180-4).
    pub fn of(bytes: &[u8]) -> Digest {
        Digest {
            hex: hex::encode(Sha256::digest(bytes)),
        }
    }

    /// Builds a digest from 64 lower-case hex digits (no `sha256:` prefix), as used in file names.
    pub fn from_hex(hex: &str) -> Result<Digest, DigestError> {
        let ok = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !ok {
            return Err(DigestError::BadHex(format!("sha256:{hex}")));
        }
        Ok(Digest {
            hex: hex.to_string(),
        })
    }

    /// The 64 hex digits, which are also the blob's file name under `blobs/sha256/`.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The algorithm name; always `sha256` here.
    pub fn algorithm(&self) -> &'static str {
        "sha256"
    }

    /// Converts to the `oci-spec` digest type used inside descriptors.
    pub fn to_oci(&self) -> oci_spec::image::Digest {
        self.to_string()
            .parse()
            .expect("a valid sha256 digest is a valid oci-spec digest")
    }

    /// Converts from an `oci-spec` descriptor digest, rejecting anything but sha256.
    pub fn from_oci(d: &oci_spec::image::Digest) -> Result<Digest, DigestError> {
        d.to_string().parse()
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Digest, DigestError> {
        let Some((algorithm, hex)) = s.split_once(':') else {
            return Err(DigestError::MissingAlgorithm(s.to_string()));
        };
        if algorithm != "sha256" {
            return Err(DigestError::UnsupportedAlgorithm(s.to_string()));
        }
        Digest::from_hex(hex).map_err(|_| DigestError::BadHex(s.to_string()))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Hashes bytes as they pass through, counting them: the running sha256 of a stream.
#[derive(Clone, Default)]
pub struct Hasher {
    sha: Sha256,
    size: u64,
}

impl Hasher {
    /// A fresh hasher with nothing hashed.
    pub fn new() -> Hasher {
        Hasher::default()
    }

    /// Adds `bytes` to the hash.
    pub fn update(&mut self, bytes: &[u8]) {
        self.sha.update(bytes);
        self.size += bytes.len() as u64;
    }

    /// How many bytes have been hashed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The digest of everything hashed so far.
    pub fn digest(&self) -> Digest {
        Digest {
            hex: hex::encode(self.sha.clone().finalize()),
        }
    }
}

/// A reader that hashes everything read through it (used for diff IDs: the digest of the
/// *uncompressed* layer tar).
pub struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: Hasher::new(),
        }
    }

    /// Reads the rest of the stream (so trailing padding is hashed too) and returns its digest
    /// and total size.
    pub fn finish(mut self) -> io::Result<(Digest, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((self.hasher.digest(), self.hasher.size()))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// A reader that checks, as it reaches the end, that the bytes had the expected digest and size.
///
/// Reading more than `expected_size` bytes fails at once (a registry or a disk cannot make us
/// read an endless blob); reaching end-of-file with the wrong size or digest fails with
/// [`io::ErrorKind::InvalidData`]. So a consumer that reads to the end has *verified* the blob.
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Hasher,
    expected: Digest,
    expected_size: u64,
    verified: bool,
}

impl<R: Read> VerifyingReader<R> {
    /// Wraps `inner`, which must yield exactly `expected_size` bytes hashing to `expected`.
    pub fn new(inner: R, expected: Digest, expected_size: u64) -> VerifyingReader<R> {
        VerifyingReader {
            inner,
            hasher: Hasher::new(),
            expected,
            expected_size,
            verified: false,
        }
    }

    /// Reads whatever is left and returns `Ok` only if the whole blob matched.
    ///
    /// Call this after a consumer (a tar parser, a JSON parser) stopped early: a tar archive ends
    /// with zero blocks that the parser never reads, but they are part of the blob.
    pub fn finish(mut self) -> io::Result<()> {
        io::copy(&mut self, &mut io::sink())?;
        if self.verified {
            Ok(())
        } else {
            Err(self.mismatch())
        }
    }

    fn mismatch(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "blob {} failed verification: read {} bytes with digest {}, expected {} bytes",
                self.expected,
                self.hasher.size(),
                self.hasher.digest(),
                self.expected_size
            ),
        )
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        if self.hasher.size() > self.expected_size {
            return Err(self.mismatch());
        }
        if n == 0 && !buf.is_empty() {
            if self.hasher.size() != self.expected_size || self.hasher.digest() != self.expected {
                return Err(self.mismatch());
            }
            self.verified = true;
        }
        Ok(n)
    }
}

/// A writer that hashes everything written through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: Hasher::new(),
        }
    }

    /// The digest and size of what was written so far.
    pub fn digest(&self) -> (Digest, u64) {
        (self.hasher.digest(), self.hasher.size())
    }

    /// Gives back the inner writer.
    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_sha256_digests() {
        let d = Digest::of(b"");
        let s = d.to_string();
        assert_eq!(
            s,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(s.parse::<Digest>().unwrap(), d);
    }

    #[test]
    fn rejects_other_algorithms_and_malformed_hex() {
        assert!(matches!(
            "sha512:abcd".parse::<Digest>(),
            Err(DigestError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            "e3b0c442".parse::<Digest>(),
            Err(DigestError::MissingAlgorithm(_))
        ));
        let upper = format!("sha256:{}", "A".repeat(64));
        assert!(matches!(
            upper.parse::<Digest>(),
            Err(DigestError::BadHex(_))
        ));
        assert!(matches!(
            "sha256:../../etc/passwd".parse::<Digest>(),
            Err(DigestError::BadHex(_))
        ));
    }

    #[test]
    fn verifying_reader_rejects_a_changed_byte() {
        let data = b"hello world".to_vec();
        let d = Digest::of(&data);
        let mut ok = VerifyingReader::new(&data[..], d.clone(), 11);
        io::copy(&mut ok, &mut io::sink()).unwrap();
        ok.finish().unwrap();

        let mut bad = data.clone();
        bad[0] ^= 1;
        let mut r = VerifyingReader::new(&bad[..], d.clone(), 11);
        let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);

        let mut longer = data.clone();
        longer.push(b'!');
        let mut r = VerifyingReader::new(&longer[..], d, 11);
        assert!(io::copy(&mut r, &mut io::sink()).is_err());
    }
}

//! Layer identities — diff IDs and chain IDs — and opening a layer blob as a tar stream.
//!
//! A layer has three names (OCI image-spec, `config.md`, "Layer DiffID" and "Layer ChainID"):
//! - its **digest**: the sha256 of the blob as stored and shipped (usually gzip-compressed);
//! - its **diff ID**: the sha256 of the *uncompressed* tar, listed in the config's
//!   `rootfs.diff_ids` — the same changeset compressed differently keeps its diff ID;
//! - its **chain ID**: the identity of the stack *up to and including* it:
//!   `ChainID(L0) = DiffID(L0)`, `ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln))`.
//!   Two images that start with the same layers share the same chain IDs, so an engine that keys
//!   unpacked layers by chain ID unpacks the shared base once.

use std::io::{self, BufRead, BufReader, Read};

use flate2::read::MultiGzDecoder;
use ruzstd::decoding::{FrameDecoder, StreamingDecoder};

use crate::Error;
use crate::digest::Digest;
use crate::media::Compression;

/// The chain IDs of a stack of layers given their diff IDs, bottom layer first.
// ANCHOR: chain_ids
pub fn chain_ids(diff_ids: &[Digest]) -> Vec<Digest> {
    let mut out: Vec<Digest> = Vec::with_capacity(diff_ids.len());
    for diff in diff_ids {
        let next = match out.last() {
            None => diff.clone(),
            Some(parent) => Digest::of(format!("{parent} {diff}").as_bytes()),
        };
        out.push(next);
    }
    out
}
// ANCHOR_END: chain_ids

/// Wraps a (compressed) layer blob in the right decompressor, giving the tar stream.
pub fn decompress<'a, R: Read + 'a>(
    blob: R,
    compression: Compression,
) -> Result<Box<dyn Read + 'a>, Error> {
    match compression {
        Compression::None => Ok(Box::new(blob)),
        Compression::Gzip => Ok(Box::new(MultiGzDecoder::new(blob))),
        Compression::Zstd => Ok(Box::new(ZstdFrames {
            decoder: None,
            input: Some(BufReader::new(blob)),
        })),
    }
}

/// A zstd stream of one or more frames (RFC 8878 §3: a compressed stream may be several frames
/// back to back, as a gzip stream may be several members), decoded with the pure-Rust `ruzstd`.
struct ZstdFrames<R: Read> {
    decoder: Option<StreamingDecoder<BufReader<R>, FrameDecoder>>,
    input: Option<BufReader<R>>,
}

impl<R: Read> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(d) = &mut self.decoder {
                let n = d.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                // This frame is done; another may follow.
                self.input = self.decoder.take().map(StreamingDecoder::into_inner);
            }
            let mut input = self
                .input
                .take()
                .expect("either a decoder or the input is held");
            if input.fill_buf()?.is_empty() {
                self.input = Some(input);
                return Ok(0);
            }
            let d = StreamingDecoder::new(input)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?;
            self.decoder = Some(d);
        }
    }
}

/// A reader that fails once more than `limit` bytes have come through it: the bound that
/// turns a decompression bomb (a few KiB of gzip expanding to terabytes) into a clean error.
pub struct LimitedReader<R> {
    inner: R,
    limit: u64,
    seen: u64,
}

impl<R: Read> LimitedReader<R> {
    /// Wraps `inner`, allowing at most `limit` bytes.
    pub fn new(inner: R, limit: u64) -> LimitedReader<R> {
        LimitedReader {
            inner,
            limit,
            seen: 0,
        }
    }
}

/// The marker inside an `io::Error` that says the size bound was hit.
#[derive(Debug)]
pub(crate) struct LimitExceeded(pub u64);

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "layer larger than {} bytes", self.0)
    }
}

impl std::error::Error for LimitExceeded {}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen += n as u64;
        if self.seen > self.limit {
            return Err(io::Error::other(LimitExceeded(self.limit)));
        }
        Ok(n)
    }
}

/// Turns an `io::Error` from a layer stream into our error, recognising the size bound.
pub(crate) fn stream_error(e: io::Error, what: &str) -> Error {
    if let Some(l) = e.get_ref().and_then(|i| i.downcast_ref::<LimitExceeded>()) {
        return Error::TooLarge { limit: l.0 };
    }
    if e.kind() == io::ErrorKind::InvalidData {
        return Error::bad(what.to_string(), e.to_string());
    }
    Error::io("read layer", what.to_string(), e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_id_of_one_layer_is_its_diff_id_and_then_hashes_pairs() {
        let a = Digest::of(b"a");
        let b = Digest::of(b"b");
        let ids = chain_ids(&[a.clone(), b.clone()]);
        assert_eq!(ids[0], a);
        assert_eq!(ids[1], Digest::of(format!("{a} {b}").as_bytes()));
    }

    #[test]
    fn gzip_streams_of_several_members_decode_whole() {
        use std::io::Write;
        let member = |text: &[u8]| {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(text).unwrap();
            gz.finish().unwrap()
        };
        let stream = [member(b"first member, "), member(b"second member")].concat();
        let mut out = String::new();
        decompress(&stream[..], Compression::Gzip)
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "first member, second member");
    }

    #[test]
    fn zstd_streams_of_several_frames_decode_whole() {
        use ruzstd::encoding::{CompressionLevel, compress};
        let mut stream = Vec::new();
        compress(
            &b"first frame, "[..],
            &mut stream,
            CompressionLevel::Fastest,
        );
        compress(&b"second frame"[..], &mut stream, CompressionLevel::Fastest);
        let mut out = String::new();
        decompress(&stream[..], Compression::Zstd)
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "first frame, second frame");
    }

    #[test]
    fn limited_reader_stops_a_bomb() {
        let data = vec![0u8; 1000];
        let mut r = LimitedReader::new(&data[..], 999);
        let e = io::copy(&mut r, &mut io::sink()).unwrap_err();
        assert!(matches!(
            stream_error(e, "x"),
            Error::TooLarge { limit: 999 }
        ));
    }
}

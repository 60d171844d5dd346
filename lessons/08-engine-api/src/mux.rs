//! Stream multiplexing. A container has two output streams, stdout and stderr, but an HTTP
//! body (or a hijacked connection) is one byte stream. Unless the container has a TTY (which
//! merges them anyway), Docker cuts the output into frames, each with an 8-byte header:
//!
//! ```text
//! [stream, 0, 0, 0, size (4 bytes, big-endian)] then `size` bytes of payload
//! ```
//!
//! where stream is 0 stdin, 1 stdout, 2 stderr (Engine API docs, "Stream format"; moby
//! `pkg/stdcopy`). The CLI reads the header and writes each payload to its own stdout or stderr.

use std::io::{self, Read, Write};

/// Which stream a frame belongs to (the first header byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum StreamKind {
    /// Input written to the container (only in attach streams).
    Stdin = 0,
    /// The container's standard output.
    Stdout = 1,
    /// The container's standard error.
    Stderr = 2,
}

// ANCHOR: header
/// The 8-byte header of a frame carrying `len` bytes of `kind`.
pub fn header(kind: StreamKind, len: u32) -> [u8; 8] {
    let [a, b, c, d] = len.to_be_bytes();
    [kind as u8, 0, 0, 0, a, b, c, d]
}
// ANCHOR_END: header

/// Writes `data` as one frame (header, then payload), and flushes so the client sees it now.
pub fn write_frame(out: &mut impl Write, kind: StreamKind, data: &[u8]) -> io::Result<()> {
    let len = u32::try_from(data.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame larger than 4 GiB"))?;
    out.write_all(&header(kind, len))?;
    out.write_all(data)?;
    out.flush()
}

/// Reads one frame; `None` at a clean end of stream (what `docker` does, for tests and demos).
pub fn read_frame(input: &mut impl Read) -> io::Result<Option<(StreamKind, Vec<u8>)>> {
    let mut head = [0u8; 8];
    match input.read_exact(&mut head) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    let kind = match head[0] {
        0 => StreamKind::Stdin,
        1 => StreamKind::Stdout,
        2 => StreamKind::Stderr,
        n => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("bad stream byte {n} in a frame header: is this stream multiplexed?"),
            ));
        }
    };
    let len = u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let mut data = vec![0u8; len];
    input.read_exact(&mut data)?;
    Ok(Some((kind, data)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips() {
        let mut buf = Vec::new();
        write_frame(&mut buf, StreamKind::Stderr, b"oops\n").unwrap();
        assert_eq!(&buf[..8], &[2, 0, 0, 0, 0, 0, 0, 5]);
        let mut r = &buf[..];
        let (kind, data) = read_frame(&mut r).unwrap().unwrap();
        assert_eq!((kind, &data[..]), (StreamKind::Stderr, &b"oops\n"[..]));
        assert!(read_frame(&mut r).unwrap().is_none());
    }
}

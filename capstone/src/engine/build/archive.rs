//! `ADD archive /dir/`: which local files are archives, and unpacking them. Docker's rule
//! (moby `pkg/archive`, `DecompressStream` then `tar.Reader.Next`): a file is an archive when,
//! after undoing the compression its first bytes announce (gzip, bzip2, xz, zstd, or none), a
//! tar header can be read from it. Anything else — a `.gz` of plain text, an empty tar — is
//! copied as the file it is. The name plays no part: `data.bin` can be a tarball.
//!
//! The magic numbers: gzip `1f 8b` (RFC 1952 §2.3.1), bzip2 `BZh`, xz `fd 37 7a 58 5a 00`
//! (the .xz file format §2.1.1.1), zstd `28 b5 2f fd` (RFC 8878 §3.1.1). Docker 20.10 copies
//! a zstd file as it is; Docker from 23.0 (and BuildKit) unpack it, as we do.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Component, Path};

/// The compression a file's first bytes announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar (or not an archive at all).
    None,
    /// gzip.
    Gzip,
    /// bzip2.
    Bzip2,
    /// xz (LZMA2).
    Xz,
    /// Zstandard.
    Zstd,
}

/// Recognises the compression from the first bytes of a file.
pub fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(b"BZh") {
        Compression::Bzip2
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        Compression::Xz
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Opens `path` and undoes its compression: the bytes of the tar it may hold.
fn open_decompressed(path: &Path) -> std::io::Result<Box<dyn Read>> {
    let mut input = BufReader::new(fs::File::open(path)?);
    let compression = sniff(input.fill_buf()?);
    Ok(match compression {
        Compression::None => Box::new(input),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
        // `true`: several xz streams back to back are one file, as `xz -d` reads them.
        Compression::Xz => Box::new(lzma_rust2::XzReader::new(input, true)),
        Compression::Zstd => images::layer::decompress(input, images::media::Compression::Zstd)
            .map_err(std::io::Error::other)?,
    })
}

/// Whether `ADD` unpacks `path`: its (decompressed) content starts with a valid tar header.
pub fn is_archive(path: &Path) -> bool {
    let Ok(reader) = open_decompressed(path) else {
        return false;
    };
    let mut archive = tar::Archive::new(reader);
    // The tar crate checks the header's checksum, as Go's `tar.Reader.Next` does.
    matches!(archive.entries().map(|mut e| e.next()), Ok(Some(Ok(_))))
}

/// Unpacks the archive at `src` into the existing directory `dest`, keeping the owners and
/// modes the archive records. The archive's own root entry (`./`) is skipped, as Docker's
/// untar skips a directory entry for a path that exists: `dest` keeps its mode and owner.
pub fn unpack(src: &Path, dest: &Path) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("extract {}: {}", src.display(), with_causes(&e));
    let mut archive = tar::Archive::new(open_decompressed(src).map_err(fail)?);
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(true);
    archive.set_preserve_mtime(true);
    for entry in archive.entries().map_err(fail)? {
        let mut entry = entry.map_err(fail)?;
        let path = entry.path().map_err(fail)?.into_owned();
        if path.components().all(|c| c == Component::CurDir) {
            continue;
        }
        // unpack_in refuses paths that would land outside `dest` (`..`, through symlinks).
        entry.unpack_in(dest).map_err(fail)?;
    }
    Ok(())
}

/// An error and the errors beneath it (the tar crate puts the reason a file could not be
/// unpacked one level down), as `a: b: c`.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(&format!(": {e}"));
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers_name_the_compression() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Compression::Gzip);
        assert_eq!(sniff(b"BZh91AY&SY"), Compression::Bzip2);
        assert_eq!(sniff(b"\xfd7zXZ\0\0\x04"), Compression::Xz);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Compression::Zstd);
        assert_eq!(sniff(b"ustar"), Compression::None);
        assert_eq!(sniff(b""), Compression::None);
    }

    #[test]
    fn a_compressed_text_file_is_not_an_archive_but_a_compressed_tar_is() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("plain.gz");
        let mut gz = flate2::write::GzEncoder::new(
            fs::File::create(&text).unwrap(),
            flate2::Compression::fast(),
        );
        std::io::Write::write_all(&mut gz, b"just text\n").unwrap();
        gz.finish().unwrap();
        assert!(!is_archive(&text));

        let tarball = dir.path().join("data.bin");
        let bz = bzip2::write::BzEncoder::new(
            fs::File::create(&tarball).unwrap(),
            bzip2::Compression::fast(),
        );
        let mut builder = tar::Builder::new(bz);
        let mut header = tar::Header::new_gnu();
        header.set_size(3);
        header.set_mode(0o640);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_cksum();
        builder
            .append_data(&mut header, "inner/f.txt", &b"abc"[..])
            .unwrap();
        builder.into_inner().unwrap().finish().unwrap();
        assert!(is_archive(&tarball));

        let dest = dir.path().join("dest");
        fs::create_dir(&dest).unwrap();
        unpack(&tarball, &dest).unwrap();
        assert_eq!(fs::read(dest.join("inner/f.txt")).unwrap(), b"abc");
    }
}

//! The bodies of this crate's fuzz targets (`fuzz/fuzz_targets/*.rs`, run with `cargo fuzz`,
//! libFuzzer underneath). Each takes the raw bytes libFuzzer made up and panics when a property
//! breaks; `tests/fuzz_corpora.rs` feeds the same functions every committed corpus file, so a
//! plain `cargo test` replays what the fuzzers found.
//!
//! The properties: a layer never writes outside the directory it is applied to, whatever its
//! entries (`..`, absolute names, symlinks, hard links, whiteouts, devices); a blob whose bytes
//! do not hash to the expected digest is always refused; a config document survives being
//! edited and stored.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::apply::{ApplyOptions, WhiteoutMode, apply_layer};
use crate::config_doc::ConfigDoc;
use crate::digest::{Digest, VerifyingReader};
use crate::store::Store;

/// Where the layer's text may name the sentinel directory beside the target (its absolute path
/// is random, so the fuzzer could never guess it).
pub const SENTINEL_PLACEHOLDER: &str = "@S";

/// Applies a layer into a fresh target beside a sentinel directory, and panics if anything
/// outside the target changed. `data` is either `#tar\n` and a raw tar stream, or a script of
/// entries, one a line: `f NAME DATA`, `d NAME`, `l NAME TARGET` (symlink), `h NAME TARGET`
/// (hard link), `c NAME` (a 1:3 character device); a first line `overlay` applies with
/// overlayfs whiteouts instead of deleting. `@S` stands for the sentinel's absolute path.
pub fn apply_layer_in_jail(data: &[u8]) {
    let jail = tempfile::tempdir().expect("a temporary directory");
    let target = jail.path().join("target");
    let sentinel = jail.path().join("sentinel");
    fs::create_dir(&target).expect("target");
    fs::create_dir(&sentinel).expect("sentinel");
    fs::write(sentinel.join("keep"), b"keep").expect("sentinel file");
    let (mode, tar) = match data.strip_prefix(b"#tar\n") {
        Some(raw) => (WhiteoutMode::Apply, raw.to_vec()),
        None => layer_from_script(data, &sentinel.to_string_lossy()),
    };
    let opts = ApplyOptions {
        whiteouts: mode,
        max_bytes: 1 << 20,
        ..ApplyOptions::default()
    };
    let _ = apply_layer(&target, tar.as_slice(), &opts);
    assert_jail_untouched(jail.path());
}

fn assert_jail_untouched(jail: &Path) {
    let mut names: Vec<String> = fs::read_dir(jail)
        .expect("read jail")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["sentinel", "target"],
        "a layer wrote beside its target"
    );
    let sentinel = jail.join("sentinel");
    let meta = fs::symlink_metadata(&sentinel).expect("sentinel");
    assert!(meta.is_dir(), "the sentinel was replaced");
    let inside: Vec<_> = fs::read_dir(&sentinel).expect("read sentinel").collect();
    assert_eq!(inside.len(), 1, "a layer wrote into the sentinel");
    let keep = sentinel.join("keep");
    let meta = fs::symlink_metadata(&keep).expect("the sentinel's file was removed");
    assert!(
        meta.is_file() && meta.nlink() == 1,
        "the sentinel's file was replaced or linked"
    );
    assert_eq!(
        fs::read(&keep).expect("read"),
        b"keep",
        "the sentinel's file changed"
    );
}

/// Builds the tar a layer script describes (see [`apply_layer_in_jail`]).
pub fn layer_from_script(script: &[u8], sentinel: &str) -> (WhiteoutMode, Vec<u8>) {
    let text = String::from_utf8_lossy(script).replace(SENTINEL_PLACEHOLDER, sentinel);
    let mut lines = text.lines().peekable();
    let mode = match lines.peek() {
        Some(&"overlay") => {
            lines.next();
            WhiteoutMode::Overlay
        }
        _ => WhiteoutMode::Apply,
    };
    let mut out = Vec::new();
    for line in lines {
        let mut words = line.splitn(3, ' ');
        let (kind, name, arg) = (words.next(), words.next(), words.next().unwrap_or(""));
        let Some(name) = name else { continue };
        let (entry, mode_bits, body) = match kind {
            Some("f") => (tar::EntryType::Regular, 0o644, arg.as_bytes()),
            Some("d") => (tar::EntryType::Directory, 0o755, &b""[..]),
            Some("l") => (tar::EntryType::Symlink, 0o777, &b""[..]),
            Some("h") => (tar::EntryType::Link, 0o644, &b""[..]),
            Some("c") => (tar::EntryType::Char, 0o600, &b""[..]),
            _ => continue,
        };
        let mut h = tar::Header::new_ustar();
        copy_truncated(&mut h.as_old_mut().name, name.as_bytes());
        if matches!(entry, tar::EntryType::Symlink | tar::EntryType::Link) {
            copy_truncated(&mut h.as_old_mut().linkname, arg.as_bytes());
        }
        h.set_entry_type(entry);
        h.set_mode(mode_bits);
        h.set_size(body.len() as u64);
        h.set_mtime(1_000_000);
        if entry == tar::EntryType::Char {
            let _ = h.set_device_major(1);
            let _ = h.set_device_minor(3);
        }
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(body);
        out.resize(out.len().next_multiple_of(512), 0);
    }
    out.resize(out.len() + 1024, 0);
    (mode, out)
}

fn copy_truncated(field: &mut [u8], bytes: &[u8]) {
    let n = bytes.len().min(field.len());
    field[..n].copy_from_slice(&bytes[..n]);
}

/// A blob is accepted under its own digest and refused under any other: `data` is the blob;
/// the wrong digest is the digest of `data` with one bit flipped, and a wrong size is one more.
/// Checked for the streaming reader and for the store's blob writer.
pub fn digest_mismatch_is_refused(data: &[u8]) {
    let right = Digest::of(data);
    let mut flipped = data.to_vec();
    match flipped.first_mut() {
        Some(b) => *b ^= 1,
        None => flipped.push(0),
    }
    let wrong = Digest::of(&flipped);
    let size = data.len() as u64;
    let verify = |d: &Digest, s: u64| VerifyingReader::new(data, d.clone(), s).finish();
    assert!(verify(&right, size).is_ok(), "the right digest was refused");
    assert!(verify(&wrong, size).is_err(), "a wrong digest was accepted");
    assert!(
        verify(&right, size + 1).is_err(),
        "a wrong size was accepted"
    );

    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(dir.path()).expect("store");
    let mut writer = store.blob_writer().expect("writer");
    std::io::Write::write_all(&mut writer, data).expect("write");
    assert!(
        writer.commit(&wrong, None).is_err(),
        "the store took a wrong digest"
    );
    assert!(
        !store.has_blob(&wrong) && !store.has_blob(&right),
        "a refused blob is visible"
    );
}

/// An image config from a registry: wrapping it, reading its settings, writing them back and
/// storing the document must never panic, and the stored bytes must read back to the same
/// settings.
pub fn config_document(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let mut doc = ConfigDoc::from_json(value);
    let settings = doc.settings();
    doc.set_settings(&settings);
    let _ = doc.diff_ids();
    doc.push_diff_id(&Digest::of(data));
    doc.add_history("fuzz", true);
    let bytes = doc.to_bytes();
    let again = ConfigDoc::from_json(serde_json::from_slice(&bytes).expect("our own JSON"));
    assert_eq!(
        again.settings(),
        settings,
        "settings changed on a round trip"
    );
    assert_eq!(again, doc, "the document changed on a round trip");
}

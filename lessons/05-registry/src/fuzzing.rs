//! The bodies of this crate's fuzz targets (`fuzz/fuzz_targets/*.rs`, run with `cargo fuzz`,
//! libFuzzer underneath). Each takes the raw bytes libFuzzer made up and panics when a property
//! breaks; `tests/fuzz_corpora.rs` feeds the same functions every committed corpus file, so a
//! plain `cargo test` replays what the fuzzers found.

use std::io::Read;
use std::path::Path;

use tiny_http::{Header, Method};

use crate::manifest::{Manifest, parse};
use crate::reference::Reference;
use crate::server::{Repos, answer};

/// Image references: parsing never panics, and what parses prints back to a string that parses
/// to the same reference — the full form (`docker.io/library/alpine:latest`) always, the short
/// one Docker shows (`alpine:latest`) unless a Docker Hub repository's first component looks
/// like a registry (`docker.io/a.b/c` shows as `a.b/c`, which names registry `a.b`: Docker's
/// `FamiliarName` is ambiguous there too, so we print what Docker prints).
pub fn reference_round_trip(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(reference) = Reference::parse(text) else {
        return;
    };
    let first = reference.repository.split('/').next().unwrap_or_default();
    let ambiguous = reference.registry == crate::reference::DOCKER_HUB
        && (first.contains(['.', ':']) || first == "localhost");
    let mut printed = vec![reference.to_string()];
    if !ambiguous {
        printed.push(reference.familiar());
    }
    for printed in printed {
        match Reference::parse(&printed) {
            Ok(again) => assert_eq!(again, reference, "{text:?} printed as {printed:?}"),
            Err(e) => panic!("{text:?} parsed, but its printed form {printed:?} did not: {e}"),
        }
    }
}

/// Manifests and indexes from a registry (first line: the `Content-Type` header, the rest: the
/// body): parsing never panics, and what parses serialises and parses again to the same kind.
pub fn manifest_document(data: &[u8]) {
    let (content_type, body) = split_line(data);
    let content_type = std::str::from_utf8(content_type)
        .ok()
        .filter(|t| !t.is_empty());
    let Ok((media_type, manifest)) = parse(body, content_type, "fuzzed manifest") else {
        return;
    };
    let (bytes, is_index) = match &manifest {
        Manifest::Image(m) => (serde_json::to_vec(m), false),
        Manifest::Index(i) => (serde_json::to_vec(i), true),
    };
    let bytes = bytes.expect("a parsed manifest serialises");
    let (_, again) = parse(&bytes, Some(&media_type), "re-serialised manifest")
        .expect("a re-serialised manifest parses");
    assert_eq!(matches!(again, Manifest::Index(_)), is_index);
}

/// Requests to the registry server, answered from a fresh store inside a jail directory.
/// `data` holds requests separated by a line `====`; each is `METHOD URL`, header lines
/// `Name: value`, an empty line and the body. After each request: nothing was written beside
/// the store's root, and every stored blob hashes to its name (a digest mismatch never lands).
/// An upload's id is a random UUID the fuzzer could never guess, so `{upload}` in a URL stands
/// for the id of the upload the last `POST …/blobs/uploads/` started: chunked uploads
/// (`PATCH`, then `PUT ?digest=`) are reachable too.
pub fn registry_request(data: &[u8]) {
    let jail = tempfile::tempdir().expect("a temporary directory");
    let root = jail.path().join("root");
    let repos = Repos::open(&root).expect("registry storage");
    let text = String::from_utf8_lossy(data);
    let mut upload = String::new();
    for request in text.split("\n====\n").take(8) {
        let request = request.replace(UPLOAD_PLACEHOLDER, &upload);
        let (head, body) = request.split_once("\n\n").unwrap_or((&request, ""));
        let mut lines = head.lines();
        let Some((method, url)) = lines.next().and_then(|l| l.split_once(' ')) else {
            continue;
        };
        let Ok(method) = method.parse::<Method>() else {
            continue;
        };
        let headers: Vec<Header> = lines
            .filter_map(|l| l.split_once(": "))
            .filter_map(|(k, v)| Header::from_bytes(k.as_bytes(), v.as_bytes()).ok())
            .collect();
        let reply = answer(&repos, &method, url, &headers, &mut body.as_bytes());
        if let Some(id) = reply
            .headers()
            .iter()
            .find(|h| h.field.equiv("Docker-Upload-UUID"))
        {
            upload = id.value.to_string();
        }
        let mut sink = Vec::new();
        let _ = reply.into_reader().take(1 << 20).read_to_end(&mut sink);
        assert_only_root(jail.path());
        assert_blobs_match_their_names(&root);
    }
}

/// What a fuzzed URL writes for "the upload the last POST started" (see [`registry_request`]).
const UPLOAD_PLACEHOLDER: &str = "{upload}";

fn assert_only_root(jail: &Path) {
    let names: Vec<_> = std::fs::read_dir(jail)
        .expect("read jail")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        names,
        ["root"],
        "a request wrote outside the registry's root"
    );
}

fn assert_blobs_match_their_names(root: &Path) {
    let dir = root.join("blobs").join("sha256");
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(bytes) = std::fs::read(entry.path()) else {
            continue;
        };
        if entry.path().is_file() && !name.starts_with('.') {
            let digest = images::digest::Digest::of(&bytes);
            assert_eq!(digest.hex(), name, "a blob is stored under another digest");
        }
    }
}

fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&[], data),
    }
}

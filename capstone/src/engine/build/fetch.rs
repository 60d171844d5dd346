//! `ADD https://…`: a source that is a URL is downloaded over HTTP(S) with `ureq`, the HTTP
//! stack (and rustls TLS) lesson 05's registry client uses, into a scratch directory; from
//! there the ordinary `COPY` code ([`super::copy`]) puts it into the layer. Docker's rules:
//!
//! - the file is named after the URL's last path segment when the destination ends in `/`
//!   (or is a directory), otherwise it *is* the destination;
//! - it gets mode 0600 (unless `--chmod`), owner root (unless `--chown`), and its mtime from
//!   the `Last-Modified` header when the server sends one;
//! - it is never extracted, even when it is a tar archive (only local archives are);
//! - with `--checksum=sha256:…` its digest must match, or the step fails;
//! - it is downloaded at every build and its *content* goes into the cache key, so a changed
//!   file invalidates the step and an unchanged one hits the cache.

use images::digest::{Digest, HashingWriter};
use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Whether an `ADD` source is a URL to download (Docker only fetches http and https).
pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// The file name a URL gives: its last path segment, without query or fragment.
pub fn file_name(url: &str) -> Result<String, String> {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.split(['?', '#']).next().unwrap_or("");
    let name = match path.split_once('/') {
        Some((_host, path)) => path.rsplit('/').next().unwrap_or(""),
        None => "",
    };
    if name.is_empty() || name == "." || name == ".." {
        return Err(format!(
            "{url}: cannot determine a file name from the URL: give the destination a file name (not ending in /)"
        ));
    }
    Ok(name.to_string())
}

/// Downloads `url` into `dir/<name>` with mode 0600 and the server's `Last-Modified` as its
/// mtime; returns the sha256 of what it got (for `ADD --checksum`). Errors are messages for
/// the caller to put the Dockerfile line on.
pub fn download(url: &str, dir: &Path, name: &str) -> Result<Digest, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false) // we say which status, and on which URL
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .user_agent(concat!("capstone-build/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| format!("cannot download {url}: {e}: check the URL and the network"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!(
            "cannot download {url}: the server answered HTTP {status}"
        ));
    }
    let modified = response
        .headers()
        .get("last-modified")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date);
    let path = dir.join(name);
    let fail = |e: std::io::Error| format!("cannot download {url} to {}: {e}", path.display());
    let mut file = HashingWriter::new(File::create(&path).map_err(fail)?);
    std::io::copy(&mut response.body_mut().as_reader(), &mut file).map_err(fail)?;
    let (digest, _size) = file.digest();
    let file = file.into_inner();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).map_err(fail)?;
    if let Some(time) = modified {
        file.set_modified(time).map_err(fail)?;
    }
    Ok(digest)
}

/// `ADD --checksum=sha256:…`: the download must have exactly this digest.
pub fn verify(url: &str, got: &Digest, expected: &str) -> Result<(), String> {
    if got.to_string() == expected {
        return Ok(());
    }
    Err(format!(
        "{url}: checksum mismatch: --checksum says {expected}, the download is {got}: the file changed on the server, or the checksum is wrong"
    ))
}

/// Parses an HTTP date in its one current form, RFC 9110's IMF-fixdate
/// (`Wed, 21 Oct 2015 07:28:00 GMT`); `None` for anything else.
pub fn parse_http_date(value: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_weekday, day, month, year, time, "GMT"] = parts[..] else {
        return None;
    };
    let month = MONTHS.iter().position(|m| *m == month)? + 1;
    crate::model::clock::parse(&format!("{year}-{month}-{day}T{time}Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_is_the_last_path_segment() {
        assert_eq!(
            file_name("https://example.com/a/b/tool.tar.gz?x=1#f").unwrap(),
            "tool.tar.gz"
        );
        assert!(file_name("https://example.com/").is_err());
        assert!(file_name("https://example.com").is_err());
    }

    #[test]
    fn http_dates_parse_as_imf_fixdate() {
        let t = parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let secs = t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1_445_412_480);
        assert_eq!(parse_http_date("Wednesday, 21-Oct-15 07:28:00 GMT"), None);
    }
}

//! The book for the room, with no Internet: `mdbook build` writes it as static files (its
//! theme, fonts and scripts included, nothing from a CDN), and the kit serves them itself
//! over HTTP/1.1 (RFC 9112, through `tiny_http`) — `mdbook serve` is an optional feature of
//! mdbook that many installs lack.
//!
//! The request path is untrusted: only plain names are followed (no `..`, no absolute
//! parts), so no request reads a file outside the built book.

use anyhow::Context;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// Builds the book of `ws` into `target/kit/book`; returns that directory.
pub fn build(ws: &crate::bench::Workspace) -> anyhow::Result<PathBuf> {
    let dest = ws.kit_dir().join("book");
    let status = Command::new("mdbook")
        .arg("build")
        .arg(ws.root.join("book"))
        .arg("--dest-dir")
        .arg(&dest)
        .status()
        .context("run mdbook (install it with `cargo install mdbook`, or pass --no-book)")?;
    anyhow::ensure!(status.success(), "mdbook build failed ({status})");
    Ok(dest)
}

/// The file a request path names inside `root` (`/` and directories mean `index.html`), or
/// `None` if the path tries to leave it.
pub fn file_for(root: &Path, url: &str) -> Option<PathBuf> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let mut file = root.to_path_buf();
    for part in Path::new(path.trim_start_matches('/')).components() {
        match part {
            Component::Normal(name) => file.push(name),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    Some(file)
}

/// The `Content-Type` for a file of the built book.
fn content_type(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css",
        "js" => "text/javascript",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        _ => "application/octet-stream",
    }
}

/// Serves `root` on `listen` from a thread of its own; returns the address it listens on.
pub fn serve(root: PathBuf, listen: &str) -> anyhow::Result<String> {
    let (server, addr) = super::http::bind(listen)?;
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let found = file_for(&root, request.url())
                .and_then(|f| Some((std::fs::File::open(&f).ok()?, f)));
            let _ = match found {
                Some((file, path)) => {
                    let header = tiny_http::Header::from_bytes("Content-Type", content_type(&path))
                        .expect("a valid header");
                    request.respond(tiny_http::Response::from_file(file).with_header(header))
                }
                None => request
                    .respond(tiny_http::Response::from_string("not found").with_status_code(404)),
            };
        }
    });
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_stay_inside_the_book() {
        let root = Path::new("/srv/book");
        assert_eq!(
            file_for(root, "/ch01.html?x=1"),
            Some(root.join("ch01.html"))
        );
        assert_eq!(file_for(root, "/../../etc/passwd"), None);
        assert_eq!(file_for(root, "/css/../../x"), None);
        assert_eq!(
            file_for(root, "//etc/passwd"),
            Some(root.join("etc/passwd"))
        );
    }
}

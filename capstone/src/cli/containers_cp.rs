//! `cp`: which side is the container (Docker's `CONTAINER:PATH` syntax), then
//! [`crate::Engine::copy_from_container`] or [`crate::Engine::copy_to_container`]; `-` as
//! the other side is a tar stream on stdout or stdin.

use crate::engine::copy::CopyOptions;
use crate::{Engine, Error, Result};
use std::path::Path;

/// `CONTAINER:PATH` when a `:` comes before any `/` (so `./a:b` and `/a:b` are local files).
fn container_part(arg: &str) -> Option<(&str, &str)> {
    if arg.starts_with('/') || arg.starts_with('.') {
        return None;
    }
    let (container, path) = arg.split_once(':')?;
    (!container.contains('/') && !container.is_empty()).then_some((container, path))
}

pub(super) fn cp(
    engine: &Engine,
    src: &str,
    dest: &str,
    archive: bool,
    follow: bool,
) -> Result<i32> {
    let opts = CopyOptions {
        archive,
        follow_link: follow,
    };
    let path_or_root = |p: &str| {
        if p.is_empty() {
            "/".to_string()
        } else {
            p.to_string()
        }
    };
    match (container_part(src), container_part(dest)) {
        // `-`: a tar stream on stdout or stdin, as Docker's cp.
        (Some((c, path)), None) if dest == "-" => {
            let mut out = std::io::stdout();
            engine.archive_from_container(c, &path_or_root(path), &mut out, opts)?
        }
        (None, Some((c, path))) if src == "-" => {
            let mut input = std::io::stdin();
            engine.unpack_into_container(&mut input, c, &path_or_root(path), opts)?
        }
        (Some((c, path)), None) => {
            engine.copy_from_container(c, &path_or_root(path), Path::new(dest), opts)?
        }
        (None, Some((c, path))) => {
            engine.copy_to_container(Path::new(src), c, &path_or_root(path), opts)?
        }
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "cp",
                format!("{src} {dest}"),
                "copying between containers is not supported: copy to the host first",
            ));
        }
        (None, None) => {
            return Err(Error::invalid(
                "cp",
                format!("{src} {dest}"),
                "one side must be a container path: CONTAINER:PATH",
            ));
        }
    }
    Ok(0)
}

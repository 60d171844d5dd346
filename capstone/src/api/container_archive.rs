//! `docker cp` over the API (moby's `api/server/router/container/copy.go`):
//! `HEAD /containers/{id}/archive?path=P` stats `P`, `GET` sends it as a tar archive, `PUT`
//! unpacks the request's tar archive into the directory `P`. HEAD and GET carry the stat in
//! the `X-Docker-Container-Path-Stat` header: base64 (RFC 4648 §4) of the JSON
//! `{"name","size","mode","mtime","linkTarget"}`, which the CLI reads to decide how to name
//! what it copies. The engine does the work ([`crate::engine::copy`]): its unpacking is
//! lesson 04's guarded applier inside the container's root, so a hostile archive (`..`,
//! absolute names, symlinks out) never writes outside it.

use super::{Daemon, errors, on};
use crate::engine::copy::CopyOptions;
use crate::engine::copy_archive::{self, PathStat};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use engineapi::{ApiError, Call, Reply, Router};
use serde_json::json;
use std::sync::Arc;

/// The `docker cp` routes.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("HEAD", "/containers/{id}/archive", on(daemon, stat))
        .route("GET", "/containers/{id}/archive", on(daemon, copy_out))
        .route("PUT", "/containers/{id}/archive", on(daemon, copy_in))
}

/// The `path` query parameter (required, as moby's `archiveFormValues`).
fn path(call: &Call) -> Result<&str, ApiError> {
    match call.query.get("path").map(String::as_str) {
        None | Some("") => Err(ApiError::bad_request(
            "path: name the path in the container",
        )),
        Some(path) => Ok(path),
    }
}

/// The path's stat, or moby's 404 (`containerFileNotFound`) when nothing is there.
fn stat_of(d: &Daemon, call: &Call) -> Result<PathStat, ApiError> {
    let (container, path) = (call.param("id"), path(call)?);
    let stat = d
        .engine
        .stat_in_container(container, path)
        .map_err(errors::api)?;
    stat.ok_or_else(|| {
        ApiError::not_found(format!(
            "Could not find the file {path} in container {container}"
        ))
    })
}

/// `reply` with the stat header.
fn with_stat(stat: &PathStat, reply: Reply) -> Reply {
    let document = json!({
        "name": stat.name,
        "size": stat.size,
        "mode": stat.mode,
        "mtime": stat.mtime,
        "linkTarget": stat.link_target,
    });
    let header = STANDARD.encode(document.to_string());
    let name = "X-Docker-Container-Path-Stat".to_string();
    Reply::WithHeaders(vec![(name, header)], Box::new(reply))
}

fn stat(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    Ok(with_stat(&stat_of(d, call)?, Reply::Empty(200)))
}

/// The path under its own name (a symlink as a symlink: the CLI follows `-L` itself).
fn copy_out(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let stat = stat_of(d, call)?;
    let (container, path) = (call.param("id"), path(call)?);
    let archive = super::container_files::spooled_tar(|file| {
        d.engine
            .archive_from_container(container, path, file, CopyOptions::default())
    })?;
    Ok(with_stat(&stat, archive))
}

/// The archive's owners stay, as moby's; `copyUIDGID` (`docker cp -a`) gives the copies to
/// the container's `User`, if it has one. `noOverwriteDirNonDir` (the CLI always sends it)
/// refuses to swap a directory and a file.
fn copy_in(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    stat_of(d, call)?;
    let (container, path) = (call.param("id"), path(call)?);
    copy_archive::refuse_whiteouts(&call.body).map_err(errors::api)?;
    if call.query_bool("noOverwriteDirNonDir") {
        d.engine
            .check_no_dir_swaps(container, path, &call.body)
            .map_err(errors::api)?;
    }
    let opts = CopyOptions {
        archive: true,
        follow_link: false,
    };
    let mut body = call.body.as_slice();
    d.engine
        .unpack_into_container(&mut body, container, path, opts)
        .map_err(errors::api)?;
    if call.query_bool("copyUIDGID") {
        d.engine
            .chown_to_container_user(container, path, &call.body)
            .map_err(errors::api)?;
    }
    Ok(Reply::Empty(200))
}

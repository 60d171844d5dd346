//! A container's files over the API: `GET /containers/{id}/changes` (`docker diff`, as
//! `[{"Path": …, "Kind": 0|1|2}]`: changed, added, deleted) and `GET /containers/{id}/export`
//! (`docker export`: its filesystem as one tar archive).

use super::{Daemon, errors, on};
use engineapi::{ApiError, Call, Reply, Router};
use overlay::ChangeKind;
use serde_json::{Value, json};
use std::io::{Seek, SeekFrom};
use std::sync::Arc;

/// The routes over a container's files.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("GET", "/containers/{id}/changes", on(daemon, changes))
        .route("GET", "/containers/{id}/export", on(daemon, export))
}

fn changes(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let changes = d.engine.changes(call.param("id")).map_err(errors::api)?;
    let rows: Vec<Value> = changes
        .iter()
        .map(|c| {
            let kind = match c.kind {
                ChangeKind::Changed => 0,
                ChangeKind::Added => 1,
                ChangeKind::Deleted => 2,
            };
            json!({ "Path": c.path, "Kind": kind })
        })
        .collect();
    Ok(Reply::Json(200, Value::Array(rows)))
}

fn export(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    spooled_tar(|file| d.engine.export(call.param("id"), file))
}

/// A tar archive as the reply's body, written by `write` to an unlinked temporary file first
/// (so a failure is a status code, not a truncated archive), then sent from there.
pub(super) fn spooled_tar(
    write: impl FnOnce(&mut std::fs::File) -> crate::Result<()>,
) -> Result<Reply, ApiError> {
    let mut file = tempfile::tempfile()
        .map_err(|e| ApiError::internal(format!("create a temporary file: {e}")))?;
    write(&mut file).map_err(errors::api)?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| ApiError::internal(format!("rewind the archive: {e}")))?;
    Ok(Reply::Stream {
        status: 200,
        content_type: "application/x-tar",
        body: Box::new(file),
    })
}

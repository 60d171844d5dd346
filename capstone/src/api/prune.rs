//! `POST /containers/prune` and `POST /images/prune`: the Engine's prunes, answered in
//! Docker's shape (`ContainersDeleted` / `ImagesDeleted`, and `SpaceReclaimed` in bytes).

use super::containers::filters;
use super::{Daemon, errors, on};
use engineapi::{ApiError, Call, Reply, Router};
use serde_json::{Value, json};
use std::sync::Arc;

/// The prune routes.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("POST", "/containers/prune", on(daemon, containers))
        .route("POST", "/images/prune", on(daemon, images))
}

fn containers(d: &Daemon, _: &Call) -> Result<Reply, ApiError> {
    let pruned = d.engine.prune_containers().map_err(errors::api)?;
    Ok(Reply::Json(
        200,
        json!({ "ContainersDeleted": pruned.removed, "SpaceReclaimed": pruned.reclaimed }),
    ))
}

/// `dangling=false` (what `docker image prune -a` sends) also removes every unused tag.
fn images(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let all = filters(call)?
        .iter()
        .any(|(k, v)| k == "dangling" && matches!(v.as_str(), "false" | "0"));
    let pruned = d.engine.prune_images(all).map_err(errors::api)?;
    let items: Vec<Value> = pruned
        .removed
        .iter()
        .filter_map(|line| match line.split_once(": ") {
            Some(("untagged", tag)) => Some(json!({ "Untagged": tag })),
            Some(("deleted", what)) => Some(json!({ "Deleted": what })),
            _ => None,
        })
        .collect();
    Ok(Reply::Json(
        200,
        json!({ "ImagesDeleted": items, "SpaceReclaimed": pruned.reclaimed }),
    ))
}

//! `POST /{containers,images,networks,volumes,build}/prune`: the Engine's prunes, answered in
//! Docker's shape (`ContainersDeleted`, `ImagesDeleted`, `NetworksDeleted`, `VolumesDeleted`,
//! `CachesDeleted`, and `SpaceReclaimed` in bytes). `docker system prune` calls all but the
//! volumes' (without `--volumes`), and fails if one is missing.

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
        .route("POST", "/networks/prune", on(daemon, networks))
        .route("POST", "/volumes/prune", on(daemon, volumes))
        .route("POST", "/build/prune", on(daemon, build_cache))
}

/// `all=true` (`docker builder prune -a`) drops every entry, not only those whose image is gone.
fn build_cache(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let pruned = d
        .engine
        .prune_build_cache(call.query_bool("all"))
        .map_err(errors::api)?;
    Ok(Reply::Json(
        200,
        json!({ "CachesDeleted": pruned.removed, "SpaceReclaimed": pruned.reclaimed }),
    ))
}

fn networks(d: &Daemon, _: &Call) -> Result<Reply, ApiError> {
    let removed = d.engine.prune_networks().map_err(errors::api)?;
    Ok(Reply::Json(200, json!({ "NetworksDeleted": removed })))
}

/// Named volumes go too with `all=true` (what `docker volume prune -a` sends as a filter), and
/// for clients of API versions before 1.42, when prune removed every unused volume (moby's
/// volume router keeps that rule).
fn volumes(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let old_client = call
        .requested
        .is_some_and(|v| v < engineapi::ApiVersion::new(1, 42));
    let all = old_client
        || filters(call)?
            .iter()
            .any(|(k, v)| k == "all" && matches!(v.as_str(), "true" | "1"));
    let (removed, reclaimed) = d.engine.prune_volumes(all).map_err(errors::api)?;
    Ok(Reply::Json(
        200,
        json!({ "VolumesDeleted": removed, "SpaceReclaimed": reclaimed }),
    ))
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

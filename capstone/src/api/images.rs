//! Image endpoints: list, pull (`POST /images/create`, answered with Docker's JSON progress
//! lines as they come; with `fromSrc`, `docker import`), inspect, tag, history, delete, and
//! `POST /commit`, which makes one.
//! Push, save and load are in [`super::image_transfer`], build in [`super::build`].

use super::{Daemon, errors, on};
use crate::engine::image_filter::ImageFilter;
use crate::engine::images::Removed;
use crate::store::image_refs;
use engineapi::{ApiError, Call, Reply, Router};
use serde_json::{Value, json};
use std::sync::Arc;

/// The image routes.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("GET", "/images/json", on(daemon, list))
        .route("POST", "/images/create", on(daemon, pull))
        .route("GET", "/images/{name*}/json", on(daemon, inspect))
        .route("GET", "/images/{name*}/history", on(daemon, history))
        .route("POST", "/images/{name*}/tag", on(daemon, tag))
        .route("DELETE", "/images/{name*}", on(daemon, delete))
        .route("POST", "/commit", on(daemon, commit))
}

/// `POST /commit?container=…&repo=…&tag=…&author=…&comment=…`: `docker commit`, answered
/// `201 {"Id": …}` as dockerd answers. Docker pauses the container while it copies (`pause`);
/// here the upper directory is read as it is, as `capstone commit` does. `changes` (`docker
/// commit --change`, Dockerfile instructions applied to the config) is refused rather than
/// ignored; the body (a config to merge, from API clients) is not read.
fn commit(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let text = |name: &str| call.query.get(name).cloned().unwrap_or_default();
    let container = text("container");
    if container.is_empty() {
        return Err(ApiError::bad_request("container is required"));
    }
    if call
        .query_all("changes")
        .iter()
        .any(|c| !c.trim().is_empty())
    {
        return Err(ApiError::bad_request(
            "commit --change is not supported by capstone: set what the image should run \
             with `run` flags (--env, --workdir, --entrypoint, …) before committing",
        ));
    }
    let reference = repo_and_tag(text("repo"), text("tag"));
    let notes = crate::engine::commit::CommitNotes {
        author: text("author"),
        message: text("comment"),
    };
    let image = d
        .engine
        .commit(&container, reference.as_deref(), &notes)
        .map_err(errors::api)?;
    Ok(Reply::Json(
        201,
        json!({ "Id": image.config_digest.to_string() }),
    ))
}

/// `filters` as `docker images` sends them: `reference` (also for `docker images NAME`),
/// `label`, `dangling` ([`crate::engine::image_filter`]).
fn list(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let pairs = super::containers::filters(call)?;
    let filter = ImageFilter::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map_err(errors::api)?;
    let store = d.engine.paths().store().map_err(errors::api)?;
    let rows = crate::engine::views::image_summaries(&store, &filter).map_err(errors::api)?;
    Ok(Reply::Json(200, Value::Array(rows)))
}

/// `fromImage=busybox&tag=latest` as one reference (`tag` may also be a digest).
fn reference(call: &Call) -> Result<String, ApiError> {
    let image = call.query.get("fromImage").map_or("", String::as_str);
    if image.is_empty() {
        return Err(ApiError::bad_request("fromImage (or fromSrc) is required"));
    }
    Ok(match call.query.get("tag").map(String::as_str) {
        None | Some("") => image.to_string(),
        Some(digest) if digest.starts_with("sha256:") => format!("{image}@{digest}"),
        Some(tag) => format!("{image}:{tag}"),
    })
}

/// Pulls (with the client's `X-Registry-Auth` login, if any), sending each progress line (`{"status": "…"}`) as the pull makes it.
/// With `fromSrc` it is `docker import` instead.
fn pull(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    if call.query.contains_key("fromSrc") {
        return import(d, call);
    }
    let reference = reference(call)?;
    let login = super::registry_auth::header_login(call)?;
    let engine = d.engine.clone();
    Ok(super::progress::stream(move |messages| {
        engine.pull_as(&reference, login.as_ref(), &mut |line| {
            messages.say(json!({ "status": line }))
        })
    }))
}

/// `POST /images/create?fromSrc=-&repo=…&tag=…&changes=…`: `docker import`, the request's
/// body being the tarball (held in memory, as a build's context is). Answered with one
/// progress line whose `status` is the new image's id, which the CLI prints. `fromSrc=URL`
/// (the daemon downloading the tarball) and `message` (a history comment) are refused.
fn import(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let text = |name: &str| call.query.get(name).cloned().unwrap_or_default();
    if text("fromSrc") != "-" {
        return Err(ApiError::bad_request(
            "importing from a URL is not served by capstone daemon: download the tarball, \
             then `docker import FILE`",
        ));
    }
    if !text("message").is_empty() {
        return Err(ApiError::bad_request(
            "import --message is not supported by capstone: import without it",
        ));
    }
    let reference = repo_and_tag(text("repo"), text("tag"));
    let changes = call.query_all("changes");
    let image = d
        .engine
        .import(call.body.as_slice(), reference.as_deref(), &changes)
        .map_err(errors::api)?;
    let id = image.config_digest.to_string();
    Ok(Reply::Json(200, json!({ "status": id })))
}

fn inspect(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let store = d.engine.paths().store().map_err(errors::api)?;
    let image = image_refs::find(&store, call.param("name")).map_err(errors::api)?;
    let doc = crate::engine::views::image_json(&store, &image).map_err(errors::api)?;
    Ok(Reply::Json(200, doc))
}

fn history(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let steps = d.engine.history(call.param("name")).map_err(errors::api)?;
    let rows: Vec<Value> = steps
        .iter()
        .map(|s| {
            let created = s
                .created
                .as_deref()
                .and_then(|t| crate::model::clock::parse(&t.replace("+00:00", "Z")))
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |t| t.as_secs());
            json!({
                "Id": s.image.as_deref().unwrap_or("<missing>"), "Created": created,
                "CreatedBy": s.created_by, "Tags": null, "Size": s.size, "Comment": s.comment,
            })
        })
        .collect();
    Ok(Reply::Json(200, Value::Array(rows)))
}

fn tag(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let repo = call.query.get("repo").map_or("", String::as_str);
    let target = match call.query.get("tag").map(String::as_str) {
        None | Some("") => repo.to_string(),
        Some(tag) => format!("{repo}:{tag}"),
    };
    d.engine
        .tag(call.param("name"), &target)
        .map_err(errors::api)?;
    Ok(Reply::Empty(201))
}

fn delete(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let removed = d
        .engine
        .remove_image(call.param("name"), call.query_bool("force"))
        .map_err(errors::api)?;
    let items: Vec<Value> = removed
        .iter()
        .map(|r| match r {
            Removed::Untagged(t) => json!({ "Untagged": image_refs::familiar(t) }),
            Removed::Deleted(id) => json!({ "Deleted": id }),
        })
        .collect();
    Ok(Reply::Json(200, Value::Array(items)))
}

/// The `repo` and `tag` query parameters of `commit` and `import` as one reference; `None`
/// without a repository (an untagged image).
fn repo_and_tag(repo: String, tag: String) -> Option<String> {
    match (repo, tag) {
        (repo, _) if repo.is_empty() => None,
        (repo, tag) if tag.is_empty() => Some(repo),
        (repo, tag) => Some(format!("{repo}:{tag}")),
    }
}

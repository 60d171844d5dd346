//! Images in and out of the daemon: `POST /images/{name}/push` (to the registry its name
//! names, answered with Docker's JSON progress as each layer goes), `GET /images/{name}/get`
//! and `GET /images/get?names=…` (`docker save`: the archive as the body, `application/x-tar`),
//! and `POST /images/load` (`docker load`: the archive as the request body).
//!
//! The login is the one the client sends in `X-Registry-Auth` ([`super::registry_auth`]),
//! else one saved with `capstone login`.

use super::progress::{self, text};
use super::{Daemon, errors, on};
use crate::engine::push::PushStep;
use engineapi::{ApiError, Call, Reply, Router};
use serde_json::json;
use std::sync::Arc;

/// The routes that move images.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("POST", "/images/{name*}/push", on(daemon, push))
        .route("GET", "/images/get", on(daemon, save_many))
        .route("GET", "/images/{name*}/get", on(daemon, save_one))
        .route("POST", "/images/load", on(daemon, load))
}

/// `NAME` and `?tag=TAG` as one reference.
fn push(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let reference = match call.query.get("tag").map(String::as_str) {
        None | Some("") => call.param("name").to_string(),
        Some(tag) => format!("{}:{tag}", call.param("name")),
    };
    let login = super::registry_auth::header_login(call)?;
    let engine = d.engine.clone();
    Ok(progress::stream(move |messages| {
        let say = |message| messages.say(message);
        let pushed = engine.push(&reference, login.as_ref(), &mut |step| match step {
            PushStep::Repository(repository) => say(json!({
                "status": format!("The push refers to repository [{repository}]")
            })),
            PushStep::Layer { short_id, status } => {
                say(json!({ "status": status, "progressDetail": {}, "id": short_id }))
            }
        })?;
        say(json!({ "status": format!(
            "{}: digest: {} size: {}", pushed.tag, pushed.digest, pushed.size
        ) }));
        say(json!({ "progressDetail": {}, "aux": {
            "Tag": pushed.tag, "Digest": pushed.digest, "Size": pushed.size
        } }));
        Ok(())
    }))
}

/// `?names=a&names=b`: every image named, in one archive.
fn save_many(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let names: Vec<String> = call
        .query_all("names")
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return Err(ApiError::bad_request("names: name at least one image"));
    }
    save(d, &names)
}

fn save_one(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    save(d, &[call.param("name").to_string()])
}

fn save(d: &Daemon, names: &[String]) -> Result<Reply, ApiError> {
    super::container_files::spooled_tar(|file| d.engine.save(names, file))
}

/// `docker load`: each image loaded as a `Loaded image: NAME` line.
fn load(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let loaded = d
        .engine
        .load(&mut call.body.as_slice())
        .map_err(errors::api)?;
    let body: String = loaded
        .iter()
        .map(|reference| format!("{}\r\n", text(format_args!("Loaded image: {reference}"))))
        .collect();
    Ok(Reply::Stream {
        status: 200,
        content_type: "application/json",
        body: Box::new(std::io::Cursor::new(body.into_bytes())),
    })
}

//! Container endpoints that answer at once: create, start, stop, restart, kill, pause,
//! unpause, rename, delete, list (with filters), inspect, top (resize is in `streams`); and `wait`, whose
//! headers go out at once and whose body comes when the condition is met. The streams
//! (attach, logs) are in [`super::streams`].

use super::{Daemon, create_body, errors, on};
use crate::engine::exits::WaitCondition;
use crate::model::container::Container;
use engineapi::{ApiError, Call, Reply, Router};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The container routes.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("POST", "/containers/create", on(daemon, create))
        .route("GET", "/containers/json", on(daemon, list))
        .route("GET", "/containers/{id}/json", on(daemon, inspect))
        .route("POST", "/containers/{id}/start", on(daemon, start))
        .route("POST", "/containers/{id}/stop", on(daemon, stop))
        .route("POST", "/containers/{id}/restart", on(daemon, restart))
        .route("POST", "/containers/{id}/kill", on(daemon, kill))
        .route(
            "POST",
            "/containers/{id}/pause",
            on(daemon, |d, c| {
                d.engine.pause(c.param("id")).map_err(errors::api)?;
                Ok(Reply::Empty(204))
            }),
        )
        .route(
            "POST",
            "/containers/{id}/unpause",
            on(daemon, |d, c| {
                d.engine.unpause(c.param("id")).map_err(errors::api)?;
                Ok(Reply::Empty(204))
            }),
        )
        .route(
            "POST",
            "/containers/{id}/rename",
            on(daemon, |d, c| {
                let name = c.query.get("name").map_or("", String::as_str);
                d.engine.rename(c.param("id"), name).map_err(errors::api)?;
                Ok(Reply::Empty(204))
            }),
        )
        .route("POST", "/containers/{id}/wait", on(daemon, wait))
        .route("GET", "/containers/{id}/top", on(daemon, top))
        .route("DELETE", "/containers/{id}", on(daemon, delete))
}

fn create(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let opts = create_body::options(call)?;
    let record = d.engine.create_local(&opts).map_err(errors::api)?;
    Ok(Reply::Json(201, json!({ "Id": record.id, "Warnings": [] })))
}

fn start(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let record = d.engine.container(call.param("id")).map_err(errors::api)?;
    if record.is_active() {
        return Ok(Reply::Empty(304)); // Docker: already started
    }
    d.engine
        .start_watched_with_stdin(
            &record.id,
            &d.exits,
            super::streams::take_stdin(d, &record.id),
        )
        .map_err(errors::api)?;
    Ok(Reply::Empty(204))
}

/// `t` (or `timeout`, as older clients call it) in seconds; Docker's default is 10.
fn timeout(call: &Call) -> Duration {
    let t = call.query.get("t").or_else(|| call.query.get("timeout"));
    Duration::from_secs(t.and_then(|t| t.parse().ok()).unwrap_or(10))
}

fn stop(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let record = d.engine.container(call.param("id")).map_err(errors::api)?;
    if !record.is_active() {
        return Ok(Reply::Empty(304)); // Docker: already stopped
    }
    d.engine
        .stop(&record.id, timeout(call))
        .map_err(errors::api)?;
    Ok(Reply::Empty(204))
}

fn restart(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let id = d
        .engine
        .container(call.param("id"))
        .map_err(errors::api)?
        .id;
    d.engine.stop(&id, timeout(call)).map_err(errors::api)?;
    d.engine.start_watched(&id, &d.exits).map_err(errors::api)?;
    Ok(Reply::Empty(204))
}

fn kill(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let signal = call.query.get("signal").map_or("KILL", String::as_str);
    let signal = crate::engine::lifecycle::parse_signal(signal).map_err(errors::api)?;
    d.engine
        .kill(call.param("id"), signal)
        .map_err(errors::api)?;
    Ok(Reply::Empty(204))
}

fn wait(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let text = call.query.get("condition").map_or("", String::as_str);
    let condition = WaitCondition::parse(text).ok_or_else(|| {
        ApiError::bad_request(format!(
            "invalid condition: {text:?}: use not-running, next-exit or removed"
        ))
    })?;
    let waiter = d
        .engine
        .wait_for(call.param("id"), condition, &d.exits)
        .map_err(errors::api)?;
    let (engine, exits) = (d.engine.clone(), Arc::clone(&d.exits));
    Ok(Reply::later(200, move || {
        match waiter.wait(&engine, &exits) {
            Ok(code) => json!({ "StatusCode": code, "Error": null }),
            Err(e) => json!({ "StatusCode": 255, "Error": { "Message": e.to_string() } }),
        }
    }))
}

fn delete(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    d.engine
        .remove(
            call.param("id"),
            call.query_bool("force"),
            call.query_bool("v"),
        )
        .map_err(errors::api)?;
    Ok(Reply::Empty(204))
}

fn inspect(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let record = d.engine.container(call.param("id")).map_err(errors::api)?;
    let mut doc = crate::engine::views::container_json(d.engine.paths(), &record);
    // The one log driver; the Python SDK reads it to decide whether `run` can show logs.
    doc["HostConfig"]["LogConfig"] = json!({ "Type": "json-file", "Config": {} });
    Ok(Reply::Json(200, doc))
}

fn top(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let args: Vec<String> = call
        .query
        .get("ps_args")
        .map(|a| a.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let (titles, processes) = d.engine.top(call.param("id"), &args).map_err(errors::api)?;
    Ok(Reply::Json(
        200,
        json!({ "Titles": titles, "Processes": processes }),
    ))
}

/// `filters` in either of Docker's JSON forms — `{"name":["web"]}` or `{"name":{"web":true}}`
/// — as (key, value) pairs.
pub(super) fn filters(call: &Call) -> Result<Vec<(String, String)>, ApiError> {
    let Some(text) = call.query.get("filters").filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("invalid filters {text:?}: {e}")))?;
    let mut pairs = Vec::new();
    for (key, values) in doc.as_object().into_iter().flatten() {
        let values: Vec<String> = match values {
            Value::Array(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            Value::Object(map) => map.keys().cloned().collect(),
            _ => return Err(ApiError::bad_request(format!("invalid filter {key:?}"))),
        };
        pairs.extend(values.into_iter().map(|v| (key.clone(), v)));
    }
    Ok(pairs)
}

/// Whether a container passes one filter; `None` for a key we do not know.
fn passes(c: &Container, key: &str, value: &str) -> Option<bool> {
    Some(match key {
        "id" => c.id.starts_with(value),
        "name" => c.name.contains(value.trim_start_matches('/')),
        "status" => c.state.status == value,
        "ancestor" => {
            crate::store::image_refs::familiar(&c.config.image) == value
                || c.config.image == value
                || c.image.starts_with(value)
        }
        "network" => {
            c.network_settings.networks.contains_key(value) || c.host_config.network_mode == value
        }
        "volume" => c
            .mounts
            .iter()
            .any(|m| m.name == value || m.destination == value || m.source.as_os_str() == value),
        "label" => {
            let labels = crate::engine::views::labels_of(c);
            match value.split_once('=') {
                Some((k, v)) => labels[k] == v,
                None => labels.get(value).is_some(),
            }
        }
        _ => return None,
    })
}

fn list(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let all = call.query_bool("all");
    let filters = filters(call)?;
    let mut shown = Vec::new();
    for c in d
        .engine
        .containers()
        .map_err(errors::api)?
        .into_iter()
        .rev()
    {
        if !all && !c.is_active() {
            continue;
        }
        // Docker: values of one key are alternatives, except `label`'s, which must all hold
        // (moby's `MatchKVList`: compose asks for project AND service); keys must all hold.
        let mut keep = true;
        for (key, _) in &filters {
            let every = key == "label";
            let mut pass = every;
            for (_, value) in filters.iter().filter(|(k, _)| k == key) {
                let one = passes(&c, key, value)
                    .ok_or_else(|| ApiError::bad_request(format!("invalid filter '{key}'")))?;
                pass = if every { pass && one } else { pass || one };
            }
            keep &= pass;
        }
        if keep {
            shown.push(crate::engine::views::container_summary(&c));
        }
    }
    if let Some(limit) = call
        .query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
    {
        shown.truncate(limit);
    }
    Ok(Reply::Json(200, Value::Array(shown)))
}

//! Network and volume endpoints: list, create, inspect, delete; networks also connect and
//! disconnect (a running container is plugged in at once, a created one at its start — which
//! is how docker-compose attaches its containers). Each is one Engine call and one document
//! from [`crate::engine::views`] or the volume record.

use super::containers::filters;
use super::{Daemon, errors, on};
use crate::store::networks as network_records;
use engineapi::{ApiError, Call, Reply, Router};
use serde_json::{Value, json};
use std::sync::Arc;

/// The network and volume routes.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("GET", "/networks", on(daemon, list_networks))
        .route("GET", "/networks/{id}", on(daemon, inspect_network))
        .route("POST", "/networks/create", on(daemon, create_network))
        .route(
            "DELETE",
            "/networks/{id}",
            on(daemon, |d, c| {
                d.engine
                    .remove_network(c.param("id"))
                    .map_err(errors::api)?;
                Ok(Reply::Empty(204))
            }),
        )
        .route(
            "POST",
            "/networks/{id}/connect",
            on(daemon, |d, c| {
                let container = container_of(c)?;
                // Compose names each service this way: `EndpointConfig.Aliases`.
                let aliases: Vec<String> = c.json()?["EndpointConfig"]["Aliases"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(String::from))
                    .collect();
                d.engine
                    .connect_with_aliases(c.param("id"), &container, &aliases)
                    .map_err(errors::api)?;
                Ok(Reply::Empty(200))
            }),
        )
        .route(
            "POST",
            "/networks/{id}/disconnect",
            on(daemon, |d, c| {
                let container = container_of(c)?;
                d.engine
                    .disconnect(c.param("id"), &container)
                    .map_err(errors::api)?;
                Ok(Reply::Empty(200))
            }),
        )
        .route("GET", "/volumes", on(daemon, list_volumes))
        .route("POST", "/volumes/create", on(daemon, create_volume))
        .route(
            "GET",
            "/volumes/{name}",
            on(daemon, |d, c| {
                let volume = crate::store::volumes::get(d.engine.paths(), c.param("name"))
                    .map_err(errors::api)?;
                Ok(Reply::Json(200, volume.to_json(d.engine.paths())))
            }),
        )
        .route(
            "DELETE",
            "/volumes/{name}",
            on(daemon, |d, c| {
                d.engine
                    .remove_volume(c.param("name"))
                    .map_err(errors::api)?;
                Ok(Reply::Empty(204))
            }),
        )
}

/// `host` and `none`: networks in Docker's lists, with no bridge behind them.
fn builtin(name: &str) -> Value {
    let driver = if name == "none" { "null" } else { name };
    json!({
        "Name": name, "Id": format!("{:0>64}", hex::encode(name)), "Scope": "local",
        "Driver": driver, "EnableIPv6": false, "IPAM": { "Driver": "default", "Config": [] },
        "Internal": false, "Attachable": false, "Containers": {}, "Options": {}, "Labels": {},
    })
}

fn list_networks(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let paths = d.engine.paths();
    let mut docs: Vec<Value> = network_records::list(paths)
        .map_err(errors::api)?
        .iter()
        .map(|n| crate::engine::views::network_json(paths, n))
        .collect();
    docs.extend(["host", "none"].map(builtin));
    for (key, value) in filters(call)? {
        docs.retain(|n| match key.as_str() {
            "name" => n["Name"].as_str().is_some_and(|name| name.contains(&value)),
            "id" => n["Id"].as_str().is_some_and(|id| id.starts_with(&value)),
            "driver" => n["Driver"] == value.as_str(),
            _ => true, // labels, scope, type: ours are all local, unlabelled
        });
    }
    Ok(Reply::Json(200, Value::Array(docs)))
}

fn inspect_network(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let name = call.param("id");
    if matches!(name, "host" | "none") {
        return Ok(Reply::Json(200, builtin(name)));
    }
    let paths = d.engine.paths();
    let n = network_records::find(paths, name).map_err(errors::api)?;
    Ok(Reply::Json(
        200,
        crate::engine::views::network_json(paths, &n),
    ))
}

fn create_network(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let body = call.json()?;
    let name = body["Name"].as_str().unwrap_or("");
    if name.is_empty() {
        return Err(ApiError::bad_request("a network needs a Name"));
    }
    let subnet = body["IPAM"]["Config"][0]["Subnet"].as_str();
    let labels: Vec<String> = (body["Labels"].as_object().into_iter().flatten())
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    let internal = body["Internal"].as_bool().unwrap_or(false);
    let made = d
        .engine
        .create_network_with(name, body["Driver"].as_str(), subnet, &labels, internal)
        .map_err(errors::api)?;
    Ok(Reply::Json(201, json!({ "Id": made.id, "Warning": "" })))
}

/// `{"Container": "web", …}`: the container a connect or disconnect names.
fn container_of(call: &Call) -> Result<String, ApiError> {
    let body = call.json()?;
    body["Container"]
        .as_str()
        .map(String::from)
        .ok_or_else(|| ApiError::bad_request("the body must name a Container"))
}

fn list_volumes(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let filters: Vec<String> = filters(call)?
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let volumes = d.engine.volumes(&filters).map_err(errors::api)?;
    let docs: Vec<Value> = volumes
        .iter()
        .map(|v| v.to_json(d.engine.paths()))
        .collect();
    Ok(Reply::Json(200, json!({ "Volumes": docs, "Warnings": [] })))
}

fn create_volume(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let body = call.json()?;
    let name = body["Name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .map(String::from);
    let driver = body["Driver"]
        .as_str()
        .filter(|n| !n.is_empty())
        .unwrap_or("local");
    let labels = serde_json::from_value(body["Labels"].clone()).unwrap_or_default();
    let volume = d
        .engine
        .create_volume(name, driver, labels)
        .map_err(errors::api)?;
    Ok(Reply::Json(201, volume.to_json(d.engine.paths())))
}

//! `GET /containers/{id}/stats` and `POST /containers/{id}/update`: what a container uses, and
//! new limits for it.
//!
//! A stats document carries cumulative counters, two readings of them (`cpu_stats` now,
//! `precpu_stats` one second before) and the machine's CPU time beside each, so the client
//! computes `CPU %` = container CPU delta / machine CPU delta × CPUs × 100, as `docker stats`
//! does. `stream=false` answers one document after a one-second window; otherwise one comes
//! each second until the client hangs up or the container is gone. `memory_stats.usage` is
//! already without the page cache the kernel can drop (see [`crate::mechanisms::usage`]).

use super::{Daemon, errors, on};
use crate::Engine;
use crate::engine::stats_reading::Reading;
use crate::engine::update::UpdateOptions;
use crate::model::clock;
use engineapi::{ApiError, Call, Reply, Router};
use serde_json::{Value, json};
use std::io::{Cursor, Read};
use std::sync::Arc;
use std::time::Duration;

/// How far apart the two readings of one document are (Docker's collector ticks each second).
const WINDOW: Duration = Duration::from_secs(1);

/// The stats and update routes.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("GET", "/containers/{id}/stats", on(daemon, stats))
        .route("POST", "/containers/{id}/update", on(daemon, update))
}

fn stats(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let first = d.engine.reading(call.param("id")).map_err(errors::api)?;
    // Absent means "stream" (Docker's default); `one-shot` skips the window.
    let stream = !call.query.contains_key("stream") || call.query_bool("stream");
    let one_shot = !stream && call.query_bool("one-shot");
    Ok(Reply::Stream {
        status: 200,
        content_type: "application/json",
        body: Box::new(Documents {
            engine: d.engine.clone(),
            id: first.container.id.clone(),
            previous: (!one_shot).then_some(first),
            remaining: if stream { None } else { Some(1) },
            current: Cursor::new(Vec::new()),
        }),
    })
}

/// The body: a document per window, each from this reading and the one before.
struct Documents {
    engine: Engine,
    id: String,
    previous: Option<Reading>,
    /// Documents still to send (`None`: until the client or the container goes).
    remaining: Option<usize>,
    current: Cursor<Vec<u8>>,
}

impl Read for Documents {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.current.read(buf)?;
        if n > 0 || buf.is_empty() || self.remaining == Some(0) {
            return Ok(n);
        }
        if self.previous.is_some() {
            std::thread::sleep(WINDOW); // the measuring window itself, not a wait for an event
        }
        let Ok(now) = self.engine.reading(&self.id) else {
            return Ok(0); // removed meanwhile: the stream ends
        };
        let document = document(&now, self.previous.as_ref());
        self.remaining = self.remaining.map(|r| r - 1);
        self.previous = Some(now);
        self.current = Cursor::new(format!("{document}\n").into_bytes());
        self.current.read(buf)
    }
}

/// Docker's stats document (moby `api/types/container.StatsResponse`) from two readings.
fn document(now: &Reading, before: Option<&Reading>) -> Value {
    let cpu = |r: Option<&Reading>| {
        let sample = r.and_then(|r| r.sample.as_ref());
        json!({
            "cpu_usage": { "total_usage": sample.and_then(|s| s.cpu_usec).map_or(0, |u| u * 1000) },
            "system_cpu_usage": r.and_then(|r| r.system_cpu_nanos).unwrap_or(0),
            "online_cpus": r.map_or(0, |r| r.online_cpus),
        })
    };
    let sample = now.sample.clone().unwrap_or_default();
    let (rx, tx) = sample.net_io.unwrap_or_default();
    let (read, write) = sample.block_io.unwrap_or_default();
    let c = &now.container;
    json!({
        "read": clock::format(now.at),
        "preread": before.map_or("0001-01-01T00:00:00Z".to_string(), |b| clock::format(b.at)),
        "id": c.id, "name": format!("/{}", c.name),
        "pids_stats": { "current": sample.pids.unwrap_or(0) },
        "cpu_stats": cpu(Some(now)),
        "precpu_stats": cpu(before),
        "memory_stats": if now.sample.is_some() {
            json!({ "usage": sample.memory.unwrap_or(0), "limit": now.memory_limit, "stats": {} })
        } else {
            json!({})
        },
        "networks": { "eth0": { "rx_bytes": rx, "tx_bytes": tx } },
        "blkio_stats": { "io_service_bytes_recursive": [
            { "major": 0, "minor": 0, "op": "read", "value": read },
            { "major": 0, "minor": 0, "op": "write", "value": write },
        ] },
    })
}

/// `docker update`'s body (moby `UpdateConfig`): a zero (or absent) field was not given.
fn update(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let body = call.json()?;
    let positive = |name: &str| body[name].as_u64().filter(|n| *n > 0);
    let policy = &body["RestartPolicy"];
    let opts = UpdateOptions {
        memory: positive("Memory").map(|m| m.to_string()),
        cpus: positive("NanoCpus").map(|n| format!("{}", n as f64 / 1e9)),
        pids_limit: body["PidsLimit"].as_i64().map(|p| p.to_string()),
        restart: policy["Name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .map(|name| match policy["MaximumRetryCount"].as_u64() {
                Some(count) if count > 0 && name == "on-failure" => format!("{name}:{count}"),
                _ => name.to_string(),
            }),
    };
    d.engine
        .update(call.param("id"), &opts)
        .map_err(errors::api)?;
    Ok(Reply::Json(200, json!({ "Warnings": [] })))
}

//! `/_ping` (GET and HEAD), `/version` and `/info`: what every client asks first. `_ping`'s
//! `Api-Version` header (added to every reply by lesson 08's server) is how the CLI learns to
//! speak API 1.41 to us.

use super::{Daemon, errors, on};
use engineapi::{Reply, Router};
use serde_json::{Value, json};
use std::sync::Arc;

/// The system routes.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("GET", "/_ping", |_| Ok(Reply::Text(200, "OK".into())))
        .route("HEAD", "/_ping", |_| Ok(Reply::Text(200, "OK".into())))
        .route("GET", "/version", |_| Ok(Reply::Json(200, version())))
        .route(
            "GET",
            "/info",
            on(daemon, |d, _| {
                let mut info = crate::engine::views::info(d.engine.paths()).map_err(errors::api)?;
                info["OperatingSystem"] = json!("capstone");
                info["Runtimes"] = json!({ "capstone": { "path": "capstone" } });
                info["DefaultRuntime"] = json!("capstone");
                info["MemTotal"] = json!(mem_total());
                info["Swarm"] = json!({ "LocalNodeState": "inactive" });
                Ok(Reply::Json(200, info))
            }),
        )
}

/// Lesson 08's `/version` document, naming this engine.
fn version() -> Value {
    let mut doc = engineapi::system::version();
    let ours = env!("CARGO_PKG_VERSION");
    doc["Platform"]["Name"] = json!("capstone daemon");
    doc["Version"] = json!(ours);
    doc["GitCommit"] = json!("capstone");
    doc["Components"][0]["Version"] = json!(ours);
    doc["Components"][0]["Details"]["GitCommit"] = json!("capstone");
    // Go's names for architectures, as dockerd reports them (`amd64`, not `x86_64`).
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    doc["Arch"] = json!(arch);
    doc["Components"][0]["Details"]["Arch"] = json!(arch);
    doc
}

/// Total memory in bytes, from `/proc/meminfo` (proc(5)); 0 if unreadable.
fn mem_total() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

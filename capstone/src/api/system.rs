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
            "/system/df",
            on(daemon, |d, _| {
                Ok(Reply::Json(200, disk_usage(d).map_err(errors::api)?))
            }),
        )
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

/// `GET /system/df` (`docker system df`): the image rows with how many containers use each,
/// the container rows with the size of their writable layer (`SizeRw`), the volumes with
/// their disk usage, and `LayersSize`, each layer counted once. The CLI adds them up.
fn disk_usage(d: &Daemon) -> Result<Value, crate::Error> {
    let paths = d.engine.paths();
    let store = paths.store()?;
    let containers = d.engine.containers()?;
    let mut images = crate::engine::views::image_summaries(&store, &Default::default())?;
    let mut layers = std::collections::BTreeMap::new();
    for (_, digest) in store.tags()? {
        for layer in store.image_by_digest(&digest)?.layers {
            layers.insert(layer.digest.to_string(), layer.size);
        }
    }
    for image in &mut images {
        let users = containers
            .iter()
            .filter(|c| image["Id"] == c.image.as_str());
        image["Containers"] = json!(users.count());
        image["SharedSize"] = json!(0);
    }
    let containers: Vec<Value> = containers
        .iter()
        .map(|c| {
            let mut row = crate::engine::views::container_summary(c);
            row["SizeRw"] = json!(overlay::tree::disk_usage(&c.rootfs.upper_dir).unwrap_or(0));
            row
        })
        .collect();
    let records = crate::store::volumes::records(paths)?;
    let volumes: Vec<Value> = crate::store::volumes::list(paths)?
        .iter()
        .map(|v| {
            let mut doc = v.to_json(paths);
            let data = crate::store::volumes::data_dir(paths, &v.name);
            let users = crate::store::volumes::users(&records, &v.name).len();
            doc["UsageData"] = json!({
                "Size": overlay::tree::disk_usage(&data).unwrap_or(0), "RefCount": users,
            });
            doc
        })
        .collect();
    Ok(json!({
        "LayersSize": layers.values().sum::<u64>(), "Images": images,
        "Containers": containers, "Volumes": volumes, "BuildCache": [],
    }))
}

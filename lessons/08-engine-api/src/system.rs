//! The `system` routes every client calls first: `/_ping` (GET and HEAD), which tells the
//! client the server's API version in the `Api-Version` header, and `/version`, whose JSON
//! `docker version` prints under "Server:". Field names are the Engine API's `SystemVersion`.

use crate::router::{Reply, Router};
use crate::version::{ADVERTISED, MIN};

/// The `_ping` and `version` routes.
pub fn routes() -> Router {
    Router::new()
        .route("GET", "/_ping", |_| Ok(Reply::Text(200, "OK".into())))
        .route("HEAD", "/_ping", |_| Ok(Reply::Text(200, "OK".into())))
        .route("GET", "/version", |_| Ok(Reply::Json(200, version())))
}

/// The `/version` document: who we are, which API versions we speak, on which kernel.
pub fn version() -> serde_json::Value {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let ours = env!("CARGO_PKG_VERSION");
    serde_json::json!({
        "Platform": { "Name": "engineapi (lesson 08)" },
        "Components": [{
            "Name": "Engine",
            "Version": ours,
            "Details": {
                "ApiVersion": ADVERTISED.to_string(),
                "MinAPIVersion": MIN.to_string(),
                "GitCommit": "lesson08",
                "GoVersion": "none (Rust)",
                "Os": "linux",
                "Arch": std::env::consts::ARCH,
                "KernelVersion": kernel.trim(),
                "Experimental": "false",
                "BuildTime": "",
            }
        }],
        "Version": ours,
        "ApiVersion": ADVERTISED.to_string(),
        "MinAPIVersion": MIN.to_string(),
        "GitCommit": "lesson08",
        "GoVersion": "none (Rust)",
        "Os": "linux",
        "Arch": std::env::consts::ARCH,
        "KernelVersion": kernel.trim(),
        "BuildTime": "",
    })
}

//! `POST /build`: Docker's legacy builder over the API. The body is the build context as a tar
//! archive; the query carries `docker build`'s flags (`t`, once per tag, `dockerfile`, `buildargs` and
//! `labels` as JSON objects, `target`, `nocache`, `pull`, `q`). The answer is Docker's JSON
//! stream: the build's `classic` lines and each `RUN` step's output as `{"stream": …}` lines
//! while it runs, `{"aux": {"ID": "sha256:…"}}` with the image id (what `--iidfile` and `-q`
//! print), or `{"errorDetail": …}` when a step fails. BuildKit's sessions
//! (`version=2`, what `docker buildx` asks for) are not served.

use super::progress::{self, text};
use super::{Daemon, on};
use crate::engine::build::BuildOptions;
use crate::engine::build::progress::{Mode, Out};
use engineapi::{ApiError, Call, Reply, Router};
use serde_json::{Value, json};
use std::sync::Arc;

/// The build route.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new().route("POST", "/build", on(daemon, build))
}

fn build(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    if call.query.get("version").is_some_and(|v| v == "2") {
        return Err(ApiError::bad_request(
            "BuildKit is not served by capstone daemon: build with the legacy builder \
             (DOCKER_BUILDKIT=0 docker build …)",
        ));
    }
    let mut opts = options(call)?;
    let quiet = call.query_bool("q");
    let engine = d.engine.clone();
    let context = call.body.clone();
    Ok(progress::stream(move |messages| {
        // The legacy builder's lines (steps, `RUN` output, `Successfully built`) as they come.
        if !quiet {
            opts.progress = Mode::Classic;
            opts.classic_out = Some(Out::new(messages.text_writer()));
        }
        let outcome = engine.build_from_archive(&context, opts)?;
        let id = outcome.image.config_digest.to_string();
        messages.say(json!({ "aux": { "ID": id } }));
        if quiet {
            messages.say(text(&id)); // what `docker build -q` prints
        }
        Ok(())
    }))
}

/// The query as the engine's build options (the context and roots are the engine's to set).
fn options(call: &Call) -> Result<BuildOptions, ApiError> {
    let text = |name: &str| call.query.get(name).filter(|v| !v.is_empty()).cloned();
    Ok(BuildOptions {
        dockerfile: text("dockerfile").map(Into::into),
        tags: call
            .query_all("t")
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect(),
        build_args: pairs(call, "buildargs")?,
        labels: pairs(call, "labels")?,
        target: text("target"),
        no_cache: call.query_bool("nocache"),
        pull: call.query_bool("pull"),
        network: text("networkmode").filter(|n| n != "default"),
        progress: Mode::Quiet,
        ..BuildOptions::default()
    })
}

/// A query parameter holding a JSON object of strings (`{"A":"1"}`); a `null` value (a build
/// arg named without a value) is left out, as Docker leaves it unset.
fn pairs(call: &Call, name: &str) -> Result<Vec<(String, String)>, ApiError> {
    let Some(raw) = call.query.get(name).filter(|v| !v.is_empty()) else {
        return Ok(Vec::new());
    };
    let object: serde_json::Map<String, Value> = serde_json::from_str(raw)
        .map_err(|e| ApiError::bad_request(format!("{name}: not a JSON object: {e}")))?;
    Ok(object
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
        .collect())
}

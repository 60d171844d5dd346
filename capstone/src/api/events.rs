//! `GET /events`: the engine's event log ([`crate::Engine::events`]) as Docker's stream of
//! JSON messages, one per line (Engine API, "Monitor events"). Like dockerd it follows the
//! log until the client goes away, or until `until` has passed when it is given; `since`
//! replays what happened from then on (without it, only new events come), and `filters` (`type`, `event`, `container`, `image`,
//! `network`, `volume`) pick which ones.

use super::containers::filters;
use super::{Daemon, errors, on, query_time};
use crate::engine::events::EventFilter;
use engineapi::{ApiError, Call, Reply, Router};
use std::io::Write;
use std::sync::Arc;
use std::time::SystemTime;

/// The events route.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new().route("GET", "/events", on(daemon, events))
}

fn events(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let pairs: Vec<String> = filters(call)?
        .into_iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    let filter = EventFilter {
        // Without `since`, only what happens from now on, as dockerd sends.
        since: Some(query_time(call, "since")?.unwrap_or_else(SystemTime::now)),
        until: query_time(call, "until")?,
        filters: EventFilter::parse_filters(&pairs).map_err(errors::api)?,
    };
    let (reader, mut writer) =
        std::io::pipe().map_err(|e| ApiError::internal(format!("pipe(2): {e}")))?;
    let engine = d.engine.clone();
    // Read on a thread of its own, into a pipe whose other end is the body; a client gone
    // away makes the next write fail (EPIPE), which ends the reading.
    std::thread::spawn(move || {
        let result = engine.events(&filter, true, &mut |event| {
            let mut line = serde_json::to_vec(event).expect("an event is JSON");
            line.push(b'\n');
            writer
                .write_all(&line)
                .and_then(|()| writer.flush())
                .is_ok()
        });
        if let Err(e) = result {
            let _ = writeln!(std::io::stderr(), "events: {e}");
        }
    });
    Ok(Reply::Stream {
        status: 200,
        content_type: "application/json",
        body: Box::new(reader),
    })
}

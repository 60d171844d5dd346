//! The body of this crate's fuzz target (`fuzz/fuzz_targets/engine_request.rs`, run with
//! `cargo fuzz`, libFuzzer underneath). It takes the raw bytes libFuzzer made up and panics
//! when a property breaks; `tests/fuzz_corpora.rs` feeds it every committed corpus file, so a
//! plain `cargo test` replays what the fuzzer found.

use std::sync::Arc;

use crate::daemon::{Daemon, routes};
use crate::router::{Call, Reply};
use crate::version::{ADVERTISED, Negotiation};

/// Engine API requests, decoded and dispatched to the lesson's daemon routes. `data` holds
/// requests separated by a line `====`; each is `METHOD URL`, header lines `Name: value`, an
/// empty line and the body. The properties: decoding and routing never panic; a bad request
/// is a 4xx, never a 5xx; and the same requests with every unversioned path prefixed by the
/// advertised version (`/v1.41/…`) get the same statuses, as Docker's router promises.
/// `start`, `attach` and `wait` are skipped: they run processes and block on them.
pub fn engine_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let plain = Arc::new(Daemon::with_counted_ids());
    let versioned = Arc::new(Daemon::with_counted_ids());
    let (plain_router, versioned_router) = (
        routes(plain).negotiate(Negotiation::default()),
        routes(versioned).negotiate(Negotiation::default()),
    );
    for request in text.split("\n====\n").take(8) {
        let (head, body) = request.split_once("\n\n").unwrap_or((request, ""));
        let mut lines = head.lines();
        let Some((method, url)) = lines.next().and_then(|l| l.split_once(' ')) else {
            continue;
        };
        if runs_a_process(url) {
            continue;
        }
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (path, mut call) = Call::from_request(method, url, headers.clone());
        call.body = body.as_bytes().to_vec();
        let status = status_of(plain_router.dispatch(path, &mut call));
        assert!(status < 500, "{method} {url} answered {status}");
        if crate::version::split_path(path).0.is_none() {
            // Joined with one `/`: a request target need not start with one (`2/x`), and
            // `/v1.41` + `2/x` would ask for version 1.412 (the target's first "crash").
            let prefixed = format!("/v{ADVERTISED}/{}", path.trim_start_matches('/'));
            let (_, mut call) = Call::from_request(method, url, headers);
            call.body = body.as_bytes().to_vec();
            let again = status_of(versioned_router.dispatch(&prefixed, &mut call));
            assert_eq!(status, again, "{method} {path} and {prefixed} differ");
        } else {
            // Keep the second daemon's state in step with the first.
            let (_, mut call) = Call::from_request(method, url, headers);
            call.body = body.as_bytes().to_vec();
            let _ = versioned_router.dispatch(path, &mut call);
        }
    }
}

/// `POST …/start`, `…/attach` and `…/wait` start or wait for a container's process.
fn runs_a_process(url: &str) -> bool {
    let path = url.split('?').next().unwrap_or_default();
    let last = path.split('/').rfind(|s| !s.is_empty());
    matches!(last, Some("start" | "attach" | "wait"))
}

fn status_of(reply: Result<Reply, crate::ApiError>) -> u16 {
    match reply {
        Ok(Reply::Json(s, _) | Reply::Text(s, _) | Reply::Empty(s)) => s,
        Ok(Reply::Stream { status, .. }) => status,
        Ok(Reply::Hijack { .. }) => 101,
        Ok(Reply::WithHeaders(_, inner)) => status_of(Ok(*inner)),
        Err(e) => e.status,
    }
}

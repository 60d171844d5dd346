//! Routing: which handler answers which request. As in podman's compat API
//! (`pkg/api/server/register_*.go`) each resource has one route table, built by one function,
//! and the tables are merged into the server's router. Every route answers both with a version
//! prefix (`/v1.41/containers/{id}/start`) and without (`/containers/{id}/start`): the prefix is
//! split off once, before matching ([`crate::version::split_path`]).
//!
//! Handlers translate HTTP into a call on the daemon and its answer back into a [`Reply`]; the
//! server ([`crate::server`]) turns the reply into bytes on the socket.

use crate::ApiError;
use crate::version::{self, ApiVersion, Negotiation};
use std::collections::HashMap;
use std::io::Read;

/// One request as a handler sees it: the path without its version, its parameters, the query
/// (%-decoded), the headers and the whole body.
#[derive(Debug, Default)]
pub struct Call {
    /// `GET`, `POST`, `HEAD`, `DELETE`…
    pub method: String,
    /// The path without the version prefix, e.g. `/containers/abc/start`.
    pub path: String,
    /// The version the client asked for in the path, if it did.
    pub requested: Option<ApiVersion>,
    /// Values of the pattern's `{name}` segments.
    pub params: HashMap<String, String>,
    /// The query string's parameters, %-decoded.
    pub query: HashMap<String, String>,
    /// The request headers (names as sent).
    pub headers: Vec<(String, String)>,
    /// The request body (JSON for most POSTs).
    pub body: Vec<u8>,
    /// The request target as sent, e.g. `/v1.41/containers/json?all=1`.
    pub url: String,
    /// The protocol version of the request line, e.g. `HTTP/1.1`.
    pub version: String,
}

impl Call {
    /// A call from a request line's method and URL and the request's headers (the body is
    /// read separately), with the URL's query %-decoded; returns the URL's path too, for
    /// [`Router::dispatch`].
    pub fn from_request<'u>(
        method: &str,
        url: &'u str,
        headers: Vec<(String, String)>,
    ) -> (&'u str, Call) {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let call = Call {
            method: method.to_string(),
            query: parse_query(query),
            headers,
            url: url.to_string(),
            ..Call::default()
        };
        (path, call)
    }

    /// The value of a `{name}` segment of the route's pattern.
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }

    /// A query parameter as Docker's handlers read booleans (moby `httputils.BoolValue`):
    /// missing, empty, `0`, `no`, `false` or `none` (any case) are false, anything else true.
    pub fn query_bool(&self, name: &str) -> bool {
        let v = self.query.get(name).map_or("", |v| v.trim()).to_lowercase();
        !matches!(v.as_str(), "" | "0" | "no" | "false" | "none")
    }

    /// Every value of a query parameter the client repeated, in order (`docker save a b`
    /// sends `?names=a&names=b`; [`Call::query`] keeps only the last), read from the URL as
    /// sent.
    pub fn query_all(&self, name: &str) -> Vec<String> {
        let query = self.url.split_once('?').map_or("", |(_, q)| q);
        query
            .split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
            .filter(|(k, _)| decode(k) == name)
            .map(|(_, v)| decode(v))
            .collect()
    }

    /// The body as JSON, or a 400 naming the parse error (an empty body is `{}`).
    pub fn json(&self) -> Result<serde_json::Value, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::json!({}));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::bad_request(format!("invalid JSON in the request body: {e}")))
    }
}

/// What a handler answers; the server writes it out.
pub enum Reply {
    /// A JSON document with this status.
    Json(u16, serde_json::Value),
    /// Plain text (`/_ping` answers `OK`).
    Text(u16, String),
    /// Only a status (204 No Content after start, 304 Not Modified…).
    Empty(u16),
    /// A body produced while it is being sent (logs, wait): the headers go out at once, the
    /// body as `read` yields it, chunked (RFC 9112 §7.1).
    Stream {
        /// The HTTP status.
        status: u16,
        /// e.g. `application/json` or `application/vnd.docker.raw-stream`.
        content_type: &'static str,
        /// Read until end of file; may block between pieces.
        body: Box<dyn Read + Send>,
    },
    /// Another reply with extra response headers (e.g. `docker cp`'s
    /// `X-Docker-Container-Path-Stat`), added to the ones every reply carries.
    WithHeaders(Vec<(String, String)>, Box<Reply>),
    /// Take the connection over ([`crate::hijack`]): answer `101`, then hand the raw socket to
    /// `session`, as a read half and a write half, which it owns until it drops them.
    Hijack {
        /// `application/vnd.docker.raw-stream` (or `…multiplexed-stream` from API 1.42).
        content_type: &'static str,
        /// Runs on a blocking thread of its own with the connection's two halves.
        session: crate::hijack::Session,
    },
}

impl Reply {
    /// A JSON body computed only when `produce` returns (it may block, e.g. until a container
    /// exits), while the status and headers are sent at once: what `POST …/wait` needs.
    pub fn later(
        status: u16,
        produce: impl FnOnce() -> serde_json::Value + Send + 'static,
    ) -> Reply {
        Reply::Stream {
            status,
            content_type: "application/json",
            body: Box::new(Later {
                produce: Some(Box::new(produce)),
                ready: std::io::Cursor::new(Vec::new()),
            }),
        }
    }
}

/// A reader whose bytes are made on the first read.
struct Later {
    produce: Option<Box<dyn FnOnce() -> serde_json::Value + Send>>,
    ready: std::io::Cursor<Vec<u8>>,
}

impl Read for Later {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(produce) = self.produce.take() {
            let mut bytes = produce().to_string().into_bytes();
            bytes.push(b'\n');
            self.ready = std::io::Cursor::new(bytes);
        }
        self.ready.read(buf)
    }
}

/// A handler: from a call to a reply or a Docker-style error.
pub type Handler = Box<dyn Fn(&Call) -> Result<Reply, ApiError> + Send + Sync>;

struct Route {
    method: &'static str,
    segments: Vec<&'static str>,
    handler: Handler,
}

/// The route table, and the version policy applied before any route is looked up.
#[derive(Default)]
pub struct Router {
    routes: Vec<Route>,
    negotiation: Option<Negotiation>,
    fallback: Option<Handler>,
}

impl Router {
    /// An empty table (every request gets Docker's 404 `page not found`).
    pub fn new() -> Router {
        Router::default()
    }

    /// Adds a route: `pattern` is a path whose `{name}` segments match any one segment, and
    /// whose one `{name*}` segment, if any, matches one or more (an image name such as
    /// `registry:5000/lab/busybox:v1` is sent unescaped: moby's routes say `{name:.*}`).
    pub fn route(
        mut self,
        method: &'static str,
        pattern: &'static str,
        handler: impl Fn(&Call) -> Result<Reply, ApiError> + Send + Sync + 'static,
    ) -> Router {
        self.routes.push(Route {
            method,
            segments: pattern.split('/').filter(|s| !s.is_empty()).collect(),
            handler: Box::new(handler),
        });
        self
    }

    /// Answers every request no route matches with `handler` (instead of a 404).
    pub fn fallback(
        mut self,
        handler: impl Fn(&Call) -> Result<Reply, ApiError> + Send + Sync + 'static,
    ) -> Router {
        self.fallback = Some(Box::new(handler));
        self
    }

    /// Adds every route of another table (one table per resource, merged into one server).
    pub fn merge(mut self, other: Router) -> Router {
        self.routes.extend(other.routes);
        self
    }

    /// Checks the requested version of every call, and advertises ours (see [`crate::version`]).
    pub fn negotiate(mut self, negotiation: Negotiation) -> Router {
        self.negotiation = Some(negotiation);
        self
    }

    /// The version sent in the `Api-Version` header, if this router negotiates.
    pub fn advertised(&self) -> Option<ApiVersion> {
        self.negotiation.map(|n| n.advertised)
    }

    /// Splits the version off `raw_path`, checks it, finds the route and runs its handler.
    /// `call.path` and `call.params` are filled in here.
    pub fn dispatch(&self, raw_path: &str, call: &mut Call) -> Result<Reply, ApiError> {
        let (requested, path) = version::split_path(raw_path);
        call.requested = requested;
        call.path = path.to_string();
        if let Some(n) = &self.negotiation {
            n.check(requested)?;
        }
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for route in &self.routes {
            if route.method != call.method {
                continue;
            }
            if let Some(params) = match_segments(&route.segments, &segments) {
                call.params = params;
                return (route.handler)(call);
            }
        }
        if let Some(fallback) = &self.fallback {
            return fallback(call);
        }
        // moby answers unknown routes with a 404 and this message.
        Err(ApiError::not_found("page not found"))
    }
}

fn match_segments(pattern: &[&str], path: &[&str]) -> Option<HashMap<String, String>> {
    let greedy = pattern.iter().position(|p| p.ends_with("*}"));
    let fits = match greedy {
        None => pattern.len() == path.len(),
        Some(_) => path.len() >= pattern.len(),
    };
    if !fits {
        return None;
    }
    let mut params = HashMap::new();
    let mut at = 0;
    for (i, p) in pattern.iter().enumerate() {
        let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
            if path[at] != *p {
                return None;
            }
            at += 1;
            continue;
        };
        match name.strip_suffix('*') {
            // As many segments as the rest of the pattern leaves over.
            Some(name) if greedy == Some(i) => {
                let take = path.len() - (pattern.len() - 1);
                let joined: Vec<String> = path[at..at + take].iter().map(|s| decode(s)).collect();
                params.insert(name.to_string(), joined.join("/"));
                at += take;
            }
            _ => {
                params.insert(name.to_string(), decode(path[at]));
                at += 1;
            }
        }
    }
    Some(params)
}

/// %-decodes a path segment or query value (`+` is a space in a query, as Go's `url.ParseQuery`).
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Parses `a=1&b=%7B%7D` into a map (the last value wins when a name repeats: see
/// [`Call::query_all`]).
pub fn parse_query(query: &str) -> HashMap<String, String> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_and_unversioned_paths_reach_one_route() {
        let router = Router::new().route("POST", "/containers/{id}/start", |c| {
            Ok(Reply::Text(200, c.param("id").to_string()))
        });
        for path in ["/containers/abc/start", "/v1.41/containers/abc/start"] {
            let mut call = Call {
                method: "POST".into(),
                ..Call::default()
            };
            match router.dispatch(path, &mut call) {
                Ok(Reply::Text(200, id)) => assert_eq!(id, "abc"),
                _ => panic!("{path} did not reach the route"),
            }
        }
        let mut call = Call {
            method: "GET".into(),
            ..Call::default()
        };
        let err = router.dispatch("/containers/abc/start", &mut call).err();
        assert_eq!(err.map(|e| e.status), Some(404));
    }

    #[test]
    fn a_greedy_segment_takes_an_image_name_with_slashes() {
        let router = Router::new().route("POST", "/images/{name*}/tag", |c| {
            Ok(Reply::Text(200, c.param("name").to_string()))
        });
        let mut call = Call {
            method: "POST".into(),
            ..Call::default()
        };
        match router.dispatch("/v1.41/images/127.0.0.1:5000/lab/busybox:v1/tag", &mut call) {
            Ok(Reply::Text(200, name)) => assert_eq!(name, "127.0.0.1:5000/lab/busybox:v1"),
            _ => panic!("the greedy route did not match"),
        }
        let err = router.dispatch("/images/tag", &mut call).err();
        assert_eq!(err.map(|e| e.status), Some(404));
    }

    #[test]
    fn query_booleans_parse_as_dockers() {
        let call = Call {
            query: parse_query("force=False&v=1&all=&x=%7B%22a%22%7D"),
            ..Call::default()
        };
        assert!(!call.query_bool("force") && call.query_bool("v") && !call.query_bool("all"));
        assert_eq!(call.query["x"], "{\"a\"}");
    }

    #[test]
    fn a_repeated_query_name_keeps_every_value() {
        let (_, call) = Call::from_request("GET", "/images/get?names=a&x=1&names=b%2Fc", vec![]);
        assert_eq!(call.query_all("names"), ["a", "b/c"]);
        assert_eq!(call.query["names"], "b/c");
        assert!(call.query_all("t").is_empty());
    }
}

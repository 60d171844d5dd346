//! Lesson 08: the client–server split — Docker's Engine API over a unix socket.
//!
//! `docker` is only a client: every command becomes HTTP requests to a daemon that owns the
//! containers. They talk over a unix(7) stream socket (`/var/run/docker.sock`, or whatever
//! `DOCKER_HOST=unix://…` names), with a few conventions on top of HTTP/1.1 (RFC 9112) that
//! this crate implements, one module each, for the lesson's steps and the capstone's daemon:
//!
//! - [`server`]: an HTTP server on a unix socket (hyper on tokio), each handler on a thread of its own;
//! - [`router`]: one route table per resource; every route answers versioned (`/v1.41/…`) and
//!   unversioned;
//! - [`version`]: API version negotiation (the `Api-Version` header, too old / too new errors);
//! - [`error`]: Docker-style JSON errors (`{"message": …}` with Docker's status codes);
//! - [`mux`]: the 8-byte header that multiplexes stdout and stderr on one stream;
//! - [`hijack`]: `101 UPGRADED` — taking the raw connection over for attach, as an input and an output half;
//! - [`system`]: `/_ping` and `/version`, what every client asks first;
//! - [`daemon`]: a tiny daemon that runs lesson 01 containers for `docker run --rm busybox …`.
//!
//! The API is documented at <https://docs.docker.com/reference/api/engine/>.

mod body;
pub mod daemon;
pub mod error;
pub mod fuzzing;
pub mod hijack;
pub mod mux;
pub mod router;
pub mod server;
pub mod system;
pub mod version;

pub use error::ApiError;
pub use router::{Call, Reply, Router};
pub use server::Server;
pub use version::ApiVersion;

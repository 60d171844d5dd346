//! Lesson 05: registries — pulling and pushing images over the OCI distribution protocol.
//!
//! A registry is an HTTP server with a handful of endpoints (the OCI distribution spec):
//!
//! ```text
//! GET  /v2/                                  are you a registry? do you want credentials?
//! GET  /v2/<name>/manifests/<tag|digest>     the manifest (or index) of an image
//! GET  /v2/<name>/blobs/<digest>             a config or layer, by content digest
//! HEAD /v2/<name>/blobs/<digest>             is this blob already there?
//! POST /v2/<name>/blobs/uploads/             start an upload (or mount from another repo)
//! PATCH/PUT <upload location>                send the bytes, finish with ?digest=
//! PUT  /v2/<name>/manifests/<tag>            publish the manifest under a tag
//! GET  /v2/<name>/tags/list                  which tags exist
//! ```
//!
//! The library follows the order of the lesson's steps: [`mod@reference`] (what a name means),
//! [`auth`] and [`client`] (talking HTTP with tokens), [`manifest`] (which image, which
//! platform), [`blob`] (verified downloads), [`pull`], [`push`], and [`server`] (the other side).
//! All networking is userspace HTTP over TCP sockets (socket(2), connect(2)); the kernel's part is
//! the socket and the page cache, and the files the store writes with write(2)/fsync(2)/rename(2).

pub mod auth;
pub mod blob;
pub mod client;
pub mod config;
pub mod error;
pub mod fuzzing;
pub mod login;
pub mod manifest;
pub mod progress;
pub mod pull;
pub mod push;
pub mod reference;
pub mod server;

pub use client::Client;
pub use error::Error;
pub use reference::Reference;

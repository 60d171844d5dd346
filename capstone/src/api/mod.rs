//! The second front end: `capstone daemon`, Docker's Engine API on a unix(7) socket, so the
//! real `docker` CLI, docker-compose and the Python SDK drive this engine. Like the CLI it
//! only translates: an HTTP request becomes a call on the [`Engine`], the engine's answer
//! becomes JSON (built by [`crate::engine::views`], the same documents the CLI prints) or a
//! stream. The protocol pieces — routing, version negotiation, the 8-byte stream frames, the
//! `101` hijack, Docker's JSON errors — are lesson 08's (`engineapi`).
//!
//! The daemon owns no state of its own: the store on disk is the one the CLI uses (flock(2)
//! keeps them apart), containers run under their own monitors, so the CLI and the daemon work
//! side by side, and a daemon stopped with SIGTERM leaves every container running for the
//! next one to find.

mod build;
mod container_archive;
mod container_files;
mod containers;
mod create_body;
mod errors;
mod events;
mod exec;
mod exec_tty;
mod image_transfer;
mod images;
mod listen;
mod networks;
mod progress;
mod prune;
mod registry_auth;
mod stats;
mod streams;
mod system;

use crate::engine::exits::Exits;
use crate::{Engine, Result};
use engineapi::version::Negotiation;
use std::sync::Arc;

/// What every handler shares: the engine, the exits of the containers this daemon started,
/// and its exec instances. Cloning it is cheap (a thread that outlives its request takes one).
#[derive(Clone)]
pub(crate) struct Daemon {
    engine: Engine,
    exits: Arc<Exits>,
    execs: Arc<exec::Execs>,
    /// The read ends of the stdin pipes `attach` made for `-i` containers without a tty,
    /// by container id, for their next `start` to hand to the monitor.
    stdins: Arc<std::sync::Mutex<std::collections::HashMap<String, std::os::fd::OwnedFd>>>,
}

/// A handler over the daemon's state.
type Handle =
    fn(&Daemon, &engineapi::Call) -> std::result::Result<engineapi::Reply, engineapi::ApiError>;

/// Wraps `handle` as a route handler holding the daemon.
fn on(
    daemon: &Arc<Daemon>,
    handle: Handle,
) -> impl Fn(&engineapi::Call) -> std::result::Result<engineapi::Reply, engineapi::ApiError>
+ Send
+ Sync
+ 'static {
    let daemon = Arc::clone(daemon);
    move |call| handle(&daemon, call)
}

/// A time parameter as the CLI sends `--since`/`--until`: seconds since 1970, maybe with a
/// fraction (`1733440000.123456789`); empty or absent is no bound, anything else a 400.
fn query_time(
    call: &engineapi::Call,
    name: &str,
) -> std::result::Result<Option<std::time::SystemTime>, engineapi::ApiError> {
    match call.query.get(name).map(String::as_str) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse()
            .ok()
            .and_then(crate::model::clock::from_unix_seconds)
            .map(Some)
            .ok_or_else(|| {
                engineapi::ApiError::bad_request(format!(
                    "invalid {name} {text:?}: expected seconds since 1970"
                ))
            }),
    }
}

/// `capstone daemon`: listens on `host` (`unix:///PATH`), answers until SIGTERM or SIGINT.
/// The socket is root's only (mode 0600) unless `group` may use it too (0660, that group).
pub fn serve(engine: Engine, host: &str, group: Option<&str>) -> Result<i32> {
    // Record the exits of containers whose monitors died while no one watched.
    engine.reconcile()?;
    let server = listen::bind(host, group)?;
    listen::stop_on_signals(server.socket())?;
    let daemon = Arc::new(Daemon {
        engine,
        exits: Arc::default(),
        execs: Arc::default(),
        stdins: Arc::default(),
    });
    let router = system::routes(&daemon)
        .merge(images::routes(&daemon))
        .merge(streams::resize_route(&daemon))
        .merge(containers::routes(&daemon))
        .merge(streams::routes(&daemon))
        .merge(exec::routes(&daemon))
        .merge(networks::routes(&daemon))
        .merge(prune::routes(&daemon))
        .merge(events::routes(&daemon))
        .merge(build::routes(&daemon))
        .merge(image_transfer::routes(&daemon))
        .merge(container_files::routes(&daemon))
        .merge(container_archive::routes(&daemon))
        .merge(stats::routes(&daemon))
        .merge(registry_auth::routes(&daemon))
        .negotiate(Negotiation::default());
    eprintln!(
        "capstone daemon: API listening on unix://{}",
        server.socket().display()
    );
    // Start again the containers whose restart policy says so, as dockerd does when it starts.
    match daemon.engine.start_restartable() {
        Ok(started) => started
            .iter()
            .for_each(|id| eprintln!("capstone daemon: restarted {}", &id[..12.min(id.len())])),
        Err(e) => eprintln!("capstone daemon: restarting containers: {e}"),
    }
    server
        .serve(router)
        .map_err(crate::Error::io("serve", server.socket()))?;
    Ok(0)
}

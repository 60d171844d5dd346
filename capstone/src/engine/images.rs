//! Getting images into the store from a registry: `pull`, through lesson 05's client, with
//! mirrors from `CAPSTONE_REGISTRY_MIRROR` or `<root>/registries.json` (the shape of Docker's
//! `daemon.json`), and the logins saved by `capstone login` ([`crate::store::credentials`]).
//! `run`, `create` and build's `FROM` pull through the same function, so names resolve the
//! same way everywhere (`busybox` is `docker.io/library/busybox:latest`).

use crate::Result;
use crate::store::{Paths, credentials};

/// Pulls `typed` (a reference as the user wrote it) into the store. `say` receives Docker's
/// progress lines (`Pulling …`, `Digest: …`, `Status: …`), for the front end to print.
pub fn pull(paths: &Paths, typed: &str, say: &mut dyn FnMut(String)) -> Result<()> {
    let reference = registry::Reference::parse(typed)?;
    let store = paths.store()?;
    let client = credentials::client(paths)?;
    let options = registry::pull::PullOptions::default();
    // Blobs land before the tag that makes them reachable: keep collections out meanwhile.
    let _writing = super::gc::lock_for_writing(paths)?;
    say(format!("Pulling {}", reference.familiar()));
    let pulled = registry::pull::pull(&client, &store, &reference, &options)
        .map_err(credentials::explain)?;
    say(format!("Digest: {}", pulled.manifest));
    say(format!(
        "Status: Downloaded newer image for {}",
        reference.familiar()
    ));
    Ok(())
}

//! The cluster's registry: Debian's `docker-registry` (the reference implementation of the
//! OCI distribution spec) listening on the switch, `10.9.0.254:5000`.
//!
//! A swarm manager tells a worker "run image X"; the worker pulls X itself. So every server
//! must reach one registry, exactly as in a real cluster. It runs in the switch's network
//! namespace (started with setns(2) between fork and exec); each server lists it under
//! `insecure-registries` (plain HTTP). We use the reference registry rather than lesson 05's
//! server: dockerd 20.10's `docker push` to lesson 05's server retries forever, because its
//! answer to `HEAD /v2/NAME/blobs/DIGEST` carries no `Content-Length` header ("missing
//! content-length header for request").

use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::time::Duration;

use network::probe::connect_within;

use crate::switch::{SWITCH_ADDR, Switch};
use crate::{Error, Result};

/// The port the registry listens on.
pub const PORT: u16 = 5000;

/// A running registry with its own storage; killed (by pid) and removed on drop.
pub struct Registry {
    child: Child,
    dir: tempfile::TempDir,
}

impl Registry {
    /// Starts `docker-registry serve` on `10.9.0.254:5000` inside the switch's namespace and
    /// waits until it accepts a connection.
    pub fn start(switch: &Switch) -> Result<Registry> {
        let io = |what: &str| {
            let what = what.to_string();
            move |source| Error::Io { what, source }
        };
        let dir = tempfile::Builder::new()
            .prefix("lab09-registry-")
            .tempdir()
            .map_err(io("creating the registry's directory"))?;
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n\
             storage:\n  filesystem:\n    rootdirectory: {}\n\
             http:\n  addr: {}\n",
            dir.path().join("storage").display(),
            address()
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).map_err(io("writing the registry's config.yml"))?;
        let log = std::fs::File::create(dir.path().join("registry.log"))
            .map_err(io("creating registry.log"))?;
        let child = switch
            .netns()
            .command("docker-registry")
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(io(
                "starting docker-registry (Debian package docker-registry)",
            ))?;
        let registry = Registry { child, dir };
        let addr = address();
        switch
            .netns()
            .run(|| connect_within(addr, Duration::from_secs(30)))?
            .map_err(|source| Error::Io {
                what: format!(
                    "connecting to the registry on {addr}: {}",
                    registry.log().trim()
                ),
                source,
            })?;
        Ok(registry)
    }

    /// What the registry logged.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    /// The registry's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// `10.9.0.254:5000`: where every server pulls from.
pub fn address() -> SocketAddr {
    SocketAddr::from((SWITCH_ADDR, PORT))
}

/// An image reference in the cluster's registry: `10.9.0.254:5000/NAME`.
pub fn reference(name: &str) -> String {
    format!("{}/{name}", address())
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

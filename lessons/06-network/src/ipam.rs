//! IP address management (IPAM): which network owns which subnet, and which container holds
//! which address, persisted in one JSON file.
//!
//! Several container starts may run at once (separate processes, like `podman run` twice), so
//! every read-modify-write of the state happens under an exclusive flock(2) on a lock file:
//! the second process waits until the first has saved, and so never hands out the same
//! address. The file is replaced atomically (write a temporary file, then rename(2)), so a
//! crash mid-write never leaves half a file behind.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use crate::subnet::Subnet;

/// What can go wrong allocating addresses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading, writing or locking the state file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The state file is not valid JSON for us.
    #[error("{path} is corrupt: {source}: move it away to start afresh")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A network of that name already exists.
    #[error("network {0:?} already exists: pick another name or remove it first")]
    NetworkExists(String),
    /// No network of that name.
    #[error("no network named {0:?}: create it first")]
    NoSuchNetwork(String),
    /// The requested subnet overlaps another network's.
    #[error(
        "subnet {subnet} overlaps {other} of network {network:?}: choose a subnet that does not overlap"
    )]
    SubnetOverlap {
        /// The requested subnet.
        subnet: Subnet,
        /// The subnet it collides with.
        other: Subnet,
        /// The network that owns it.
        network: String,
    },
    /// Every address of the subnet is taken.
    #[error(
        "address pool of network {network:?} ({subnet}) is exhausted: disconnect a container or use a larger subnet"
    )]
    Exhausted {
        /// The network.
        network: String,
        /// Its subnet.
        subnet: Subnet,
    },
    /// The container already has an address on this network.
    #[error("container {owner:?} is already connected to network {network:?}")]
    AlreadyConnected {
        /// The container.
        owner: String,
        /// The network.
        network: String,
    },
}

/// One network as IPAM records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRecord {
    /// The bridge interface that carries it.
    pub bridge: String,
    /// Its subnet; the first host address is the bridge's (the gateway).
    pub subnet: Subnet,
    /// Addresses handed out, and to which container.
    pub leases: BTreeMap<Ipv4Addr, String>,
    /// The address handed out most recently: the next search starts after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<Ipv4Addr>,
    /// An internal network (`docker network create --internal`): no way out of its bridge.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
}

impl NetworkRecord {
    /// The address leased to `owner`, if any.
    pub fn address_of(&self, owner: &str) -> Option<Ipv4Addr> {
        self.leases
            .iter()
            .find(|(_, o)| *o == owner)
            .map(|(a, _)| *a)
    }
}

/// Everything IPAM knows: network name → record.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// All networks, by name.
    pub networks: BTreeMap<String, NetworkRecord>,
}

impl State {
    /// Record a new network, refusing duplicate names and overlapping subnets.
    pub fn add_network(&mut self, name: &str, bridge: &str, subnet: Subnet) -> Result<(), Error> {
        if self.networks.contains_key(name) {
            return Err(Error::NetworkExists(name.to_string()));
        }
        for (other_name, other) in &self.networks {
            if other.subnet.overlaps(&subnet) {
                return Err(Error::SubnetOverlap {
                    subnet,
                    other: other.subnet,
                    network: other_name.clone(),
                });
            }
        }
        let record = NetworkRecord {
            bridge: bridge.to_string(),
            subnet,
            leases: BTreeMap::new(),
            last: None,
            internal: false,
        };
        self.networks.insert(name.to_string(), record);
        Ok(())
    }

    /// The record of network `name`.
    pub fn network(&mut self, name: &str) -> Result<&mut NetworkRecord, Error> {
        self.networks
            .get_mut(name)
            .ok_or_else(|| Error::NoSuchNetwork(name.to_string()))
    }

    /// Lease `network`'s next free address after the last one handed out to `owner`, going
    /// round to the start at the end of the subnet (the gateway is never handed out).
    ///
    /// Why not simply the lowest free one: an address given back a moment ago is the one
    /// most likely to be remembered elsewhere — in other containers' ARP caches (with the old
    /// container's MAC address), or as the name of a veth pair the kernel has not finished
    /// deleting. Docker's IPAM hands addresses out in the same serial way.
    // ANCHOR: allocate
    pub fn allocate(&mut self, network: &str, owner: &str) -> Result<Ipv4Addr, Error> {
        let record = self.network(network)?;
        if record.address_of(owner).is_some() {
            return Err(Error::AlreadyConnected {
                owner: owner.to_string(),
                network: network.to_string(),
            });
        }
        let gateway = record.subnet.gateway();
        let after_last = |a: &Ipv4Addr| record.last.is_none_or(|last| *a > last);
        let round = record.subnet.hosts().filter(after_last);
        let free = round
            .chain(record.subnet.hosts())
            .find(|a| *a != gateway && !record.leases.contains_key(a));
        let addr = free.ok_or_else(|| Error::Exhausted {
            network: network.to_string(),
            subnet: record.subnet,
        })?;
        record.leases.insert(addr, owner.to_string());
        record.last = Some(addr);
        Ok(addr)
    }
    // ANCHOR_END: allocate

    /// Give back `owner`'s address on `network`; returns it, or `None` if it had none.
    pub fn release(&mut self, network: &str, owner: &str) -> Result<Option<Ipv4Addr>, Error> {
        let record = self.network(network)?;
        let addr = record.address_of(owner);
        if let Some(addr) = addr {
            record.leases.remove(&addr);
        }
        Ok(addr)
    }
}

/// The on-disk IPAM store: `DIR/networks.json`, guarded by `DIR/networks.lock`.
#[derive(Debug, Clone)]
pub struct Ipam {
    dir: PathBuf,
}

impl Ipam {
    /// A store in `dir` (created on first use).
    pub fn new(dir: impl Into<PathBuf>) -> Ipam {
        Ipam { dir: dir.into() }
    }

    /// The directory holding the state.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Run `change` on the state while holding an exclusive flock(2), and save the result if
    /// `change` succeeds (an error leaves the file untouched). Other processes calling this
    /// wait for the lock, so their changes never interleave.
    // ANCHOR: update
    pub fn update<T, E: From<Error>>(
        &self,
        change: impl FnOnce(&mut State) -> Result<T, E>,
    ) -> Result<T, E> {
        let _lock = self.lock()?;
        let mut state = self.load()?;
        let result = change(&mut state)?;
        self.save(&state)?;
        Ok(result)
    }
    // ANCHOR_END: update

    /// A consistent snapshot of the state (read under the lock).
    pub fn read(&self) -> Result<State, Error> {
        let _lock = self.lock()?;
        self.load()
    }

    fn io(&self, file: &str) -> impl Fn(std::io::Error) -> Error {
        let path = self.dir.join(file);
        move |source| Error::Io {
            path: path.clone(),
            source,
        }
    }

    fn lock(&self) -> Result<Flock<File>, Error> {
        fs::create_dir_all(&self.dir).map_err(self.io(""))?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("networks.lock"))
            .map_err(self.io("networks.lock"))?;
        // Blocks until no other process holds the lock; released when the Flock is dropped.
        Flock::lock(file, FlockArg::LockExclusive)
            .map_err(|(_, errno)| self.io("networks.lock")(errno.into()))
    }

    fn load(&self) -> Result<State, Error> {
        let path = self.dir.join("networks.json");
        match fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|source| Error::Corrupt { path, source })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(self.io("networks.json")(e)),
        }
    }

    fn save(&self, state: &State) -> Result<(), Error> {
        let json = serde_json::to_vec_pretty(state).expect("state serializes");
        let tmp = self.dir.join("networks.json.tmp");
        fs::write(&tmp, json).map_err(self.io("networks.json.tmp"))?;
        fs::rename(&tmp, self.dir.join("networks.json")).map_err(self.io("networks.json"))
    }
}

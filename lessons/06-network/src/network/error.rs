//! What can go wrong, and the list a teardown returns.

use std::fmt;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use crate::netlink;
use crate::subnet::Subnet;

/// What can go wrong setting up container networking.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A netlink request failed.
    #[error(transparent)]
    Netlink(#[from] netlink::Error),
    /// Allocating or recording addresses failed.
    #[error(transparent)]
    Ipam(#[from] crate::ipam::Error),
    /// nftables failed.
    #[error(transparent)]
    Firewall(#[from] crate::firewall::Error),
    /// Entering a namespace failed.
    #[error(transparent)]
    Netns(#[from] crate::netns::Error),
    /// Starting a sandbox failed.
    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::Error),
    /// A name we would write into interface names, files or nft rules is not acceptable.
    #[error(
        "{kind} name {name:?} is not valid: use 1 to {max} letters, digits, '-', '_' or '.', not starting with '.' or '-'"
    )]
    InvalidName {
        /// What the name is for ("network", "bridge", "container").
        kind: &'static str,
        /// The name given.
        name: String,
        /// The longest acceptable length.
        max: usize,
    },
    /// A port number of 0.
    #[error("port 0 cannot be published: give ports between 1 and 65535")]
    PortZero,
    /// An interface of that name exists already.
    #[error("bridge name {0:?} is taken by an existing interface: choose another bridge name")]
    BridgeTaken(String),
    /// The subnet is already in use on an interface of this namespace.
    #[error(
        "subnet {subnet} overlaps address {addr} on interface {interface:?}: choose a subnet that does not overlap"
    )]
    SubnetInUse {
        /// The requested subnet.
        subnet: Subnet,
        /// The address found inside it.
        addr: Ipv4Addr,
        /// The interface carrying it.
        interface: String,
    },
    /// The container has no address on the network.
    #[error("container {container:?} is not connected to network {network:?}")]
    NotConnected {
        /// The container.
        container: String,
        /// The network.
        network: String,
    },
    /// Writing a file (a sysctl under /proc/sys, a hosts file) failed.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Every error a teardown met; it went on past each one, removing what it could.
#[derive(Debug)]
pub struct TeardownErrors(pub Vec<Error>);

impl fmt::Display for TeardownErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "teardown met {} error(s)", self.0.len())?;
        for e in &self.0 {
            write!(f, "; {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TeardownErrors {}

impl TeardownErrors {
    pub(crate) fn into_result(self) -> Result<(), TeardownErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

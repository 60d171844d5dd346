//! IPv4 subnets in CIDR notation ("10.88.0.0/24"): parse, compare, enumerate.
//!
//! A subnet is a network address and a prefix length: the first `prefix` bits are the network,
//! the rest number the hosts. In 10.88.0.0/24 the hosts are .1 to .254 (.0 names the network
//! and .255 is broadcast). The bridge takes the first host as the containers' gateway.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An IPv4 subnet such as 10.88.0.0/24.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Subnet {
    network: Ipv4Addr,
    prefix: u8,
}

/// A string that is not a subnet in CIDR notation.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0:?} is not an IPv4 subnet in CIDR notation with a prefix between /8 and /30 and no host bits set (e.g. 10.88.0.0/24)"
)]
pub struct ParseError(pub String);

impl Subnet {
    /// The subnet `network/prefix`; the network must have no host bits set.
    pub fn new(network: Ipv4Addr, prefix: u8) -> Option<Subnet> {
        let subnet = Subnet { network, prefix };
        ((8..=30).contains(&prefix) && u32::from(network) & !subnet.mask() == 0).then_some(subnet)
    }

    /// The network address (10.88.0.0).
    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    /// The prefix length (24).
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    fn mask(&self) -> u32 {
        u32::MAX << (32 - self.prefix)
    }

    /// Whether `addr` lies inside this subnet.
    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & self.mask() == u32::from(self.network)
    }

    /// Whether the two subnets share any address (one then contains the other's network).
    pub fn overlaps(&self, other: &Subnet) -> bool {
        self.contains(other.network) || other.contains(self.network)
    }

    /// The usable host addresses, lowest first (network and broadcast addresses excluded).
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> {
        let first = u32::from(self.network) + 1;
        let broadcast = u32::from(self.network) | !self.mask();
        (first..broadcast).map(Ipv4Addr::from)
    }

    /// The gateway: by convention the first host address, which the bridge takes.
    pub fn gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) + 1)
    }
}

impl FromStr for Subnet {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseError(s.to_string());
        let (addr, prefix) = s.split_once('/').ok_or_else(bad)?;
        let network = addr.parse().map_err(|_| bad())?;
        let prefix = prefix.parse().map_err(|_| bad())?;
        Subnet::new(network, prefix).ok_or_else(bad)
    }
}

impl TryFrom<String> for Subnet {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Subnet> for String {
    fn from(s: Subnet) -> String {
        s.to_string()
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_cidr() {
        let s: Subnet = "10.88.0.0/24".parse().unwrap();
        assert_eq!(s.to_string(), "10.88.0.0/24");
        assert_eq!(s.gateway(), Ipv4Addr::new(10, 88, 0, 1));
        assert_eq!(s.hosts().count(), 254);
    }

    #[test]
    fn rejects_host_bits_and_silly_prefixes() {
        assert!("10.88.0.1/24".parse::<Subnet>().is_err());
        assert!("10.88.0.0/31".parse::<Subnet>().is_err());
        assert!("10.88.0.0".parse::<Subnet>().is_err());
    }

    #[test]
    fn overlap_is_symmetric() {
        let big: Subnet = "10.88.0.0/16".parse().unwrap();
        let small: Subnet = "10.88.5.0/24".parse().unwrap();
        let other: Subnet = "10.89.0.0/24".parse().unwrap();
        assert!(big.overlaps(&small) && small.overlaps(&big));
        assert!(!big.overlaps(&other));
    }
}

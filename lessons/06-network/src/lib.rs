//! Lesson 06: container networking.
//!
//! A container gets its own network namespace: an empty network stack with only `lo`. To let
//! it talk, the host plugs a virtual cable (a veth pair) into it, connects the other end to a
//! virtual switch (a bridge), hands out an address (IPAM), routes and masquerades its traffic
//! to the outside (NAT), forwards host ports to it (DNAT) and tells containers each other's
//! names (a hosts file). Each module is one of those pieces:
//!
//! - [`netns`]: create and enter network namespaces (network_namespaces(7), setns(2));
//! - [`netlink`]: links, addresses, routes over rtnetlink(7), what `ip` does;
//! - [`subnet`] and [`ipam`]: subnets and address leases under a file lock (flock(2));
//! - [`firewall`]: masquerade, published ports and isolation with nftables (nft(8));
//! - [`network`]: the driver that puts it together, with mirror-image teardown;
//! - [`dns`]: a tiny DNS responder answering container names from IPAM;
//! - [`sandbox`]: a pause process holding a container's namespaces, to run programs in.
//! - [`probe`]: wait for a TCP port with a deadline instead of sleeping.
//! - [`uplink`]: a pretend outside world (one more namespace) to test NAT against.

pub mod dns;
pub mod firewall;
pub mod ipam;
pub mod netlink;
pub mod netns;
pub mod network;
pub mod probe;
pub mod sandbox;
pub mod subnet;
pub mod uplink;

pub use netns::NetNs;
pub use network::{Attachment, Error, Networks, TeardownErrors};
pub use sandbox::Sandbox;
pub use subnet::Subnet;

//! Plugging a container into its networks ([`attach`]: a veth pair, an address, published
//! ports, all through lesson 06) and the files a networked container needs ([`files`]:
//! `/etc/hosts`, `/etc/resolv.conf`), bound into its root before pivot_root(2).

pub mod attach;
pub mod files;

//! The bottom layer: the plain types the engine records and shows — a container
//! ([`container::Container`], field names as in `docker inspect`), its published ports, its
//! mounts and its network settings — and the small pure helpers they need (ids, times).
//! Nothing here touches the kernel or the disk; serde makes the records files.

pub mod clock;
pub mod container;
pub mod health;
pub mod ids;
pub mod mounts;
pub mod network;
pub mod ports;
pub mod restart;
pub mod run_flags;
pub mod volume_spec;

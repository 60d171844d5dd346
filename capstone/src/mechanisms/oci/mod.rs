//! The OCI runtime's mechanisms: a bundle's `config.json` (runtime-spec) turned into lesson
//! 01's container with lesson 07's confinement — the same way to start a container as the
//! engine's own (`mechanisms::runtime`), fed from a spec instead of a container record.
//! The front end is `runtime_cli` (runc's command line); the operations are `engine::oci`.

pub mod bundle;
pub mod cgroup;
pub mod hooks;
pub mod lifecycle;
pub mod mounts;
pub mod process;
pub mod signals;

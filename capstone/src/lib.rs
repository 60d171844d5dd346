//! The capstone: a small daemonless container engine with Docker's verbs, put together from
//! the lab's lessons — namespaces and pivot_root (01), cgroups (02), overlayfs (03), images
//! (04), registries (05) and networks (06).
//!
//! Like podman, there is no daemon: every command is one process working on shared state on
//! disk, guarded by flock(2). A container is started by a *monitor*
//! ([`engine::monitor`]), its parent for life: the CLI itself in the foreground, a small
//! detached process for `-d`.
//!
//! The code is in five layers; each imports only the ones below it, so it can be read from
//! the bottom up:
//!
//! | layer | what it holds | kernel or disk? |
//! |---|---|---|
//! | [`cli`] (front end) | parses the command line, calls the [`Engine`], prints | neither |
//! | [`engine`] | [`Engine`]: every operation (create, start, stop, exec, build, pull…), and [`Engine::reconcile`] | through the layers below |
//! | [`mechanisms`] | cgroups, the container's first process, confinement, consoles, network plugging, volume mounts | the kernel |
//! | [`store`] | records of containers, volumes, networks, logins; locks | files and flock(2) only |
//! | [`model`] | the records' types: a container, its ports, mounts, network settings | neither (serde only) |
//!
//! Following `run` downwards: [`cli`] → [`Engine::create`] (the record, via [`store`]) →
//! [`Engine::run_attached`] → [`engine::monitor`] → [`mechanisms::cgroup`] and
//! [`mechanisms::runtime`] (lesson 01's `container::create_with` and the engine's hooks) →
//! execve(2).

pub mod api;
pub mod cli;
pub mod compose;
pub mod engine;
pub mod error;
pub mod fuzzing;
pub mod mechanisms;
pub mod model;
pub mod runtime_cli;
pub mod store;

pub use engine::Engine;
pub use error::{Error, Result};

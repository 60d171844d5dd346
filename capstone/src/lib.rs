//! The capstone: a small daemonless container engine with Docker's verbs, put together from
//! the lab's lessons — namespaces and pivot_root (01), cgroups (02), overlayfs (03), images
//! (04), registries (05) and networks (06).
//!
//! Like podman, there is no daemon: every command is one process working on shared state on
//! disk ([`state`]), guarded by flock(2). A container is started by a *monitor* ([`monitor`]),
//! its parent for life: the CLI itself in the foreground, a small detached process for `-d`.
//! The container's first process is created by [`runtime`] with clone(2) and sets itself up
//! (overlay root, `/proc`, `/dev`, pivot_root, capabilities, [`security`]) before execve(2).
//!
//! Modules, in the order `run` uses them: [`cli`] → [`commands`] → [`create`] (record, layer
//! dirs, via [`images_ref`]) → [`lifecycle`] / [`monitor`] → [`cgroup`] → [`runtime`] →
//! [`security`] → execve; then [`logs`], [`remove`]. [`exec`] joins a running container.
//! [`network`] plugs a container into its bridges (lesson 06) while it waits at the gate.
//! [`volumes`] makes `-v` volumes at `create` and bind-mounts them (mount(2), resolved inside
//! the root with openat2(2)) in [`runtime`], before pivot_root.

pub mod build;
pub mod cgroup;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod commit;
pub mod container;
pub mod create;
pub mod credentials;
pub mod error;
pub mod exec;
pub mod gc;
pub mod ids;
pub mod images_ref;
pub mod lifecycle;
pub mod logs;
pub mod monitor;
pub mod network;
pub mod pty;
pub mod registries;
pub mod relay;
pub mod remove;
pub mod runtime;
pub mod security;
pub mod state;
pub mod volumes;

pub use error::{Error, Result};

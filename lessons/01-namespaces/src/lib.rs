//! Lesson 01: namespaces and `pivot_root`.
//!
//! A container is an ordinary Linux process that the kernel shows a different view of the
//! world: its own hostname (UTS namespace), its own process tree (PID namespace), its own mount
//! table (mount namespace), its own network devices (network namespace), its own System V IPC
//! objects (IPC namespace) and its own user ids (user namespace) — see namespaces(7).
//!
//! This crate is the small library the lesson's steps (`src/bin/`) are built on, and that later
//! lessons and the capstone engine import:
//!
//! - [`namespace`]: the namespace kinds, their clone(2) flags, and how to see which namespace a
//!   process is in (`/proc/PID/ns/*`);
//! - [`process`]: start a child in new namespaces with clone(2), and a pipe to hold it back;
//! - [`mounts`]: private propagation, `/proc`, `/sys`, a minimal `/dev`, and pivot_root(2);
//! - [`userns`]: user-id maps for user namespaces (user_namespaces(7));
//! - [`rootfs`]: a tiny root filesystem made from `busybox-static`;
//! - [`container`]: everything together — a mini container;
//! - [`exec`]: execve(2) of the command in the container's `PATH`, and why it failed;
//! - [`hooks`]: where an engine adds its own steps (an overlay root, volumes, confinement);
//! - [`console`]: a terminal made inside the container, sent out over a socket;
//! - [`init`]: a tiny pid 1 that reaps orphans and forwards signals;
//! - [`join`]: a new process in a running container (`docker exec`), with setns(2);
//! - [`privilege`]: the one-line "this needs root" check.

pub mod console;
pub mod container;
pub mod error;
pub mod exec;
mod exec_meanings;
pub mod hooks;
pub mod init;
pub mod join;
pub mod mounts;
pub mod namespace;
pub mod privilege;
pub mod process;
pub mod rootfs;
mod setup;
pub mod userns;

pub use error::{Error, Result};
pub use namespace::Namespace;

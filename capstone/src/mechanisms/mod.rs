//! The middle layer: the kernel mechanisms a container is made of, each a thin layer over a
//! lesson — its cgroup ([`cgroup`], lesson 02; shown inside by [`cgroup_view`]), its first process ([`runtime`]: lesson 01's
//! container with the engine's hooks, a lesson-03 overlay root among them), its confinement
//! ([`security`]), the user's terminal ([`pty`], [`relay`]; the container's console and the
//! `--init` are lesson 01's), its log file ([`logs`]), plugging it into networks ([`network`], lesson 06), mounting its volumes
//! ([`volumes`]), and watching processes from outside ([`process`]).
//!
//! Mechanisms act on one container at a time and take its record as given; what to do when
//! (pull first? remove after? restart?) is the engine's decision, one layer up.

pub mod cgroup;
pub mod cgroup_view;
pub mod log_rotation;
pub mod logs;
pub mod network;
pub mod oci;
pub mod process;
pub mod pty;
pub mod pty_share;
pub mod relay;
pub mod rootfs_view;
pub mod run_flags;
pub mod runtime;
pub mod security;
pub mod usage;
pub mod volumes;

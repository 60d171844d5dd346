//! The middle layer: the kernel mechanisms a container is made of, each a thin layer over a
//! lesson — its cgroup ([`cgroup`], lesson 02), its first process ([`runtime`], lesson 01's
//! clone, gate and pivot_root on a lesson-03 overlay), its confinement ([`security`]), its
//! console ([`console`], [`pty`], [`relay`]), an init for `--init` ([`init`]), its log file
//! ([`logs`]), plugging it into networks ([`network`], lesson 06), mounting its volumes
//! ([`volumes`]), and watching processes from outside ([`process`]).
//!
//! Mechanisms act on one container at a time and take its record as given; what to do when
//! (pull first? remove after? restart?) is the engine's decision, one layer up.

pub mod cgroup;
pub mod console;
pub mod init;
pub mod logs;
pub mod network;
pub mod process;
pub mod pty;
pub mod relay;
pub mod rootfs_view;
pub mod runtime;
pub mod security;
pub mod usage;
pub mod volumes;

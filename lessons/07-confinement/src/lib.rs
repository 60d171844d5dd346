//! Lesson 07: confinement — what stops root in a container from reaching the host's kernel.
//!
//! Namespaces hide the host and cgroups limit what a container uses; neither stops a root
//! process inside from calling the kernel in dangerous ways: loading a module, mounting the
//! host's disk, reading kernel memory, creating devices. Docker adds a set of layers, each a
//! kernel feature this crate drives:
//!
//! - [`capabilities`]: root's power in pieces; Docker keeps 14 (capabilities(7));
//! - [`no_new_privs`]: execve(2) never grants more (prctl(2) `PR_SET_NO_NEW_PRIVS`);
//! - [`seccomp`]: a filter on every system call; Docker's default profile (seccomp(2));
//! - [`paths`]: masked and read-only parts of `/proc` and `/sys` (mount(2));
//! - [`devices`]: which device nodes may be opened — cgroup v1 `devices.allow`/`deny`, or a
//!   cgroup v2 BPF program (bpf(2) `BPF_PROG_TYPE_CGROUP_DEVICE`);
//! - [`sealed`]: the runtime's own binary out of reach (memfd_create(2) and file seals);
//! - [`dmz`]: the only program of the runtime a container runs, from a sealed copy;
//! - [`confine`]: all of them in the right order, as an engine applies them;
//! - [`status`]: the kernel's view of it all, from `/proc/PID/status`;
//! - [`probe`]: harmless calls of each family Docker refuses, to see a filter work;
//! - [`sandbox`]: lesson 01's container set-up, for the steps to confine.

pub mod capabilities;
pub mod confine;
pub mod devices;
pub mod dmz;
pub mod error;
pub mod no_new_privs;
pub mod paths;
pub mod probe;
pub mod sandbox;
pub mod sealed;
pub mod seccomp;
pub mod status;

pub use confine::{Confinement, Flags};
pub use error::{Error, Result};
pub use status::Status;

//! seccomp (seccomp(2)): a small program the kernel runs at every system call the process
//! makes, before the call does anything. It sees the call's number, its architecture and its
//! six arguments (`struct seccomp_data`) and answers allow, fail with an errno, or kill.
//! Once installed, a filter can never be removed, and every child inherits it.
//!
//! - [`filter`]: the program itself (classic BPF), a hand-written one of seven instructions,
//!   and installing it with seccomp(2);
//! - [`profile`]: Docker's profile format, read with the JSON path of any mistake;
//! - [`mod@compile`]: a profile turned into a filter for this machine with libseccomp, as runc,
//!   crun and youki do.

pub mod compile;
pub mod filter;
pub mod profile;

pub use compile::{SeccompOption, compile};
pub use filter::Filter;
pub use profile::Profile;

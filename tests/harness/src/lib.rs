//! The kit's shared test harness.
//!
//! Tests across the lessons need the same few things: names no other test (or test run) uses,
//! guards that remove what a test made even when it fails, and real peers to talk to — a
//! registry, a virtual machine, network namespaces. They live here so every lesson's tests
//! read the same way. Nothing here is mocked: each module drives the real kernel or the real
//! third-party program.

pub mod dockerd;
pub mod fuzz;
pub mod names;
pub mod netns;
pub mod registry;
pub mod vm;

//! Unique names for the resources a test creates (cgroups, mounts, links, containers).
//!
//! Tests run in parallel threads and several `cargo test` runs may share a machine, so every
//! name carries the process id and a per-process counter.

use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name no other test in any process on this machine is using right now:
/// `PREFIX-PID-N`, where PID is this test process (getpid(2)) and N counts up.
///
/// Keep the prefix short: network interface names are limited to 15 bytes (IFNAMSIZ).
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}{}-{n}", std::process::id() % 100_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_repeat_within_a_process() {
        let a = unique("t");
        let b = unique("t");
        assert_ne!(a, b);
        assert!(a.starts_with('t'));
    }
}

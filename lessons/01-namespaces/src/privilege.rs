//! Are we root? Namespaces (other than user namespaces), mounts and pivot_root(2) need
//! `CAP_SYS_ADMIN` in the initial user namespace; a step says so in one line instead of
//! failing halfway with `EPERM`.

use crate::{Error, Result};

/// Returns an error naming `what` unless the effective user id is 0 (geteuid(2)).
pub fn require_root(what: &str) -> Result<()> {
    if nix::unistd::geteuid().is_root() {
        Ok(())
    } else {
        Err(Error::NotRoot {
            what: what.to_string(),
        })
    }
}

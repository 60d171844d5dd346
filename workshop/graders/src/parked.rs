//! A child parked after doing its part: the grader looks at it from outside while it waits,
//! then releases it.

use crate::kernel::{ChildGuard, Note};
use crate::report::Report;
use namespaces::process::Gate;

/// The three pipes of a parked child: it opens `ready` once its part is done, then waits
/// for `release`; `note` carries its words back.
pub struct Parked {
    ready: Gate,
    release: Gate,
    /// The child's words for the parent.
    pub note: Note,
}

impl Parked {
    /// Makes the pipes.
    pub fn new() -> anyhow::Result<Parked> {
        Ok(Parked {
            ready: Gate::new()?,
            release: Gate::new()?,
            note: Note::new()?,
        })
    }

    /// Child side: after `body` succeeded, say so and wait to be released.
    pub fn park(&self, body: impl FnOnce(&Note) -> Result<(), String>) -> i32 {
        match body(&self.note) {
            Ok(()) => {
                let _ = self.ready.open();
                i32::from(!self.release.wait())
            }
            Err(e) => {
                self.note.write(&e);
                2
            }
        }
    }

    /// Parent side: true once the child is parked; false (and a failed check) if it ended.
    pub fn wait(self, r: &mut Report, child: &mut ChildGuard, what: &str) -> Option<(Gate, Note)> {
        if self.ready.wait() {
            return Some((self.release, self.note));
        }
        let how = child.wait();
        r.check(
            format!("the child ran {what}"),
            format!("it {how}: {}", self.note.read()),
            false,
        );
        None
    }
}

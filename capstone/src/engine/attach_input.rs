//! The input half of attaching through a front end that is not a terminal (the Engine API
//! daemon, whose client sends what the user types over a hijacked connection): the bytes go
//! into a `-t` container's pty, through a copy of its monitor's pty master
//! ([`pty_share::master_of`], pidfd_getfd(2)) — the way a terminal emulator writes keys into
//! its own master. The pty's line discipline echoes them and turns Ctrl-C into SIGINT for the
//! container's foreground process group, so the bytes go in raw, untouched.
//!
//! `docker run -it` attaches *before* it starts the container: then there is no monitor yet,
//! and the copy is taken once the start has returned ([`Exits::wait_started`]), when the
//! monitor holds the pty.
//!
//! [`pty_share::master_of`]: crate::mechanisms::pty_share::master_of

use super::Engine;
use super::exits::Exits;
use crate::mechanisms::pty_share;
use crate::{Error, Result};
use std::io::{ErrorKind, Read};
use std::os::fd::OwnedFd;

impl Engine {
    /// Copies `input` into the pty of `-t` container `query` (of its current run, or of the
    /// next one this process starts, recorded in `exits`) until `input` ends or the pty is
    /// gone. A container made without `-i` does not read input: `input` is left unread, as
    /// Docker does. A running container without a tty reads the stdin its start gave it
    /// (the daemon's `attach` makes that pipe before `docker run -i` starts it): an error.
    pub fn attach_input(&self, query: &str, exits: &Exits, input: &mut dyn Read) -> Result<()> {
        let record = self.container(query)?;
        if !record.config.open_stdin {
            return Ok(());
        }
        if !record.config.tty {
            return Err(Error::invalid(
                "attach",
                query,
                "a running container without a tty reads the stdin it was started with: input reaches it from an attach made before its start (docker run -i, docker start -ai)",
            ));
        }
        let exits_before = exits.exits_of(&record.id);
        let mut master: Option<OwnedFd> = None;
        let mut buf = [0u8; 4096];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => return Ok(()), // the client half-closed: its output goes on
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Ok(()), // the client went away
            };
            let master = match &master {
                Some(master) => master,
                None => {
                    if !record.state.running {
                        exits.wait_started(&record.id, exits_before);
                    }
                    let now = self.container(&record.id)?;
                    if !now.state.running {
                        return Ok(()); // it ran and ended before we had anything to type
                    }
                    master.insert(pty_share::master_of(now.state.monitor_pid)?)
                }
            };
            if super::attach::write_all(master, &buf[..n]).is_err() {
                return Ok(()); // EIO: the container's side of the pty is gone
            }
        }
    }
}

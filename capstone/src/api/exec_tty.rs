//! `docker exec -t` through the daemon: the process gets a pty of its own
//! ([`crate::engine::Engine::exec_on_pty`]); its master is copied to the hijacked connection
//! raw (a terminal merges stdout and stderr: no frames) and the client's input into it. The
//! daemon keeps a copy of the master while the process runs, for the CLI's
//! `POST /exec/{id}/resize` (TIOCSWINSZ, ioctl_tty(2)), which may come before the pty exists.

use super::exec::{Instance, copy, find, finish, set};
use super::{Daemon, errors};
use crate::mechanisms::pty_share::set_window_size;
use engineapi::hijack::{Hijacked, RAW_STREAM};
use engineapi::{ApiError, Call, Reply};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

/// `-t`: the pty's master is copied to the client raw, and the client's input into it.
pub(super) fn start_on_pty(d: &Daemon, id: String, instance: Instance) -> Reply {
    let daemon = d.clone();
    let (give, taken) = std::sync::mpsc::channel::<OwnedFd>();
    let interactive = instance.opts.interactive;
    let runner = std::thread::spawn(move || {
        let code = daemon
            .engine
            .exec_on_pty(&instance.container, &instance.opts, &mut |master| {
                if let Ok(copy) = master.try_clone() {
                    let copy = Arc::new(copy);
                    set(&daemon, &id, |i| {
                        if let Some((rows, cols)) = i.window {
                            let _ = set_window_size(copy.as_fd(), rows, cols);
                        }
                        i.master = Some(copy);
                    });
                }
                let _ = give.send(master);
            });
        finish(&daemon, &id, code);
    });
    Reply::Hijack {
        content_type: RAW_STREAM,
        session: Box::new(move |conn: Hijacked| {
            let Hijacked {
                mut input,
                mut output,
            } = conn;
            if let Ok(master) = taken.recv() {
                if let (true, Ok(keys)) = (interactive, master.try_clone()) {
                    let mut keys = std::fs::File::from(keys);
                    std::thread::spawn(move || copy(&mut input, &mut keys));
                }
                copy(&mut std::fs::File::from(master), &mut output);
            }
            let _ = runner.join(); // the exit code is recorded before the stream ends
        }),
    }
}

/// `POST /exec/{id}/resize?h=&w=`: the window size of a `-t` process's pty, set at once if
/// the pty exists, else as soon as it does (the CLI may ask right after the start).
pub(super) fn resize(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let (rows, cols) = super::streams::window_size(call)?;
    let id = call.param("id");
    find(d, id)?;
    let mut result = Ok(());
    set(d, id, |i| {
        i.window = Some((rows, cols));
        if let Some(master) = &i.master {
            result = set_window_size(master.as_fd(), rows, cols);
        }
    });
    result.map_err(errors::api)?;
    Ok(Reply::Empty(200))
}

//! The container's stdio as the monitor sets it up: pipes for its stdout and stderr (or, with
//! `-t`, a console socket to receive the pty master the container makes), and its stdin.

use super::Attach;
use crate::mechanisms::runtime::Stdio;
use crate::model::container::Container;
use crate::{Error, Result};
use namespaces::console::{self, Console, ConsoleSocket};
use nix::fcntl::OFlag;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// The container's stdio: our ends and its ends.
pub(super) struct Io {
    pub(super) tty: bool,
    pub(super) forward_stdin: bool,
    console: Option<(ConsoleSocket, console::Size)>,
    pub(super) master: Option<OwnedFd>,
    pub(super) out: Option<OwnedFd>,
    pub(super) err: Option<OwnedFd>,
    child_ends: Vec<OwnedFd>,
    child_fds: [i32; 3],
}

impl Io {
    /// For `-t`, a console socket to receive the pty the container makes ([`console`]), and
    /// a pipe for what goes wrong before that; otherwise two pipes (pipe2(2)) for stdout and
    /// stderr, and stdin either our own (`-i` in the foreground) or `/dev/null`.
    pub(super) fn prepare(record: &Container, attach: Attach) -> Result<Io> {
        let stdin = std::io::stdin();
        let attach_stdin = attach == Attach::Foreground { stdin: true } && record.config.open_stdin;
        if record.config.tty {
            let socket = ConsoleSocket::new()?;
            let size = match attach {
                Attach::Foreground { .. } => console::Size::of_or_default(stdin.as_fd()),
                Attach::Detached => console::Size::DEFAULT,
            };
            let (err_r, err_w) =
                nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("pipe2(2)"))?;
            let null: OwnedFd = std::fs::File::open("/dev/null")
                .map_err(Error::io("open", "/dev/null"))?
                .into();
            let child_fds = [null.as_raw_fd(), err_w.as_raw_fd(), err_w.as_raw_fd()];
            return Ok(Io {
                tty: true,
                forward_stdin: attach_stdin,
                console: Some((socket, size)),
                master: None,
                out: None,
                err: Some(err_r),
                child_ends: vec![null, err_w],
                child_fds,
            });
        }
        let (out_r, out_w) =
            nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("pipe2(2)"))?;
        let (err_r, err_w) =
            nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(Error::sys("pipe2(2)"))?;
        // Detached, a `-i` container reads the monitor's own stdin: /dev/null, unless whoever
        // started the monitor gave it a pipe (the Engine API daemon does, for `docker run -i`).
        let detached_stdin = attach == Attach::Detached && record.config.open_stdin;
        let stdin_fd: OwnedFd = if attach_stdin || detached_stdin {
            stdin
                .as_fd()
                .try_clone_to_owned()
                .map_err(Error::io("dup", "stdin"))?
        } else {
            std::fs::File::open("/dev/null")
                .map_err(Error::io("open", "/dev/null"))?
                .into()
        };
        let child_fds = [stdin_fd.as_raw_fd(), out_w.as_raw_fd(), err_w.as_raw_fd()];
        Ok(Io {
            tty: false,
            forward_stdin: false,
            console: None,
            master: None,
            out: Some(out_r),
            err: Some(err_r),
            child_ends: vec![stdin_fd, out_w, err_w],
            child_fds,
        })
    }

    pub(super) fn child_stdio(&self) -> Stdio {
        Stdio {
            fds: self.child_fds,
            console: self.console.as_ref().map(|(socket, size)| Console {
                socket: socket.container_end(),
                size: *size,
            }),
        }
    }

    /// Our copies of the container's ends must go, or we would never see end-of-file.
    pub(super) fn close_child_side(&mut self) {
        self.child_ends.clear();
        if let Some((socket, _)) = &mut self.console {
            socket.close_container_end();
        }
    }

    /// With `-t`: takes the pty master the container sent (it did so before its execve(2), so
    /// it is waiting in the socket). None came if its set-up failed; the error pipe says why.
    pub(super) fn receive_console(&mut self) -> Result<()> {
        if let Some((socket, _)) = self.console.take() {
            self.master = socket.receive_master()?;
        }
        Ok(())
    }

    pub(super) fn open(&self) -> bool {
        self.master.is_some() || self.out.is_some() || self.err.is_some()
    }
}

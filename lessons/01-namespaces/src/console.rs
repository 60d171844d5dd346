//! Terminals made inside the container, handed to the engine (whoever started the container)
//! over a socket — what runc calls its "console socket".
//!
//! A pseudo-terminal (pty(7)) is a pair: the *master*, where the engine reads what the
//! container prints and writes what the user types, and the *slave* (`/dev/pts/N`), which
//! becomes the container's stdin, stdout, stderr and controlling terminal. Every devpts mount
//! made with `newinstance` is a separate set of ptys, and the container gets its own (see
//! [`crate::mounts::mount_minimal_dev`]). A pty opened by the engine lives in the *host's*
//! instance: its `/dev/pts/3` does not exist in the container's `/dev/pts`, so `tty` inside
//! (ttyname(3): readlink `/proc/self/fd/0`, then stat that path) answers "not a tty", and
//! programs that reopen their terminal fail.
//!
//! So the container's first process (or an `exec`'d one, see [`crate::join`]) opens the pty
//! itself, from its own `/dev/ptmx` (the `ptmx` node of its devpts, mounted with
//! `ptmxmode=0666`), and sends the master to the engine over a socketpair(2) as `SCM_RIGHTS`
//! ancillary data (unix(7), cmsg(3)): the kernel installs a duplicate of the descriptor in the
//! receiving process. The window size is set (TIOCSWINSZ, ioctl_tty(2)) before the command
//! starts, so its first `stty size` is already right.

use crate::Result;
use crate::error::{io, sys};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::pty::{Winsize, grantpt, posix_openpt, ptsname_r, unlockpt};
use nix::sys::socket::{
    AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType, recvmsg,
    sendmsg, socketpair,
};
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;

/// A terminal's size in character cells (`ws_row`, `ws_col` of `struct winsize`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Rows.
    pub rows: u16,
    /// Columns.
    pub cols: u16,
}

impl Size {
    /// The classic 80×24, for a pty with no user terminal behind it (`run -dt`): a new pty is
    /// 0×0, which makes `stty size` fail and full-screen programs draw nothing.
    pub const DEFAULT: Size = Size { rows: 24, cols: 80 };

    /// The size of the terminal behind `fd` (TIOCGWINSZ, ioctl_tty(2)), or `None` if it is not
    /// one.
    pub fn of(fd: std::os::fd::BorrowedFd<'_>) -> Option<Size> {
        let mut w = Winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCGWINSZ writes one `struct winsize` into the pointer we pass.
        let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut w) };
        (rc == 0 && w.ws_row > 0 && w.ws_col > 0).then_some(Size {
            rows: w.ws_row,
            cols: w.ws_col,
        })
    }

    /// The size of the terminal behind `fd`, or [`Size::DEFAULT`].
    pub fn of_or_default(fd: std::os::fd::BorrowedFd<'_>) -> Size {
        Size::of(fd).unwrap_or(Size::DEFAULT)
    }
}

/// What a container's process needs to make its terminal: the container's end of a
/// [`ConsoleSocket`], and the window size to give the pty.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    /// The socket ([`ConsoleSocket::container_end`]), valid in the cloned or forked child.
    pub socket: RawFd,
    /// The pty's window size: the user's terminal's, or [`Size::DEFAULT`].
    pub size: Size,
}

/// A connected pair of unix sockets (socketpair(2), `AF_UNIX`, close-on-exec): the engine keeps
/// one end, the container's process writes the pty master into the other.
#[derive(Debug)]
pub struct ConsoleSocket {
    engine: OwnedFd,
    container: Option<OwnedFd>,
}

impl ConsoleSocket {
    /// Makes the pair.
    pub fn new() -> Result<ConsoleSocket> {
        let (engine, container) = socketpair(
            AddressFamily::Unix,
            SockType::Stream,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .map_err(sys("socketpair(2)"))?;
        Ok(ConsoleSocket {
            engine,
            container: Some(container),
        })
    }

    /// The end to pass to the container's process (valid in a forked or cloned copy).
    pub fn container_end(&self) -> RawFd {
        self.container.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// Closes our copy of the container's end, so that [`ConsoleSocket::receive_master`] sees
    /// end-of-file if the process died before sending anything.
    pub fn close_container_end(&mut self) {
        self.container = None;
    }

    /// Receives the pty master (recvmsg(2) with `SCM_RIGHTS`), or `None` if the other side
    /// closed without sending one (its set-up failed, and said why on stderr).
    pub fn receive_master(&self) -> Result<Option<OwnedFd>> {
        // Room for the name that comes with it ([`MASTER_NAME`]; runc allows up to 4096 bytes).
        let mut name = [0u8; 4096];
        let mut iov = [IoSliceMut::new(&mut name)];
        let mut space = nix::cmsg_space!([RawFd; 1]);
        let msg = loop {
            match recvmsg::<()>(
                self.engine.as_raw_fd(),
                &mut iov,
                Some(&mut space),
                MsgFlags::MSG_CMSG_CLOEXEC,
            ) {
                Err(Errno::EINTR) => continue,
                other => break other.map_err(sys("recvmsg(2) of the pty master"))?,
            }
        };
        for cmsg in msg.cmsgs().map_err(sys("recvmsg(2) control data"))? {
            if let ControlMessageOwned::ScmRights(fds) = cmsg
                && let Some(&fd) = fds.first()
            {
                // SAFETY: the kernel just installed this descriptor in our table for us.
                return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) }));
            }
        }
        Ok(None)
    }
}

/// The name sent with the pty master: the file it was opened as, `/dev/ptmx`.
pub const MASTER_NAME: &str = "/dev/ptmx";

// ANCHOR: open_inside
/// In the container, once its `/dev/pts` is mounted and `/` is its root: opens a pty from
/// `/dev/ptmx` (posix_openpt(3), unlockpt(3), ptsname(3)), gives the slave to the user the
/// command runs as (fchown(2), as runc does), sets its window size, sends the master through
/// `socket` and closes our copy; returns the slave (`/dev/pts/N`).
pub fn open_inside(socket: RawFd, size: Size, owner: u32) -> Result<OwnedFd> {
    let master = posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
        .map_err(sys("open /dev/ptmx"))?;
    grantpt(&master).map_err(sys("grantpt(3)"))?;
    unlockpt(&master).map_err(sys("unlockpt(3)"))?;
    let name = ptsname_r(&master).map_err(sys("ptsname(3)"))?;
    let slave: OwnedFd = std::fs::File::options()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&name)
        .map_err(io(&name))?
        .into();
    nix::unistd::fchown(&slave, Some(owner.into()), None)
        .map_err(sys(format!("fchown({name})")))?;
    let winsize = Winsize {
        ws_row: size.rows,
        ws_col: size.cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one `struct winsize` from the pointer we pass.
    unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &winsize) };
    let fds = [master.as_raw_fd()];
    let rights = [ControlMessage::ScmRights(&fds)];
    // The data beside the descriptor is the master's name, as runc sends it (its
    // `utils.SendFile`): an OCI runtime's caller (containerd's shim) may read it.
    sendmsg::<()>(
        socket,
        &[IoSlice::new(MASTER_NAME.as_bytes())],
        &rights,
        MsgFlags::empty(),
        None,
    )
    .map_err(sys("sendmsg(2) of the pty master"))?;
    Ok(slave)
}
// ANCHOR_END: open_inside

/// Makes `slave` fds 0, 1 and 2 (dup2(2)) and the controlling terminal of this process's
/// session (TIOCSCTTY, ioctl_tty(2)); the caller must already lead a new session (setsid(2)).
pub fn attach_terminal(slave: OwnedFd) -> Result<()> {
    for target in 0..3 {
        // SAFETY: dup2 onto fds 0-2, which no Rust object owns here.
        if unsafe { libc::dup2(slave.as_raw_fd(), target) } < 0 {
            return Err(sys(format!("dup2(pty, {target})"))(Errno::last()));
        }
    }
    drop(slave);
    // SAFETY: TIOCSCTTY takes an int argument and changes only kernel state.
    if unsafe { libc::ioctl(0, libc::TIOCSCTTY, 0) } < 0 {
        return Err(sys("ioctl(TIOCSCTTY)")(Errno::last()));
    }
    Ok(())
}

/// Gives this process a terminal of its own made inside the container ([`open_inside`], then
/// [`attach_terminal`]); it must already lead a new session (setsid(2)).
pub fn attach_inside(console: Console, owner: u32) -> Result<()> {
    let slave = open_inside(console.socket, console.size, owner)?;
    attach_terminal(slave)
}

/// Puts a pty made inside the container ([`open_inside`]) on fds 0, 1 and 2 *without* making
/// it anyone's controlling terminal: `exec`'s first process stays outside the container's PID
/// namespace and only waits, so the process it starts inside takes the terminal
/// ([`take_free_terminal`]). That process must lead the terminal's session: when the user's
/// side closes, the kernel sends SIGHUP to the session leader alone (tty_ioctl(4), "Controlling
/// terminal"), and a shell that is not the leader would read end-of-file and exit 0 instead.
pub fn put_inside_on_stdio(console: Console, owner: u32) -> Result<()> {
    let slave = open_inside(console.socket, console.size, owner)?;
    for target in 0..3 {
        // SAFETY: dup2 onto fds 0-2, which no Rust object owns here.
        if unsafe { libc::dup2(slave.as_raw_fd(), target) } < 0 {
            return Err(sys(format!("dup2(pty, {target})"))(Errno::last()));
        }
    }
    Ok(())
}

/// If fd 0 is a terminal that is nobody's controlling terminal yet (the case
/// [`put_inside_on_stdio`] leaves), starts a new session (setsid(2)) and makes it this
/// session's controlling terminal (TIOCSCTTY, ioctl_tty(2)). Otherwise (no terminal, or one
/// that already controls our session, as under `run -t`) does nothing. The sealed dmz applies
/// the same rule in its own code when it starts the command.
pub fn take_free_terminal() {
    // SAFETY: isatty only reads the descriptor's state.
    if unsafe { libc::isatty(0) } != 1 {
        return;
    }
    let mut sid: libc::pid_t = 0;
    // SAFETY: TIOCGSID writes one pid_t into `sid`; it fails with ENOTTY when the terminal does
    // not control our session.
    if unsafe { libc::ioctl(0, libc::TIOCGSID, &mut sid) } == 0 {
        return;
    }
    if nix::unistd::setsid().is_ok() {
        // SAFETY: TIOCSCTTY takes an int argument (0: do not steal) and changes only kernel state.
        unsafe { libc::ioctl(0, libc::TIOCSCTTY, 0) };
    }
}

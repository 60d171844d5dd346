//! What the terminal tests share: a command (the capstone CLI, or the real `docker` CLI
//! against `capstone daemon`) run on a pty the test opens (openpty(3)), with the slave as its
//! stdin, stdout, stderr and controlling terminal — as a shell would — and the master to type
//! on and read from.
#![allow(dead_code)]

use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::pty::{Winsize, openpty};
use nix::sys::termios::{LocalFlags, tcgetattr};
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// The CLI running on our pty: the master to type on, its output as it arrives.
pub struct OnPty {
    pub child: Child,
    pub master: std::fs::File,
    output: Receiver<Vec<u8>>,
    seen: String,
}

pub fn size(rows: u16, cols: u16) -> Winsize {
    Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

impl OnPty {
    /// Starts `cmd` with a new pty of `rows`×`cols` as its terminal.
    pub fn spawn(mut cmd: Command, rows: u16, cols: u16) -> OnPty {
        let pair = openpty(Some(&size(rows, cols)), None).expect("openpty");
        // openpty(3) leaves both ends open across exec: without close-on-exec, every program
        // a test running beside this one starts (a daemon, its monitors) would inherit them.
        for end in [&pair.master, &pair.slave] {
            fcntl(end, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).expect("fcntl(FD_CLOEXEC)");
        }
        let slave: OwnedFd = pair.slave;
        cmd.stdin(Stdio::from(slave.try_clone().unwrap()))
            .stdout(Stdio::from(slave.try_clone().unwrap()))
            .stderr(Stdio::from(slave));
        // SAFETY: only setsid(2), ioctl(2) and signal(2) run between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // A session of its own with our pty as its controlling terminal, so a resize
                // sends it SIGWINCH as a terminal emulator's would.
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                if libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // Ctrl-C and Ctrl-\ act as at a terminal, even when the tests themselves were
                // started with them ignored (in the background of a script).
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGQUIT, libc::SIG_DFL);
                Ok(())
            });
        }
        let child = cmd.spawn().expect("run the command on a pty");
        drop(cmd); // our copies of the slave: only the command holds it now
        let master = std::fs::File::from(pair.master);
        let mut reader = master.try_clone().unwrap();
        let (tx, output) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once the CLI, the last holder of the slave, has exited.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        OnPty {
            child,
            master,
            output,
            seen: String::new(),
        }
    }

    /// Waits (up to a generous deadline, so a broken engine fails instead of hanging) until
    /// the output contains `text`.
    pub fn expect(&mut self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.seen.contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.seen.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => panic!("no {text:?} in the output: {:?}", self.seen),
            }
        }
    }

    pub fn type_text(&mut self, text: &str) {
        self.master.write_all(text.as_bytes()).unwrap();
    }

    /// Waits for the CLI to exit; returns its exit code and everything it printed.
    pub fn finish(mut self) -> (i32, String) {
        let status = self.child.wait().unwrap();
        while let Ok(chunk) = self.output.recv_timeout(Duration::from_secs(30)) {
            self.seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(
            terminal_is_cooked(&self.master),
            "the CLI left our terminal in raw mode"
        );
        (status.code().unwrap_or(-1), self.seen)
    }
}

/// Whether the pty is back in cooked mode (echo and line editing on), read through the master
/// (tcgetattr(3) on either side of a pty reads the same termios).
pub fn terminal_is_cooked(master: &std::fs::File) -> bool {
    let termios = tcgetattr(master).unwrap();
    termios
        .local_flags
        .contains(LocalFlags::ECHO | LocalFlags::ICANON)
}

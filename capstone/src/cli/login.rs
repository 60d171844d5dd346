//! `login` and `logout`: check a user name and password against a registry, then save them in
//! the store's credentials file ([`credentials`]) for `pull` and `push`.
//!
//! The check is the registry's own: `GET /v2/` says whether it wants credentials and how
//! (`WWW-Authenticate: Basic …` or `Bearer realm=…`). For Basic, the same request is repeated
//! with `Authorization: Basic base64(user:password)`; for Bearer, the token server is asked
//! for a token with those credentials. A 401 from either means a wrong password, and nothing is
//! saved.

use crate::mechanisms::pty;
use crate::store::{credentials, registries};
use crate::{Error, Result, store};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
use registry::auth::Login;
use std::io::{BufRead, Read, Write};
use std::os::fd::AsFd;

/// How the password arrives.
pub(super) enum Password {
    /// `-p`: on the command line (visible in `ps`; Docker warns too).
    Given(String),
    /// `--password-stdin`: everything on stdin, without the final newline.
    Stdin,
    /// Neither: ask on the terminal, without echo.
    Prompt,
}

pub(super) fn login(
    paths: &store::Paths,
    server: Option<&str>,
    username: Option<String>,
    password: Password,
) -> Result<i32> {
    let server = credentials::server_name(server);
    let username = match username {
        Some(u) => u,
        None if matches!(password, Password::Stdin) => {
            return Err(Error::invalid(
                "login",
                "--password-stdin",
                "give the user name with -u when the password comes on stdin",
            ));
        }
        None => prompt("Username: ", true)?,
    };
    let password = match password {
        Password::Given(p) => {
            eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
            p
        }
        Password::Stdin => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(Error::io("read the password from", "stdin"))?;
            text.trim_end_matches(['\n', '\r']).to_string()
        }
        Password::Prompt => prompt("Password: ", false)?,
    };
    if username.is_empty() || password.is_empty() {
        return Err(Error::invalid(
            "login",
            server,
            "the user name and the password must not be empty",
        ));
    }
    let login = Login { username, password };
    verify(paths, &server, &login)?;
    let file = credentials::path(paths);
    let mut saved = credentials::load(paths)?;
    saved.set(&server, &login);
    saved.save(&file)?;
    eprintln!(
        "WARNING! Your password will be stored unencrypted in {} (mode 0600).",
        file.display()
    );
    println!("Login Succeeded");
    Ok(0)
}

/// Asks the registry whether `login` is good (lesson 05's `login::check`): `GET /v2/`
/// anonymously for the challenge, then with the credentials (Basic) or a token (Bearer).
fn verify(paths: &store::Paths, server: &str, login: &Login) -> Result<()> {
    Ok(registry::login::check(
        registries::config(paths)?,
        server,
        login,
    )?)
}

pub(super) fn logout(paths: &store::Paths, server: Option<&str>) -> Result<i32> {
    let server = credentials::server_name(server);
    let mut saved = credentials::load(paths)?;
    if saved.remove(&server) {
        saved.save(&credentials::path(paths))?;
        println!("Removing login credentials for {server}");
    } else {
        println!("Not logged in to {server}");
    }
    Ok(0)
}

/// Reads one line from the terminal on stdin, after printing `question` to stderr; with
/// `echo` off (termios(3) `ECHO` cleared, restored afterwards) for passwords. Ctrl-C (or
/// SIGTERM, SIGHUP, SIGQUIT) meanwhile restores the terminal first, then ends us as it would.
fn prompt(question: &str, echo: bool) -> Result<String> {
    let stdin = std::io::stdin();
    if !pty::is_terminal(stdin.as_fd()) {
        return Err(Error::invalid(
            "login",
            "stdin",
            "cannot ask for credentials: stdin is not a terminal; use -u USER --password-stdin",
        ));
    }
    // Signals held back before anything changes, so none can end us with the echo off.
    let stops = StopSignals::block()?;
    let saved = tcgetattr(stdin.as_fd()).map_err(Error::sys("tcgetattr(3)"))?;
    if !echo {
        // Echo off *before* asking, so nothing typed after the prompt is ever shown.
        let mut quiet = saved.clone();
        quiet.local_flags.remove(LocalFlags::ECHO);
        tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &quiet).map_err(Error::sys("tcsetattr(3)"))?;
    }
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let read = stops.read_line(&mut line);
    if !echo {
        let _ = tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &saved);
        eprintln!();
    }
    drop(stops);
    if let Ok(Some(signal)) = read {
        // The terminal is restored: now die of the signal, as the user asked.
        let _ = nix::sys::signal::raise(signal);
        return Err(Error::invalid("login", signal.as_str(), "interrupted"));
    }
    read?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT blocked (sigprocmask(2)) and readable from a
/// signalfd(2) until dropped, when the old mask comes back.
struct StopSignals {
    signals: SignalFd,
    before: SigSet,
}

impl StopSignals {
    fn block() -> Result<StopSignals> {
        let mut stop = SigSet::empty();
        for signal in [
            Signal::SIGINT,
            Signal::SIGTERM,
            Signal::SIGHUP,
            Signal::SIGQUIT,
        ] {
            stop.add(signal);
        }
        let mut before = SigSet::empty();
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&stop), Some(&mut before))
            .map_err(Error::sys("sigprocmask(2)"))?;
        let signals = SignalFd::with_flags(&stop, SfdFlags::SFD_CLOEXEC)
            .map_err(Error::sys("signalfd(2)"))?;
        Ok(StopSignals { signals, before })
    }

    /// A line from stdin, or the stop signal that came first (one poll(2) over both).
    fn read_line(&self, line: &mut String) -> Result<Option<Signal>> {
        let stdin = std::io::stdin();
        let mut fds = [
            PollFd::new(stdin.as_fd(), PollFlags::POLLIN),
            PollFd::new(self.signals.as_fd(), PollFlags::POLLIN),
        ];
        while let Err(e) = poll(&mut fds, PollTimeout::NONE) {
            if e != nix::errno::Errno::EINTR {
                return Err(Error::sys("poll(2)")(e));
            }
        }
        if fds[1].revents().is_some_and(|r| !r.is_empty()) {
            let info = self
                .signals
                .read_signal()
                .map_err(Error::sys("read(signalfd)"))?;
            return Ok(info.and_then(|i| Signal::try_from(i.ssi_signo as i32).ok()));
        }
        stdin
            .lock()
            .read_line(line)
            .map_err(Error::io("read from", "the terminal"))?;
        Ok(None)
    }
}

impl Drop for StopSignals {
    fn drop(&mut self) {
        let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.before), None);
    }
}

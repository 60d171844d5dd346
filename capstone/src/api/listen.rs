//! The daemon's socket: `-H unix:///run/capstone/docker.sock`, made root's only (chmod(2)
//! 0600) or, with `--group`, shared with that group (chown(2) to it, 0660) — who may talk to
//! the socket may run containers as root, so it is as good as root. And its end: SIGTERM or
//! SIGINT removes the socket and exits; the containers run on under their monitors.

use crate::{Error, Result};
use engineapi::Server;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Binds the socket `host` names and sets its owner and mode.
pub(super) fn bind(host: &str, group: Option<&str>) -> Result<Server> {
    let path = host.strip_prefix("unix://").ok_or_else(|| {
        Error::invalid(
            "-H",
            host,
            "only unix sockets are served: unix:///run/capstone/docker.sock",
        )
    })?;
    let path = PathBuf::from(path);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
    }
    let gid = match group {
        None => None,
        Some(name) => Some(
            nix::unistd::Group::from_name(name)
                .map_err(Error::sys(format!("getgrnam({name})")))?
                .ok_or_else(|| Error::invalid("--group", name, "no such group in /etc/group"))?
                .gid,
        ),
    };
    let server = Server::bind(&path)
        .map_err(|e| Error::io("listen on", &path)(std::io::Error::other(e.to_string())))?;
    let mode = if gid.is_some() { 0o660 } else { 0o600 };
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
        .map_err(Error::io("chmod", &path))?;
    if let Some(gid) = gid {
        nix::unistd::chown(&path, None, Some(gid)).map_err(Error::sys("chown(2)"))?;
    }
    Ok(server)
}

static PIPE_WRITE: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(-1);

extern "C" fn on_signal(_: libc::c_int) {
    let fd = PIPE_WRITE.load(std::sync::atomic::Ordering::Relaxed);
    // SAFETY: write(2) is async-signal-safe; one byte from a static buffer.
    unsafe { libc::write(fd, b"x".as_ptr().cast(), 1) };
}

/// On SIGTERM or SIGINT: remove the socket and exit 0. The handler only writes a byte into a
/// pipe (the self-pipe trick: little is safe inside a signal handler); a thread waiting on the
/// pipe does the rest. Handlers are not inherited across execve(2), so the monitors this
/// daemon starts keep the default dispositions.
pub(super) fn stop_on_signals(socket: &Path) -> Result<()> {
    let (read, write) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(Error::sys("pipe2(2)"))?;
    PIPE_WRITE.store(
        std::os::fd::IntoRawFd::into_raw_fd(write),
        std::sync::atomic::Ordering::Relaxed,
    );
    let action = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::Handler(on_signal),
        nix::sys::signal::SaFlags::SA_RESTART,
        nix::sys::signal::SigSet::empty(),
    );
    for signal in [nix::sys::signal::SIGTERM, nix::sys::signal::SIGINT] {
        // SAFETY: the handler only calls write(2), which is async-signal-safe.
        unsafe { nix::sys::signal::sigaction(signal, &action) }
            .map_err(Error::sys("sigaction(2)"))?;
    }
    let socket = socket.to_path_buf();
    std::thread::spawn(move || {
        let mut byte = [0u8; 1];
        let _ = nix::unistd::read(&read, &mut byte);
        let _ = std::fs::remove_file(&socket);
        // Not eprintln!, which panics when stderr is gone (a closed pipe): stopping must not.
        let _ = writeln!(
            std::io::stderr(),
            "capstone daemon: stopped; containers keep running"
        );
        std::process::exit(0);
    });
    Ok(())
}

//! Hijacking: taking an HTTP connection over for raw streams. `docker attach` (and `docker run`
//! without `-d`, and `docker exec`) sends `POST /containers/{id}/attach` with
//! `Connection: Upgrade` and `Upgrade: tcp`; the daemon answers `101` (moby writes
//! `101 UPGRADED`) and from then on the socket is no longer HTTP: the client writes the
//! container's stdin, the daemon writes its output (multiplexed with [`crate::mux`] unless the
//! container has a TTY) — both at once, so the session gets the connection as two halves,
//! [`Hijacked::input`] and [`Hijacked::output`], for two threads. When the client has no more
//! input it half-closes (shutdown(2) `SHUT_WR`): `input` reads end of file, while `output` must
//! go on until the container's output ends. Dropping `output` half-closes our side in turn,
//! which ends the client's stream. Upgrades are RFC 9110 §7.8; hyper hands the connection over
//! with `hyper::upgrade::on`, and tokio's `split` cuts it in two.

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use std::io::{self, Read, Write};
use tokio_util::io::SyncIoBridge;

/// Content type of a raw (or, for a non-TTY container, multiplexed) attach stream.
pub const RAW_STREAM: &str = "application/vnd.docker.raw-stream";

// ANCHOR: hijacked
/// A taken-over connection, as two halves that two threads can use at once.
pub struct Hijacked {
    /// What the client sends (a container's stdin); end of file when the client half-closes.
    pub input: Box<dyn Read + Send>,
    /// What goes to the client; dropping it half-closes the connection (the stream's end).
    pub output: Box<dyn Write + Send>,
}

/// What a handler does with a hijacked connection: runs on a blocking thread of its own.
pub type Session = Box<dyn FnOnce(Hijacked) + Send>;
// ANCHOR_END: hijacked

// ANCHOR: take_over
/// Waits until hyper has sent the `101` and handed the connection over, splits it, and runs
/// `session` on a blocking thread with blocking halves (`SyncIoBridge`: a `Read`/`Write` over
/// an async stream, for code outside tokio's tasks). `label` names the request in the log.
pub(crate) async fn take_over(upgrade: OnUpgrade, session: Session, label: String) {
    let connection = match upgrade.await {
        Ok(connection) => connection,
        Err(e) => {
            let _ = writeln!(io::stderr(), "{label}: the upgrade failed: {e}");
            return;
        }
    };
    let (read, write) = tokio::io::split(TokioIo::new(connection));
    let hijacked = Hijacked {
        input: Box::new(SyncIoBridge::new(read)),
        output: Box::new(HalfClosing(SyncIoBridge::new(write))),
    };
    let _ = tokio::task::spawn_blocking(move || session(hijacked)).await;
}
// ANCHOR_END: take_over

/// For a request without `Upgrade`: runs `session` on a blocking thread with no input and a
/// pipe(2) for output, whose read end is returned, to be sent as the response body.
pub(crate) fn without_upgrade(session: Session) -> io::Result<Box<dyn Read + Send>> {
    let (reader, writer) = io::pipe()?;
    tokio::task::spawn_blocking(move || {
        session(Hijacked {
            input: Box::new(io::empty()),
            output: Box::new(writer),
        })
    });
    Ok(Box::new(reader))
}

/// The write half: shut down (shutdown(2) `SHUT_WR`) when dropped, so the client reads the
/// end of the stream even while our read half still waits for its input.
struct HalfClosing(SyncIoBridge<tokio::io::WriteHalf<TokioIo<hyper::upgrade::Upgraded>>>);

impl Write for HalfClosing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Drop for HalfClosing {
    fn drop(&mut self) {
        let _ = self.0.flush();
        let _ = self.0.shutdown();
    }
}

//! Docker's JSON message streams, sent as the work happens: `pull`, `push`, `build` and
//! `load` answer `200` at once and then one JSON document per line (`{"status": …}`,
//! `{"stream": …}`, `{"aux": …}`); a failure after that is one last `{"errorDetail": …}`
//! line, which the CLI prints and turns into its exit code (moby's `jsonmessage`).
//!
//! The work runs on its own thread and hands each message over a bounded channel to the
//! reply's body, which the server copies out in HTTP chunks as they come (RFC 9112 §7.1).

use engineapi::Reply;
use serde_json::{Value, json};
use std::io::{Cursor, Read};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// What the work calls for each message it has to tell.
pub(super) type Say<'a> = &'a mut dyn FnMut(Value);

/// Runs `work` on a thread and streams the messages it says; its error, if any, ends the
/// stream as Docker's `errorDetail`. If the client goes away the work still finishes (a pull
/// or build half-done would help no one) and its messages are dropped.
pub(super) fn stream(work: impl FnOnce(Say) -> crate::Result<()> + Send + 'static) -> Reply {
    let (tx, rx) = sync_channel::<Vec<u8>>(64);
    std::thread::spawn(move || {
        let send = |tx: &SyncSender<Vec<u8>>, message: Value| {
            let _ = tx.send(format!("{message}\r\n").into_bytes());
        };
        if let Err(e) = work(&mut |message| send(&tx, message)) {
            let text = e.to_string();
            send(
                &tx,
                json!({ "errorDetail": { "message": text }, "error": text }),
            );
        }
    });
    Reply::Stream {
        status: 200,
        content_type: "application/json",
        body: Box::new(Lines {
            rx,
            current: Cursor::new(Vec::new()),
        }),
    }
}

/// `{"stream": TEXT}`: a line of a build's or load's output.
pub(super) fn text(line: impl std::fmt::Display) -> Value {
    json!({ "stream": format!("{line}\n") })
}

/// The body: each message as it arrives, end of file once the work's thread is gone.
struct Lines {
    rx: Receiver<Vec<u8>>,
    current: Cursor<Vec<u8>>,
}

impl Read for Lines {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            match self.rx.recv() {
                Ok(next) => self.current = Cursor::new(next),
                Err(_) => return Ok(0), // every sender dropped: the work is done
            }
        }
    }
}

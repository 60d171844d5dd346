//! Docker's JSON message streams, sent as the work happens: `pull`, `push` and `build` answer
//! `200` at once and then one JSON document per line (`{"status": …}`, `{"stream": …}`,
//! `{"aux": …}`); a failure after that is one last `{"errorDetail": …}` line, which the CLI
//! prints and turns into its exit code (moby's `jsonmessage`).
//!
//! The work runs on its own thread and hands each message over a bounded channel to the
//! reply's body, which the server copies out in HTTP chunks as they come (RFC 9112 §7.1).

use engineapi::Reply;
use serde_json::{Value, json};
use std::io::{Cursor, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// The sending side of one stream: cheap to clone, usable from any thread. If the client has
/// gone away, what is said is dropped.
#[derive(Clone)]
pub(super) struct Messages(SyncSender<Vec<u8>>);

impl Messages {
    /// Sends one message.
    pub(super) fn say(&self, message: Value) {
        let _ = self.0.send(format!("{message}\r\n").into_bytes());
    }

    /// A writer whose text goes out as `{"stream": …}` messages, a line each (the legacy
    /// builder's output); an unfinished last line goes when the writer is dropped.
    pub(super) fn text_writer(&self) -> TextWriter {
        TextWriter {
            messages: self.clone(),
            pending: Vec::new(),
        }
    }
}

/// Runs `work` on a thread and streams the messages it says; its error, if any, ends the
/// stream as Docker's `errorDetail`. If the client goes away the work still finishes (a pull
/// or build half-done would help no one).
pub(super) fn stream(work: impl FnOnce(&Messages) -> crate::Result<()> + Send + 'static) -> Reply {
    let (tx, rx) = sync_channel::<Vec<u8>>(64);
    std::thread::spawn(move || {
        let messages = Messages(tx);
        if let Err(e) = work(&messages) {
            let text = e.to_string();
            messages.say(json!({ "errorDetail": { "message": text }, "error": text }));
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

/// See [`Messages::text_writer`].
pub(super) struct TextWriter {
    messages: Messages,
    pending: Vec<u8>,
}

impl Write for TextWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        // Whole lines only, so a UTF-8 character is never cut in two.
        if let Some(end) = self.pending.iter().rposition(|b| *b == b'\n') {
            let lines: Vec<u8> = self.pending.drain(..=end).collect();
            let text = String::from_utf8_lossy(&lines).into_owned();
            self.messages.say(json!({ "stream": text }));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for TextWriter {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let text = String::from_utf8_lossy(&self.pending).into_owned();
            self.messages.say(json!({ "stream": text }));
        }
    }
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

//! The streaming container endpoints. `attach` takes the connection over (`101`, lesson 08's
//! hijack) and writes the output of the container's next run as it comes; `logs` sends the
//! json-file log as an HTTP body, following it with `follow=1`. Both cut the output into
//! lesson 08's 8-byte frames (stdout 1, stderr 2) unless the container has a TTY, whose one
//! stream goes out raw — as Docker does, and as the CLI expects from the container's `Tty`.
//!
//! With `stdin=1`, attaching also takes input: the hijacked connection comes in two halves
//! (lesson 08's `Hijacked`), so a thread of its own copies what the client sends into a `-t`
//! container's pty ([`Engine::attach_input`]) — or, for a `-i` container without a tty that
//! is about to start (`docker run -i`), into a pipe its monitor gets as the container's stdin
//! — while the session writes the output. `resize` sets a `-t` container's window size on
//! its pty.
//!
//! [`Engine::attach_input`]: crate::engine::Engine::attach_input

use super::{Daemon, errors, on, query_time};
use crate::engine::logs::LogsOptions;
use crate::mechanisms::logs::Entry;
use engineapi::hijack::{Hijacked, RAW_STREAM};
use engineapi::mux::{StreamKind, write_frame};
use engineapi::{ApiError, Call, Reply, Router};
use std::io::Write;
use std::sync::Arc;
use std::time::SystemTime;

/// The stream routes.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("POST", "/containers/{id}/attach", on(daemon, attach))
        .route("GET", "/containers/{id}/logs", on(daemon, logs))
}

/// `POST /containers/{id}/resize?h=&w=`, which the CLI sends for a `-t` container after
/// starting it and on every SIGWINCH: merged before the container routes so that it answers.
pub(super) fn resize_route(daemon: &Arc<Daemon>) -> Router {
    Router::new().route("POST", "/containers/{id}/resize", on(daemon, resize))
}

/// The window size a resize call asks for: `h=ROWS&w=COLUMNS`.
pub(super) fn window_size(call: &Call) -> Result<(u16, u16), ApiError> {
    let size = |key: &str| -> Result<u16, ApiError> {
        let text = call.query.get(key).map_or("", String::as_str);
        text.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "invalid {key}={text:?}: the window size is h=ROWS&w=COLUMNS, numbers up to 65535"
            ))
        })
    };
    Ok((size("h")?, size("w")?))
}

fn resize(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let (rows, cols) = window_size(call)?;
    d.engine
        .resize(call.param("id"), rows, cols)
        .map_err(errors::api)?;
    Ok(Reply::Empty(200))
}

/// Writes one log entry as the client expects it: a frame, or raw bytes for a TTY.
fn send(out: &mut impl Write, tty: bool, entry: &Entry, timestamps: bool) -> std::io::Result<()> {
    let text = if timestamps {
        format!("{} {}", entry.time, entry.log)
    } else {
        entry.log.clone()
    };
    if tty {
        out.write_all(text.as_bytes())?;
        return out.flush();
    }
    let kind = if entry.stream == "stderr" {
        StreamKind::Stderr
    } else {
        StreamKind::Stdout
    };
    write_frame(out, kind, text.as_bytes())
}

fn attach(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let record = d.engine.container(call.param("id")).map_err(errors::api)?;
    let (engine, exits) = (d.engine.clone(), Arc::clone(&d.exits));
    let tty = record.config.tty;
    let (stdout, stderr) = (call.query_bool("stdout"), call.query_bool("stderr"));
    let stdin = call.query_bool("stdin") && record.config.open_stdin;
    let stdin_pipe = (stdin && !tty && !record.is_active())
        .then(|| stdin_pipe(d, &record.id))
        .transpose()?;
    Ok(Reply::Hijack {
        content_type: RAW_STREAM,
        session: Box::new(move |conn: Hijacked| {
            let Hijacked {
                mut input,
                mut output,
            } = conn;
            if let Some(mut pipe) = stdin_pipe {
                // Dropping the write end at the client's end of input is the container's end
                // of file.
                std::thread::spawn(move || std::io::copy(&mut input, &mut pipe));
            } else if stdin {
                let (engine, id) = (engine.clone(), record.id.clone());
                std::thread::spawn(move || {
                    if let Err(e) = engine.attach_input(&id, &exits, &mut input) {
                        let _ = writeln!(std::io::stderr(), "attach input to {id}: {e}");
                    }
                });
            }
            let result = engine.attach_output(&record.id, &mut |entry| {
                let wanted = if entry.stream == "stderr" {
                    stderr
                } else {
                    stdout
                };
                if wanted {
                    send(&mut output, tty, entry, false)
                } else {
                    Ok(())
                }
            });
            if let Err(e) = result {
                let _ = writeln!(std::io::stderr(), "attach to {}: {e}", record.short_id());
            }
            // `output` drops here: our side half-closes and the client's stream ends.
        }),
    })
}

/// For a `-i` container without a tty that has not started yet (`docker run -i` attaches
/// first): a pipe (pipe(2)) whose read end its next start gives the monitor as the container's
/// stdin ([`take_stdin`]); the write end is for the client's input.
fn stdin_pipe(d: &Daemon, id: &str) -> Result<std::io::PipeWriter, ApiError> {
    let (reader, writer) =
        std::io::pipe().map_err(|e| ApiError::internal(format!("pipe(2): {e}")))?;
    d.stdins
        .lock()
        .unwrap()
        .insert(id.to_string(), reader.into());
    Ok(writer)
}

/// The stdin an `attach` prepared for container `id`'s start, if any.
pub(super) fn take_stdin(d: &Daemon, id: &str) -> Option<std::os::fd::OwnedFd> {
    d.stdins.lock().unwrap().remove(id)
}

fn logs(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let record = d.engine.container(call.param("id")).map_err(errors::api)?;
    let (stdout, stderr) = (call.query_bool("stdout"), call.query_bool("stderr"));
    if !stdout && !stderr {
        return Err(ApiError::bad_request(
            "you must choose at least one stream: stdout=1 or stderr=1",
        ));
    }
    let tail =
        match call.query.get("tail").map(String::as_str) {
            None | Some("" | "all") => None,
            Some(n) => Some(n.parse().map_err(|_| {
                ApiError::bad_request(format!("invalid tail {n:?}: a number or all"))
            })?),
        };
    let opts = LogsOptions {
        tail,
        // `0`, the API's default for both, is no bound.
        since: query_time(call, "since")?.filter(|t| *t != SystemTime::UNIX_EPOCH),
        until: query_time(call, "until")?.filter(|t| *t != SystemTime::UNIX_EPOCH),
        follow: call.query_bool("follow"),
    };
    let timestamps = call.query_bool("timestamps");
    let (reader, mut writer) =
        std::io::pipe().map_err(|e| ApiError::internal(format!("pipe(2): {e}")))?;
    let engine = d.engine.clone();
    // The log is read on a thread of its own, into a pipe whose other end is the body.
    std::thread::spawn(move || {
        let tty = record.config.tty;
        let mut gone = false;
        let result = engine.logs(&record.id, &opts, &mut |entry| {
            let wanted = if entry.stream == "stderr" {
                stderr
            } else {
                stdout
            };
            if wanted && !gone {
                gone = send(&mut writer, tty, entry, timestamps).is_err();
            }
        });
        if let Err(e) = result {
            let _ = writeln!(std::io::stderr(), "logs of {}: {e}", record.short_id());
        }
    });
    Ok(Reply::Stream {
        status: 200,
        content_type: RAW_STREAM,
        body: Box::new(reader),
    })
}

//! `docker exec`: three calls. `POST /containers/{id}/exec` describes a process and gets an
//! id; `POST /exec/{id}/start` runs it, on a hijacked connection that carries its input (with
//! `-i`) one way and its output the other (in frames, as attach does, or raw from its pty with
//! `-t`); `GET /exec/{id}/json` tells the CLI its exit code afterwards. With `-t` the process
//! gets a pty of its own, whose master the daemon keeps while it runs: the CLI's
//! `POST /exec/{id}/resize` sets its window size (TIOCSWINSZ). Exec ids live only in the API
//! (Docker's too: they are not part of a container's record), so the daemon keeps them in
//! memory.

use super::{Daemon, errors, on};
use crate::engine::exec::ExecOptions;
use engineapi::hijack::{Hijacked, RAW_STREAM};
use engineapi::mux::{StreamKind, write_frame};
use engineapi::{ApiError, Call, Reply, Router};
use serde_json::json;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::sync::{Arc, Mutex};

/// One exec instance.
#[derive(Debug, Clone)]
pub(super) struct Instance {
    pub(super) container: String,
    pub(super) opts: ExecOptions,
    running: bool,
    exit_code: Option<i32>,
    /// A copy of its pty master while a `-t` process runs, for resize.
    pub(super) master: Option<Arc<OwnedFd>>,
    /// The last window size asked for (a resize may come before the pty exists).
    pub(super) window: Option<(u16, u16)>,
}

/// The exec instances this daemon has made, by id.
#[derive(Debug, Default)]
pub(super) struct Execs(Mutex<HashMap<String, Instance>>);

/// The exec routes.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("POST", "/containers/{id}/exec", on(daemon, create))
        .route("POST", "/exec/{id}/start", on(daemon, start))
        .route(
            "POST",
            "/exec/{id}/resize",
            on(daemon, super::exec_tty::resize),
        )
        .route("GET", "/exec/{id}/json", on(daemon, inspect))
}

fn create(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let body = call.json()?;
    let record = d.engine.container(call.param("id")).map_err(errors::api)?;
    if !record.state.running || record.state.paused {
        return Err(ApiError::conflict(format!(
            "container {} is not running",
            record.id
        )));
    }
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(String::from))
            .collect()
    };
    let text = |v: &serde_json::Value| v.as_str().filter(|s| !s.is_empty()).map(String::from);
    let opts = ExecOptions {
        args: strings(&body["Cmd"]),
        env: strings(&body["Env"]),
        user: text(&body["User"]),
        workdir: text(&body["WorkingDir"]),
        tty: body["Tty"].as_bool().unwrap_or(false),
        interactive: body["AttachStdin"].as_bool().unwrap_or(false),
    };
    if opts.args.is_empty() {
        return Err(ApiError::bad_request("no exec command specified"));
    }
    let id = crate::model::ids::random_id().map_err(errors::api)?;
    let instance = Instance {
        container: record.id,
        opts,
        running: false,
        exit_code: None,
        master: None,
        window: None,
    };
    d.execs.0.lock().unwrap().insert(id.clone(), instance);
    Ok(Reply::Json(201, json!({ "Id": id })))
}

pub(super) fn find(d: &Daemon, id: &str) -> Result<Instance, ApiError> {
    d.execs
        .0
        .lock()
        .unwrap()
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("No such exec instance: {id}")))
}

pub(super) fn set(d: &Daemon, id: &str, change: impl FnOnce(&mut Instance)) {
    if let Some(instance) = d.execs.0.lock().unwrap().get_mut(id) {
        change(instance);
    }
}

/// Runs the process: on a pty of its own with `-t`, else on pipes.
fn start(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let id = call.param("id").to_string();
    let instance = find(d, &id)?;
    if instance.running || instance.exit_code.is_some() {
        return Err(ApiError::conflict(format!("exec {id} has already run")));
    }
    set(d, &id, |i| i.running = true);
    if call.json()?["Detach"] == true {
        return start_detached(d, id, instance);
    }
    if instance.opts.tty {
        Ok(super::exec_tty::start_on_pty(d, id, instance))
    } else {
        start_piped(d, id, instance)
    }
}

/// `docker exec -d`: no stream, only a 200; the process runs on with /dev/null for its stdio.
fn start_detached(d: &Daemon, id: String, instance: Instance) -> Result<Reply, ApiError> {
    let null = || {
        std::fs::File::options()
            .read(true)
            .write(true)
            .open("/dev/null")
            .map(OwnedFd::from)
            .map_err(|e| ApiError::internal(format!("open /dev/null: {e}")))
    };
    let stdio = [null()?, null()?, null()?];
    let daemon = d.clone();
    std::thread::spawn(move || {
        let code = daemon
            .engine
            .exec_piped(&instance.container, &instance.opts, stdio);
        finish(&daemon, &id, code);
    });
    Ok(Reply::Empty(200))
}

/// Records the exit code (or 126 when the process could not be run), before the stream ends:
/// the CLI asks for it as soon as its stream has ended.
pub(super) fn finish(d: &Daemon, id: &str, code: crate::Result<i32>) {
    let code = code.unwrap_or_else(|e| {
        let _ = writeln!(std::io::stderr(), "exec {id}: {e}");
        126
    });
    set(d, id, |i| {
        (i.running, i.exit_code, i.master) = (false, Some(code), None)
    });
}

/// Copies `from` into `to` until `from` ends (a pty master ends with EIO once the process and
/// everything that inherited its terminal are gone) or `to` fails.
pub(super) fn copy(from: &mut dyn Read, to: &mut dyn Write) {
    let mut buf = [0u8; 8192];
    while let Ok(n @ 1..) = from.read(&mut buf) {
        if to.write_all(&buf[..n]).and_then(|()| to.flush()).is_err() {
            break;
        }
    }
}

/// Without `-t`: stdout and stderr on pipes, sent in frames; stdin a pipe the client's input
/// is copied into with `-i` (closed when the client half-closes), else /dev/null.
fn start_piped(d: &Daemon, id: String, instance: Instance) -> Result<Reply, ApiError> {
    let pipe = || std::io::pipe().map_err(|e| ApiError::internal(format!("pipe(2): {e}")));
    let ((out_r, out_w), (err_r, err_w)) = (pipe()?, pipe()?);
    let (stdin, mut keys): (OwnedFd, _) = if instance.opts.interactive {
        let (in_r, in_w) = pipe()?;
        (in_r.into(), Some(in_w))
    } else {
        let null = std::fs::File::open("/dev/null")
            .map_err(|e| ApiError::internal(format!("open /dev/null: {e}")))?;
        (null.into(), None)
    };
    let stdio = [stdin, out_w.into(), err_w.into()];
    let daemon = d.clone();
    let (sender, chunks) = std::sync::mpsc::channel::<(StreamKind, Vec<u8>)>();
    for (mut pipe, kind) in [(out_r, StreamKind::Stdout), (err_r, StreamKind::Stderr)] {
        let sender = sender.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                if sender.send((kind, buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        });
    }
    drop(sender);
    let runner = std::thread::spawn(move || {
        let code = daemon
            .engine
            .exec_piped(&instance.container, &instance.opts, stdio);
        finish(&daemon, &id, code);
    });
    Ok(Reply::Hijack {
        content_type: RAW_STREAM,
        session: Box::new(move |conn: Hijacked| {
            let Hijacked {
                mut input,
                mut output,
            } = conn;
            if let Some(mut keys) = keys.take() {
                // Dropping `keys` at the client's end of input is the process's end of file.
                std::thread::spawn(move || copy(&mut input, &mut keys));
            }
            for (kind, data) in chunks {
                if write_frame(&mut output, kind, &data).is_err() {
                    break;
                }
            }
            let _ = runner.join(); // the exit code is recorded before the stream ends
        }),
    })
}

fn inspect(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let id = call.param("id");
    let i = find(d, id)?;
    Ok(Reply::Json(
        200,
        json!({
            "ID": id, "ContainerID": i.container, "Running": i.running,
            "ExitCode": i.exit_code, "OpenStdin": i.opts.interactive, "OpenStdout": true, "OpenStderr": true,
            "ProcessConfig": { "entrypoint": i.opts.args.first(), "arguments": i.opts.args.get(1..),
                               "tty": i.opts.tty, "user": i.opts.user },
        }),
    ))
}

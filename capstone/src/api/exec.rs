//! `docker exec`: three calls. `POST /containers/{id}/exec` describes a process and gets an
//! id; `POST /exec/{id}/start` runs it, on a hijacked connection that carries its output (in
//! frames, as attach does); `GET /exec/{id}/json` tells the CLI its exit code afterwards. Exec
//! ids live only in the API (Docker's too: they are not part of a container's record), so the
//! daemon keeps them in memory.

use super::{Daemon, errors, on};
use crate::engine::exec::ExecOptions;
use engineapi::hijack::RAW_STREAM;
use engineapi::mux::{StreamKind, write_frame};
use engineapi::{ApiError, Call, Reply, Router};
use serde_json::json;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

/// One exec instance.
#[derive(Debug, Clone)]
struct Instance {
    container: String,
    opts: ExecOptions,
    running: bool,
    exit_code: Option<i32>,
}

/// The exec instances this daemon has made, by id.
#[derive(Debug, Default)]
pub(super) struct Execs(Mutex<HashMap<String, Instance>>);

/// The exec routes.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new()
        .route("POST", "/containers/{id}/exec", on(daemon, create))
        .route("POST", "/exec/{id}/start", on(daemon, start))
        .route("POST", "/exec/{id}/resize", |_| Ok(Reply::Empty(200)))
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
        interactive: false,
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
    };
    d.execs.0.lock().unwrap().insert(id.clone(), instance);
    Ok(Reply::Json(201, json!({ "Id": id })))
}

fn find(d: &Daemon, id: &str) -> Result<Instance, ApiError> {
    d.execs
        .0
        .lock()
        .unwrap()
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("No such exec instance: {id}")))
}

fn set(d: &Daemon, id: &str, change: impl FnOnce(&mut Instance)) {
    if let Some(instance) = d.execs.0.lock().unwrap().get_mut(id) {
        change(instance);
    }
}

/// Runs the process; its output goes to the hijacked connection until both pipes close.
fn start(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let id = call.param("id").to_string();
    let instance = find(d, &id)?;
    if instance.running || instance.exit_code.is_some() {
        return Err(ApiError::conflict(format!("exec {id} has already run")));
    }
    set(d, &id, |i| i.running = true);
    let pipe = || std::io::pipe().map_err(|e| ApiError::internal(format!("pipe(2): {e}")));
    let ((out_r, out_w), (err_r, err_w)) = (pipe()?, pipe()?);
    let null = std::fs::File::open("/dev/null")
        .map_err(|e| ApiError::internal(format!("open /dev/null: {e}")))?;
    let stdio = [null.into(), out_w.into(), err_w.into()];
    let daemon = d.clone();
    let tty = instance.opts.tty;
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
        let code = code.unwrap_or_else(|e| {
            let _ = writeln!(std::io::stderr(), "exec {id}: {e}");
            126
        });
        set(&daemon, &id, |i| {
            (i.running, i.exit_code) = (false, Some(code))
        });
    });
    Ok(Reply::Hijack {
        content_type: RAW_STREAM,
        session: Box::new(move |mut conn| {
            for (kind, data) in chunks {
                let sent = if tty {
                    conn.write_all(&data).and_then(|()| conn.flush())
                } else {
                    write_frame(&mut conn, kind, &data)
                };
                if sent.is_err() {
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
            "ExitCode": i.exit_code, "OpenStdin": false, "OpenStdout": true, "OpenStderr": true,
            "ProcessConfig": { "entrypoint": i.opts.args.first(), "arguments": i.opts.args.get(1..),
                               "tty": i.opts.tty, "user": i.opts.user },
        }),
    ))
}

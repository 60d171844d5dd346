//! A tiny daemon: just enough of the Engine API for `docker run --rm busybox echo hi`, running
//! each container with lesson 01 ([`namespaces::container`]) on lesson 01's busybox root.
//!
//! The calls the CLI makes for that command, in order (watch them in the step's log): `HEAD
//! /_ping`; `POST /containers/create` (404 for an unknown image makes the CLI try to pull);
//! `POST /containers/{id}/attach` (hijacked) and `POST /containers/{id}/wait?condition=removed`
//! (its headers at once, its body when the container is gone); `POST /containers/{id}/start`.
//! The output arrives on the attach stream in [`crate::mux`] frames; the exit code in the
//! wait's body, which the CLI makes its own exit code.
//!
//! Like dockerd, which leaves a `containerd-shim` beside each container, the daemon does not
//! run a container in its own process: it starts a *shim* (this same program, run with
//! [`SHIM_ARG`]) whose stdout and stderr are pipes the daemon reads. The shim creates the
//! container, which inherits those pipes.

use crate::hijack::RAW_STREAM;
use crate::mux::{StreamKind, write_frame};
use crate::{ApiError, Call, Reply, Router};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};

/// The first argument that makes a daemon's executable act as a shim.
pub const SHIM_ARG: &str = "__shim";

/// Where a container is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Created,
    Running,
    Exited(i32),
    Removed(i32),
}

struct Container {
    id: String,
    name: String,
    image: String,
    args: Vec<String>,
    auto_remove: bool,
    status: Mutex<Status>,
    changed: Condvar,
    /// The output halves of the attached clients' connections (this daemon takes no input).
    attached: Mutex<Vec<Box<dyn std::io::Write + Send>>>,
}

impl Container {
    fn set(&self, status: Status) {
        *self.status.lock().unwrap() = status;
        self.changed.notify_all();
    }

    /// Blocks until `done` holds for the status; returns that status.
    fn wait_for(&self, done: impl Fn(Status) -> bool) -> Status {
        let guard = self
            .changed
            .wait_while(self.status.lock().unwrap(), |s| !done(*s));
        *guard.unwrap()
    }
}

/// The daemon's state: its containers, by id.
#[derive(Default)]
pub struct Daemon {
    containers: Mutex<HashMap<String, Arc<Container>>>,
    /// `Some(n)`: ids are counted (n+1, n+2, … in 64 hex digits) instead of random.
    counted_ids: Mutex<Option<u64>>,
}

/// The only image: `busybox`, backed by lesson 01's root filesystem.
const IMAGE: &str = "busybox";

/// `busybox`, `busybox:latest` and `docker.io/library/busybox:latest` all name our image.
fn is_our_image(reference: &str) -> bool {
    let short = reference
        .trim_start_matches("docker.io/")
        .trim_start_matches("library/");
    short == IMAGE || short == "busybox:latest"
}

fn random_id() -> String {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("reading /dev/urandom");
    hex::encode(bytes)
}

impl Daemon {
    /// A daemon whose container ids are counted, not random (64 hex digits of 1, 2, …): two
    /// such daemons given the same requests end in the same state. The fuzz target compares
    /// two daemons; with random ids, `DELETE /containers/e` could match an id beginning with
    /// `e` in one and nothing in the other.
    pub fn with_counted_ids() -> Daemon {
        Daemon {
            counted_ids: Mutex::new(Some(0)),
            ..Daemon::default()
        }
    }

    fn new_id(&self) -> String {
        match self.counted_ids.lock().unwrap().as_mut() {
            Some(n) => {
                *n += 1;
                format!("{n:064x}")
            }
            None => random_id(),
        }
    }

    fn find(&self, call: &Call) -> Result<Arc<Container>, ApiError> {
        let wanted = call.param("id");
        let containers = self.containers.lock().unwrap();
        containers
            .values()
            .find(|c| c.id.starts_with(wanted) || c.name == format!("/{wanted}"))
            .cloned()
            .ok_or_else(|| ApiError::not_found(format!("No such container: {wanted}")))
    }

    fn create(&self, call: &Call) -> Result<Reply, ApiError> {
        let body = call.json()?;
        let image = body["Image"].as_str().unwrap_or_default();
        if !is_our_image(image) {
            return Err(ApiError::not_found(format!("No such image: {image}")));
        }
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut args = strings(&body["Entrypoint"]);
        args.extend(strings(&body["Cmd"]));
        if args.is_empty() {
            args.push("sh".into());
        }
        let id = self.new_id();
        let name = match call.query.get("name").filter(|n| !n.is_empty()) {
            Some(n) => format!("/{n}"),
            None => format!("/lab_{}", &id[..6]),
        };
        let container = Arc::new(Container {
            id: id.clone(),
            name,
            image: image.into(),
            args,
            auto_remove: body["HostConfig"]["AutoRemove"].as_bool().unwrap_or(false),
            status: Mutex::new(Status::Created),
            changed: Condvar::new(),
            attached: Mutex::default(),
        });
        self.containers
            .lock()
            .unwrap()
            .insert(id.clone(), container);
        Ok(Reply::Json(201, json!({ "Id": id, "Warnings": [] })))
    }

    fn inspect(&self, call: &Call) -> Result<Reply, ApiError> {
        let c = self.find(call)?;
        let status = *c.status.lock().unwrap();
        let (text, code) = match status {
            Status::Created => ("created", 0),
            Status::Running => ("running", 0),
            Status::Exited(n) | Status::Removed(n) => ("exited", n),
        };
        Ok(Reply::Json(
            200,
            json!({
                "Id": c.id, "Name": c.name, "Image": c.image, "Path": c.args[0], "Args": c.args[1..],
                "State": { "Status": text, "Running": status == Status::Running,
                           "Paused": false, "Restarting": false, "ExitCode": code },
                "Config": { "Image": c.image, "Cmd": c.args, "Tty": false, "OpenStdin": false },
                "HostConfig": { "AutoRemove": c.auto_remove },
            }),
        ))
    }

    fn attach(&self, call: &Call) -> Result<Reply, ApiError> {
        let c = self.find(call)?;
        Ok(Reply::Hijack {
            content_type: RAW_STREAM,
            session: Box::new(move |conn| {
                c.attached.lock().unwrap().push(conn.output);
                // The connections are written by the output pumps; they close when dropped,
                // once the container has exited and its output is all sent.
                c.wait_for(|s| matches!(s, Status::Exited(_) | Status::Removed(_)));
                c.attached.lock().unwrap().clear();
            }),
        })
    }

    fn start(self: &Arc<Self>, call: &Call) -> Result<Reply, ApiError> {
        let c = self.find(call)?;
        if *c.status.lock().unwrap() != Status::Created {
            return Ok(Reply::Empty(304)); // Docker: already started
        }
        let exe = std::env::current_exe().map_err(|e| ApiError::internal(e.to_string()))?;
        let mut shim = Command::new(exe)
            .arg(SHIM_ARG)
            .args(&c.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| ApiError::internal(format!("cannot start the shim: {e}")))?;
        c.set(Status::Running);
        let pumps = [
            pump(
                &c,
                shim.stdout.take().map(|p| Box::new(p) as _),
                StreamKind::Stdout,
            ),
            pump(
                &c,
                shim.stderr.take().map(|p| Box::new(p) as _),
                StreamKind::Stderr,
            ),
        ];
        let daemon = Arc::clone(self);
        std::thread::spawn(move || {
            let code = shim.wait().ok().and_then(|s| s.code()).unwrap_or(125);
            pumps.into_iter().for_each(|p| drop(p.join()));
            c.set(Status::Exited(code));
            if c.auto_remove {
                daemon.containers.lock().unwrap().remove(&c.id);
                c.set(Status::Removed(code));
            }
        });
        Ok(Reply::Empty(204))
    }

    fn wait(&self, call: &Call) -> Result<Reply, ApiError> {
        let c = self.find(call)?;
        let removed = call.query.get("condition").is_some_and(|v| v == "removed");
        Ok(Reply::later(200, move || {
            let status = c.wait_for(|s| match s {
                Status::Removed(_) => true,
                Status::Exited(_) => !removed,
                _ => false,
            });
            let (Status::Exited(code) | Status::Removed(code)) = status else {
                unreachable!("waited for an end")
            };
            json!({ "StatusCode": code, "Error": null })
        }))
    }

    fn delete(&self, call: &Call) -> Result<Reply, ApiError> {
        let c = self.find(call)?;
        if *c.status.lock().unwrap() == Status::Running && !call.query_bool("force") {
            return Err(ApiError::conflict(format!(
                "cannot remove container {}: container is running: stop the container before removing or force remove",
                c.name
            )));
        }
        self.containers.lock().unwrap().remove(&c.id);
        Ok(Reply::Empty(204))
    }
}

/// Copies one of the shim's pipes to every attached client, one frame per read.
fn pump(
    c: &Arc<Container>,
    pipe: Option<Box<dyn Read + Send>>,
    kind: StreamKind,
) -> std::thread::JoinHandle<()> {
    let c = Arc::clone(c);
    std::thread::spawn(move || {
        let Some(mut pipe) = pipe else { return };
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            for conn in c.attached.lock().unwrap().iter_mut() {
                let _ = write_frame(conn, kind, &buf[..n]);
            }
        }
    })
}

/// The route tables: containers, then images (one table per resource).
pub fn routes(daemon: Arc<Daemon>) -> Router {
    let d = |f: fn(&Arc<Daemon>, &Call) -> Result<Reply, ApiError>| {
        let daemon = Arc::clone(&daemon);
        move |call: &Call| f(&daemon, call)
    };
    let containers = Router::new()
        .route("POST", "/containers/create", d(|d, c| d.create(c)))
        .route("GET", "/containers/{id}/json", d(|d, c| d.inspect(c)))
        .route("POST", "/containers/{id}/attach", d(|d, c| d.attach(c)))
        .route("POST", "/containers/{id}/start", d(|d, c| d.start(c)))
        .route("POST", "/containers/{id}/wait", d(|d, c| d.wait(c)))
        .route("DELETE", "/containers/{id}", d(|d, c| d.delete(c)));
    let images = Router::new().route("GET", "/images/{name}/json", |call| {
        if !is_our_image(call.param("name")) {
            let name = call.param("name");
            return Err(ApiError::not_found(format!("No such image: {name}")));
        }
        Ok(Reply::Json(
            200,
            json!({
                "Id": "sha256:lesson01-busybox-rootfs", "RepoTags": ["busybox:latest"],
                "RepoDigests": [], "Os": "linux", "Architecture": std::env::consts::ARCH,
                "Config": { "Cmd": ["sh"], "Env": [format!("PATH={}", namespaces::container::DEFAULT_PATH)] },
            }),
        ))
    });
    containers.merge(images)
}

/// In a shim (the daemon's program run with [`SHIM_ARG`] first): runs the container whose
/// command is the remaining arguments and returns its exit code. Not a shim: `None`.
pub fn shim_main() -> Option<i32> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some(SHIM_ARG) {
        return None;
    }
    let run = || -> namespaces::Result<i32> {
        let rootfs = namespaces::rootfs::busybox_rootfs()?;
        namespaces::container::run(&namespaces::container::ContainerSpec::new(
            rootfs,
            args[1..].to_vec(),
        ))
    };
    Some(run().unwrap_or_else(|e| {
        eprintln!("shim: {e}");
        namespaces::container::EXIT_SETUP_FAILED
    }))
}

//! Health checks, run by the container's monitor: a thread that waits `interval`, runs the
//! probe inside the container the way `exec` does (the monitor runs `capstone exec`, which
//! joins the container's namespaces and cgroup with lesson 01's `join`), and records the result
//! in `State.Health` with Docker's rules ([`crate::model::health`]). A change of status is an
//! event (`health_status: healthy`). The check comes from the image's `HEALTHCHECK` (the
//! builder records it in the image config) with `run --health-*` on top.

use crate::engine::create::CreateOptions;
use crate::engine::events;
use crate::model::clock;
use crate::model::container::Container;
use crate::model::health::{HealthConfig, ProbeResult};
use crate::{Error, Result, store};
use std::io::Read;
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The check a new container gets: the image's (`config.Healthcheck` in its config blob),
/// overridden field by field by `--health-*`, or none with `--no-healthcheck`.
pub fn for_create(
    opts: &CreateOptions,
    image_store: &images::Store,
    image: &images::Image,
) -> Result<Option<HealthConfig>> {
    let duration = |flag: &'static str, value: &Option<String>| -> Result<u64> {
        value.as_deref().map_or(Ok(0), |text| {
            super::build::health::duration(text).ok_or_else(|| {
                Error::invalid(flag, text, "not a duration like 30s, 1m30s or 500ms")
            })
        })
    };
    let flags = HealthConfig {
        test: match &opts.health_cmd {
            _ if !opts.health_test.is_empty() => opts.health_test.clone(),
            Some(cmd) => vec!["CMD-SHELL".to_string(), cmd.clone()],
            None => Vec::new(),
        },
        interval: duration("--health-interval", &opts.health_interval)?,
        timeout: duration("--health-timeout", &opts.health_timeout)?,
        start_period: duration("--health-start-period", &opts.health_start_period)?,
        retries: match &opts.health_retries {
            Some(n) => n
                .parse()
                .map_err(|_| Error::invalid("--health-retries", n.as_str(), "not a number"))?,
            None => 0,
        },
    };
    if opts.no_healthcheck {
        if flags != HealthConfig::default() {
            return Err(Error::invalid(
                "--no-healthcheck",
                "",
                "conflicts with the --health-* options",
            ));
        }
        return Ok(Some(HealthConfig {
            test: vec!["NONE".into()],
            ..HealthConfig::default()
        }));
    }
    let from_image = image_store
        .read_blob(&image.config_digest, 1 << 20)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|doc| serde_json::from_value(doc["config"]["Healthcheck"].clone()).ok())
        .unwrap_or_default();
    let merged = flags.over(&from_image);
    Ok((!merged.test.is_empty()).then_some(merged))
}

/// The probing thread of one running container; [`Watcher::stop`] ends it.
pub struct Watcher {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl Watcher {
    /// Ends the probing (the container has exited) and waits for a probe under way.
    pub fn stop(self) {
        drop(self.stop);
        let _ = self.thread.join();
    }
}

/// Starts probing `record` if it has a check.
pub fn watch(paths: &store::Paths, record: &Container) -> Option<Watcher> {
    let check = record.config.healthcheck.clone()?;
    let argv = check.argv()?;
    let (stop, stopped) = mpsc::channel::<()>();
    let (paths, record) = (paths.clone(), record.clone());
    let thread = std::thread::spawn(move || {
        let started = Instant::now();
        // Waiting on the channel, not sleeping: the monitor's `stop` ends the wait at once.
        while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(check.interval()) {
            // A frozen container cannot answer: no probe while it is paused (as Docker).
            let paused = store::containers::load(&paths, &record.id).is_ok_and(|c| c.state.paused);
            if paused {
                continue;
            }
            let result = probe(&paths, &record, &argv, check.timeout());
            let in_start_period = started.elapsed() < check.start_period();
            let mut changed = false;
            let updated = store::containers::update(&paths, &record.id, |c| {
                if let Some(health) = &mut c.state.health {
                    changed = health.record(result, in_start_period, check.retries());
                }
            });
            if let (true, Ok(now)) = (changed, updated) {
                let status = now.state.health.as_ref().map_or("", |h| h.status.as_str());
                let action = format!("health_status: {status}");
                events::container(&paths, &now, &action, &[]);
            }
        }
    });
    Some(Watcher { stop, thread })
}

/// Runs `argv` in the container with `capstone exec` (a fresh process: joining namespaces is
/// for a single-threaded process), its stdout and stderr in one pipe, killed after `timeout`.
fn probe(
    paths: &store::Paths,
    record: &Container,
    argv: &[String],
    timeout: Duration,
) -> ProbeResult {
    let start = clock::now();
    match run_probe(paths, record, argv, timeout) {
        Ok((code, output)) => ProbeResult::ended_now(start, code, output),
        Err(e) => ProbeResult::ended_now(start, -1, e.to_string()),
    }
}

fn run_probe(
    paths: &store::Paths,
    record: &Container,
    argv: &[String],
    timeout: Duration,
) -> Result<(i32, String)> {
    let exe =
        std::env::current_exe().map_err(Error::io("find own executable", "/proc/self/exe"))?;
    let (mut reader, writer) =
        std::io::pipe().map_err(Error::io("make a pipe for", "the probe"))?;
    let writer_too = writer
        .try_clone()
        .map_err(Error::io("dup", "the probe's pipe"))?;
    let mut child = Command::new(exe)
        .arg("--root")
        .arg(&paths.root)
        .arg("--runroot")
        .arg(&paths.runroot)
        .arg("exec")
        .arg(&record.id)
        .args(argv)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer_too)
        .spawn()
        .map_err(Error::io("run the health probe of", &record.id))?;
    let deadline = Instant::now() + timeout;
    let mut output = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Ok((-1, format!("Health check exceeded timeout ({timeout:?})")));
        };
        let millis = u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX);
        let mut fds = [nix::poll::PollFd::new(
            reader.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        match nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(millis)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(e) => return Err(Error::sys("poll(2)")(e)),
        }
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => output.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io("read", "the probe's output")(e)),
        }
    }
    let status = child.wait().map_err(Error::io("wait for", "the probe"))?;
    Ok((
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output).into_owned(),
    ))
}

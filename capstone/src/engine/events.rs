//! The event log: every operation appends one JSON line to `<root>/events.jsonl`, shaped as
//! the Engine API's `/events` messages (`Type`, `Action`, `Actor{ID, Attributes}`, `scope`,
//! `time`, `timeNano`). Without a daemon there is nobody to broadcast to, so the log *is* the
//! broadcast: each line is one write(2) on a file opened with `O_APPEND`, which the kernel
//! puts at the end as one piece (open(2)), whichever command or monitor writes it; readers
//! follow it with inotify(7). Events never fail an operation: a line that cannot be written
//! is lost, as Docker drops events a slow client cannot take.

use super::Engine;
use crate::model::container::Container;
use crate::store::Paths;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Seek, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One event, as Docker's `/events` sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// `container`, `network`, `volume`, `image`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// `create`, `start`, `die`, `stop`, `kill`, `restart`, `pause`, `destroy`, `connect`, …
    #[serde(rename = "Action")]
    pub action: String,
    /// What it happened to.
    #[serde(rename = "Actor")]
    pub actor: Actor,
    /// Always `local` (a swarm would say `swarm`).
    pub scope: String,
    /// Unix seconds.
    pub time: i64,
    /// Unix nanoseconds.
    #[serde(rename = "timeNano")]
    pub time_nano: i64,
}

/// The object of an event: its id and a few attributes (`name`, `image`, `exitCode`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// The container's, network's or volume's id (a volume's is its name).
    #[serde(rename = "ID")]
    pub id: String,
    /// Docker's attributes; sorted, as the CLI prints them.
    #[serde(rename = "Attributes")]
    pub attributes: BTreeMap<String, String>,
}

impl Event {
    /// An event that happens now.
    pub fn now(kind: &str, action: &str, id: &str, attributes: &[(&str, &str)]) -> Event {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i64);
        Event {
            kind: kind.into(),
            action: action.into(),
            actor: Actor {
                id: id.into(),
                attributes: attributes
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            },
            scope: "local".into(),
            time: nanos / 1_000_000_000,
            time_nano: nanos,
        }
    }

    /// When it happened.
    pub fn when(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.time_nano.max(0) as u64)
    }
}

/// Where the log lives.
fn log_path(paths: &Paths) -> PathBuf {
    paths.root.join("events.jsonl")
}

/// Appends `event` to the log, as one write(2) with `O_APPEND`. Errors are dropped (see the
/// module's comment).
pub fn emit(paths: &Paths, event: Event) {
    let mut line = serde_json::to_vec(&event).expect("an event is JSON");
    line.push(b'\n');
    let file = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log_path(paths));
    if let Ok(mut file) = file {
        let _ = file.write_all(&line);
    }
}

/// A container event with Docker's attributes (`image`, `name`) and `extra` ones.
pub fn container(paths: &Paths, record: &Container, action: &str, extra: &[(&str, &str)]) {
    let image = crate::store::image_refs::familiar(&record.config.image);
    let mut attributes = vec![("image", image.as_str()), ("name", record.name.as_str())];
    attributes.extend_from_slice(extra);
    emit(
        paths,
        Event::now("container", action, &record.id, &attributes),
    );
}

/// A network event (`connect`, `disconnect`) for each network the container is plugged into.
pub fn networks(paths: &Paths, record: &Container, action: &str) {
    for (name, endpoint) in &record.network_settings.networks {
        let attributes = [
            ("container", record.id.as_str()),
            ("name", name),
            ("type", "bridge"),
        ];
        emit(
            paths,
            Event::now("network", action, &endpoint.network_id, &attributes),
        );
    }
}

/// Which events a reader wants: Docker's `--since`, `--until` and `--filter`s.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Events at or after this time.
    pub since: Option<SystemTime>,
    /// Events at or before this time; with `follow`, also when to stop.
    pub until: Option<SystemTime>,
    /// `key=value` pairs: `type`, `event` (the action), `container`, `image`, `network`,
    /// `volume` (an id, id prefix or name). Values of one key are alternatives; keys combine.
    pub filters: Vec<(String, String)>,
}

impl EventFilter {
    /// Parses `--filter` values (`key=value`), refusing unknown keys.
    pub fn parse_filters(items: &[String]) -> Result<Vec<(String, String)>> {
        const KEYS: [&str; 6] = ["type", "event", "container", "image", "network", "volume"];
        items
            .iter()
            .map(|item| match item.split_once('=') {
                Some((k, v)) if KEYS.contains(&k) => Ok((k.to_string(), v.to_string())),
                _ => Err(Error::invalid(
                    "--filter",
                    item.as_str(),
                    format!("use KEY=VALUE with KEY one of {}", KEYS.join(", ")),
                )),
            })
            .collect()
    }

    /// Whether `event` passes.
    pub fn matches(&self, event: &Event) -> bool {
        let t = event.when();
        if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t > u) {
            return false;
        }
        let mut keys: Vec<&str> = self.filters.iter().map(|(k, _)| k.as_str()).collect();
        keys.dedup();
        keys.iter().all(|key| {
            self.filters
                .iter()
                .filter(|(k, _)| k == key)
                .any(|(_, value)| Self::one_matches(event, key, value))
        })
    }

    fn one_matches(event: &Event, key: &str, value: &str) -> bool {
        let attr = |name: &str| event.actor.attributes.get(name).map(String::as_str);
        let names_actor = || event.actor.id.starts_with(value) || attr("name") == Some(value);
        match key {
            "type" => event.kind == value,
            "event" => event.action == value,
            "image" => event.kind == "container" && attr("image") == Some(value),
            "container" => {
                (event.kind == "container" && names_actor())
                    || attr("container").is_some_and(|c| c.starts_with(value))
            }
            kind => event.kind == kind && names_actor(),
        }
    }
}

impl Engine {
    /// The events that pass `filter`, oldest first, each given to `show`. With `follow`, goes
    /// on giving new ones as they are appended (woken by inotify(7)) until `filter.until` has
    /// passed or `show` returns false. What the CLI's `events` and the API's `/events` use.
    pub fn events(
        &self,
        filter: &EventFilter,
        follow: bool,
        show: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<()> {
        use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
        let path = log_path(&self.paths);
        // Watch before reading, so nothing appended in between is missed.
        let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)
            .map_err(Error::sys("inotify_init1(2)"))?;
        let file = std::fs::File::options()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(Error::io("open event log", &path))?;
        inotify
            .add_watch(&path, AddWatchFlags::IN_MODIFY)
            .map_err(Error::sys(format!("inotify_add_watch({})", path.display())))?;
        let mut reader = BufReader::new(file);
        reader.rewind().map_err(Error::io("read", &path))?;
        let mut line = String::new();
        loop {
            // Whole lines only: a line still being written is read again when it is complete.
            loop {
                line.clear();
                let n = reader
                    .read_line(&mut line)
                    .map_err(Error::io("read", &path))?;
                if n == 0 || !line.ends_with('\n') {
                    if n > 0 {
                        reader
                            .seek_relative(-(n as i64))
                            .map_err(Error::io("read", &path))?;
                    }
                    break;
                }
                if let Ok(event) = serde_json::from_str::<Event>(&line)
                    && filter.matches(&event)
                    && !show(&event)
                {
                    return Ok(());
                }
            }
            if !follow || !wait_for_more(&inotify, filter.until)? {
                return Ok(());
            }
        }
    }
}

/// Waits until the log grows (true) or `until` passes (false), with poll(2) on the inotify
/// descriptor.
fn wait_for_more(inotify: &nix::sys::inotify::Inotify, until: Option<SystemTime>) -> Result<bool> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let deadline = until.map(|u| {
        Instant::now()
            + u.duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO)
    });
    loop {
        let timeout = match deadline {
            None => PollTimeout::NONE,
            Some(d) => match d.checked_duration_since(Instant::now()) {
                None => return Ok(false),
                Some(left) => {
                    PollTimeout::from(u16::try_from(left.as_millis().max(1)).unwrap_or(u16::MAX))
                }
            },
        };
        let mut fds = [PollFd::new(inotify.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {
                let _ = inotify.read_events();
                return Ok(true);
            }
            Err(e) => return Err(Error::sys("poll(2)")(e)),
        }
    }
}

//! `logs`: a container's json-file log as Docker prints it — stdout and stderr to our own,
//! `--tail`, `-t`, `--since`/`--until`, and `-f` following the file with inotify(7).

use crate::mechanisms::logs::{self, Entry};
use crate::model::clock;
use crate::model::container::Container;
use crate::{Error, Result, store};
use std::io::{BufReader, Write};

pub(super) fn logs(
    paths: &store::Paths,
    name: &str,
    follow: bool,
    tail: &str,
    timestamps: bool,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<i32> {
    let since = since.map(|t| parse_when("--since", t)).transpose()?;
    let until = until.map(|t| parse_when("--until", t)).transpose()?;
    let record = crate::engine::reconcile::find_observed(paths, name)?;
    let path = paths.log(&record.id);
    let mut entries = logs::read(&path)?;
    if since.is_some() || until.is_some() {
        entries.retain(|e| {
            let Some(t) = clock::parse(&e.time) else {
                return false;
            };
            since.is_none_or(|s| t >= s) && until.is_none_or(|u| t <= u)
        });
    }
    let skip = match tail {
        "all" => 0,
        n => entries.len().saturating_sub(
            n.parse::<usize>()
                .map_err(|_| Error::invalid("--tail", n, "expected a number of lines or `all`"))?,
        ),
    };
    for entry in &entries[skip..] {
        print_entry(entry, timestamps);
    }
    if follow {
        follow_log(paths, &record, entries.len(), timestamps)?;
    }
    Ok(0)
}

/// Docker's `--since`/`--until`: an RFC 3339 time, Unix seconds (`1733420000.5`), or a Go
/// duration before now (`10m`, `1h30m`, `45s`).
fn parse_when(flag: &'static str, text: &str) -> Result<std::time::SystemTime> {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};
    if let Some(t) = clock::parse(text).or_else(|| clock::parse(&format!("{text}Z"))) {
        return Ok(t);
    }
    if let Ok(secs) = text.parse::<f64>() {
        return Ok(UNIX_EPOCH + Duration::from_secs_f64(secs.max(0.0)));
    }
    let bad = || {
        Error::invalid(
            flag,
            text,
            "expected an RFC 3339 time (2026-12-05T19:30:00Z), Unix seconds, or a duration such as 10m or 1h30m",
        )
    };
    let mut total = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(bad)?;
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        let unit_len = rest[digits..]
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len() - digits);
        let scale = match &rest[digits..digits + unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return Err(bad()),
        };
        total += number * scale;
        rest = &rest[digits + unit_len..];
    }
    Ok(SystemTime::now() - Duration::from_secs_f64(total))
}

fn print_entry(entry: &Entry, timestamps: bool) {
    let line = if timestamps {
        format!("{} {}", entry.time, entry.log)
    } else {
        entry.log.clone()
    };
    if entry.stream == "stderr" {
        let _ = std::io::stderr().write_all(line.as_bytes());
    } else {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
    }
}

/// `logs -f`: prints entries as the monitor appends them, woken by inotify(7) on the
/// container's directory (the log grows; the record is replaced when the container exits),
/// until the container is no longer running and the log is drained.
fn follow_log(
    paths: &store::Paths,
    record: &Container,
    already: usize,
    timestamps: bool,
) -> Result<i32> {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let dir = paths.container_dir(&record.id);
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC).map_err(Error::sys("inotify_init1(2)"))?;
    inotify
        .add_watch(
            &dir,
            AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_DELETE_SELF,
        )
        .map_err(Error::sys(format!("inotify_add_watch({})", dir.display())))?;
    let path = paths.log(&record.id);
    let file = std::fs::File::options()
        .create(true)
        .append(true)
        .read(true)
        .open(&path)
        .map_err(Error::io("open log", &path))?;
    let mut reader = BufReader::new(file);
    // Entries up to `already` were printed before following started.
    let mut seen = 0;
    let mut print_new = |reader: &mut BufReader<std::fs::File>| -> Result<()> {
        for entry in logs::read_more(reader, &path)? {
            seen += 1;
            if seen > already {
                print_entry(&entry, timestamps);
            }
        }
        Ok(())
    };
    loop {
        print_new(&mut reader)?;
        let running = crate::store::containers::load(paths, &record.id)
            .map(|c| c.is_active())
            .unwrap_or(false);
        if !running {
            print_new(&mut reader)?;
            return Ok(0);
        }
        match inotify.read_events() {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(Error::sys("read(inotify)")(e)),
        }
    }
}

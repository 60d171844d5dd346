//! `logs`: a container's json-file log as Docker prints it — stdout and stderr to our own,
//! `--tail`, `-t`, `--since`/`--until`, and `-f`; the entries come from [`Engine::logs`].
//! `attach` prints the same entries live ([`Engine::attach`]).

use crate::engine::logs::LogsOptions;
use crate::mechanisms::logs::Entry;
use crate::model::clock;
use crate::{Engine, Error, Result};
use std::io::Write;

/// `attach`: the container's output as it comes, then its exit code (0 when detached).
pub(super) fn attach(
    engine: &Engine,
    name: &str,
    opts: &crate::engine::attach::AttachOptions,
) -> Result<i32> {
    let code = engine.attach(name, opts, &mut |entry| print_entry(entry, false))?;
    Ok(code.unwrap_or(0))
}

pub(super) fn logs(
    engine: &Engine,
    name: &str,
    follow: bool,
    tail: &str,
    timestamps: bool,
    since: Option<&str>,
    until: Option<&str>,
) -> Result<i32> {
    let tail = match tail {
        "all" => None,
        n => Some(
            n.parse::<usize>()
                .map_err(|_| Error::invalid("--tail", n, "expected a number of lines or `all`"))?,
        ),
    };
    let opts = LogsOptions {
        tail,
        since: since.map(|t| parse_when("--since", t)).transpose()?,
        until: until.map(|t| parse_when("--until", t)).transpose()?,
        follow,
    };
    engine.logs(name, &opts, &mut |entry| print_entry(entry, timestamps))?;
    Ok(0)
}

/// Docker's `--since`/`--until`: an RFC 3339 time, Unix seconds (`1733420000.5`), or a Go
/// duration before now (`10m`, `1h30m`, `45s`).
pub(super) fn parse_when(flag: &'static str, text: &str) -> Result<std::time::SystemTime> {
    if let Some(t) = clock::parse(text).or_else(|| clock::parse(&format!("{text}Z"))) {
        return Ok(t);
    }
    let when = match text.parse::<f64>() {
        Ok(seconds) => clock::from_unix_seconds(seconds),
        Err(_) => clock::parse_go_duration(text)
            .and_then(|ago| std::time::SystemTime::now().checked_sub(ago)),
    };
    when.ok_or_else(|| {
        Error::invalid(
            flag,
            text,
            "expected an RFC 3339 time (2026-12-05T19:30:00Z), Unix seconds, or a duration such as 10m or 1h30m",
        )
    })
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

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

//! `events`: the engine's event log as Docker's CLI prints it, one line an event —
//! `2026-12-05T21:00:00.123456789Z container start 3f2a… (image=busybox, name=web)` — or
//! through `--format`; following new events until `--until` or Ctrl-C. The events come from
//! [`Engine::events`].

use super::format::Format;
use super::logs::parse_when;
use crate::engine::events::{Event, EventFilter};
use crate::model::clock;
use crate::{Engine, Result};
use std::io::Write;

pub(super) fn events(
    engine: &Engine,
    since: Option<&str>,
    until: Option<&str>,
    filters: &[String],
    format: Option<&str>,
) -> Result<i32> {
    let filter = EventFilter {
        since: since.map(|t| parse_when("--since", t)).transpose()?,
        until: until.map(|t| parse_when("--until", t)).transpose()?,
        filters: EventFilter::parse_filters(filters)?,
    };
    let format = Format::parse("events", format, false)?;
    let mut failure = None;
    let mut out = std::io::stdout().lock();
    engine.events(&filter, true, &mut |event| {
        let line = match &format {
            None => Ok(format!("{}\n", line(event))),
            Some(f) => f.render(&[serde_json::to_value(event).expect("json")], &[]),
        };
        match line {
            Ok(text) => out
                .write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .is_ok(),
            Err(e) => {
                failure = Some(e);
                false
            }
        }
    })?;
    failure.map_or(Ok(0), Err)
}

/// Docker's default line: time, type, action, actor id, and the attributes in parentheses.
fn line(event: &Event) -> String {
    let attributes: Vec<String> = event
        .actor
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut text = format!(
        "{} {} {} {}",
        clock::format(event.when()),
        event.kind,
        event.action,
        event.actor.id
    );
    if !attributes.is_empty() {
        text += &format!(" ({})", attributes.join(", "));
    }
    text
}

//! `stats` and `top`: Docker's tables over [`crate::Engine::stats`] and
//! [`crate::Engine::top`].

use super::format::Format;
use super::table;
use crate::engine::stats::Usage;
use crate::{Engine, Result};
use serde_json::{Value, json};
use std::time::Duration;

/// Docker's default `stats` table.
const DEFAULT: &str = "table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}\\t{{.BlockIO}}\\t{{.PIDs}}";

/// Column titles of the `stats` template fields.
const HEADERS: &[(&str, &str)] = &[
    ("ID", "CONTAINER ID"),
    ("Container", "CONTAINER"),
    ("Name", "NAME"),
    ("CPUPerc", "CPU %"),
    ("MemUsage", "MEM USAGE / LIMIT"),
    ("MemPerc", "MEM %"),
    ("NetIO", "NET I/O"),
    ("BlockIO", "BLOCK I/O"),
    ("PIDs", "PIDS"),
];

pub(super) fn stats(
    engine: &Engine,
    names: &[String],
    all: bool,
    no_stream: bool,
    format: Option<&str>,
) -> Result<i32> {
    let format = match Format::parse("stats", format, true)? {
        Some(f) => f,
        None => Format::parse("stats", Some(DEFAULT), true)?.expect("a table format"),
    };
    loop {
        let containers = if names.is_empty() {
            engine
                .containers()?
                .into_iter()
                .filter(|c| all || c.state.running)
                .collect()
        } else {
            names
                .iter()
                .map(|n| engine.container(n))
                .collect::<Result<Vec<_>>>()?
        };
        let usage = engine.stats(&containers, Duration::from_secs(1))?;
        let rows: Vec<Value> = usage
            .iter()
            .zip(names.iter().map(Some).chain(std::iter::repeat(None)))
            .map(|(u, typed)| fields(u, typed.map(String::as_str)))
            .collect();
        let text = format.render(&rows, HEADERS)?;
        if no_stream {
            print!("{text}");
            return Ok(0);
        }
        // Clear the terminal and redraw, as Docker's live view does.
        print!("\x1b[2J\x1b[H{text}");
    }
}

/// The fields of Docker's stats template context, as its table prints them.
fn fields(u: &Usage, typed: Option<&str>) -> Value {
    let pair = |v: Option<(u64, u64)>| {
        v.map_or_else(
            || "--".to_string(),
            |(a, b)| format!("{} / {}", table::human_size(a), table::human_size(b)),
        )
    };
    let percent = |v: Option<f64>| v.map_or_else(|| "--".to_string(), |p| format!("{p:.2}%"));
    let memory_percent = u
        .memory
        .filter(|_| u.memory_limit > 0)
        .map(|m| m as f64 / u.memory_limit as f64 * 100.0);
    json!({
        "ID": crate::model::ids::short(&u.id), "Name": u.name,
        "Container": typed.unwrap_or(crate::model::ids::short(&u.id)),
        "CPUPerc": percent(u.cpu_percent),
        "MemUsage": u.memory.map_or_else(|| "-- / --".to_string(), |m| format!(
            "{} / {}", table::bytes_size(m), table::bytes_size(u.memory_limit))),
        "MemPerc": percent(memory_percent),
        "NetIO": pair(u.net_io), "BlockIO": pair(u.block_io),
        "PIDs": u.pids.map_or_else(|| "--".to_string(), |p| p.to_string()),
    })
}

/// `top CONTAINER [ps options]`: ps's columns for the container's processes, aligned as
/// Docker's CLI aligns them (Go's tabwriter, cells at least 20 wide).
pub(super) fn top(engine: &Engine, container: &str, ps_args: &[String]) -> Result<i32> {
    let (titles, rows) = engine.top(container, ps_args)?;
    let mut text = titles.join("\t");
    text.push('\n');
    for row in rows {
        text += &row.join("\t");
        text.push('\n');
    }
    print!("{}", table::align_min(&text, 20));
    Ok(0)
}

//! Read-only verbs: `ps` and `inspect` (`logs` is in [`super::logs`]).

use super::format::Format;
use super::table;
use crate::engine::views;
use crate::model::clock;
use crate::model::container::Container;
use crate::store::image_refs as images_ref;
use crate::{Error, Result, store};
use serde_json::{Value, json};

pub(super) fn ps(
    paths: &store::Paths,
    all: bool,
    quiet: bool,
    filters: &[String],
    format: Option<&str>,
) -> Result<i32> {
    let format = Format::parse("ps", format, true)?;
    let mut shown: Vec<Container> = crate::engine::reconcile::list_observed(paths)?
        .into_iter()
        .filter(|c| all || c.is_active())
        .collect();
    for filter in filters {
        let (key, value) = filter.split_once('=').ok_or_else(|| {
            Error::invalid(
                "filter",
                filter.as_str(),
                "expected key=value, e.g. name=web",
            )
        })?;
        shown.retain(|c| match key {
            "name" => c.name.contains(value),
            "id" => c.id.starts_with(value),
            "status" => c.state.status == value,
            "label" => crate::model::run_flags::labels_match(&c.config.labels, value),
            // Docker's `volume=`: a volume's name, a bind's source, or a mount's destination.
            "volume" => c.mounts.iter().any(|m| {
                m.name == value || m.destination == value || m.source.as_os_str() == value
            }),
            _ => true,
        });
        if !matches!(key, "name" | "id" | "status" | "volume" | "label") {
            return Err(Error::invalid(
                "filter",
                filter.as_str(),
                "supported keys: name, id, status, volume, label",
            ));
        }
    }
    shown.reverse(); // newest first, like Docker
    if quiet {
        for c in &shown {
            println!("{}", c.short_id());
        }
        return Ok(0);
    }
    if let Some(format) = format {
        let rows: Vec<Value> = shown.iter().map(ps_fields).collect();
        print!("{}", format.render(&rows, PS_HEADERS)?);
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = shown.iter().map(ps_row).collect();
    let headers = [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ];
    print!("{}", table::render(&headers, &rows));
    Ok(0)
}

/// The column titles of Docker's `ps` table for each template field.
const PS_HEADERS: &[(&str, &str)] = &[
    ("ID", "CONTAINER ID"),
    ("Image", "IMAGE"),
    ("Command", "COMMAND"),
    ("CreatedAt", "CREATED AT"),
    ("RunningFor", "CREATED"),
    ("Ports", "PORTS"),
    ("State", "STATE"),
    ("Status", "STATUS"),
    ("Size", "SIZE"),
    ("Names", "NAMES"),
    ("Labels", "LABELS"),
    ("Mounts", "MOUNTS"),
    ("Networks", "NETWORKS"),
];

/// A container as `ps --format` sees it: the fields of Docker's `ContainerContext`, as the
/// strings its table shows.
fn ps_fields(c: &Container) -> Value {
    let row = ps_row(c);
    let mounts: Vec<String> = c
        .mounts
        .iter()
        .map(|m| {
            if m.name.is_empty() {
                m.source.display().to_string()
            } else {
                m.name.clone()
            }
        })
        .collect();
    let networks: Vec<&str> = c
        .network_settings
        .networks
        .keys()
        .map(String::as_str)
        .collect();
    let networks = if networks.is_empty() {
        c.host_config.network_mode.clone()
    } else {
        networks.join(",")
    };
    let size = overlay::tree::disk_usage(&c.rootfs.upper_dir).unwrap_or(0);
    json!({
        "ID": row[0], "Image": row[1], "Command": row[2], "CreatedAt": docker_time(&c.created),
        "RunningFor": row[3], "Status": row[4], "Ports": row[5], "Names": row[6],
        "State": c.state.status, "Size": table::human_size(size), "Labels": labels_text(&c.config.labels),
        "Mounts": mounts.join(","), "Networks": networks,
    })
}

/// Docker's `{{.Labels}}`: `k=v` pairs joined by commas.
pub(super) fn labels_text(labels: &std::collections::BTreeMap<String, String>) -> String {
    let pairs: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.join(",")
}

/// Go's default `time.Time` text, as Docker's `CreatedAt` shows it:
/// `2026-12-05 19:30:00 +0000 UTC` (our records are UTC RFC 3339).
pub(super) fn docker_time(rfc3339: &str) -> String {
    match rfc3339.get(..19) {
        Some(seconds) => format!("{} +0000 UTC", seconds.replacen('T', " ", 1)),
        None => rfc3339.to_string(),
    }
}

fn ps_row(c: &Container) -> Vec<String> {
    let command = format!("\"{}\"", table::ellipsis(&c.config.args.join(" "), 20));
    let created = clock::since(&c.created)
        .map(clock::human)
        .unwrap_or_default();
    vec![
        c.short_id().to_string(),
        images_ref::familiar(&c.config.image),
        command,
        format!("{created} ago"),
        c.state.status_line(),
        c.ps_ports(),
        c.name.clone(),
    ]
}

pub(super) fn inspect(
    paths: &store::Paths,
    kind: Option<&str>,
    names: &[String],
    format: Option<&str>,
) -> Result<i32> {
    let format = Format::parse("inspect", format, false)?;
    let mut out = Vec::new();
    for name in names {
        let container = match kind {
            Some("image" | "volume") => None,
            _ => match crate::engine::reconcile::find_observed(paths, name) {
                Ok(c) => Some(c),
                Err(Error::NoSuchContainer(_)) => None,
                Err(e) => return Err(e),
            },
        };
        match container {
            Some(c) => out.push(views::container_json(paths, &c)),
            None if kind == Some("volume") => {
                out.push(crate::store::volumes::get(paths, name)?.to_json(paths));
            }
            None if kind != Some("container") => {
                let store = paths.store()?;
                match images_ref::find(&store, name) {
                    Ok(image) => out.push(views::image_json(&store, &image)?),
                    // Last, as Docker looks: a volume of that name.
                    Err(_) => match crate::store::volumes::get(paths, name) {
                        Ok(volume) => out.push(volume.to_json(paths)),
                        Err(_) => {
                            return Err(Error::NoSuchContainer(format!("{name} (no such object)")));
                        }
                    },
                }
            }
            None => return Err(Error::NoSuchContainer(name.clone())),
        }
    }
    if let Some(format) = format {
        print!("{}", format.render(&out, &[])?);
        return Ok(0);
    }
    let ordered: Vec<_> = out
        .iter()
        .map(super::inspect_order::InOrder::document)
        .collect();
    println!("{}", serde_json::to_string_pretty(&ordered).expect("json"));
    Ok(0)
}

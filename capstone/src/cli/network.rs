//! `network create/ls/rm/inspect/connect/disconnect/prune` and `port`: Docker's output over
//! the [`Engine`].

use super::table;
use crate::cli::network_args::NetworkCommand;
use crate::model::ids;
use crate::store::networks as network_records;
use crate::{Engine, Result, store};
use serde_json::{Value, json};

pub(super) fn main(engine: &Engine, command: NetworkCommand) -> Result<i32> {
    let paths = engine.paths();
    match command {
        NetworkCommand::Create {
            subnet,
            driver,
            label,
            internal,
            name,
        } => {
            let made = engine.create_network_with(
                &name,
                driver.as_deref(),
                subnet.as_deref(),
                &label,
                internal,
            )?;
            println!("{}", made.id);
            Ok(0)
        }
        NetworkCommand::Ls {
            quiet,
            filter,
            format,
        } => ls(paths, quiet, &filter, format.as_deref()),
        NetworkCommand::Rm { networks } => {
            for n in networks {
                println!("{}", engine.remove_network(&n)?);
            }
            Ok(0)
        }
        NetworkCommand::Inspect { networks } => {
            let mut out = Vec::new();
            for n in networks {
                out.push(crate::engine::views::network_json(
                    paths,
                    &network_records::find(paths, &n)?,
                ));
            }
            println!("{}", serde_json::to_string_pretty(&out).expect("json"));
            Ok(0)
        }
        NetworkCommand::Connect { network, container } => {
            engine.connect(&network, &container).map(|()| 0)
        }
        NetworkCommand::Disconnect { network, container } => {
            engine.disconnect(&network, &container).map(|()| 0)
        }
        NetworkCommand::Prune { force } => {
            super::system::confirm(force, "network prune", "removes all unused networks")?;
            super::system::print_removed("Deleted Networks:", &engine.prune_networks()?);
            Ok(0)
        }
    }
}

/// `network ls`: Docker's columns. `none` and `host` are listed too, as Docker does: they
/// are choices for `--network`, with no bridge behind them.
fn ls(paths: &store::Paths, quiet: bool, filters: &[String], format: Option<&str>) -> Result<i32> {
    let format = super::format::Format::parse("network ls", format, true)?;
    let mut nets = network_records::list(paths)?;
    let mut wanted = Vec::new();
    for filter in filters {
        match filter.split_once('=') {
            Some(("label", label)) => wanted.push(label),
            _ => {
                return Err(crate::Error::invalid(
                    "filter",
                    filter.as_str(),
                    "supported: label=KEY or label=KEY=VALUE",
                ));
            }
        }
    }
    let matches = |n: &network_records::NetworkInfo| {
        (wanted.iter()).all(|w| crate::model::run_flags::labels_match(&n.labels, w))
    };
    nets.retain(matches);
    if quiet {
        for n in &nets {
            println!("{}", ids::short(&n.id));
        }
        return Ok(0);
    }
    let mut rows: Vec<Vec<String>> = nets
        .iter()
        .map(|n| {
            let cells = [ids::short(&n.id), &n.name, "bridge", "local"];
            cells.map(String::from).to_vec()
        })
        .collect();
    // The predefined networks have no labels: a label filter leaves them out.
    let builtins = if wanted.is_empty() {
        [("host", "host"), ("none", "null")].as_slice()
    } else {
        &[]
    };
    for &(name, driver) in builtins {
        rows.push(vec![
            builtin_id(name),
            name.into(),
            driver.into(),
            "local".into(),
        ]);
    }
    rows.sort_by(|a, b| a[1].cmp(&b[1]));
    if let Some(format) = format {
        // The fields of Docker's `networkContext`.
        let fields: Vec<Value> = rows
            .iter()
            .map(|r| {
                let net = nets.iter().find(|n| n.name == r[1]);
                let created = net.map(|n| n.created.as_str());
                let labels = net.map(|n| super::show::labels_text(&n.labels));
                json!({
                    "ID": r[0], "Name": r[1], "Driver": r[2], "Scope": r[3], "IPv6": "false",
                    "Internal": "false", "Labels": labels.unwrap_or_default(),
                    "CreatedAt": created.map(super::show::docker_time).unwrap_or_default(),
                })
            })
            .collect();
        let headers = [
            ("ID", "NETWORK ID"),
            ("Name", "NAME"),
            ("Driver", "DRIVER"),
            ("Scope", "SCOPE"),
            ("IPv6", "IPV6"),
            ("Internal", "INTERNAL"),
            ("Labels", "LABELS"),
            ("CreatedAt", "CREATED AT"),
        ];
        print!("{}", format.render(&fields, &headers)?);
        return Ok(0);
    }
    print!(
        "{}",
        table::render(&["NETWORK ID", "NAME", "DRIVER", "SCOPE"], &rows)
    );
    Ok(0)
}

/// A stable made-up id for the built-in `host` and `none`.
fn builtin_id(name: &str) -> String {
    let mut id = hex::encode(name.as_bytes());
    id.truncate(12);
    format!("{id:0>12}")
}

/// `port CONTAINER`: `80/tcp -> 0.0.0.0:8080`, one line per published port; `port CONTAINER
/// 80[/tcp]`: only that port's host address (`0.0.0.0:8080`), or Docker's error when it is
/// not published.
pub(super) fn port(paths: &store::Paths, container: &str, only: Option<&str>) -> Result<i32> {
    let c = crate::engine::reconcile::find_observed(paths, container)?;
    let address = |b: &crate::model::ports::PortBinding| {
        if b.host_ip.contains(':') {
            format!("[{}]:{}", b.host_ip, b.host_port)
        } else {
            format!("{}:{}", b.host_ip, b.host_port)
        }
    };
    let bindings = if c.is_active() {
        c.network_settings.ports.as_slice()
    } else {
        &[] // a stopped container publishes nothing, as Docker shows it
    };
    let Some(only) = only else {
        for b in bindings {
            println!("{} -> {}", b.key(), address(b));
        }
        return Ok(0);
    };
    let key = if only.contains('/') {
        only.to_string()
    } else {
        format!("{only}/tcp")
    };
    let matching: Vec<_> = bindings.iter().filter(|b| b.key() == key).collect();
    if matching.is_empty() {
        return Err(crate::Error::invalid(
            "port",
            key.as_str(),
            format!(
                "no public port '{key}' published for {container}: publish it with -p when the container is created"
            ),
        ));
    }
    for b in matching {
        println!("{}", address(b));
    }
    Ok(0)
}

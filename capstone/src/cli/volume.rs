//! `volume create/ls/inspect/rm/prune`, and the volumes' share of `system df`, printing what
//! Docker prints.

use super::table;
use crate::cli::volume_args::VolumeCommand;
use crate::store::volumes;
use crate::{Engine, Error, Result, store};
use std::collections::BTreeMap;

pub(super) fn main(engine: &Engine, command: VolumeCommand) -> Result<i32> {
    let paths = engine.paths();
    match command {
        VolumeCommand::Create {
            label,
            driver,
            name,
        } => create(engine, &label, &driver, name),
        VolumeCommand::Ls {
            quiet,
            filter,
            format,
        } => ls(engine, quiet, &filter, format.as_deref()),
        VolumeCommand::Inspect { names } => inspect(paths, &names),
        VolumeCommand::Rm { force: _, names } => rm(engine, &names),
        VolumeCommand::Prune { all, force } => prune(paths, all, force),
    }
}

fn create(engine: &Engine, labels: &[String], driver: &str, name: Option<String>) -> Result<i32> {
    let labels: BTreeMap<String, String> = labels
        .iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    let volume = engine.create_volume(name, driver, labels)?;
    println!("{}", volume.name);
    Ok(0)
}

fn ls(engine: &Engine, quiet: bool, filters: &[String], format: Option<&str>) -> Result<i32> {
    let format = super::format::Format::parse("volume ls", format, true)?;
    let volumes = engine.volumes(filters)?;
    if let Some(format) = format.filter(|_| !quiet) {
        // The fields of Docker's `volumeContext`.
        let fields: Vec<serde_json::Value> = volumes
            .iter()
            .map(|v| {
                let labels: Vec<String> =
                    v.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                serde_json::json!({
                    "Name": v.name, "Driver": "local", "Scope": "local",
                    "Mountpoint": volumes::data_dir(engine.paths(), &v.name),
                    "Labels": labels.join(","), "Links": "N/A", "Size": "N/A",
                })
            })
            .collect();
        let headers = [
            ("Name", "VOLUME NAME"),
            ("Driver", "DRIVER"),
            ("Scope", "SCOPE"),
            ("Mountpoint", "MOUNTPOINT"),
            ("Labels", "LABELS"),
            ("Links", "LINKS"),
            ("Size", "SIZE"),
        ];
        print!("{}", format.render(&fields, &headers)?);
        return Ok(0);
    }
    if quiet {
        volumes.iter().for_each(|v| println!("{}", v.name));
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = volumes
        .iter()
        .map(|v| vec!["local".into(), v.name.clone()])
        .collect();
    print!("{}", table::render(&["DRIVER", "VOLUME NAME"], &rows));
    Ok(0)
}

fn inspect(paths: &store::Paths, names: &[String]) -> Result<i32> {
    let mut out = Vec::new();
    for name in names {
        out.push(volumes::get(paths, name)?.to_json(paths));
    }
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
    Ok(0)
}

/// Removes each volume, printing its name; the first failure is reported after trying all.
fn rm(engine: &Engine, names: &[String]) -> Result<i32> {
    let mut first_error = None;
    for name in names {
        match engine.remove_volume(name) {
            Ok(()) => println!("{name}"),
            Err(e) if first_error.is_none() => first_error = Some(e),
            Err(e) => eprintln!("capstone: {e}"),
        }
    }
    first_error.map_or(Ok(0), Err)
}

fn prune(paths: &store::Paths, all: bool, force: bool) -> Result<i32> {
    if !force {
        return Err(Error::invalid(
            "volume prune",
            "",
            "this removes every unused anonymous volume (-a: every unused volume): pass -f to confirm (there is no prompt)",
        ));
    }
    let freed = print_pruned(paths, all)?;
    println!("Total reclaimed space: {}", table::human_size(freed));
    Ok(0)
}

/// Prunes volumes and prints Docker's `Deleted Volumes:` list; returns the space freed.
fn print_pruned(paths: &store::Paths, all: bool) -> Result<u64> {
    let (removed, freed) = volumes::prune(paths, all)?;
    if !removed.is_empty() {
        println!("Deleted Volumes:");
        removed.iter().for_each(|n| println!("{n}"));
        println!();
    }
    Ok(freed)
}

/// `system df`'s `Local Volumes` row: total, used by a container, size, size of the unused.
pub(super) fn df_row(paths: &store::Paths) -> Result<Vec<String>> {
    let records = volumes::records(paths)?;
    let (mut total, mut active, mut size, mut reclaimable) = (0, 0, 0, 0);
    for v in volumes::list(paths)? {
        let bytes = overlay::tree::disk_usage(&volumes::data_dir(paths, &v.name)).unwrap_or(0);
        total += 1;
        size += bytes;
        if volumes::users(&records, &v.name).is_empty() {
            reclaimable += bytes;
        } else {
            active += 1;
        }
    }
    Ok(vec![
        "Local Volumes".into(),
        total.to_string(),
        active.to_string(),
        table::human_size(size),
        table::human_size(reclaimable),
    ])
}

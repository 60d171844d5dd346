//! `info`, `version`, `doctor`.

use super::format::Format;
use super::table;
use crate::{Error, Result, store};
use serde_json::json;
use std::collections::HashMap;

/// `info`: counts, storage and cgroup facts. `--format` runs over Docker's field names
/// (`{{.ContainersRunning}}`, `{{.CgroupVersion}}`, `{{.DockerRootDir}}`…).
pub(super) fn info(paths: &store::Paths, format: Option<&str>) -> Result<i32> {
    let format = Format::parse("info", format, true)?;
    let doc = crate::engine::views::info(paths)?;
    let count = |key: &str| doc[key].as_u64().unwrap_or(0);
    let (all, running, paused) = (
        count("Containers"),
        count("ContainersRunning"),
        count("ContainersPaused"),
    );
    let images = count("Images");
    let (kernel, layout) = (
        doc["KernelVersion"].as_str().unwrap_or("").to_string(),
        doc["CgroupLayout"].as_str().unwrap_or("").to_string(),
    );
    if let Some(format) = format {
        print!("{}", format.render(&[doc], &[])?);
        return Ok(0);
    }
    println!("Containers: {all}");
    println!(" Running: {running}");
    println!(" Paused: {paused}");
    println!(" Stopped: {}", all - running - paused);
    println!("Images: {images}");
    println!("Storage Driver: overlay (one lower dir per layer, shared by chain ID)");
    println!("Logging Driver: json-file");
    println!("Cgroup Layout: {layout}");
    println!("Cgroup Driver: cgroupfs");
    println!("Kernel Version: {kernel}");
    println!("Architecture: {}", std::env::consts::ARCH);
    println!("Root Dir: {}", paths.root.display());
    println!("Run Dir: {}", paths.runroot.display());
    println!(
        "Default Capabilities: {}",
        confinement::capabilities::DEFAULT_CAPABILITIES.len()
    );
    // Docker's layout: each option's name, then its other fields indented below it.
    println!("Security Options:");
    for option in crate::mechanisms::security::INFO_OPTIONS {
        for (i, field) in option.split(',').enumerate() {
            let (key, value) = field.split_once('=').unwrap_or((field, ""));
            match i {
                0 => println!("  {value}"),
                _ => println!("   {}{}: {value}", key[..1].to_uppercase(), &key[1..]),
            }
        }
    }
    Ok(0)
}

/// `version`: one program is client and engine, so `Client` and `Server` (Docker's two
/// halves, which `--format '{{.Server.Version}}'` reads) hold the same.
pub(super) fn version(format: Option<&str>) -> Result<i32> {
    let format = Format::parse("version", format, true)?;
    let arch = super::containers::native_arch();
    if let Some(format) = format {
        let half = json!({
            "Version": env!("CARGO_PKG_VERSION"), "Os": "linux", "Arch": arch,
            "Platform": { "Name": "capstone (daemonless)" },
        });
        let doc = json!({ "Client": half, "Server": half });
        print!("{}", format.render(&[doc], &[])?);
        return Ok(0);
    }
    println!("Client and Engine: capstone (daemonless)");
    println!(" Version:    {}", env!("CARGO_PKG_VERSION"));
    println!(" OS/Arch:    linux/{arch}");
    Ok(0)
}

/// `doctor`: lesson 00's checks of this machine (kernel features, cgroup layout, overlayfs,
/// namespaces, tools), printed as `cargo doctor` prints them; exits 0 when nothing required is
/// missing.
pub(super) fn doctor() -> Result<i32> {
    let report = doctor::Report::new(doctor::run_all());
    print!("{}", report.to_human(false));
    Ok(i32::from(report.exit_code()))
}

/// `system df`: images (the layer blobs of every image a tag or a container names, each
/// shared layer counted once, as Docker does) and containers (their upper layers).
pub(super) fn df(paths: &store::Paths) -> Result<i32> {
    let store = paths.store()?;
    let containers = crate::engine::reconcile::list_observed(paths)?;
    let mut manifests: std::collections::BTreeSet<String> =
        store.tags()?.values().map(|d| d.to_string()).collect();
    manifests.extend(containers.iter().map(|c| c.image_manifest.clone()));
    let (mut all_layers, mut used_layers) = (HashMap::new(), HashMap::new());
    let mut images = 0;
    let mut active_images = 0;
    for manifest in &manifests {
        let found = manifest.parse().ok().map(|d| store.image_by_digest(&d));
        let Some(Ok(image)) = found else {
            continue; // a container whose image is gone altogether
        };
        images += 1;
        let used = containers.iter().any(|c| c.image_manifest == *manifest);
        active_images += usize::from(used);
        for l in &image.layers {
            all_layers.insert(l.digest.clone(), l.size);
            if used {
                used_layers.insert(l.digest.clone(), l.size);
            }
        }
    }
    let image_size: u64 = all_layers.values().sum();
    let used_size: u64 = used_layers.values().sum();
    let mut container_size = 0;
    let mut stopped_size = 0;
    for c in &containers {
        let size = overlay::tree::disk_usage(&c.rootfs.upper_dir).unwrap_or(0);
        container_size += size;
        if !c.is_active() {
            stopped_size += size;
        }
    }
    let active = containers.iter().filter(|c| c.is_active()).count();
    let rows = vec![
        vec![
            "Images".into(),
            images.to_string(),
            active_images.to_string(),
            table::human_size(image_size),
            table::human_size(image_size - used_size),
        ],
        vec![
            "Containers".into(),
            containers.len().to_string(),
            active.to_string(),
            table::human_size(container_size),
            table::human_size(stopped_size),
        ],
        super::volume::df_row(paths)?,
    ];
    print!(
        "{}",
        table::render(&["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], &rows)
    );
    Ok(0)
}

/// `system prune -f`: the engine's prunes in Docker's order — stopped containers (and the
/// directories a killed `create` left), then the networks no remaining container is on, with
/// `volumes` unused anonymous volumes, then the image store's garbage
/// ([`crate::Engine::prune_images`]: tagged images, and those of remaining containers, are
/// kept), then the build cache's entries for the step images that sweep removed.
pub(super) fn prune(engine: &crate::Engine, force: bool, volumes: bool) -> Result<i32> {
    confirm(
        force,
        "system prune",
        "removes all stopped containers and unused networks",
    )?;
    let containers = engine.prune_containers()?;
    print_removed("Deleted Containers:", &containers.removed);
    print_removed("Deleted Networks:", &engine.prune_networks()?);
    let mut reclaimed = containers.reclaimed;
    if volumes {
        let (names, freed) = engine.prune_volumes(false)?;
        print_removed("Deleted Volumes:", &names);
        reclaimed += freed;
    }
    let images = engine.prune_images(false)?;
    print_removed("Deleted Images:", &images.removed);
    reclaimed += images.reclaimed;
    let cache = engine.prune_build_cache(false)?;
    print_removed("Deleted build cache objects:", &cache.removed);
    reclaimed += cache.reclaimed;
    println!("Total reclaimed space: {}", table::human_size(reclaimed));
    Ok(0)
}

/// `container prune -f`: Docker's report of what went.
pub(super) fn prune_containers(engine: &crate::Engine, force: bool) -> Result<i32> {
    confirm(force, "container prune", "removes all stopped containers")?;
    let pruned = engine.prune_containers()?;
    print_pruned("Deleted Containers:", &pruned);
    Ok(0)
}

/// `image prune -f [-a]`: Docker's report of what went.
pub(super) fn prune_images(engine: &crate::Engine, all: bool, force: bool) -> Result<i32> {
    confirm(force, "image prune", "removes image data no tag names")?;
    let pruned = engine.prune_images(all)?;
    print_pruned("Deleted Images:", &pruned);
    Ok(0)
}

/// Refuses a prune without `-f`: Docker would ask on the terminal; this front end does not ask.
pub(super) fn confirm(force: bool, verb: &'static str, what: &str) -> Result<()> {
    if force {
        return Ok(());
    }
    Err(Error::invalid(
        verb,
        "",
        format!("this {what}: pass -f to confirm (there is no prompt)"),
    ))
}

fn print_pruned(title: &str, pruned: &crate::engine::prune::Pruned) {
    print_removed(title, &pruned.removed);
    println!(
        "Total reclaimed space: {}",
        table::human_size(pruned.reclaimed)
    );
}

/// Docker's list of what a prune removed: a title, a line each, a blank line; nothing at all
/// when nothing went.
pub(super) fn print_removed(title: &str, removed: &[String]) {
    if !removed.is_empty() {
        println!("{title}");
        removed.iter().for_each(|line| println!("{line}"));
        println!();
    }
}

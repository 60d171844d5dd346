//! `info`, `version`, `doctor`.

use super::table;
use crate::{Error, Result, lifecycle, state};

pub(super) fn info(paths: &state::Paths) -> Result<i32> {
    let all = state::list(paths)?;
    let running = all
        .iter()
        .filter(|c| c.state.running && !c.state.paused)
        .count();
    let paused = all.iter().filter(|c| c.state.paused).count();
    let store = paths.store()?;
    let images = store.tags()?.len();
    let layout = cgroups::Hierarchy::detect()
        .map(|h| format!("{:?}", h.layout()))
        .unwrap_or_else(|e| format!("unknown ({e})"));
    let uname = nix::sys::utsname::uname().ok();
    let kernel = uname
        .as_ref()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    println!("Containers: {}", all.len());
    println!(" Running: {running}");
    println!(" Paused: {paused}");
    println!(" Stopped: {}", all.len() - running - paused);
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
        crate::security::DEFAULT_CAPABILITIES.len()
    );
    Ok(0)
}

pub(super) fn version() -> Result<i32> {
    println!("Client and Engine: capstone (daemonless)");
    println!(" Version:    {}", env!("CARGO_PKG_VERSION"));
    println!(" OS/Arch:    linux/{}", super::containers::native_arch());
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

/// `system df`: images (their layer blobs) and containers (their upper layers).
pub(super) fn df(paths: &state::Paths) -> Result<i32> {
    let store = paths.store()?;
    let containers = state::list(paths)?;
    let mut image_size = 0;
    let mut used_size = 0;
    let tags = store.tags()?;
    let mut active_images = 0;
    for digest in tags.values() {
        let image = store.image_by_digest(digest)?;
        let size: u64 = image.layers.iter().map(|l| l.size).sum();
        image_size += size;
        if containers
            .iter()
            .any(|c| c.image_manifest == digest.to_string())
        {
            active_images += 1;
            used_size += size;
        }
    }
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
            tags.len().to_string(),
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
    ];
    print!(
        "{}",
        table::render(&["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], &rows)
    );
    Ok(0)
}

/// `system prune -f`: removes every stopped container, and container directories that have no
/// record (what a `create` killed half-way leaves). Images are kept.
pub(super) fn prune(paths: &state::Paths, force: bool) -> Result<i32> {
    if !force {
        return Err(Error::invalid(
            "system prune",
            "",
            "this removes all stopped containers: pass -f to confirm (there is no prompt)",
        ));
    }
    let mut reclaimed = 0;
    let mut deleted = Vec::new();
    for c in state::list(paths)?.into_iter().filter(|c| !c.is_active()) {
        reclaimed += overlay::tree::disk_usage(&paths.container_dir(&c.id)).unwrap_or(0);
        lifecycle::rm(paths, &c, false)?;
        deleted.push(c.id);
    }
    let dir = paths.containers();
    for entry in std::fs::read_dir(&dir)
        .map_err(Error::io("list", &dir))?
        .flatten()
    {
        let path = entry.path();
        let id = entry.file_name().to_string_lossy().into_owned();
        if !paths.record(&id).exists() {
            let _lock = paths.lock(&id)?; // not a create in progress: it would hold the names lock
            let _names = paths.lock_names()?;
            if !paths.record(&id).exists() {
                reclaimed += overlay::tree::disk_usage(&path).unwrap_or(0);
                std::fs::remove_dir_all(&path).map_err(Error::io("remove", &path))?;
                deleted.push(id);
            }
        }
    }
    if !deleted.is_empty() {
        println!("Deleted Containers:");
        for id in &deleted {
            println!("{id}");
        }
        println!();
    }
    println!("Total reclaimed space: {}", table::human_size(reclaimed));
    Ok(0)
}

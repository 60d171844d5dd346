//! `info`, `version`, `doctor`.

use crate::{Result, state};

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

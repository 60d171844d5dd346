//! Builds the dmz (`dmz/dmz.rs`): a static program of a few kilobytes with no standard
//! library, compiled by the same rustc that builds this crate and linked with no C runtime.
//! `src/dmz.rs` embeds the result (include_bytes!).

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("dmz");
    let lesson01_src = manifest.join("../01-namespaces/src");
    for watched in ["dmz", "../01-namespaces/src/exec_meanings.rs"] {
        println!(
            "cargo:rerun-if-changed={}",
            manifest.join(watched).display()
        );
    }
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if arch != "x86_64" && arch != "aarch64" {
        // No entry point written for this machine: the crate builds, the dmz is refused at
        // run time with a clear error (src/dmz.rs).
        std::fs::write(&out, b"").expect("write OUT_DIR/dmz");
        return;
    }
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let target = std::env::var("TARGET").expect("cargo sets it");
    let status = Command::new(rustc)
        .env("KIT_LESSON01_SRC", &lesson01_src)
        .args([
            "--edition=2024",
            "--crate-type=bin",
            "--crate-name=dmz",
            "--target",
            &target,
        ])
        .args([
            "-Cpanic=abort",
            "-Copt-level=s",
            "-Cstrip=symbols",
            "-Crelocation-model=static",
        ])
        .args([
            "-Clink-arg=-nostdlib",
            "-Clink-arg=-static",
            "-Clink-arg=-nostartfiles",
        ])
        .arg("-o")
        .arg(&out)
        .arg(manifest.join("dmz/dmz.rs"))
        .status()
        .expect("run rustc for the dmz");
    assert!(status.success(), "building the dmz failed: {status}");
}

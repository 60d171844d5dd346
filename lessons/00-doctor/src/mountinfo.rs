//! The mount table as the kernel reports it: `/proc/PID/mountinfo` (proc(5)).
//!
//! Each line describes one mount: ids, the mount point, its options, then ` - `, the filesystem
//! type, the source and the superblock's options, e.g.
//!
//! ```text
//! 35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
//! ```
//!
//! Unlike `/proc/mounts`, mountinfo marks the end of the optional fields with ` - `, so it
//! parses unambiguously. Paths escape spaces and a few other bytes as octal (`\040`).

use std::path::PathBuf;

/// One line of `/proc/self/mountinfo` (the fields the doctor needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Where it is mounted (field 5, with `\040`-style escapes decoded).
    pub mount_point: PathBuf,
    /// The filesystem type after the ` - ` separator (`cgroup`, `cgroup2`, `tmpfs`…).
    pub fs_type: String,
    /// The per-superblock options (last field); for cgroup v1 they name the controllers.
    pub super_options: Vec<String>,
}

/// Parses `/proc/PID/mountinfo` text (proc(5)); malformed lines are skipped.
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let mount_point = before.split(' ').nth(4)?;
            let mut after = after.split(' ');
            let fs_type = after.next()?.to_string();
            let _source = after.next()?;
            let super_options = after.next()?.split(',').map(str::to_string).collect();
            Some(Mount {
                mount_point: PathBuf::from(unescape(mount_point)),
                fs_type,
                super_options,
            })
        })
        .collect()
}

/// Decodes the octal escapes (`\040` for a space) mountinfo uses in paths.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| {
            std::str::from_utf8(d)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 8).ok())
        });
        match (bytes[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

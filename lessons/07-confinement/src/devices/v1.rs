//! cgroup v1 device rules: two write-only files. Writing `a` to `devices.deny` empties the
//! allow list (everything denied); each line written to `devices.allow` adds an exception
//! (`c 1:3 rwm`: read, write and mknod of character device 1:3). The kernel checks the list
//! at mknod(2) and open(2) (the kernel's `Documentation/admin-guide/cgroup-v1/devices.rst`).

use super::Rule;
use crate::Result;
use crate::error::io;
use std::path::Path;

// ANCHOR: apply
/// Denies every device in the cgroup at `dir`, then allows each rule (a deny rule is
/// written to `devices.deny` instead).
pub fn apply(dir: &Path, rules: &[Rule]) -> Result<()> {
    write(&dir.join("devices.deny"), "a")?;
    for rule in rules {
        let file = if rule.allow {
            "devices.allow"
        } else {
            "devices.deny"
        };
        write(&dir.join(file), &rule.to_v1())?;
    }
    Ok(())
}
// ANCHOR_END: apply

fn write(path: &Path, line: &str) -> Result<()> {
    std::fs::write(path, line).map_err(|e| {
        io(path)(std::io::Error::new(
            e.kind(),
            format!("writing `{line}`: {e}"),
        ))
    })
}

/// The allow list as the kernel shows it (`devices.list`), one rule per line.
pub fn list(dir: &Path) -> Result<String> {
    let path = dir.join("devices.list");
    std::fs::read_to_string(&path).map_err(io(&path))
}

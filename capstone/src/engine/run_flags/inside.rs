//! The flags that reach into the kernel for the container: tmpfs mounts, resource limits,
//! device nodes and sysctls — each checked as Docker (or runc) checks it, so a bad value is
//! refused at `create` with what to give instead, never found out at start.

use super::destination;
use crate::model::run_flags::{Device, ULIMITS, Ulimit};
use crate::{Error, Result};
use std::os::unix::fs::FileTypeExt;

/// tmpfs(5) options Docker passes on: the mount flags and `size`, `mode`, `uid`, `gid`,
/// `nr_inodes`.
pub(super) fn check_tmpfs_options(value: &str, options: &str) -> Result<()> {
    const FLAGS: &[&str] = &[
        "rw", "ro", "exec", "noexec", "suid", "nosuid", "dev", "nodev",
    ];
    const DATA: &[&str] = &["size", "mode", "uid", "gid", "nr_inodes", "nr_blocks"];
    for opt in options.split(',').filter(|o| !o.is_empty()) {
        let key = opt.split_once('=').map_or(opt, |(k, _)| k);
        if !FLAGS.contains(&opt) && !DATA.contains(&key) {
            return Err(Error::invalid(
                "--tmpfs",
                value,
                format!(
                    "unknown option {opt:?}: use rw, ro, [no]exec, [no]suid, [no]dev, size=, mode=, uid=, gid=, nr_inodes="
                ),
            ));
        }
    }
    Ok(())
}

/// `--mount type=tmpfs,target=DEST[,tmpfs-size=BYTES][,tmpfs-mode=OCTAL][,readonly]`.
pub(super) fn tmpfs_mount(value: &str) -> Result<(String, String)> {
    let bad = |why: String| Error::invalid("--mount", value, why);
    let (mut dest, mut options) = (None, Vec::new());
    for kv in value.split(',') {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        match k {
            "type" => {}
            "target" | "dst" | "destination" => dest = Some(v),
            "tmpfs-size" => options.push(format!(
                "size={}",
                cgroups::limits::parse_size(v, "tmpfs-size")?
            )),
            "tmpfs-mode" => {
                u32::from_str_radix(v, 8)
                    .map_err(|_| bad(format!("tmpfs-mode {v:?} is not octal")))?;
                options.push(format!("mode={v}"));
            }
            "readonly" | "ro" if matches!(v, "" | "true" | "1") => options.push("ro".into()),
            _ => {
                return Err(bad(format!(
                    "unknown tmpfs key {k:?}: use target, tmpfs-size, tmpfs-mode, readonly"
                )));
            }
        }
    }
    let dest = dest.ok_or_else(|| bad("a tmpfs mount needs target=".into()))?;
    Ok((destination("--mount", value, dest)?, options.join(",")))
}

/// `NAME=SOFT[:HARD]`; refused above the engine's own hard limit, which it could not raise
/// without `CAP_SYS_RESOURCE` (capabilities(7)) — the container would fail to start.
pub(super) fn ulimit(value: &str) -> Result<Ulimit> {
    let bad = |why: String| Error::invalid("--ulimit", value, why);
    let (name, limits) = value
        .split_once('=')
        .ok_or_else(|| bad("expected NAME=SOFT[:HARD], e.g. nofile=1024:2048".into()))?;
    let resource = ULIMITS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, r)| *r)
        .ok_or_else(|| bad(format!("unknown limit {name:?}: one of core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack")))?;
    let number = |s: &str| s.parse::<i64>().ok().filter(|n| *n >= -1);
    let (soft, hard) = match limits.split_once(':') {
        Some((s, h)) => (number(s), number(h)),
        None => (number(limits), number(limits)),
    };
    let (Some(soft), Some(hard)) = (soft, hard) else {
        return Err(bad("limits are numbers (-1: unlimited)".into()));
    };
    let as_rlim = |n: i64| if n < 0 { libc::RLIM_INFINITY } else { n as u64 };
    if as_rlim(soft) > as_rlim(hard) {
        return Err(bad(format!(
            "the soft limit {soft} is above the hard limit {hard}"
        )));
    }
    let (_, own_hard) =
        nix::sys::resource::getrlimit(resource).map_err(Error::sys("getrlimit(2)"))?;
    if as_rlim(hard) > own_hard {
        return Err(bad(format!(
            "the hard limit is above the engine's own ({own_hard}), which it cannot raise without CAP_SYS_RESOURCE: give at most {name}={own_hard}"
        )));
    }
    Ok(Ulimit {
        name: name.into(),
        soft,
        hard,
    })
}

/// `HOST[:CONTAINER[:PERMISSIONS]]`: the host path must be a device node.
pub(super) fn device(value: &str) -> Result<Device> {
    let bad = |why: String| Error::invalid("--device", value, why);
    let parts: Vec<&str> = value.split(':').collect();
    let (host, inside, perms) = match parts.as_slice() {
        [h] => (*h, *h, "rwm"),
        [h, p] if p.chars().all(|c| "rwm".contains(c)) => (*h, *h, *p),
        [h, c] => (*h, *c, "rwm"),
        [h, c, p] => (*h, *c, *p),
        _ => return Err(bad("expected HOST[:CONTAINER[:PERMISSIONS]]".into())),
    };
    if perms.is_empty() || !perms.chars().all(|c| "rwm".contains(c)) {
        return Err(bad(format!("permissions {perms:?} are letters of rwm")));
    }
    let kind = std::fs::metadata(host)
        .map_err(|e| bad(format!("{host}: {e}")))?
        .file_type();
    if !kind.is_char_device() && !kind.is_block_device() {
        return Err(bad(format!("{host} is not a device node")));
    }
    Ok(Device {
        path_on_host: host.into(),
        path_in_container: destination("--device", value, inside)?,
        cgroup_permissions: perms.into(),
    })
}

/// runc's rule: only sysctls of a namespace the container has of its own (IPC: `kernel.msg*`,
/// `kernel.sem`, `kernel.shm*`, `fs.mqueue.*`; network: `net.*`; UTS: `kernel.domainname`).
pub(super) fn check_sysctl(key: &str, network_mode: &str) -> Result<()> {
    const IPC: &[&str] = &[
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
    ];
    if IPC.contains(&key) || key.starts_with("fs.mqueue.") || key == "kernel.domainname" {
        return Ok(());
    }
    if key.starts_with("net.") {
        if network_mode == "host" {
            return Err(Error::invalid(
                "--sysctl",
                key,
                "not allowed in the host's network namespace (--network host)",
            ));
        }
        return Ok(());
    }
    Err(Error::invalid(
        "--sysctl",
        key,
        "not in a separate kernel namespace: only kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, kernel.domainname and net.* can be set per container",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_namespaced_sysctls_pass() {
        assert!(check_sysctl("kernel.shmmax", "bridge").is_ok());
        assert!(check_sysctl("fs.mqueue.msg_max", "bridge").is_ok());
        assert!(check_sysctl("net.ipv4.ip_forward", "bridge").is_ok());
        assert!(check_sysctl("net.ipv4.ip_forward", "host").is_err());
        assert!(check_sysctl("vm.swappiness", "bridge").is_err());
        assert!(check_sysctl("kernel.hostname", "bridge").is_err());
    }

    #[test]
    fn ulimits_parse_as_docker_writes_them() {
        let u = ulimit("nofile=10:20").unwrap();
        assert_eq!((u.soft, u.hard), (10, 20));
        let u = ulimit("core=0").unwrap();
        assert_eq!((u.soft, u.hard), (0, 0));
        assert!(ulimit("nofile=20:10").is_err(), "soft above hard");
        assert!(ulimit("files=10").is_err(), "unknown name");
        assert!(ulimit("nofile").is_err());
        assert!(ulimit("nofile=x").is_err());
    }

    #[test]
    fn tmpfs_mounts_become_tmpfs_options() {
        let (dest, opts) =
            tmpfs_mount("type=tmpfs,target=/run/x/,tmpfs-size=1m,tmpfs-mode=700").unwrap();
        assert_eq!(
            (dest.as_str(), opts.as_str()),
            ("/run/x", "size=1048576,mode=700")
        );
        assert!(
            tmpfs_mount("type=tmpfs,tmpfs-size=1m").is_err(),
            "no target"
        );
        assert!(tmpfs_mount("type=tmpfs,target=/x,tmpfs-mode=9").is_err());
        assert!(check_tmpfs_options("/x:size=1m,exec", "size=1m,exec").is_ok());
        assert!(check_tmpfs_options("/x:bogus", "bogus").is_err());
    }
}

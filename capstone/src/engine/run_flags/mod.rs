//! Checking the `run`/`create` flags of [`RunFlags`] at `create`, before anything is written,
//! and turning them into the record's [`model::run_flags::RunFlags`]. Each rule is Docker's
//! (runc's, for sysctls); each refusal says what to give instead.
//!
//! [`model::run_flags::RunFlags`]: crate::model::run_flags::RunFlags

mod inside;

use crate::model::run_flags::RunFlags as Recorded;
use crate::{Error, Result};
use inside::{check_sysctl, check_tmpfs_options, device, tmpfs_mount, ulimit};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The flags as typed (parsed by [`check`]).
#[derive(Debug, Clone, Default)]
pub struct RunFlags {
    /// `-l KEY=VALUE` (or `KEY`, an empty value).
    pub labels: Vec<String>,
    /// `--label-file FILE`: `KEY=VALUE` lines.
    pub label_files: Vec<PathBuf>,
    /// `-P`.
    pub publish_all: bool,
    /// `--add-host NAME:IP`.
    pub add_hosts: Vec<String>,
    /// `--dns IP`.
    pub dns: Vec<String>,
    /// `--network-alias NAME`.
    pub network_aliases: Vec<String>,
    /// `--tmpfs DEST[:OPTIONS]`.
    pub tmpfs: Vec<String>,
    /// `--ulimit NAME=SOFT[:HARD]`.
    pub ulimits: Vec<String>,
    /// `--device HOST[:CONTAINER[:PERMISSIONS]]`.
    pub devices: Vec<String>,
    /// `--stop-signal`.
    pub stop_signal: Option<String>,
    /// `--stop-timeout` in seconds.
    pub stop_timeout: Option<u64>,
    /// `--shm-size`, e.g. `128m`.
    pub shm_size: Option<String>,
    /// `--sysctl KEY=VALUE`.
    pub sysctls: Vec<String>,
    /// `--group-add NAME|GID`.
    pub group_add: Vec<String>,
    /// `--log-opt KEY=VALUE`.
    pub log_opts: Vec<String>,
}

/// Checks every flag and returns what the record keeps. `network_mode` is `--network`'s
/// value; `mounts` are the `--mount` values, of which `type=tmpfs` ones are taken here.
pub fn check(flags: &RunFlags, network_mode: &str, mounts: &[String]) -> Result<Recorded> {
    let mut out = Recorded {
        publish_all: flags.publish_all,
        ..Recorded::default()
    };
    for host in &flags.add_hosts {
        let bad = |why: &str| Error::invalid("--add-host", host.as_str(), why);
        let (name, ip) = host
            .split_once(':')
            .or_else(|| host.split_once('='))
            .ok_or_else(|| bad("expected NAME:IP, e.g. db:10.0.0.5"))?;
        let gateway = ip == crate::model::run_flags::HOST_GATEWAY;
        if name.is_empty() || (ip.parse::<IpAddr>().is_err() && !gateway) {
            return Err(bad(
                "expected NAME:IP with an IPv4 or IPv6 address, or NAME:host-gateway",
            ));
        }
        out.extra_hosts.push(format!("{name}:{ip}"));
    }
    for dns in &flags.dns {
        dns.parse::<IpAddr>()
            .map_err(|_| Error::invalid("--dns", dns.as_str(), "not an IP address"))?;
        out.dns.push(dns.clone());
    }
    let hosts_files = !flags.add_hosts.is_empty() || !flags.dns.is_empty();
    if hosts_files && matches!(network_mode, "none" | "host") {
        // Only a networked container gets the engine's /etc/hosts and resolv.conf.
        return Err(Error::invalid(
            "--add-host/--dns",
            network_mode,
            "conflicting options: with --network none or host the container keeps the image's (or the host's) /etc/hosts and resolv.conf",
        ));
    }
    if !flags.network_aliases.is_empty() && matches!(network_mode, "" | "bridge" | "default") {
        return Err(Error::invalid(
            "--network-alias",
            flags.network_aliases.join(","),
            "network-scoped aliases are supported only on user-defined networks: add --network NAME",
        ));
    }
    out.network_aliases = flags.network_aliases.clone();
    for t in &flags.tmpfs {
        let (dest, options) = t.split_once(':').unwrap_or((t, ""));
        check_tmpfs_options(t, options)?;
        out.tmpfs
            .insert(destination("--tmpfs", t, dest)?, options.into());
    }
    for m in mounts.iter().filter(|m| is_tmpfs_mount(m)) {
        let (dest, options) = tmpfs_mount(m)?;
        out.tmpfs_from_mount.push(dest.clone());
        out.tmpfs.insert(dest, options);
    }
    for u in &flags.ulimits {
        out.ulimits.push(ulimit(u)?);
    }
    for d in &flags.devices {
        out.devices.push(device(d)?);
    }
    if let Some(size) = &flags.shm_size {
        out.shm_size = cgroups::limits::parse_size(size, "--shm-size")?;
    }
    for s in &flags.sysctls {
        let (key, value) = s
            .split_once('=')
            .ok_or_else(|| Error::invalid("--sysctl", s.as_str(), "expected KEY=VALUE"))?;
        check_sysctl(key, network_mode)?;
        out.sysctls.insert(key.into(), value.into());
    }
    out.group_add = flags.group_add.clone();
    for opt in &flags.log_opts {
        log_opt(&mut out, opt)?;
    }
    Ok(out)
}

/// Whether a `--mount` value is a tmpfs (taken by [`check`], not by the volume parser).
pub fn is_tmpfs_mount(value: &str) -> bool {
    value.split(',').any(|kv| kv == "type=tmpfs")
}

/// `-l` and `--label-file`, on top of the image's labels.
pub fn labels(
    flags: &RunFlags,
    image: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut out = image.clone();
    let mut lines = Vec::new();
    for file in &flags.label_files {
        let text = std::fs::read_to_string(file).map_err(Error::io("read label file", file))?;
        lines.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from),
        );
    }
    lines.extend(flags.labels.iter().cloned());
    out.extend(parse_labels("--label", &lines)?);
    Ok(out)
}

/// `KEY=VALUE` labels (a bare `KEY` gets an empty value, as in Docker).
pub fn parse_labels(flag: &'static str, labels: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for label in labels {
        let (k, v) = label.split_once('=').unwrap_or((label, ""));
        if k.is_empty() {
            return Err(Error::invalid(flag, label.as_str(), "expected KEY=VALUE"));
        }
        out.insert(k.into(), v.into());
    }
    Ok(out)
}

/// `--group-add`: numbers as they are, names looked up in the image's `/etc/group`
/// (`group_file`), as Docker does.
pub fn group_ids(names: &[String], group_file: &Path) -> Result<Vec<u32>> {
    let text = std::fs::read_to_string(group_file).unwrap_or_default();
    names
        .iter()
        .map(|name| {
            if let Ok(gid) = name.parse() {
                return Ok(gid);
            }
            text.lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.len() > 2 && f[0] == name)
                .and_then(|f| f[2].parse().ok())
                .ok_or_else(|| {
                    Error::invalid(
                        "--group-add",
                        name.as_str(),
                        "no such group in the image's /etc/group: give a number",
                    )
                })
        })
        .collect()
}

fn destination(flag: &'static str, value: &str, dest: &str) -> Result<String> {
    crate::model::volume_spec::clean_destination(value, dest)
        .map_err(|e| Error::invalid(flag, value, e.to_string()))
}

/// The json-file driver's `max-size` and `max-file`.
fn log_opt(out: &mut Recorded, opt: &str) -> Result<()> {
    let bad = |why: &str| Error::invalid("--log-opt", opt, why);
    let (key, value) = opt
        .split_once('=')
        .ok_or_else(|| bad("expected KEY=VALUE"))?;
    match key {
        "max-size" => out.log_max_size = cgroups::limits::parse_size(value, "max-size")?,
        "max-file" => {
            out.log_max_file = value
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| bad("max-file is a number, at least 1"))?;
        }
        _ => return Err(bad("the json-file log takes max-size and max-file")),
    }
    out.log_opts.insert(key.into(), value.into());
    Ok(())
}

/// `-P`: the `-p` values, plus each port the image exposes that no `-p` publishes, on a
/// free host port (a bare `PORT/PROTO` value).
pub fn publish_all(
    flags: &RunFlags,
    image: &oci_spec::image::ImageConfiguration,
    publish: &[String],
) -> Vec<String> {
    let mut out = publish.to_vec();
    if !flags.publish_all {
        return out;
    }
    let exposed = image
        .config()
        .as_ref()
        .and_then(|c| c.exposed_ports().clone())
        .unwrap_or_default();
    let published: Vec<String> = (publish.iter())
        .filter_map(|p| crate::model::ports::PortBinding::parse(p).ok())
        .map(|b| b.key())
        .collect();
    for port in exposed {
        let key = if port.contains('/') {
            port
        } else {
            format!("{port}/tcp")
        };
        if !published.contains(&key) {
            out.push(key);
        }
    }
    out
}

/// The image's `Labels`.
pub fn image_labels(image: &oci_spec::image::ImageConfiguration) -> BTreeMap<String, String> {
    (image.config().as_ref())
        .and_then(|c| c.labels().clone())
        .map(|l| l.into_iter().collect())
        .unwrap_or_default()
}

//! The `run` flags that shape a container's inside beyond its process and limits: extra
//! `/etc/hosts` lines and name servers, tmpfs mounts, resource limits (setrlimit(2)), device
//! nodes, the size of `/dev/shm`, namespaced sysctls, supplementary groups and the log's
//! rotation. Kept as one record inside the container record's `HostConfig`; `inspect`
//! shows each under Docker's own name (`HostConfig.Tmpfs`, `HostConfig.Ulimits`, …).

use nix::sys::resource::Resource;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Docker's default size of `/dev/shm` (64 MiB), what lesson 01 mounts.
pub const DEFAULT_SHM_SIZE: u64 = 64 << 20;

/// Docker's special `--add-host` address: the host, as the container reaches it (its
/// network's gateway).
pub const HOST_GATEWAY: &str = "host-gateway";

/// Everything `create` decided from these flags; stored with the container.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", default)]
pub struct RunFlags {
    /// `--add-host name:ip`, as `name:ip` (Docker's `ExtraHosts`).
    pub extra_hosts: Vec<String>,
    /// `--dns ADDRESS`: the name servers of the container's resolv.conf.
    pub dns: Vec<String>,
    /// `--network-alias`: more names for the container on user-defined networks.
    pub network_aliases: Vec<String>,
    /// `--tmpfs DEST[:OPTIONS]` and `--mount type=tmpfs`: destination → mount options.
    pub tmpfs: BTreeMap<String, String>,
    /// Which of [`RunFlags::tmpfs`] came from `--mount type=tmpfs` (Docker lists those under
    /// `Mounts`, the others under `HostConfig.Tmpfs`).
    pub tmpfs_from_mount: Vec<String>,
    /// `--ulimit name=soft[:hard]`.
    pub ulimits: Vec<Ulimit>,
    /// `--device HOST[:CONTAINER[:PERMISSIONS]]`.
    pub devices: Vec<Device>,
    /// `--shm-size` in bytes (0: [`DEFAULT_SHM_SIZE`]).
    pub shm_size: u64,
    /// `--sysctl key=value`, namespaced keys only.
    pub sysctls: BTreeMap<String, String>,
    /// `--group-add` as given (names or numbers).
    pub group_add: Vec<String>,
    /// The group ids `--group-add` resolved to in the image's `/etc/group`.
    pub group_ids: Vec<u32>,
    /// `--log-opt max-size=…`: rotate the json log past this many bytes (0: never).
    pub log_max_size: u64,
    /// `--log-opt max-file=N`: how many log files to keep, the current one included.
    pub log_max_file: u32,
    /// `--log-opt` as given.
    pub log_opts: BTreeMap<String, String>,
    /// `-P`: every exposed port was published on a free host port.
    pub publish_all: bool,
}

/// One resource limit: setrlimit(2)'s `RLIMIT_<NAME>` (-1: unlimited).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Ulimit {
    /// Docker's name: `nofile`, `nproc`, `core`, `stack`, …
    pub name: String,
    /// The soft limit, what the process sees as its limit.
    pub soft: i64,
    /// The hard limit, the ceiling the process may raise its soft limit to.
    pub hard: i64,
}

/// One device node made available inside (Docker's `HostConfig.Devices`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Device {
    /// The node on the host, e.g. `/dev/null`.
    pub path_on_host: String,
    /// Where it appears inside.
    pub path_in_container: String,
    /// `rwm`: read, write, mknod (as in the devices cgroup).
    pub cgroup_permissions: String,
}

/// setrlimit(2)'s resources under Docker's names.
pub const ULIMITS: &[(&str, Resource)] = &[
    ("core", Resource::RLIMIT_CORE),
    ("cpu", Resource::RLIMIT_CPU),
    ("data", Resource::RLIMIT_DATA),
    ("fsize", Resource::RLIMIT_FSIZE),
    ("locks", Resource::RLIMIT_LOCKS),
    ("memlock", Resource::RLIMIT_MEMLOCK),
    ("msgqueue", Resource::RLIMIT_MSGQUEUE),
    ("nice", Resource::RLIMIT_NICE),
    ("nofile", Resource::RLIMIT_NOFILE),
    ("nproc", Resource::RLIMIT_NPROC),
    ("rss", Resource::RLIMIT_RSS),
    ("rtprio", Resource::RLIMIT_RTPRIO),
    ("rttime", Resource::RLIMIT_RTTIME),
    ("sigpending", Resource::RLIMIT_SIGPENDING),
    ("stack", Resource::RLIMIT_STACK),
];

impl RunFlags {
    /// The size `/dev/shm` gets.
    pub fn shm_bytes(&self) -> u64 {
        if self.shm_size == 0 {
            DEFAULT_SHM_SIZE
        } else {
            self.shm_size
        }
    }

    /// Adds these flags to `inspect`'s `HostConfig` object, under Docker's names and with
    /// Docker's `null` for "not given".
    pub fn add_to_inspect(&self, host_config: &mut Value) {
        let some = |empty: bool, v: Value| if empty { Value::Null } else { v };
        let log_type = json!({"Type": "json-file", "Config": self.log_opts});
        let Some(map) = host_config.as_object_mut() else {
            return;
        };
        map.insert(
            "ExtraHosts".into(),
            some(self.extra_hosts.is_empty(), json!(self.extra_hosts)),
        );
        map.insert("Dns".into(), json!(self.dns));
        let tmpfs: BTreeMap<&String, &String> = (self.tmpfs.iter())
            .filter(|(dest, _)| !self.tmpfs_from_mount.contains(dest))
            .collect();
        map.insert("Tmpfs".into(), some(tmpfs.is_empty(), json!(tmpfs)));
        map.insert(
            "Ulimits".into(),
            some(self.ulimits.is_empty(), json!(self.ulimits)),
        );
        map.insert("Devices".into(), json!(self.devices));
        map.insert("ShmSize".into(), json!(self.shm_bytes()));
        map.insert(
            "Sysctls".into(),
            some(self.sysctls.is_empty(), json!(self.sysctls)),
        );
        map.insert(
            "GroupAdd".into(),
            some(self.group_add.is_empty(), json!(self.group_add)),
        );
        map.insert("LogConfig".into(), log_type);
        map.insert("PublishAllPorts".into(), json!(self.publish_all));
    }
}

/// `inspect`'s `Mounts` entries for the `--mount type=tmpfs` ones, as Docker lists them.
pub fn tmpfs_mounts_json(flags: &RunFlags) -> Vec<Value> {
    (flags.tmpfs_from_mount.iter())
        .map(|dest| {
            let ro = flags
                .tmpfs
                .get(dest)
                .is_some_and(|o| o.split(',').any(|f| f == "ro"));
            json!({
                "Type": "tmpfs", "Source": "", "Destination": dest, "Mode": "", "RW": !ro,
                "Propagation": "",
            })
        })
        .collect()
}

/// Whether `labels` pass a `label=KEY` or `label=KEY=VALUE` filter (the part after `label=`),
/// as Docker's `--filter label=` matches on `ps`, `images`, `volume ls` and `network ls`.
pub fn labels_match(labels: &BTreeMap<String, String>, wanted: &str) -> bool {
    match wanted.split_once('=') {
        Some((key, value)) => labels.get(key).is_some_and(|v| v == value),
        None => labels.contains_key(wanted),
    }
}

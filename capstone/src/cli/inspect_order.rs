//! `inspect` prints keys in Docker's order (`Id`, `Created`, `Path`, `Args`, `State`, …), not
//! alphabetically. The documents are built as `serde_json::Value`s, whose maps sort their keys;
//! rather than turning every field into a struct, [`InOrder`] serializes a `Value` with the
//! keys of each object ranked by the table for where it sits. Keys a table does not list (our
//! own, or ones added later) follow, alphabetically, so nothing is ever dropped.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

const CONTAINER: &str = "\
    Id Created Path Args State Image ResolvConfPath HostnamePath HostsPath LogPath Name \
    RestartCount Driver Platform MountLabel ProcessLabel AppArmorProfile ExecIDs HostConfig \
    GraphDriver Mounts Config NetworkSettings";
const IMAGE: &str = "\
    Id RepoTags RepoDigests Parent Comment Created DockerVersion Author Config Architecture \
    Variant Os Size GraphDriver RootFS Metadata";
const STATE: &str = "\
    Status Running Paused Restarting OOMKilled Dead Pid ExitCode Error StartedAt FinishedAt \
    Health";
const CONFIG: &str = "\
    Hostname Domainname User AttachStdin AttachStdout AttachStderr ExposedPorts Tty \
    OpenStdin StdinOnce Env Cmd Healthcheck Image Volumes WorkingDir Entrypoint OnBuild \
    Labels StopSignal";
const HOST_CONFIG: &str = "\
    Binds ContainerIDFile LogConfig NetworkMode PortBindings RestartPolicy AutoRemove \
    VolumeDriver VolumesFrom ConsoleSize CapAdd CapDrop CgroupnsMode Dns DnsOptions \
    DnsSearch ExtraHosts GroupAdd IpcMode Cgroup Links OomScoreAdj PidMode Privileged \
    PublishAllPorts ReadonlyRootfs SecurityOpt UTSMode UsernsMode ShmSize Runtime Isolation \
    CpuShares Memory NanoCpus CgroupParent PidsLimit Mounts Init";
const GRAPH_DRIVER: &str = "Data Name";
const NETWORK_SETTINGS: &str = "\
    Bridge SandboxID SandboxKey Ports EndpointID Gateway IPAddress IPPrefixLen MacAddress \
    Networks";
const ENDPOINT: &str = "\
    IPAMConfig Links Aliases MacAddress DriverOpts NetworkID EndpointID Gateway IPAddress \
    IPPrefixLen DNSNames";
const MOUNT: &str = "Type Name Source Destination Driver Mode RW Propagation";
const ROOTFS: &str = "Type Layers";

/// A JSON value serialized with Docker's key order (see the module docs).
pub(super) struct InOrder<'a> {
    value: &'a Value,
    /// Docker's keys for this object, in order, separated by spaces.
    table: &'static str,
    key: &'a str,
}

impl<'a> InOrder<'a> {
    /// A whole `inspect` document: a container's (it has `State`) or an image's.
    pub(super) fn document(value: &'a Value) -> InOrder<'a> {
        let table = if value.get("State").is_some() {
            CONTAINER
        } else {
            IMAGE
        };
        InOrder {
            value,
            table,
            key: "",
        }
    }

    /// The order of the object found under `key`, inside an object found under `self.key`.
    fn child(&self, key: &'a str, value: &'a Value) -> InOrder<'a> {
        let table = match (self.key, key) {
            ("Networks", _) => ENDPOINT,
            (_, "State") => STATE,
            (_, "Config") => CONFIG,
            (_, "HostConfig") => HOST_CONFIG,
            (_, "GraphDriver") => GRAPH_DRIVER,
            (_, "NetworkSettings") => NETWORK_SETTINGS,
            ("", "Mounts") => MOUNT,
            (_, "RootFS") => ROOTFS,
            _ => "",
        };
        InOrder { value, table, key }
    }
}

impl Serialize for InOrder<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.value {
            Value::Object(map) => {
                let rank = |k: &str| self.table.split_whitespace().position(|t| t == k);
                let mut keys: Vec<&String> = map.keys().collect();
                // Listed keys by rank, then the rest (already alphabetical; the sort is stable).
                keys.sort_by_key(|k| rank(k).unwrap_or(usize::MAX));
                let mut out = serializer.serialize_map(Some(keys.len()))?;
                for key in keys {
                    out.serialize_entry(key, &self.child(key, &map[key]))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    // Elements are ordered like their array (`Mounts` entries by MOUNT).
                    out.serialize_element(&InOrder {
                        value: item,
                        table: self.table,
                        key: self.key,
                    })?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_keys_come_in_dockers_order_and_unknown_keys_last() {
        let doc = serde_json::json!({
            "Name": "/x", "Args": [], "Id": "1", "Zeta": 0, "Config": {"Image": "a", "Cmd": []},
            "State": {"Pid": 1, "Status": "running"}, "Created": "t", "Path": "sh",
            "Mounts": [{"Source": "/s", "Type": "bind"}],
        });
        let text = serde_json::to_string(&InOrder::document(&doc)).unwrap();
        assert_eq!(
            text,
            r#"{"Id":"1","Created":"t","Path":"sh","Args":[],"State":{"Status":"running","Pid":1},"Name":"/x","Mounts":[{"Type":"bind","Source":"/s"}],"Config":{"Cmd":[],"Image":"a"},"Zeta":0}"#
        );
    }
}

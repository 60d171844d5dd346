//! The Docker-shaped JSON documents both front ends show: `docker inspect` of a container or
//! an image, and the rows of the Engine API's lists (`GET /containers/json`, `/images/json`).
//! The CLI prints them (in Docker's key order); the Engine API daemon sends them. One place
//! builds them, so `capstone inspect` and `docker inspect` against `capstone daemon` agree.
//! Field names are the Engine API's (`ContainerInspectResponse`, `ContainerSummary`,
//! `ImageSummary` in <https://docs.docker.com/reference/api/engine/>).

use crate::model::container::Container;
use crate::store::image_refs as images_ref;
use crate::{Result, store};
use serde_json::{Value, json};

/// A container as `docker inspect` shows it (the fields this engine has).
pub fn container_json(paths: &store::Paths, c: &Container) -> Value {
    let mut doc = container_document(paths, c);
    // Docker leaves out what a container without a health check does not have.
    if c.config.healthcheck.is_none()
        && let Some(config) = doc["Config"].as_object_mut()
    {
        config.remove("Healthcheck");
    }
    if c.state.health.is_none()
        && let Some(state) = doc["State"].as_object_mut()
    {
        state.remove("Health");
    }
    doc
}

fn container_document(paths: &store::Paths, c: &Container) -> Value {
    let s = &c.state;
    let h = &c.host_config;
    let lowers: Vec<String> = c
        .rootfs
        .lower_dirs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut value = json!({
        "Id": c.id,
        "Created": c.created,
        "Path": c.config.args.first(),
        "Args": c.config.args.get(1..).unwrap_or_default(),
        "State": {
            // Docker counts a restarting container as running (with no pid).
            "Status": s.status, "Running": s.running || s.restarting, "Paused": s.paused,
            "Restarting": s.restarting,
            "OOMKilled": s.oom_killed, "Dead": false, "Pid": s.pid, "ExitCode": s.exit_code,
            "Error": s.error, "StartedAt": s.started_at, "FinishedAt": s.finished_at,
            "Health": s.health,
        },
        "Image": c.image,
        "LogPath": paths.log(&c.id),
        "Name": format!("/{}", c.name),
        "RestartCount": s.restart_count,
        "Driver": "overlay",
        "HostConfig": {
            "NetworkMode": h.network_mode, "AutoRemove": h.auto_remove, "ReadonlyRootfs": h.readonly_rootfs,
            "Memory": h.memory, "NanoCpus": h.nano_cpus, "PidsLimit": h.pids_limit,
            "CapAdd": h.cap_add, "CapDrop": h.cap_drop, "Privileged": h.privileged, "Init": h.init,
            // Docker shows null when no option was given.
            "SecurityOpt": (!h.security_opt.is_empty()).then_some(&h.security_opt),
            "CgroupParent": "", "Cgroup": c.cgroup,
            "PortBindings": crate::model::ports::ports_json(&h.port_bindings),
            "Binds": h.binds,
            "RestartPolicy": {
                "Name": if h.restart_policy.name.is_empty() { "no" } else { &h.restart_policy.name },
                "MaximumRetryCount": h.restart_policy.maximum_retry_count,
            },
        },
        "GraphDriver": {
            "Name": "overlay",
            "Data": {
                "LowerDir": lowers.join(":"), "UpperDir": c.rootfs.upper_dir,
                "WorkDir": c.rootfs.work_dir, "MergedDir": c.rootfs.merged_dir,
            },
        },
        "Mounts": c.mounts.iter().map(crate::model::mounts::MountPoint::to_json).collect::<Vec<_>>(),
        "Config": {
            "Hostname": c.config.hostname, "User": c.config.user, "Tty": c.config.tty,
            "OpenStdin": c.config.open_stdin, "Env": c.config.env, "Cmd": c.config.cmd,
            "Image": images_ref::familiar(&c.config.image), "WorkingDir": c.config.working_dir,
            "Entrypoint": c.config.entrypoint, "StopSignal": c.config.stop_signal,
            "Labels": c.config.labels,
            "Healthcheck": c.config.healthcheck,
            "ExposedPorts": c.config.exposed_ports.iter().map(|p| (p.clone(), json!({}))).collect::<serde_json::Map<_, _>>(),
        },
        "NetworkSettings": c.network_settings_json(),
    });
    h.run_flags.add_to_inspect(&mut value["HostConfig"]);
    if let Some(mounts) = value["Mounts"].as_array_mut() {
        mounts.extend(crate::model::run_flags::tmpfs_mounts_json(&h.run_flags));
    }
    value["Config"]["Labels"] = json!(c.config.labels);

    if let Some(t) = c.config.stop_timeout {
        value["Config"]["StopTimeout"] = json!(t);
    }
    value
}

/// An image as `docker image inspect` shows it.
pub fn image_json(store: &images::Store, image: &images::Image) -> Result<Value> {
    let config = serde_json::to_value(&image.config).expect("json");
    let tags: Vec<String> = images_ref::tags_of(store, image)?
        .iter()
        .map(|t| images_ref::familiar(t))
        .collect();
    let size: u64 = image.layers.iter().map(|l| l.size).sum();
    Ok(json!({
        "Id": image.config_digest.to_string(),
        "RepoTags": tags,
        "RepoDigests": [],
        "Created": config.get("created"),
        "Author": config.get("author").and_then(Value::as_str).unwrap_or(""),
        "Architecture": config.get("architecture"),
        "Os": config.get("os"),
        "Config": config.get("config"),
        "RootFS": config.get("rootfs"),
        "Size": size,
        "Manifest": image.digest.to_string(),
    }))
}

/// Seconds since the epoch of an RFC 3339 time (0 when it cannot be read), as the Engine
/// API's lists give `Created`.
fn unix_seconds(rfc3339: &str) -> i64 {
    crate::model::clock::parse(&rfc3339.replace("+00:00", "Z"))
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64)
}

/// A container's labels (`Config.Labels`), `{}` when it has none. Read through the record's
/// JSON, so that it holds whatever labels the record carries.
pub fn labels_of(c: &Container) -> Value {
    match serde_json::to_value(&c.config) {
        Ok(Value::Object(mut config)) => match config.remove("Labels") {
            Some(labels @ Value::Object(_)) => labels,
            _ => json!({}),
        },
        _ => json!({}),
    }
}

/// One row of `GET /containers/json` (what `docker ps` prints from): `Names` carry the
/// leading `/`, `Created` is in seconds, `Ports` lists each binding of a running container.
pub fn container_summary(c: &Container) -> Value {
    let ports: Vec<Value> = if c.is_active() {
        c.network_settings
            .ports
            .iter()
            .map(|b| {
                json!({ "IP": if b.host_ip.is_empty() { "0.0.0.0" } else { &b.host_ip },
                        "PrivatePort": b.container_port, "PublicPort": b.host_port, "Type": b.protocol })
            })
            .collect()
    } else {
        Vec::new()
    };
    let settings = c.network_settings_json();
    json!({
        "Id": c.id,
        "Names": [format!("/{}", c.name)],
        "Image": images_ref::familiar(&c.config.image),
        "ImageID": c.image,
        "Command": c.config.args.join(" "),
        "Created": unix_seconds(&c.created),
        "Ports": ports,
        "Labels": labels_of(c),
        "State": c.state.status,
        "Status": c.state.status_line(),
        "HostConfig": { "NetworkMode": c.host_config.network_mode },
        "NetworkSettings": { "Networks": settings["Networks"] },
        "Mounts": c.mounts.iter().map(crate::model::mounts::MountPoint::to_json).collect::<Vec<_>>(),
    })
}

/// The rows of `GET /images/json` (what `docker images` prints from): one per image that
/// `filter` lists, with the tags it lists it under in `RepoTags`.
pub fn image_summaries(
    store: &images::Store,
    filter: &super::image_filter::ImageFilter,
) -> Result<Vec<Value>> {
    let mut rows: Vec<(String, Value)> = Vec::new();
    for (_, digest) in store.tags()? {
        let image = store.image_by_digest(&digest)?;
        let id = image.config_digest.to_string();
        if rows.iter().any(|(seen, _)| *seen == id) {
            continue;
        }
        let all_tags: Vec<String> = images_ref::tags_of(store, &image)?
            .iter()
            .map(|t| images_ref::familiar(t))
            .collect();
        let tags = filter.shown_tags(&all_tags, &super::run_flags::image_labels(&image.config));
        if tags.is_empty() {
            continue;
        }
        let config = serde_json::to_value(&image.config).unwrap_or_default();
        let created = config.get("created").and_then(Value::as_str).unwrap_or("");
        let size: u64 = image.layers.iter().map(|l| l.size).sum();
        let labels = config["config"]["Labels"].clone();
        rows.push((
            id.clone(),
            json!({
                "Id": id, "ParentId": "", "RepoTags": tags, "RepoDigests": [],
                "Created": unix_seconds(created), "Size": size, "SharedSize": -1,
                "VirtualSize": size, "Labels": if labels.is_null() { json!({}) } else { labels },
                "Containers": -1,
            }),
        ));
    }
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

/// `docker info`'s document (`GET /info`, the Engine API's `SystemInfo`): counts of
/// containers and images, the storage and cgroup drivers, the kernel (uname(2)).
pub fn info(paths: &store::Paths) -> Result<Value> {
    let all = crate::engine::reconcile::list_observed(paths)?;
    let running = all
        .iter()
        .filter(|c| c.state.running && !c.state.paused)
        .count();
    let paused = all.iter().filter(|c| c.state.paused).count();
    let store = paths.store()?;
    let images = store.tags()?.len();
    let hierarchy = cgroups::Hierarchy::detect();
    let layout = hierarchy
        .as_ref()
        .map(|h| format!("{:?}", h.layout()))
        .unwrap_or_else(|e| format!("unknown ({e})"));
    let uname = nix::sys::utsname::uname().ok();
    let field = |f: fn(&nix::sys::utsname::UtsName) -> &std::ffi::OsStr| {
        uname
            .as_ref()
            .map(|u| f(u).to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let kernel = field(nix::sys::utsname::UtsName::release);
    Ok(json!({
        "Containers": all.len(), "ContainersRunning": running, "ContainersPaused": paused,
        "ContainersStopped": all.len() - running - paused, "Images": images,
        "Driver": "overlay", "LoggingDriver": "json-file", "CgroupDriver": "cgroupfs",
        "CgroupVersion": if layout == "Unified" { "2" } else { "1" }, "CgroupLayout": layout,
        "KernelVersion": kernel, "OSType": "linux", "Architecture": std::env::consts::ARCH,
        "NCPU": std::thread::available_parallelism().map(usize::from).unwrap_or(1),
        "Name": field(nix::sys::utsname::UtsName::nodename),
        "DockerRootDir": paths.root, "RunDir": paths.runroot,
        "ServerVersion": env!("CARGO_PKG_VERSION"),
        "SecurityOptions": crate::mechanisms::security::INFO_OPTIONS,
    }))
}

/// A network as `docker network inspect` shows it (`GET /networks/{id}`): Docker's field
/// names, and the containers plugged in with their addresses.
pub fn network_json(paths: &store::Paths, n: &crate::store::networks::NetworkInfo) -> Value {
    let mut containers = serde_json::Map::new();
    for c in crate::engine::reconcile::list_observed(paths).unwrap_or_default() {
        let Some(owner) = n
            .leases
            .iter()
            .find(|(_, o)| **o == crate::mechanisms::network::attach::owner(&c))
        else {
            continue;
        };
        let endpoint = c.network_settings.networks.get(&n.name);
        containers.insert(
            c.id.clone(),
            json!({
                "Name": c.name,
                "IPv4Address": format!("{}/{}", owner.0, n.subnet.prefix()),
                "MacAddress": endpoint.map(|e| e.mac_address.clone()).unwrap_or_default(),
                "IPv6Address": "",
            }),
        );
    }
    // dockerd shows the bridge's name only for its default network (or when `-o` set it);
    // compose 1.29 refuses to reuse a network whose options differ from the file's.
    let options = if n.name == "bridge" {
        json!({ "com.docker.network.bridge.name": n.bridge })
    } else {
        json!({})
    };
    json!({
        "Name": n.name, "Id": n.id, "Created": n.created, "Scope": "local", "Driver": "bridge",
        "EnableIPv6": false,
        "IPAM": { "Driver": "default", "Config": [
            { "Subnet": n.subnet.to_string(), "Gateway": n.subnet.gateway().to_string() }
        ] },
        "Internal": n.internal, "Attachable": true, "Labels": n.labels,
        "Containers": containers,
        "Options": options,
    })
}

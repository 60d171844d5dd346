//! `POST /containers/create`'s body (the Engine API's `ContainerConfig` with `HostConfig`
//! and `NetworkingConfig` inside) as the engine's [`CreateOptions`] — the same options the
//! CLI's flags make, so both front ends create containers one way. Fields we do not know are
//! ignored, as Docker ignores them; fields we know but cannot honour are refused with a 400
//! ([`refuse_unsupported`]).

use crate::engine::create::CreateOptions;
use crate::engine::run_flags::RunFlags;
use engineapi::{ApiError, Call};
use serde_json::Value;

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect(),
        Value::String(s) => vec![s.clone()], // Docker accepts a string for Cmd/Entrypoint too
        _ => Vec::new(),
    }
}

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(String::from)
}

/// `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}` as `-p` specs (`8080:80/tcp`).
fn publish(bindings: &Value) -> Vec<String> {
    let mut specs = Vec::new();
    for (port, hosts) in bindings.as_object().into_iter().flatten() {
        for host in hosts.as_array().into_iter().flatten() {
            let ip = host["HostIp"].as_str().unwrap_or("");
            let host_port = host["HostPort"].as_str().unwrap_or("");
            specs.push(match (ip, host_port) {
                ("", "") => port.clone(),
                ("", p) => format!("{p}:{port}"),
                (ip, p) => format!("{ip}:{p}:{port}"),
            });
        }
    }
    specs
}

/// `HostConfig.Mounts` items as `--mount` specs.
fn mounts(items: &Value) -> Vec<String> {
    let mut specs = Vec::new();
    for m in items.as_array().into_iter().flatten() {
        let mut parts = vec![format!("type={}", m["Type"].as_str().unwrap_or("volume"))];
        if let Some(source) = text(&m["Source"]) {
            parts.push(format!("source={source}"));
        }
        parts.push(format!("target={}", m["Target"].as_str().unwrap_or("")));
        if m["ReadOnly"].as_bool() == Some(true) {
            parts.push("readonly".into());
        }
        specs.push(parts.join(","));
    }
    specs
}

/// The create request as options (`name` from the query).
pub(super) fn options(call: &Call) -> Result<CreateOptions, ApiError> {
    let body = call.json()?;
    let host = &body["HostConfig"];
    let image = text(&body["Image"]).ok_or_else(|| {
        ApiError::bad_request(
            "config cannot be empty in order to create a container: Image is required",
        )
    })?;
    let mut command = strings(&body["Cmd"]);
    // The engine takes one entrypoint word; more words go before the command. `[""]` (or
    // `""`, or `[]`) clears the image's entrypoint; null keeps it.
    let entrypoint = if body["Entrypoint"].is_null() {
        None
    } else {
        let mut words: Vec<String> = strings(&body["Entrypoint"])
            .into_iter()
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() {
            Some(String::new())
        } else {
            let first = words.remove(0);
            words.append(&mut command);
            command = words;
            Some(first)
        }
    };
    let network = match host["NetworkMode"].as_str() {
        None | Some("" | "default") => None, // Docker: "default" is bridge
        Some(mode) => Some(mode.to_string()),
    };
    let memory = host["Memory"].as_u64().filter(|m| *m > 0);
    let nano_cpus = host["NanoCpus"].as_u64().filter(|n| *n > 0);
    let pids = host["PidsLimit"].as_i64().filter(|p| *p > 0);
    Ok(CreateOptions {
        image,
        command,
        name: call.query.get("name").filter(|n| !n.is_empty()).cloned(),
        env: strings(&body["Env"])
            .into_iter()
            .filter(|e| e.contains('='))
            .collect(),
        env_files: Vec::new(),
        workdir: text(&body["WorkingDir"]),
        user: text(&body["User"]),
        hostname: text(&body["Hostname"]),
        entrypoint,
        memory: memory.map(|m| m.to_string()),
        cpus: nano_cpus.map(|n| format!("{}", n as f64 / 1e9)),
        pids_limit: pids.map(|p| p.to_string()),
        read_only: host["ReadonlyRootfs"].as_bool().unwrap_or(false),
        tty: body["Tty"].as_bool().unwrap_or(false),
        interactive: body["OpenStdin"].as_bool().unwrap_or(false),
        rm: host["AutoRemove"].as_bool().unwrap_or(false),
        network_aliases: aliases(&body["NetworkingConfig"], network.as_deref()),
        extra_networks: extra_networks(&body["NetworkingConfig"], network.as_deref()),
        network,
        publish: publish(&host["PortBindings"]),
        cap_add: strings(&host["CapAdd"]),
        cap_drop: strings(&host["CapDrop"]),
        security_opt: strings(&host["SecurityOpt"]),
        privileged: host["Privileged"].as_bool().unwrap_or(false),
        init: host["Init"].as_bool().unwrap_or(false),
        volumes: strings(&host["Binds"]),
        mounts: mounts(&host["Mounts"]),
        labels: (body["Labels"].as_object().into_iter().flatten())
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        restart: restart_policy(&host["RestartPolicy"]),
        health_test: strings(&body["Healthcheck"]["Test"]),
        health_interval: nanoseconds(&body["Healthcheck"]["Interval"]),
        health_timeout: nanoseconds(&body["Healthcheck"]["Timeout"]),
        health_start_period: nanoseconds(&body["Healthcheck"]["StartPeriod"]),
        health_retries: (body["Healthcheck"]["Retries"].as_u64())
            .filter(|n| *n > 0)
            .map(|n| n.to_string()),
        expose: (body["ExposedPorts"].as_object().into_iter().flatten())
            .map(|(port, _)| port.clone())
            .collect(),
        run_flags: run_flags(&body, host)?,
        ..CreateOptions::default()
    })
}

/// The `HostConfig` fields (and `Config.StopSignal`/`StopTimeout`) that `capstone run`'s
/// flags of the same names set, written as those flags are typed, so that the engine checks
/// them one way: `ExtraHosts` (`--add-host`), `Dns`, `Tmpfs`, `Ulimits`, `Devices`, `ShmSize`,
/// `Sysctls`, `GroupAdd`, `LogConfig.Config` (`--log-opt`), `PublishAllPorts` (`-P`). Fields of
/// Docker's we cannot honour are refused ([`refuse_unsupported`]), not dropped.
fn run_flags(body: &Value, host: &Value) -> Result<RunFlags, ApiError> {
    refuse_unsupported(host)?;
    let entries = |v: &Value| -> Vec<(String, String)> {
        (v.as_object().into_iter().flatten())
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .collect()
    };
    let key_values = |v: &Value| -> Vec<String> {
        (entries(v).into_iter())
            .map(|(k, v)| format!("{k}={v}"))
            .collect()
    };
    // `{"/run": ""}` is `--tmpfs /run`; `{"/run": "size=1m"}` is `--tmpfs /run:size=1m`.
    let tmpfs = (entries(&host["Tmpfs"]).into_iter())
        .map(|(dest, opts)| {
            if opts.is_empty() {
                dest
            } else {
                format!("{dest}:{opts}")
            }
        })
        .collect();
    let ulimits = (host["Ulimits"].as_array().into_iter().flatten())
        .map(|u| {
            let name = u["Name"].as_str().unwrap_or("");
            format!("{name}={}:{}", u["Soft"], u["Hard"])
        })
        .collect();
    let devices = (host["Devices"].as_array().into_iter().flatten())
        .map(|d| {
            let on_host = d["PathOnHost"].as_str().unwrap_or("");
            let inside = text(&d["PathInContainer"]).unwrap_or_else(|| on_host.to_string());
            let perms = text(&d["CgroupPermissions"]).unwrap_or_else(|| "rwm".into());
            format!("{on_host}:{inside}:{perms}")
        })
        .collect();
    let log_type = host["LogConfig"]["Type"].as_str().unwrap_or("");
    if !matches!(log_type, "" | "json-file") {
        return Err(ApiError::bad_request(format!(
            "log driver {log_type:?} is not supported by capstone: its logs are json-file"
        )));
    }
    Ok(RunFlags {
        publish_all: host["PublishAllPorts"].as_bool().unwrap_or(false),
        add_hosts: strings(&host["ExtraHosts"]),
        dns: strings(&host["Dns"]),
        tmpfs,
        ulimits,
        devices,
        stop_signal: text(&body["StopSignal"]),
        stop_timeout: body["StopTimeout"].as_u64(),
        shm_size: (host["ShmSize"].as_u64())
            .filter(|n| *n > 0)
            .map(|n| n.to_string()),
        sysctls: key_values(&host["Sysctls"]),
        group_add: strings(&host["GroupAdd"]),
        log_opts: key_values(&host["LogConfig"]["Config"]),
        ..RunFlags::default()
    })
}

/// `HostConfig` fields that `docker run` sets from flags capstone does not have (`--dns-search`,
/// `--pid host`, `--cpu-shares`, …): a request that gives one a value other than the CLI's
/// default (null, 0, "", [], false) is refused with a 400 naming it, rather than run without it.
fn refuse_unsupported(host: &Value) -> Result<(), ApiError> {
    const UNSUPPORTED: [&str; 17] = [
        "DnsSearch",
        "DnsOptions",
        "PidMode",
        "IpcMode",
        "UTSMode",
        "UsernsMode",
        "CgroupParent",
        "CpuShares",
        "CpusetCpus",
        "CpusetMems",
        "CpuQuota",
        "CpuPeriod",
        "MemoryReservation",
        "MemorySwap",
        "OomKillDisable",
        "BlkioWeight",
        "Runtime",
    ];
    let set = |v: &Value| match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    };
    match UNSUPPORTED.iter().find(|field| set(&host[**field])) {
        Some(field) => Err(ApiError::bad_request(format!(
            "HostConfig.{field} is not supported by capstone: run without it"
        ))),
        None => Ok(()),
    }
}

/// `NetworkingConfig.EndpointsConfig[NETWORK].Aliases` for the container's own network
/// (`--network NET --network-alias A`); none on the default bridge, which has no names.
fn aliases(networking: &Value, network: Option<&str>) -> Vec<String> {
    match network {
        Some(name) if name != "bridge" => strings(&networking["EndpointsConfig"][name]["Aliases"]),
        _ => Vec::new(),
    }
}

/// The other networks of `NetworkingConfig.EndpointsConfig`, each with its aliases: plugged
/// in at start, as `docker network connect` would.
fn extra_networks(networking: &Value, network: Option<&str>) -> Vec<(String, Vec<String>)> {
    let primary = network.unwrap_or("bridge");
    (networking["EndpointsConfig"]
        .as_object()
        .into_iter()
        .flatten())
    .filter(|(name, _)| name.as_str() != primary && !matches!(name.as_str(), "default"))
    .map(|(name, endpoint)| (name.clone(), strings(&endpoint["Aliases"])))
    .collect()
}

/// `HostConfig.RestartPolicy` (`{"Name": "on-failure", "MaximumRetryCount": 3}`) as the CLI's
/// `--restart` value; none for an empty name or `no`.
fn restart_policy(policy: &Value) -> Option<String> {
    let name = policy["Name"]
        .as_str()
        .filter(|n| !n.is_empty() && *n != "no")?;
    match policy["MaximumRetryCount"].as_u64().filter(|n| *n > 0) {
        Some(count) if name == "on-failure" => Some(format!("{name}:{count}")),
        _ => Some(name.to_string()),
    }
}

/// A `Healthcheck` duration: the API gives nanoseconds, the engine takes Go's duration text;
/// 0 (or none) means "the image's, or Docker's default".
fn nanoseconds(value: &Value) -> Option<String> {
    value.as_u64().filter(|n| *n > 0).map(|n| format!("{n}ns"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_docker_cli_body_becomes_the_clis_options() {
        let call = Call {
            query: engineapi::router::parse_query("name=web"),
            body: br#"{"Image":"busybox","Cmd":["echo","hi"],"Entrypoint":null,"Env":["A=1"],
                "Unknown":1,"HostConfig":{"NetworkMode":"default","AutoRemove":true,
                "PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},"Memory":67108864}}"#
                .to_vec(),
            ..Call::default()
        };
        let o = options(&call).unwrap();
        assert_eq!(
            (o.image.as_str(), o.command.clone()),
            ("busybox", vec!["echo".to_string(), "hi".into()])
        );
        assert_eq!(
            (o.name.as_deref(), o.network, o.rm),
            (Some("web"), None, true)
        );
        assert_eq!(o.publish, ["8080:80/tcp"]);
        assert_eq!(o.memory.as_deref(), Some("67108864"));
        assert_eq!(o.entrypoint, None);
    }

    #[test]
    fn host_config_fields_become_the_run_flags_of_the_same_names() {
        let call = Call {
            body: br#"{"Image":"busybox","StopSignal":"SIGUSR1","StopTimeout":3,
                "ExposedPorts":{"80/tcp":{}},"HostConfig":{"ExtraHosts":["db:10.0.0.5"],
                "Dns":["9.9.9.9"],"Tmpfs":{"/run":"","/t":"size=1m"},"ShmSize":1048576,
                "Ulimits":[{"Name":"nofile","Soft":100,"Hard":200}],"GroupAdd":["10"],
                "Devices":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/nil",
                    "CgroupPermissions":"r"}],"Sysctls":{"net.ipv4.ip_forward":"1"},
                "LogConfig":{"Type":"json-file","Config":{"max-size":"1m"}},
                "PublishAllPorts":true,"CpuShares":0,"PidMode":""}}"#
                .to_vec(),
            ..Call::default()
        };
        let o = options(&call).unwrap();
        let f = &o.run_flags;
        assert_eq!(
            (f.add_hosts.clone(), f.dns.clone()),
            (vec!["db:10.0.0.5".to_string()], vec!["9.9.9.9".to_string()])
        );
        assert_eq!(f.tmpfs, ["/run", "/t:size=1m"]);
        assert_eq!(f.ulimits, ["nofile=100:200"]);
        assert_eq!(f.devices, ["/dev/null:/dev/nil:r"]);
        assert_eq!(f.shm_size.as_deref(), Some("1048576"));
        assert_eq!(f.sysctls, ["net.ipv4.ip_forward=1"]);
        assert_eq!(
            (f.group_add.clone(), f.log_opts.clone()),
            (vec!["10".to_string()], vec!["max-size=1m".to_string()])
        );
        assert_eq!(
            (f.stop_signal.as_deref(), f.stop_timeout),
            (Some("SIGUSR1"), Some(3))
        );
        assert!(f.publish_all);
        assert_eq!(o.expose, ["80/tcp"]);
    }

    #[test]
    fn fields_capstone_cannot_honour_are_refused_not_dropped() {
        for host in [
            r#"{"PidMode":"host"}"#,
            r#"{"DnsSearch":["lab"]}"#,
            r#"{"CpuShares":512}"#,
        ] {
            let body = format!(r#"{{"Image":"busybox","HostConfig":{host}}}"#);
            let call = Call {
                body: body.into_bytes(),
                ..Call::default()
            };
            let err = options(&call).unwrap_err();
            assert!(
                format!("{err:?}").contains("not supported by capstone"),
                "{host}: {err:?}"
            );
        }
        let syslog = br#"{"Image":"busybox","HostConfig":{"LogConfig":{"Type":"syslog"}}}"#;
        let call = Call {
            body: syslog.to_vec(),
            ..Call::default()
        };
        assert!(options(&call).is_err());
    }

    #[test]
    fn endpoints_config_gives_aliases_on_the_own_network_and_more_networks() {
        let call = Call {
            body: br#"{"Image":"busybox","HostConfig":{"NetworkMode":"appnet"},
                "NetworkingConfig":{"EndpointsConfig":{
                    "appnet":{"Aliases":["web","www"]},"backnet":{"Aliases":["db"]}}}}"#
                .to_vec(),
            ..Call::default()
        };
        let o = options(&call).unwrap();
        assert_eq!(o.network.as_deref(), Some("appnet"));
        assert_eq!(o.network_aliases, ["web", "www"]);
        assert_eq!(
            o.extra_networks,
            [("backnet".to_string(), vec!["db".to_string()])]
        );
    }
}

//! A service, resolved, turned into the engine's [`CreateOptions`]: the same options
//! `capstone run` fills from its flags, so a compose container is an ordinary container with
//! labels. Keys the engine cannot honour yet are refused here, naming the service and key,
//! rather than silently dropped.

use super::error::{ComposeError, Result};
use super::labels;
use super::load::Project;
use super::spec::{Command, Port, Service, ServiceVolume};
use crate::engine::create::CreateOptions;

/// The options of container `number` of `service_name` (`oneoff`: a `run` container).
pub fn create_options(
    project: &Project,
    service_name: &str,
    number: u32,
    oneoff: bool,
) -> Result<CreateOptions> {
    let service = &project.model.services[service_name];
    refuse_unsupported(project, service_name, service)?;
    let mut opts = CreateOptions {
        image: labels::image_name(&project.name, service_name, service),
        name: Some(match &service.container_name {
            Some(name) if !oneoff => name.clone(),
            _ => labels::container_name(&project.name, service_name, number),
        }),
        env: service
            .environment
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect(),
        workdir: service.working_dir.clone(),
        user: service.user.clone(),
        hostname: service.hostname.clone(),
        read_only: service.read_only.unwrap_or(false),
        tty: service.tty.unwrap_or(false),
        interactive: service.stdin_open.unwrap_or(false),
        cap_add: service.cap_add.clone(),
        cap_drop: service.cap_drop.clone(),
        privileged: service.privileged.unwrap_or(false),
        init: service.init.unwrap_or(false),
        labels: labels::for_container(project, service_name, service, number, oneoff),
        ..CreateOptions::default()
    };
    let limits = service
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.limits.as_ref());
    opts.memory = service
        .mem_limit
        .clone()
        .or_else(|| limits.and_then(|l| l.memory.clone()));
    opts.cpus = service
        .cpus
        .or_else(|| limits.and_then(|l| l.cpus))
        .map(|c| c.to_string());
    opts.pids_limit = service
        .pids_limit
        .or_else(|| limits.and_then(|l| l.pids))
        .map(|p| p.to_string());
    // `entrypoint: [a, b]` and `command: [c]` run `a b c`: the engine takes one entrypoint
    // word, so the rest go before the command (the image's Cmd is dropped either way).
    let (entrypoint, mut command) = match &service.entrypoint {
        Some(e) => {
            let mut words = words(project, service_name, "entrypoint", e)?;
            let first = if words.is_empty() {
                String::new()
            } else {
                words.remove(0)
            };
            (Some(first), words)
        }
        None => (None, Vec::new()),
    };
    if let Some(c) = &service.command {
        command.extend(words(project, service_name, "command", c)?);
    }
    opts.entrypoint = entrypoint;
    opts.command = command;
    opts.publish = service.ports.iter().map(publish).collect();
    opts.volumes = service
        .volumes
        .iter()
        .map(|v| volume(project, service_name, v))
        .collect::<Result<_>>()?;
    networks(project, service_name, service, &mut opts);
    opts.expose = service.expose.clone();
    let flags = &mut opts.run_flags;
    // `extra_hosts: ["name=ip"]` (the newer form) is `--add-host name:ip`.
    flags.add_hosts = (service.extra_hosts.iter())
        .map(|h| h.replacen('=', ":", 1))
        .collect();
    flags.dns = service.dns.clone();
    flags.tmpfs = service.tmpfs.clone();
    flags.stop_signal = service.stop_signal.clone();
    check_flags(project, service_name, &opts)?;
    super::restart_health::apply(project, service_name, service, oneoff, &mut opts)?;
    Ok(opts)
}

/// Checks the values that become `run` flags with the engine's own parsers, before anything
/// is made, so that an error names the file, the service and the key (`services.web.ports[0]`).
fn check_flags(project: &Project, service_name: &str, opts: &CreateOptions) -> Result<()> {
    let invalid = |key: String| {
        move |e: crate::Error| ComposeError::Invalid {
            file: files(project),
            path: format!("services.{service_name}{key}"),
            message: e.to_string(),
        }
    };
    for (i, p) in opts.publish.iter().enumerate() {
        crate::model::ports::PortBinding::parse(p).map_err(invalid(format!(".ports[{i}]")))?;
    }
    for (i, e) in opts.expose.iter().enumerate() {
        crate::model::ports::expose_keys(e).map_err(invalid(format!(".expose[{i}]")))?;
    }
    if let Some(signal) = &opts.run_flags.stop_signal {
        crate::engine::lifecycle::parse_signal(signal).map_err(invalid(".stop_signal".into()))?;
    }
    // `extra_hosts`, `dns`, `tmpfs`: the engine's message names the value.
    let network = opts.network.as_deref().unwrap_or_default();
    crate::engine::run_flags::check(&opts.run_flags, network, &[])
        .map_err(invalid(String::new()))?;
    Ok(())
}

/// The service's networks: the first (by name, as Docker Compose orders them) becomes
/// `--network`, the others are plugged in at start; on each the service's name is an alias.
fn networks(project: &Project, service_name: &str, service: &Service, opts: &mut CreateOptions) {
    if let Some(mode) = &service.network_mode {
        opts.network = Some(mode.clone());
        return;
    }
    for (i, (key, attachment)) in service.networks.iter().enumerate() {
        let name = project.model.networks[key]
            .as_ref()
            .and_then(|n| n.name.clone())
            .unwrap_or_else(|| format!("{}_{key}", project.name));
        let mut aliases = vec![service_name.to_string()];
        if let Some(a) = attachment {
            aliases.extend(a.aliases.iter().cloned());
        }
        if i == 0 {
            opts.network = Some(name);
            opts.network_aliases = aliases;
        } else {
            opts.extra_networks.push((name, aliases));
        }
    }
}

/// A command as argv: an exec list as it is, a string split into words as a shell would
/// (quotes respected, nothing expanded), as Docker Compose does.
fn words(project: &Project, service: &str, key: &str, command: &Command) -> Result<Vec<String>> {
    match command {
        Command::Exec(argv) => Ok(argv.clone()),
        Command::Shell(text) => shlex::split(text).ok_or_else(|| ComposeError::Invalid {
            file: files(project),
            path: format!("services.{service}.{key}"),
            message: format!("{text:?} has an unclosed quote"),
        }),
    }
}

/// A long-syntax port as `-p [ip:]published:target/protocol` (no published port: a free one).
fn publish(port: &Port) -> String {
    let protocol = port.protocol.as_deref().unwrap_or("tcp");
    match (&port.host_ip, &port.published) {
        (Some(ip), Some(p)) => format!("{ip}:{p}:{}/{protocol}", port.target),
        (Some(ip), None) if ip == "0.0.0.0" => format!("{}/{protocol}", port.target),
        (Some(ip), None) => format!("{ip}:0:{}/{protocol}", port.target),
        (None, Some(p)) => format!("{p}:{}/{protocol}", port.target),
        (None, None) => format!("{}/{protocol}", port.target),
    }
}

/// A long-syntax mount as `-v`: a named volume by its real name (`<project>_<key>`), a bind by
/// its absolute host path, an anonymous volume by its target alone.
fn volume(project: &Project, service: &str, v: &ServiceVolume) -> Result<String> {
    let mode = if v.read_only { ":ro" } else { "" };
    match (v.kind.as_str(), &v.source) {
        ("volume", Some(key)) => {
            let name = project.model.volumes[key]
                .as_ref()
                .and_then(|v| v.name.clone())
                .unwrap_or_else(|| format!("{}_{key}", project.name));
            Ok(format!("{name}:{}{mode}", v.target))
        }
        ("bind", Some(path)) => {
            if v.bind.as_ref().and_then(|b| b.create_host_path) != Some(false) {
                // The short syntax makes a missing host directory, as Docker Compose does.
                let _ = std::fs::create_dir_all(path);
            }
            Ok(format!("{path}:{}{mode}", v.target))
        }
        ("volume", None) => Ok(v.target.clone()),
        (kind, _) => Err(ComposeError::Unsupported {
            file: files(project),
            path: format!("services.{service}.volumes"),
            key: format!("type: {kind}"),
        }),
    }
}

/// Keys the engine has no way to apply yet: an error naming them beats a container that
/// quietly lacks them.
fn refuse_unsupported(project: &Project, name: &str, service: &Service) -> Result<()> {
    let unsupported = [(
        "networks.*.ipv4_address",
        service
            .networks
            .values()
            .any(|n| n.as_ref().is_some_and(|n| n.ipv4_address.is_some())),
    )];
    match unsupported.iter().find(|(_, used)| *used) {
        Some((key, _)) => Err(ComposeError::Unsupported {
            file: files(project),
            path: format!("services.{name}"),
            key: key.to_string(),
        }),
        None => Ok(()),
    }
}

/// The project's files, for error messages.
pub fn files(project: &Project) -> String {
    project
        .config_files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_becomes_the_flags_of_capstone_run() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("compose.yaml");
        let yaml = "name: p\nservices:\n  web:\n    image: busybox\n    entrypoint: [\"/bin/sh\", \"-c\"]\n    command: \"echo 'a b'\"\n    ports: [\"8080:80\"]\n    volumes: [\"data:/data:ro\"]\n    networks:\n      front: {aliases: [www]}\n      back:\nnetworks: {front: , back: }\nvolumes: {data: }\n";
        std::fs::write(&file, yaml).unwrap();
        let options = super::super::Options {
            files: vec![file],
            ..Default::default()
        };
        let project = super::super::load(&options, &Default::default()).unwrap();
        let o = create_options(&project, "web", 2, false).unwrap();
        assert_eq!(o.name.as_deref(), Some("p-web-2"));
        // The entrypoint's first word, then the rest of it, then the command's shell words.
        assert_eq!(o.entrypoint.as_deref(), Some("/bin/sh"));
        assert_eq!(o.command, ["-c", "echo", "a b"]);
        assert_eq!(o.publish, ["8080:80/tcp"]);
        assert_eq!(o.volumes, ["p_data:/data:ro"]);
        // Networks by name: `back` is --network, `front` comes with its alias.
        assert_eq!(o.network.as_deref(), Some("p_back"));
        assert_eq!(o.network_aliases, ["web"]);
        assert_eq!(
            o.extra_networks,
            [(
                "p_front".to_string(),
                vec!["web".to_string(), "www".to_string()]
            )]
        );
        assert_eq!(o.labels[labels::NUMBER], "2");
        assert_eq!(o.labels[labels::ONEOFF], "False");
    }
}

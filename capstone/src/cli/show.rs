//! Read-only verbs: `ps`, `logs`, `inspect`.

use super::table;
use crate::mechanisms::logs::{self, Entry};
use crate::model::clock;
use crate::model::container::Container;
use crate::store::image_refs as images_ref;
use crate::{Error, Result, store};
use serde_json::{Value, json};
use std::io::{BufReader, Write};

pub(super) fn ps(paths: &store::Paths, all: bool, quiet: bool, filters: &[String]) -> Result<i32> {
    let mut shown: Vec<Container> = crate::engine::reconcile::list_observed(paths)?
        .into_iter()
        .filter(|c| all || c.is_active())
        .collect();
    for filter in filters {
        let (key, value) = filter.split_once('=').ok_or_else(|| {
            Error::invalid(
                "filter",
                filter.as_str(),
                "expected key=value, e.g. name=web",
            )
        })?;
        shown.retain(|c| match key {
            "name" => c.name.contains(value),
            "id" => c.id.starts_with(value),
            "status" => c.state.status == value,
            // Docker's `volume=`: a volume's name, a bind's source, or a mount's destination.
            "volume" => c.mounts.iter().any(|m| {
                m.name == value || m.destination == value || m.source.as_os_str() == value
            }),
            _ => true,
        });
        if !matches!(key, "name" | "id" | "status" | "volume") {
            return Err(Error::invalid(
                "filter",
                filter.as_str(),
                "supported keys: name, id, status, volume",
            ));
        }
    }
    shown.reverse(); // newest first, like Docker
    if quiet {
        for c in &shown {
            println!("{}", c.short_id());
        }
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = shown.iter().map(ps_row).collect();
    let headers = [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ];
    print!("{}", table::render(&headers, &rows));
    Ok(0)
}

fn ps_row(c: &Container) -> Vec<String> {
    let command = format!("\"{}\"", table::ellipsis(&c.config.args.join(" "), 20));
    let created = clock::since(&c.created)
        .map(clock::human)
        .unwrap_or_default();
    vec![
        c.short_id().to_string(),
        images_ref::familiar(&c.config.image),
        command,
        format!("{created} ago"),
        c.state.status_line(),
        c.ps_ports(),
        c.name.clone(),
    ]
}

pub(super) fn logs(
    paths: &store::Paths,
    name: &str,
    follow: bool,
    tail: &str,
    timestamps: bool,
) -> Result<i32> {
    let record = crate::engine::reconcile::find_observed(paths, name)?;
    let path = paths.log(&record.id);
    let entries = logs::read(&path)?;
    let skip = match tail {
        "all" => 0,
        n => entries.len().saturating_sub(
            n.parse::<usize>()
                .map_err(|_| Error::invalid("--tail", n, "expected a number of lines or `all`"))?,
        ),
    };
    for entry in &entries[skip..] {
        print_entry(entry, timestamps);
    }
    if follow {
        follow_log(paths, &record, entries.len(), timestamps)?;
    }
    Ok(0)
}

fn print_entry(entry: &Entry, timestamps: bool) {
    let line = if timestamps {
        format!("{} {}", entry.time, entry.log)
    } else {
        entry.log.clone()
    };
    if entry.stream == "stderr" {
        let _ = std::io::stderr().write_all(line.as_bytes());
    } else {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
    }
}

/// `logs -f`: prints entries as the monitor appends them, woken by inotify(7) on the
/// container's directory (the log grows; the record is replaced when the container exits),
/// until the container is no longer running and the log is drained.
fn follow_log(
    paths: &store::Paths,
    record: &Container,
    already: usize,
    timestamps: bool,
) -> Result<i32> {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let dir = paths.container_dir(&record.id);
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC).map_err(Error::sys("inotify_init1(2)"))?;
    inotify
        .add_watch(
            &dir,
            AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_DELETE_SELF,
        )
        .map_err(Error::sys(format!("inotify_add_watch({})", dir.display())))?;
    let path = paths.log(&record.id);
    let file = std::fs::File::options()
        .create(true)
        .append(true)
        .read(true)
        .open(&path)
        .map_err(Error::io("open log", &path))?;
    let mut reader = BufReader::new(file);
    // Entries up to `already` were printed before following started.
    let mut seen = 0;
    let mut print_new = |reader: &mut BufReader<std::fs::File>| -> Result<()> {
        for entry in logs::read_more(reader, &path)? {
            seen += 1;
            if seen > already {
                print_entry(&entry, timestamps);
            }
        }
        Ok(())
    };
    loop {
        print_new(&mut reader)?;
        let running = crate::store::containers::load(paths, &record.id)
            .map(|c| c.is_active())
            .unwrap_or(false);
        if !running {
            print_new(&mut reader)?;
            return Ok(0);
        }
        match inotify.read_events() {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(Error::sys("read(inotify)")(e)),
        }
    }
}

pub(super) fn inspect(paths: &store::Paths, kind: Option<&str>, names: &[String]) -> Result<i32> {
    let mut out = Vec::new();
    for name in names {
        let container = match kind {
            Some("image" | "volume") => None,
            _ => match crate::engine::reconcile::find_observed(paths, name) {
                Ok(c) => Some(c),
                Err(Error::NoSuchContainer(_)) => None,
                Err(e) => return Err(e),
            },
        };
        match container {
            Some(c) => out.push(container_json(paths, &c)),
            None if kind == Some("volume") => {
                out.push(crate::store::volumes::get(paths, name)?.to_json(paths));
            }
            None if kind != Some("container") => {
                let store = paths.store()?;
                match images_ref::find(&store, name) {
                    Ok(image) => out.push(image_json(&store, &image)?),
                    // Last, as Docker looks: a volume of that name.
                    Err(_) => match crate::store::volumes::get(paths, name) {
                        Ok(volume) => out.push(volume.to_json(paths)),
                        Err(_) => {
                            return Err(Error::NoSuchContainer(format!("{name} (no such object)")));
                        }
                    },
                }
            }
            None => return Err(Error::NoSuchContainer(name.clone())),
        }
    }
    let ordered: Vec<_> = out
        .iter()
        .map(super::inspect_order::InOrder::document)
        .collect();
    println!("{}", serde_json::to_string_pretty(&ordered).expect("json"));
    Ok(0)
}

/// A container as `docker inspect` shows it (the fields this engine has).
pub fn container_json(paths: &store::Paths, c: &Container) -> Value {
    let s = &c.state;
    let h = &c.host_config;
    let lowers: Vec<String> = c
        .rootfs
        .lower_dirs
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    json!({
        "Id": c.id,
        "Created": c.created,
        "Path": c.config.args.first(),
        "Args": c.config.args.get(1..).unwrap_or_default(),
        "State": {
            "Status": s.status, "Running": s.running, "Paused": s.paused, "Restarting": false,
            "OOMKilled": false, "Dead": false, "Pid": s.pid, "ExitCode": s.exit_code,
            "Error": s.error, "StartedAt": s.started_at, "FinishedAt": s.finished_at,
        },
        "Image": c.image,
        "LogPath": paths.log(&c.id),
        "Name": format!("/{}", c.name),
        "Driver": "overlay",
        "HostConfig": {
            "NetworkMode": h.network_mode, "AutoRemove": h.auto_remove, "ReadonlyRootfs": h.readonly_rootfs,
            "Memory": h.memory, "NanoCpus": h.nano_cpus, "PidsLimit": h.pids_limit,
            "CapAdd": h.cap_add, "CapDrop": h.cap_drop, "Privileged": h.privileged, "Init": h.init,
            "CgroupParent": "", "Cgroup": c.cgroup,
            "PortBindings": crate::model::ports::ports_json(&h.port_bindings),
            "Binds": h.binds,
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
            "ExposedPorts": c.config.exposed_ports.iter().map(|p| (p.clone(), json!({}))).collect::<serde_json::Map<_, _>>(),
        },
        "NetworkSettings": c.network_settings_json(),
    })
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
        "Architecture": config.get("architecture"),
        "Os": config.get("os"),
        "Config": config.get("config"),
        "RootFS": config.get("rootfs"),
        "Size": size,
        "Manifest": image.digest.to_string(),
    }))
}

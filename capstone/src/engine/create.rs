//! `create`: from an image and Docker's flags to a container record and an empty writable
//! layer — no process yet. Everything that can be checked is checked here, before anything is
//! written, so a bad flag leaves nothing behind. The container's directory is filled outside
//! the store, in `<root>/creating/<id>`, and enters `<root>/containers` in one rename(2): no
//! reader ever sees half a container, and if a step fails, what was made is removed again.

use super::run_flags;
use crate::mechanisms::cgroup;
use crate::model::container::{Config, Container, HostConfig, Rootfs, State};
use crate::model::restart::RestartPolicy;
use crate::model::{clock, ids};
use crate::store::image_refs as images_ref;
use crate::{Error, Result, store};
use images::runconfig::{Overrides, Settings};
use std::path::{Path, PathBuf};

/// Docker's `create`/`run` flags that shape a container.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// The image reference as typed.
    pub image: String,
    /// The command (replaces the image's `Cmd`).
    pub command: Vec<String>,
    /// `--name`.
    pub name: Option<String>,
    /// `-e KEY=value` or `-e KEY` (taken from our environment).
    pub env: Vec<String>,
    /// `--env-file FILE`: `KEY=value` lines.
    pub env_files: Vec<PathBuf>,
    /// `-w`.
    pub workdir: Option<String>,
    /// `-u user[:group]`.
    pub user: Option<String>,
    /// `--hostname`.
    pub hostname: Option<String>,
    /// `--entrypoint` (empty string: none).
    pub entrypoint: Option<String>,
    /// `--memory`, e.g. `64m`.
    pub memory: Option<String>,
    /// `--cpus`, e.g. `0.5`.
    pub cpus: Option<String>,
    /// `--pids-limit`.
    pub pids_limit: Option<String>,
    /// `--read-only`.
    pub read_only: bool,
    /// `-t`.
    pub tty: bool,
    /// `-i`.
    pub interactive: bool,
    /// `--rm`.
    pub rm: bool,
    /// `--network none|host|bridge|NAME` (default `bridge`).
    pub network: Option<String>,
    /// `-p [hostip:]hostport:ctrport[/tcp|/udp]`.
    pub publish: Vec<String>,
    /// `--cap-add`.
    pub cap_add: Vec<String>,
    /// `--cap-drop`.
    pub cap_drop: Vec<String>,
    /// `--privileged`.
    pub privileged: bool,
    /// `--init`.
    pub init: bool,
    /// `-v SOURCE:DEST[:MODE]` / `-v DEST`.
    pub volumes: Vec<String>,
    /// `--mount type=…,source=…,target=…`.
    pub mounts: Vec<String>,
    /// `--security-opt seccomp=…|no-new-privileges`.
    pub security_opt: Vec<String>,
    /// `-l KEY=VALUE`: the container's labels (`Config.Labels`).
    pub labels: std::collections::BTreeMap<String, String>,
    /// `--network-alias`: more names on the `--network` network.
    pub network_aliases: Vec<String>,
    /// More networks to plug into at start, each with its aliases (what Docker's API takes
    /// as `NetworkingConfig.EndpointsConfig`, and compose gives for a service on several).
    pub extra_networks: Vec<(String, Vec<String>)>,
    /// `--restart no|always|on-failure[:N]|unless-stopped`.
    pub restart: Option<String>,
    /// `--health-cmd` (run with `/bin/sh -c`).
    pub health_cmd: Option<String>,
    /// `--health-interval`, a duration like `30s`.
    pub health_interval: Option<String>,
    /// `--health-timeout`.
    pub health_timeout: Option<String>,
    /// `--health-start-period`.
    pub health_start_period: Option<String>,
    /// `--health-retries`.
    pub health_retries: Option<String>,
    /// `--no-healthcheck`: none, whatever the image says.
    pub no_healthcheck: bool,
    /// Labels, `-P`, hosts, DNS, tmpfs, ulimits, devices, stop signal and timeout, shm,
    /// sysctls, groups, log options.
    pub run_flags: super::run_flags::RunFlags,
    /// The whole `Healthcheck.Test`, as Docker's API and compose files give it
    /// (`["CMD", arg…]`, `["CMD-SHELL", cmd]`, `["NONE"]`); wins over `health_cmd`, which is
    /// its `CMD-SHELL` shorthand.
    pub health_test: Vec<String>,
    /// `--expose` / compose's `expose:`: more `ExposedPorts` (`80`, `80/udp`, `8000-8010`).
    pub expose: Vec<String>,
}

/// Creates a container and returns its record.
pub fn create(paths: &store::Paths, opts: &CreateOptions) -> Result<Container> {
    let mut host_config = host_config(opts)?;
    let flags = &opts.run_flags;
    host_config.run_flags = run_flags::check(flags, &host_config.network_mode, &opts.mounts)?;
    let other_mounts: Vec<String> = (opts.mounts.iter())
        .filter(|m| !run_flags::is_tmpfs_mount(m))
        .cloned()
        .collect();
    let mount_specs = crate::model::volume_spec::parse_all(&opts.volumes, &other_mounts)?;
    if let Some(signal) = &flags.stop_signal {
        crate::engine::lifecycle::parse_signal(signal)?;
    }
    // `-p` is checked now, before a missing image is pulled (as Docker's CLI checks it).
    for spec in &opts.publish {
        crate::model::ports::PortBinding::parse(spec)?;
    }
    let mut exposed = Vec::new();
    for spec in &opts.expose {
        exposed.extend(crate::model::ports::expose_keys(spec)?);
    }
    // Capabilities and --security-opt, a seccomp profile loaded and compiled: all checked
    // before anything is written (lesson 07 names a profile's mistake by its JSON path).
    crate::mechanisms::security::check(&host_config)?;
    if let Some(name) = &opts.name {
        ids::check_name(name)?;
    }
    let store = paths.store()?;
    let reference = images_ref::normalize(&opts.image)?;
    let image = images_ref::find(&store, &opts.image)?;
    // After the image is found: a `run` that must pull first makes no bridge before it has
    // an image to run (the default network is made here, on first use).
    let publish = run_flags::publish_all(flags, &image.config, &opts.publish);
    let mut network_settings = super::networks::for_create(paths, &mut host_config, &publish)?;
    // `--network-alias` names the container on its `--network`, as compose's aliases do.
    let aliases: Vec<String> = (opts.network_aliases.iter())
        .chain(&flags.network_aliases)
        .cloned()
        .collect();
    super::networks::add_endpoints(paths, &mut network_settings, &aliases, &opts.extra_networks)?;
    // Each layer is unpacked once, shared by every container of every image that has it.
    let mut lower_dirs = store.unpack(&image)?;
    lower_dirs.reverse(); // overlayfs wants the top layer first
    let id = ids::random_id()?;
    let mut config = process_config(&image.config, opts, &lower_dirs)?;
    config.image = reference;
    config.healthcheck = super::health::for_create(opts, &store, &image)?;
    config.exposed_ports = crate::engine::networks::exposed_ports(&image.config, &host_config);
    config.exposed_ports.extend(exposed);
    config.exposed_ports.sort();
    config.exposed_ports.dedup();
    config.labels = run_flags::labels(flags, &run_flags::image_labels(&image.config))?;
    config.labels.extend(opts.labels.clone()); // compose's com.docker.compose.* labels
    config.stop_timeout = flags.stop_timeout;
    if let Some(signal) = &flags.stop_signal {
        config.stop_signal = signal.clone();
    }
    host_config.run_flags.group_ids = run_flags::group_ids(
        &flags.group_add,
        &account_files_root(&lower_dirs).join("etc/group"),
    )?;
    config.hostname = opts
        .hostname
        .clone()
        .unwrap_or_else(|| ids::short(&id).into());

    let dir = paths.container_dir(&id);
    let rootfs = Rootfs {
        lower_dirs,
        upper_dir: dir.join("upper"),
        work_dir: dir.join("work"),
        merged_dir: paths.rootfs_mount_point(),
    };
    let names_lock = paths.lock_names()?;
    let name = claim_name(paths, &id, opts.name.as_deref())?;
    // Held until the record is saved: no `volume rm` between making a volume and using it.
    let volumes_lock = crate::store::volumes::lock(paths)?;
    let (mounts, new_volumes) =
        crate::engine::volumes::prepare(paths, &mount_specs, &image.config)?;
    let record = Container {
        id: id.clone(),
        name,
        created: clock::now(),
        image: image.config_digest.to_string(),
        image_manifest: image.digest.to_string(),
        config,
        host_config,
        state: State::default(),
        rootfs,
        cgroup: cgroup::name_for(&id),
        network_settings,
        mounts,
    };
    let staging = paths.creating().join(&id);
    let made = fill(paths, &staging, &record).and_then(|()| {
        // A container exists once its directory is in the store, whole: one rename(2).
        std::fs::rename(&staging, &dir).map_err(Error::io("rename into the store", &staging))?;
        if record.host_config.auto_remove {
            return Ok(());
        }
        let containers = paths.containers(); // the rename, durable (fsync(2) of the directory)
        (std::fs::File::open(&containers).and_then(|d| d.sync_all()))
            .map_err(Error::io("fsync", &containers))
    });
    if made.is_err() {
        crate::engine::volumes::discard(paths, &new_volumes);
        let _ = std::fs::remove_dir_all(&staging);
        let _ = std::fs::remove_dir_all(&dir); // renamed in, but not made durable
    }
    drop(volumes_lock);
    drop(names_lock);
    made.map(|()| record)
}

/// Makes a new container's directory at `staging`, outside the store: its empty layer, its
/// copy of a seccomp profile, and its record, written straight into place. Nobody reads
/// `staging`, so the record needs no temporary file of its own (each new file costs an inode
/// to make and, later, one to delete: see `spread_subdirectories` in `store` for what that
/// costs on ext4 without a journal).
fn fill(paths: &store::Paths, staging: &Path, record: &Container) -> Result<()> {
    let layer = |d: &Path| staging.join(d.file_name().expect("the layer dirs have names"));
    for d in [&record.rootfs.upper_dir, &record.rootfs.work_dir] {
        let d = layer(d);
        std::fs::create_dir_all(&d).map_err(Error::io("create", &d))?;
    }
    // The container keeps its own copy of a seccomp profile file (checked above).
    if let Some(profile) = crate::mechanisms::security::profile_file(&record.host_config)? {
        let copy = staging.join(crate::mechanisms::security::PROFILE_COPY);
        std::fs::copy(&profile, &copy).map_err(Error::io("copy seccomp profile", &profile))?;
    }
    crate::store::containers::save_new(paths, staging, record)
}

/// Checks a requested name is free (or makes one up); called under the names lock.
fn claim_name(paths: &store::Paths, id: &str, wanted: Option<&str>) -> Result<String> {
    let all = crate::store::containers::list(paths)?;
    let taken = |n: &str| all.iter().find(|c| c.name == n);
    if let Some(name) = wanted {
        return match taken(name) {
            Some(other) => Err(Error::NameInUse {
                name: name.into(),
                id: other.id.clone(),
            }),
            None => Ok(name.into()),
        };
    }
    Ok((0..)
        .map(|attempt| ids::generated_name(id, attempt))
        .find(|n| taken(n).is_none())
        .expect("some generated name is free"))
}

/// The limits and host-side flags, parsed with lesson 02's parsers (Docker's units).
fn host_config(opts: &CreateOptions) -> Result<HostConfig> {
    let limits = super::update::Limits::parse(
        opts.memory.as_deref(),
        opts.cpus.as_deref(),
        opts.pids_limit.as_deref(),
    )?;
    let network = opts
        .network
        .clone()
        .unwrap_or_else(|| crate::model::network::DEFAULT_NETWORK.into());
    let restart_policy = RestartPolicy::parse(opts.restart.as_deref().unwrap_or("no"))?;
    if opts.rm && restart_policy.restarts() {
        return Err(Error::invalid(
            "--restart",
            restart_policy.name,
            "conflicting options: --restart and --rm (a container removed when it exits cannot be restarted)",
        ));
    }
    Ok(HostConfig {
        auto_remove: opts.rm,
        readonly_rootfs: opts.read_only,
        memory: limits.memory.unwrap_or(0),
        nano_cpus: limits.nano_cpus.unwrap_or(0),
        pids_limit: limits.pids_limit.unwrap_or(0),
        network_mode: network,
        port_bindings: Vec::new(),
        cap_add: opts.cap_add.clone(),
        cap_drop: opts.cap_drop.clone(),
        privileged: opts.privileged,
        init: opts.init,
        binds: opts.volumes.clone(),
        security_opt: opts.security_opt.clone(),
        restart_policy,
        run_flags: Default::default(),
    })
}

/// Docker's rules for the process, from lesson 04's `runconfig`: `Entrypoint` + (`Cmd` or the
/// given command), `--entrypoint` replacing the image's and clearing its `Cmd`; the image's
/// `Env` with `--env-file` and `-e` on top; `-w` over `WorkingDir`; `-u` over `User`, resolved
/// in the image's own `/etc/passwd`.
fn process_config(
    image: &oci_spec::image::ImageConfiguration,
    opts: &CreateOptions,
    lower_dirs: &[PathBuf],
) -> Result<Config> {
    let overrides = Overrides {
        entrypoint: opts.entrypoint.as_ref().map(|e| match e.as_str() {
            "" => vec![],
            e => vec![e.to_string()],
        }),
        command: opts.command.clone(),
        env: env_flags(opts)?,
        working_dir: opts.workdir.clone(),
        user: opts.user.clone(),
    };
    let mut settings = Settings::of(image).with(&overrides)?;
    let args = settings.args();
    if args.is_empty() {
        return Err(Error::invalid(
            "command",
            "",
            "no command specified: the image has no Cmd or Entrypoint, so give one",
        ));
    }
    if opts.tty && !settings.env.iter().any(|e| e.starts_with("TERM=")) {
        settings.env.push("TERM=xterm".into());
    }
    let (uid, gid) =
        images::runconfig::resolve_user(&account_files_root(lower_dirs), &settings.user)?;
    let stop_signal = image
        .config()
        .as_ref()
        .and_then(|c| c.stop_signal().clone());
    Ok(Config {
        image: String::new(),
        args,
        working_dir: settings.cwd().to_string_lossy().into_owned(),
        entrypoint: settings.entrypoint,
        cmd: settings.cmd,
        env: settings.env,
        user: settings.user,
        uid,
        gid,
        hostname: String::new(),
        tty: opts.tty,
        open_stdin: opts.interactive,
        stop_signal: stop_signal.unwrap_or_default(), // none: `stop` sends SIGTERM
        exposed_ports: Vec::new(),
        labels: Default::default(),
        healthcheck: None,
        stop_timeout: None,
    })
}

/// `--env-file` lines, then `-e`, as `KEY=value`: a bare `-e NAME` takes our own value, and is
/// dropped when we have none (as Docker does).
fn env_flags(opts: &CreateOptions) -> Result<Vec<String>> {
    let mut pairs = Vec::new();
    for item in read_env_files(&opts.env_files)?.iter().chain(&opts.env) {
        match item.split_once('=') {
            Some(_) => pairs.push(item.clone()),
            None => {
                if let Ok(v) = std::env::var(item) {
                    pairs.push(format!("{item}={v}"));
                }
            }
        }
    }
    Ok(pairs)
}

/// The topmost layer holding `/etc/passwd`: where user names are looked up.
fn account_files_root(lower_dirs: &[PathBuf]) -> PathBuf {
    lower_dirs
        .iter()
        .find(|d| d.join("etc/passwd").exists())
        .cloned()
        .unwrap_or_else(|| Path::new("/nonexistent").into())
}

/// `--env-file`: `KEY=value` lines; blank lines and `#` comments skipped. As in Docker, the
/// value is taken as written, quotes and trailing spaces included (no shell parses it).
fn read_env_files(files: &[PathBuf]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(Error::io("read env file", file))?;
        out.extend(
            text.lines()
                .map(str::trim_start)
                .filter(|l| !l.trim_end().is_empty() && !l.starts_with('#'))
                .map(String::from),
        );
    }
    Ok(out)
}

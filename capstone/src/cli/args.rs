//! The command line, mirroring Docker's verbs and flags (clap's derive API). Only parsing
//! lives here; the rest of [`crate::cli`] calls the [`crate::Engine`].

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// A small daemonless container engine with Docker's verbs, built from the lab's lessons.
#[derive(Debug, Parser)]
#[command(name = "capstone", version, about, propagate_version = true)]
pub struct Cli {
    /// Where images and containers are kept.
    #[arg(
        long,
        global = true,
        env = "CAPSTONE_ROOT",
        default_value = "/var/lib/capstone"
    )]
    pub root: PathBuf,
    /// Where runtime files (locks) are kept; lost at reboot.
    #[arg(
        long,
        global = true,
        env = "CAPSTONE_RUNROOT",
        default_value = "/run/capstone"
    )]
    pub runroot: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs. `defer`: clap builds a verb's flags only when that verb is typed — building all
/// of them, on every start of a container, was a million instructions of an `inspect`'s two
/// (`valgrind --tool=callgrind`), and each verb's own subcommands are deferred the same way.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Create and start a container (pulls the image if it is not here).
    Run(RunArgs),
    /// Define and run multi-container applications from compose files (the Compose Specification).
    Compose(crate::compose::ComposeArgs),
    /// Create a container without starting it.
    Create(RunArgs),
    /// Start one or more stopped containers.
    Start {
        /// Attach to its output and wait for it (and forward signals).
        #[arg(short, long)]
        attach: bool,
        /// Attach stdin (implies -a; the container must have been created with -i).
        #[arg(short, long)]
        interactive: bool,
        /// Start every stopped container whose restart policy says so (for an init system
        /// after a reboot: there is no daemon to do it).
        #[arg(long, conflicts_with_all = ["attach", "interactive"])]
        all_restartable: bool,
        /// Containers (id, id prefix or name).
        #[arg(required_unless_present = "all_restartable")]
        containers: Vec<String>,
    },
    /// Stop running containers: the stop signal, then SIGKILL after the timeout.
    Stop {
        /// Seconds to wait before killing (default: the container's --stop-timeout, else 10).
        #[arg(short = 't', long = "time")]
        time: Option<u64>,
        /// Containers.
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Restart containers (stop, then start in the background).
    Restart {
        /// Seconds to wait before killing (default: the container's --stop-timeout, else 10).
        #[arg(short = 't', long = "time")]
        time: Option<u64>,
        /// Containers.
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Send a signal to running containers.
    Kill {
        /// The signal (name or number).
        #[arg(short, long, default_value = "KILL")]
        signal: String,
        /// Containers.
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Freeze every process of containers (cgroup freezer).
    Pause {
        /// Containers.
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Thaw paused containers.
    Unpause {
        /// Containers.
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Block until containers stop, then print their exit codes.
    Wait {
        /// Containers.
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Remove containers.
    Rm {
        /// Kill and remove running containers.
        #[arg(short, long)]
        force: bool,
        /// Also remove the container's anonymous volumes (named volumes are kept).
        #[arg(short, long)]
        volumes: bool,
        /// Containers.
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// List containers.
    Ps {
        /// Show all containers (default: only running).
        #[arg(short, long)]
        all: bool,
        /// Only print ids.
        #[arg(short, long)]
        quiet: bool,
        /// Filter, e.g. `name=web` or `status=exited`.
        #[arg(short, long)]
        filter: Vec<String>,
        /// Go template per line (`{{.Names}}`), `table TEMPLATE` for a table, or `json`.
        #[arg(long)]
        format: Option<String>,
    },
    /// Print a container's logs.
    Logs {
        /// Keep following new output until the container stops.
        #[arg(short, long)]
        follow: bool,
        /// Only the last N lines (`all` for everything).
        #[arg(short = 'n', long, default_value = "all")]
        tail: String,
        /// Prefix each line with its timestamp.
        #[arg(short, long)]
        timestamps: bool,
        /// Only entries since this time: RFC 3339 (`2026-12-05T19:30:00Z`), Unix seconds, or
        /// a duration ago (`10m`, `1h30m`).
        #[arg(long)]
        since: Option<String>,
        /// Only entries before this time (same forms as --since).
        #[arg(long)]
        until: Option<String>,
        /// The container.
        container: String,
    },
    /// Run a command in a running container.
    Exec(ExecArgs),
    /// Attach to a running container: its output live, and with -t our keys (Ctrl-P Ctrl-Q
    /// detaches).
    Attach {
        /// Do not attach stdin (required for a container created with -i but not -t).
        #[arg(long)]
        no_stdin: bool,
        /// The keys that detach, e.g. `ctrl-x,x` (default `ctrl-p,ctrl-q`).
        #[arg(long)]
        detach_keys: Option<String>,
        /// Forward our signals to the container (`--sig-proxy=false`: Ctrl-C detaches).
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        sig_proxy: bool,
        /// The container.
        container: String,
    },
    /// Low-level information on containers or images, as JSON.
    Inspect {
        /// Only `container`, `image` or `volume`.
        #[arg(long = "type")]
        kind: Option<String>,
        /// Go template run over each object's JSON (`{{.State.Status}}`), or `json`.
        #[arg(short, long)]
        format: Option<String>,
        /// Containers or images.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// List images.
    Images {
        /// Only print image ids.
        #[arg(short, long)]
        quiet: bool,
        /// Filter: `reference=PATTERN` (`lab/*`), `label=KEY[=VALUE]`, `dangling=true|false`.
        #[arg(short, long)]
        filter: Vec<String>,
        /// Go template per line (`{{.Names}}`), `table TEMPLATE` for a table, or `json`.
        #[arg(long)]
        format: Option<String>,
        /// Only this repository (`alpine`), or this tag (`alpine:3.20`); `*` and `?` match.
        reference: Option<String>,
    },
    /// Give an image another name.
    Tag {
        /// The image.
        source: String,
        /// The new name.
        target: String,
    },
    /// Remove images (untag; delete when the last tag goes).
    Rmi {
        /// Remove even if a container uses it.
        #[arg(short, long)]
        force: bool,
        /// Images.
        #[arg(required = true)]
        images: Vec<String>,
    },
    /// Import a root filesystem tarball (or `-` for stdin) as an image.
    Import {
        /// The tarball (plain or gzip).
        file: String,
        /// The name to give it.
        reference: Option<String>,
        /// A Dockerfile-like instruction, e.g. `CMD ["/bin/sh"]` (only CMD, ENTRYPOINT, ENV, WORKDIR, USER).
        #[arg(short, long)]
        change: Vec<String>,
    },
    /// Write images to a `docker save` archive.
    Save {
        /// The output file (default: stdout).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Images.
        #[arg(required = true)]
        images: Vec<String>,
    },
    /// Load images from a `docker save` archive.
    Load {
        /// The archive (default: stdin).
        #[arg(short, long)]
        input: Option<PathBuf>,
    },
    /// List the changes in a container's filesystem (A added, C changed, D deleted).
    Diff {
        /// The container.
        container: String,
    },
    /// Build an image from a Dockerfile.
    Build(crate::cli::build::BuildArgs),
    /// Make an image from a container's changes.
    Commit {
        /// The image's author (the config's `author`).
        #[arg(short, long, default_value = "")]
        author: String,
        /// A message for the new history entry (`docker history` shows it as COMMENT).
        #[arg(short, long, default_value = "")]
        message: String,
        /// The container.
        container: String,
        /// The new image's name.
        reference: Option<String>,
    },
    /// Pull an image from a registry.
    Pull {
        /// The image reference, e.g. `alpine` or `127.0.0.1:5000/app:1`.
        image: String,
    },
    /// Upload an image to its registry.
    Push {
        /// The image as tagged here, e.g. `127.0.0.1:5000/lab/app:1`.
        image: String,
    },
    /// Log in to a registry (the credentials are checked, then saved in `<root>/config.json`).
    Login {
        /// User name.
        #[arg(short, long)]
        username: Option<String>,
        /// Password (prefer --password-stdin: this one shows in `ps`).
        #[arg(short, long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from stdin.
        #[arg(long)]
        password_stdin: bool,
        /// The registry (default: docker.io).
        server: Option<String>,
    },
    /// Forget the saved credentials of a registry.
    Logout {
        /// The registry (default: docker.io).
        server: Option<String>,
    },
    /// System-wide information: storage, cgroup layout, counts.
    Info {
        /// Go template over the information (`{{.Containers}}`), or `json`.
        #[arg(short, long)]
        format: Option<String>,
    },
    /// Manage volumes.
    Volume {
        /// What to do.
        #[command(subcommand)]
        command: crate::cli::volume_args::VolumeCommand,
    },
    /// Disk usage and clean-up.
    System {
        /// What to do.
        #[command(subcommand)]
        command: SystemCommand,
    },
    /// Version information.
    Version {
        /// Go template over the versions (`{{.Client.Version}}`), or `json`.
        #[arg(short, long)]
        format: Option<String>,
    },
    /// Check this machine for what containers need (lesson 00's doctor).
    Doctor,
    /// Manage networks (bridges with their own subnet).
    Network {
        /// What to do.
        #[command(subcommand)]
        command: crate::cli::network_args::NetworkCommand,
    },
    /// List a container's published ports (or the host address of one of them).
    Port {
        /// The container.
        container: String,
        /// Only this port: `80` or `80/tcp`; prints only its host address.
        port: Option<String>,
    },
    /// Show a container's processes (ps(1) on the host, only the container's rows).
    Top {
        /// The container.
        container: String,
        /// ps options (default `-ef`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        ps_args: Vec<String>,
    },
    /// Show what containers use: CPU, memory, network and block I/O, processes.
    Stats {
        /// Every container (default: running ones).
        #[arg(short, long)]
        all: bool,
        /// Print one reading and exit (default: refresh every second).
        #[arg(long)]
        no_stream: bool,
        /// Go template per line (`{{.CPUPerc}}`), `table TEMPLATE`, or `json`.
        #[arg(long)]
        format: Option<String>,
        /// Containers (default: all running ones).
        containers: Vec<String>,
    },
    /// Copy files between a container and the host: `cp CONTAINER:SRC DEST` or
    /// `cp SRC CONTAINER:DEST` (a local path with `:` must start with `/` or `./`).
    Cp {
        /// Archive mode: keep the source's owners (uid:gid).
        #[arg(short, long)]
        archive: bool,
        /// Follow a symlink given as the source.
        #[arg(short = 'L', long)]
        follow_link: bool,
        /// The source.
        src: String,
        /// The destination.
        dest: String,
    },
    /// Change a container's limits (in its live cgroup too) and restart policy.
    Update {
        /// Memory limit (e.g. 128m).
        #[arg(short, long)]
        memory: Option<String>,
        /// Number of CPUs (e.g. 0.5).
        #[arg(long)]
        cpus: Option<String>,
        /// Maximum number of processes.
        #[arg(long, allow_hyphen_values = true)]
        pids_limit: Option<String>,
        /// Restart policy: `no`, `always`, `on-failure[:max-retries]`, `unless-stopped`.
        #[arg(long)]
        restart: Option<String>,
        /// Containers.
        #[arg(required = true)]
        containers: Vec<String>,
    },
    /// Print the engine's events (as they happen, until --until or Ctrl-C).
    Events {
        /// Only events since this time: RFC 3339, Unix seconds, or a duration ago (`10m`).
        #[arg(long)]
        since: Option<String>,
        /// Stop at this time (same forms as --since); without it, follow until Ctrl-C.
        #[arg(long)]
        until: Option<String>,
        /// `type=`, `event=`, `container=`, `image=`, `network=`, `volume=`.
        #[arg(short, long)]
        filter: Vec<String>,
        /// A Go template (`{{json .}}`, `{{.Action}}`).
        #[arg(long)]
        format: Option<String>,
    },
    /// Give a container a new name.
    Rename {
        /// The container.
        container: String,
        /// Its new name.
        name: String,
    },
    /// Show how an image was made: one row per step of its history.
    History {
        /// Do not cut long commands.
        #[arg(long)]
        no_trunc: bool,
        /// Only print image ids.
        #[arg(short, long)]
        quiet: bool,
        /// The image.
        image: String,
    },
    /// Write a container's filesystem as a tar archive (volumes not included).
    Export {
        /// Write to this file instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// The container.
        container: String,
    },
    /// Manage containers (`container prune`).
    Container {
        /// What to do.
        #[command(subcommand)]
        command: ContainerCommand,
    },
    /// Manage images (`image prune`).
    Image {
        /// What to do.
        #[command(subcommand)]
        command: ImageCommand,
    },
    /// Serve Docker's Engine API on a unix socket, for the docker CLI, docker-compose and SDKs.
    Daemon {
        /// Where to listen (`DOCKER_HOST` for clients); default `unix://RUNROOT/docker.sock`,
        /// i.e. `unix:///run/capstone/docker.sock`.
        #[arg(short = 'H', long)]
        host: Option<String>,
        /// A group whose members may use the socket too (default: root only).
        #[arg(long)]
        group: Option<String>,
    },
    /// Runs a detached container's monitor (started by the engine itself).
    #[command(name = "__monitor", hide = true)]
    Monitor {
        /// The container id.
        id: String,
    },
}

/// `container` subcommands.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ContainerCommand {
    /// Remove every stopped container.
    Prune {
        /// Do not ask (required: there is no prompt).
        #[arg(short, long)]
        force: bool,
    },
}

/// `image` subcommands.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ImageCommand {
    /// Remove dangling image data (with -a: every image no container uses).
    Prune {
        /// Also remove tagged images that no container uses.
        #[arg(short, long)]
        all: bool,
        /// Do not ask (required: there is no prompt).
        #[arg(short, long)]
        force: bool,
    },
    /// Show how an image was made.
    History {
        /// Do not cut long commands.
        #[arg(long)]
        no_trunc: bool,
        /// Only print image ids.
        #[arg(short, long)]
        quiet: bool,
        /// The image.
        image: String,
    },
}

/// `system` subcommands.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum SystemCommand {
    /// Show how much disk images and containers use.
    Df,
    /// Remove stopped containers (and what half-made ones left), unused networks, dangling images.
    Prune {
        /// Do not ask (required: there is no prompt).
        #[arg(short, long)]
        force: bool,
        /// Also remove unused anonymous volumes.
        #[arg(long)]
        volumes: bool,
    },
}

/// Flags of `run` and `create`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run in the background and print the container id.
    #[arg(short, long)]
    pub detach: bool,
    /// Keep stdin open.
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal.
    #[arg(short, long)]
    pub tty: bool,
    /// Remove the container when it exits.
    #[arg(long)]
    pub rm: bool,
    /// Name the container.
    #[arg(long)]
    pub name: Option<String>,
    /// Set environment variables (`KEY=value`, or `KEY` to pass ours on).
    #[arg(short, long = "env")]
    pub env: Vec<String>,
    /// Read environment variables from a file.
    #[arg(long)]
    pub env_file: Vec<PathBuf>,
    /// Working directory inside the container.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// User (`name|uid[:group|gid]`).
    #[arg(short, long)]
    pub user: Option<String>,
    /// Container hostname.
    #[arg(long)]
    pub hostname: Option<String>,
    /// Override the image's entrypoint.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Memory limit (e.g. 64m).
    #[arg(short, long)]
    pub memory: Option<String>,
    /// Number of CPUs (e.g. 0.5).
    #[arg(long)]
    pub cpus: Option<String>,
    /// Maximum number of processes (-1: unlimited).
    #[arg(long, allow_hyphen_values = true)]
    pub pids_limit: Option<String>,
    /// Mount the root filesystem read-only.
    #[arg(long)]
    pub read_only: bool,
    /// Network: `bridge` (default), `none`, `host` or a network's name.
    #[arg(long, alias = "net")]
    pub network: Option<String>,
    /// Publish a container's port on the host: `[0.0.0.0:]hostport:port[/tcp|/udp]`, or `port`.
    #[arg(short, long)]
    pub publish: Vec<String>,
    /// Add capabilities.
    #[arg(long)]
    pub cap_add: Vec<String>,
    /// Drop capabilities.
    #[arg(long)]
    pub cap_drop: Vec<String>,
    /// Security options: `seccomp=unconfined`, `seccomp=PROFILE.json` (Docker's profile
    /// format), `no-new-privileges`.
    #[arg(long = "security-opt", value_name = "OPT")]
    pub security_opt: Vec<String>,
    /// Give every capability and mask nothing.
    #[arg(long)]
    pub privileged: bool,
    /// Run the engine's own init as pid 1 (reaps zombies, forwards signals).
    #[arg(long)]
    pub init: bool,
    /// Restart policy: `no`, `always`, `on-failure[:max-retries]`, `unless-stopped`.
    #[arg(long)]
    pub restart: Option<String>,
    /// Command to run to check health (with `/bin/sh -c`).
    #[arg(long)]
    pub health_cmd: Option<String>,
    /// Time between health checks (e.g. 30s).
    #[arg(long)]
    pub health_interval: Option<String>,
    /// Longest a check may run (e.g. 30s).
    #[arg(long)]
    pub health_timeout: Option<String>,
    /// Time after the start when failures do not count.
    #[arg(long)]
    pub health_start_period: Option<String>,
    /// Failures in a row that make it unhealthy.
    #[arg(long)]
    pub health_retries: Option<String>,
    /// Disable any health check, the image's too.
    #[arg(long)]
    pub no_healthcheck: bool,
    /// Platform (only the machine's own, e.g. linux/amd64).
    #[arg(long)]
    pub platform: Option<String>,
    /// Bind mount or volume: `/host/path:/ctr/path[:ro]`, `NAME:/ctr/path[:ro]`, `/ctr/path`.
    #[arg(short, long = "volume")]
    pub volume: Vec<String>,
    /// Bind mount, volume or tmpfs: `type=bind|volume|tmpfs,source=…,target=…[,readonly]`.
    #[arg(long)]
    pub mount: Vec<String>,
    /// Labels, the image's and these flags' (`-l`, `--label-file`, `-P`, `--tmpfs`, …).
    #[command(flatten)]
    pub more: crate::cli::run_flags::MoreRunArgs,
    /// The image.
    pub image: String,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// Flags of `exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Keep stdin open.
    #[arg(short, long)]
    pub interactive: bool,
    /// Allocate a pseudo-terminal.
    #[arg(short, long)]
    pub tty: bool,
    /// Run in the background.
    #[arg(short, long)]
    pub detach: bool,
    /// Extra environment variables.
    #[arg(short, long = "env")]
    pub env: Vec<String>,
    /// User (`name|uid[:group|gid]`).
    #[arg(short, long)]
    pub user: Option<String>,
    /// Working directory.
    #[arg(short, long)]
    pub workdir: Option<String>,
    /// The container.
    pub container: String,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    /// clap's own checks of every verb and flag (conflicting names, bad defaults…), deferred
    /// verbs included: without this, a mistake in one verb only shows when it is typed.
    #[test]
    fn every_verb_and_flag_passes_claps_checks() {
        Cli::command().debug_assert();
    }
}

//! The compose verbs and their flags, with Docker Compose's names (`docker compose up -d`,
//! `down -v`, `logs -f`, …), parsed by clap. Each verb's work is in its own module.

use clap::{Args, Subcommand};

/// The compose verbs.
#[derive(Debug, Subcommand)]
pub enum ComposeCommand {
    /// Validate the files and print the resolved model (YAML, or JSON with --format json).
    Config(super::ConfigArgs),
    /// Create and start the project's containers (networks, volumes and images first).
    Up(UpArgs),
    /// Stop and remove the project's containers and networks (volumes with -v).
    Down(DownArgs),
    /// List the project's containers.
    Ps(PsArgs),
    /// Show the services' output, each line prefixed with its container's name.
    Logs(LogsArgs),
    /// Run a command in a running service container.
    Exec(ExecArgs),
    /// Run a one-off command in a new container of a service.
    Run(RunArgs),
    /// Build the services' images.
    Build(Services),
    /// Pull the services' images.
    Pull(Services),
    /// Push the images of the services that have both `build:` and `image:`.
    Push(PushArgs),
    /// Start the services' existing containers.
    Start(Services),
    /// Stop the services' containers.
    Stop(StopArgs),
    /// Restart the services' containers.
    Restart(StopArgs),
    /// Remove the services' stopped containers.
    Rm(RmArgs),
    /// Send a signal to the services' containers.
    Kill(KillArgs),
    /// Show the processes of the services' running containers.
    Top(Services),
    /// List the images the project's containers use.
    Images(Services),
    /// Print the host address a service's container port is published on.
    Port(PortArgs),
    /// List the compose projects (from the containers' labels).
    Ls(LsArgs),
}

/// Verbs that take only service names (none: every service).
#[derive(Debug, Args)]
pub struct Services {
    /// The services (default: all).
    pub services: Vec<String>,
}

/// `push`'s flags.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Go on with the next service when a push fails.
    #[arg(long)]
    pub ignore_push_failures: bool,
    /// Print no progress.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// The services (default: all).
    pub services: Vec<String>,
}

/// `up`'s flags.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Detached: start the containers and return.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Build images before starting containers.
    #[arg(long, conflicts_with = "no_build")]
    pub build: bool,
    /// Never build a missing image.
    #[arg(long)]
    pub no_build: bool,
    /// Recreate containers even if their configuration has not changed.
    #[arg(long)]
    pub force_recreate: bool,
    /// Remove containers of services no longer in the files.
    #[arg(long)]
    pub remove_orphans: bool,
    /// SERVICE=N: the number of containers of a service (overrides deploy.replicas).
    #[arg(long, value_name = "SERVICE=N")]
    pub scale: Vec<String>,
    /// Seconds to wait for a container to stop when it is replaced or Ctrl-C stops `up`.
    #[arg(short = 't', long, default_value_t = 10)]
    pub timeout: u64,
    /// The services to start (their dependencies too); default: all.
    pub services: Vec<String>,
}

/// `down`'s flags.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Remove the named volumes of the file and the containers' anonymous volumes too.
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Remove images too: `local` (images built without an `image:` name) or `all`.
    #[arg(long, value_parser = ["local", "all"])]
    pub rmi: Option<String>,
    /// Remove containers of services no longer in the files.
    #[arg(long)]
    pub remove_orphans: bool,
    /// Seconds to wait for each container to stop.
    #[arg(short = 't', long, default_value_t = 10)]
    pub timeout: u64,
}

/// `ps`'s flags.
#[derive(Debug, Args)]
pub struct PsArgs {
    /// Stopped containers too.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only the ids.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Only the services' names.
    #[arg(long)]
    pub services: bool,
    /// The services (default: all).
    #[arg(value_name = "SERVICE")]
    pub names: Vec<String>,
}

/// `logs`'s flags.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Follow the output until every container has stopped.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Show each line's time.
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Only the last N lines of each container.
    #[arg(long, value_name = "N")]
    pub tail: Option<String>,
    /// No colours.
    #[arg(long)]
    pub no_color: bool,
    /// No `name |` prefix.
    #[arg(long)]
    pub no_log_prefix: bool,
    /// The services (default: all).
    pub services: Vec<String>,
}

/// `exec`'s flags.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// No pseudo-terminal (by default one is given when stdin is a terminal).
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// `KEY=value` to add to the environment.
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Run as this user.
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// The working directory.
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Which of the service's containers (1, 2, …).
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    /// Not supported: exec always runs in the foreground.
    #[arg(short = 'd', long, hide = true)]
    pub detach: bool,
    /// The service.
    pub service: String,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// `run`'s flags.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Remove the container when it exits.
    #[arg(long)]
    pub rm: bool,
    /// Start it in the background and print its id.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// No pseudo-terminal.
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,
    /// `KEY=value` to add to the environment.
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// The container's name (default `<project>-<service>-run-<id>`).
    #[arg(long)]
    pub name: Option<String>,
    /// Do not start the services it depends on.
    #[arg(long)]
    pub no_deps: bool,
    /// Run as this user.
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// The working directory.
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Replace the image's entrypoint.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// The service.
    pub service: String,
    /// The command (default: the service's).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// `stop`'s and `restart`'s flags.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait before SIGKILL (default: the service's stop_grace_period, or 10).
    #[arg(short = 't', long)]
    pub timeout: Option<u64>,
    /// The services (default: all).
    pub services: Vec<String>,
}

/// `rm`'s flags.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Do not ask for confirmation.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Stop the containers first, if needed.
    #[arg(short = 's', long)]
    pub stop: bool,
    /// Remove their anonymous volumes too.
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// The services (default: all).
    pub services: Vec<String>,
}

/// `kill`'s flags.
#[derive(Debug, Args)]
pub struct KillArgs {
    /// The signal.
    #[arg(short = 's', long, default_value = "SIGKILL")]
    pub signal: String,
    /// The services (default: all).
    pub services: Vec<String>,
}

/// `port`'s flags.
#[derive(Debug, Args)]
pub struct PortArgs {
    /// tcp or udp.
    #[arg(long, default_value = "tcp")]
    pub protocol: String,
    /// Which of the service's containers.
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    /// The service.
    pub service: String,
    /// The container's port.
    pub private_port: u16,
}

/// `ls`'s flags.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// Projects whose containers are all stopped too.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only the names.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

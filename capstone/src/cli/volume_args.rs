//! `capstone volume …`'s subcommands and flags (Docker's). Only parsing lives here; the
//! verbs are in `cli::volume`.

use clap::Subcommand;

/// `volume` subcommands.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum VolumeCommand {
    /// Create a volume (a random name when none is given); prints its name.
    Create {
        /// Set metadata (`key=value`).
        #[arg(long)]
        label: Vec<String>,
        /// The driver: only `local` (a directory under the engine's root).
        #[arg(short, long, default_value = "local")]
        driver: String,
        /// The name.
        name: Option<String>,
    },
    /// List volumes.
    #[command(alias = "list")]
    Ls {
        /// Only print names.
        #[arg(short, long)]
        quiet: bool,
        /// Filter: `dangling=true|false` (used by no container), `name=PART`, `label=KEY[=VALUE]`.
        #[arg(short, long)]
        filter: Vec<String>,
        /// Go template per line (`{{.Name}}`), `table TEMPLATE` for a table, or `json`.
        #[arg(long)]
        format: Option<String>,
    },
    /// Show volumes as JSON (Docker's fields).
    Inspect {
        /// Volumes.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Remove volumes (refused while a container, running or not, uses one).
    #[command(alias = "remove")]
    Rm {
        /// Accepted for Docker compatibility; a volume in use is still refused.
        #[arg(short, long)]
        force: bool,
        /// Volumes.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Remove unused anonymous volumes (all unused volumes with -a).
    Prune {
        /// Also remove unused named volumes.
        #[arg(short, long)]
        all: bool,
        /// Do not ask (required: there is no prompt).
        #[arg(short, long)]
        force: bool,
    },
}

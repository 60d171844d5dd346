//! `capstone network …`'s subcommands and flags (Docker's). Only parsing lives here; the
//! verbs are in `cli::network`.

use clap::Subcommand;

/// `network` subcommands.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum NetworkCommand {
    /// Create a network: a bridge, a subnet, NAT.
    Create {
        /// The subnet in CIDR notation (default: the first free 172.31.N.0/24).
        #[arg(long)]
        subnet: Option<String>,
        /// The driver (only `bridge`).
        #[arg(short, long)]
        driver: Option<String>,
        /// Set a label: `KEY=VALUE`.
        #[arg(long)]
        label: Vec<String>,
        /// No route out: its containers reach only each other (and the host's bridge address).
        #[arg(long)]
        internal: bool,
        /// Its name.
        name: String,
    },
    /// List networks.
    #[command(alias = "list")]
    Ls {
        /// Only print ids.
        #[arg(short, long)]
        quiet: bool,
        /// Filter: `label=KEY` or `label=KEY=VALUE`.
        #[arg(short, long)]
        filter: Vec<String>,
        /// Go template per line (`{{.Name}}`), `table TEMPLATE` for a table, or `json`.
        #[arg(long)]
        format: Option<String>,
    },
    /// Remove networks no container is attached to.
    #[command(alias = "remove")]
    Rm {
        /// Networks (name or id).
        #[arg(required = true)]
        networks: Vec<String>,
    },
    /// Show networks as JSON.
    Inspect {
        /// Networks (name or id).
        #[arg(required = true)]
        networks: Vec<String>,
    },
    /// Connect a container to a network.
    Connect {
        /// The network.
        network: String,
        /// The container.
        container: String,
    },
    /// Disconnect a container from a network.
    Disconnect {
        /// The network.
        network: String,
        /// The container.
        container: String,
    },
    /// Remove every network no container (running or stopped) is on.
    Prune {
        /// Do not ask (required: there is no prompt).
        #[arg(short, long)]
        force: bool,
    },
}

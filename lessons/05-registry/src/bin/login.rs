//! `login` / credentials: check a user name and password against a registry and save them.
//!
//! Run: `echo PASSWORD | cargo run -p registry --bin login -- 127.0.0.1:5000 -u student --password-stdin`
//! `cargo run -p registry --bin login -- 127.0.0.1:5000 --logout` forgets them.
//! The file (`~/.config/container-lab/auth.json`, or `$LAB_AUTH_FILE`) has the shape of
//! Docker's `config.json` and is created with mode 0600 (open(2) `mode`), like Docker's.

use std::io::Read;

use anyhow::{Context, bail};
use clap::Parser;
use registry::Client;
use registry::auth::{CredentialStore, Login};

/// Log in to (or out of) a registry.
#[derive(Parser)]
struct Args {
    /// Registry host (`docker.io`, `127.0.0.1:5000`).
    registry: String,
    /// User name.
    #[arg(short, long)]
    username: Option<String>,
    /// Read the password from standard input (never put it on the command line).
    #[arg(long)]
    password_stdin: bool,
    /// Forget the saved credentials instead.
    #[arg(long)]
    logout: bool,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let path = CredentialStore::default_path();
    let mut saved = CredentialStore::load(&path)?;
    if args.logout {
        let removed = saved.remove(&args.registry);
        saved.save(&path)?;
        println!(
            "{} {}",
            if removed {
                "Removing login credentials for"
            } else {
                "Not logged in to"
            },
            args.registry
        );
        return Ok(());
    }
    let Some(username) = args.username else {
        bail!("give a user name with -u")
    };
    if !args.password_stdin {
        bail!("pass the password on standard input with --password-stdin");
    }
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from stdin")?;
    let login = Login {
        username,
        password: password.trim_end_matches('\n').to_string(),
    };
    // Check the credentials before saving them: ping, then ask for access as this user.
    registry::login::check(
        Client::from_user_files()?.config().clone(),
        &args.registry,
        &login,
    )?;
    saved.set(&args.registry, &login);
    saved.save(&path)?;
    println!("Login Succeeded (saved to {}, mode 0600)", path.display());
    Ok(())
}

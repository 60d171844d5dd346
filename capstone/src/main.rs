//! `capstone`: parse the command line, hand it to the engine, exit with its code.
//! Everything else lives in the library (`src/lib.rs`).

use clap::Parser;

fn main() {
    // Flag errors exit 125, like the Docker CLI's; `--help` and `--version` exit 0.
    let cli = capstone::cli::Cli::try_parse().unwrap_or_else(|e| {
        let code = if e.use_stderr() { 125 } else { 0 };
        let _ = e.print();
        std::process::exit(code)
    });
    std::process::exit(capstone::commands::main(cli));
}

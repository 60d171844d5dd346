//! `capstone`: parse the command line, hand it to the engine, exit with its code.
//! Everything else lives in the library (`src/lib.rs`).

use clap::Parser;
use std::ffi::OsString;
use std::path::Path;

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    // A detached container's monitor lives as long as its container, so it skips clap: the
    // parser's code and tables would stay in its memory for nothing. The engine starts it
    // with exactly these words (see `lifecycle::start_detached`).
    if let [_, root_flag, root, runroot_flag, runroot, verb, id] = &args[..]
        && root_flag == "--root"
        && runroot_flag == "--runroot"
        && verb == capstone::engine::lifecycle::MONITOR_COMMAND
    {
        let id = id.to_string_lossy();
        std::process::exit(capstone::cli::monitor(
            Path::new(root),
            Path::new(runroot),
            &id,
        ));
    }
    // Flag errors exit 125, like the Docker CLI's; `--help` and `--version` exit 0.
    let cli = capstone::cli::args::Cli::try_parse_from(args).unwrap_or_else(|e| {
        let code = if e.use_stderr() { 125 } else { 0 };
        let _ = e.print();
        std::process::exit(code)
    });
    std::process::exit(capstone::cli::main(cli));
}

//! `capstone-runtime`: an OCI runtime with runc's command line. Everything is in the
//! library: the front end `capstone::runtime_cli`, the operations `capstone::engine::oci`.

fn main() {
    std::process::exit(capstone::runtime_cli::main(std::env::args_os().collect()));
}

//! Prints the `config.json` each input of the `runtime_config_structured` fuzz target stands
//! for: its corpus files are raw bytes that the `arbitrary` crate reads as choices, so this is
//! how a reader (or a replay through the byte-level target) sees them.
//!
//!     cargo run -p capstone --example config_shape -- FILE…          # JSON on stdout
//!     cargo run -p capstone --example config_shape -- --into DIR FILE…  # DIR/<name>.json each

use arbitrary::{Arbitrary, Unstructured};
use capstone::fuzzing::ConfigShape;
use std::path::{Path, PathBuf};

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let into = match args.first().map(String::as_str) {
        Some("--into") if args.len() >= 2 => {
            let dir = PathBuf::from(args[1].clone());
            args.drain(..2);
            Some(dir)
        }
        _ => None,
    };
    for file in &args {
        let bytes = std::fs::read(file)?;
        // As the target does: an input `arbitrary` cannot read is skipped.
        let Ok(shape) = ConfigShape::arbitrary_take_rest(Unstructured::new(&bytes)) else {
            eprintln!("{file}: not a config shape (the target skips it)");
            continue;
        };
        let json = serde_json::to_string(&shape.to_json())?;
        match &into {
            Some(dir) => {
                let name = Path::new(file).file_name().unwrap_or_default();
                std::fs::write(dir.join(name).with_extension("json"), json)?;
            }
            None => println!("{json}"),
        }
    }
    Ok(())
}

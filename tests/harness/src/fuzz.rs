//! Replaying fuzz corpora in a plain `cargo test`: every crate with fuzz targets keeps, beside
//! them, the inputs libFuzzer found interesting (`fuzz/corpus/<target>/`), the seeds written
//! by hand (`fuzz/seeds/<target>/`, where a target has them) and the inputs that once broke
//! something (`fuzz/regressions/<target>/`). Feeding them to the same function the target runs
//! checks them on the stable toolchain, fast and deterministically.

use std::path::Path;

/// Feeds every file of `<fuzz_dir>/corpus/<target>/`, `<fuzz_dir>/seeds/<target>/` (inputs
/// written by hand, one per part of the grammar) and `<fuzz_dir>/regressions/<target>/` (in
/// name order) to `body`; returns how many it fed. A panic in `body` fails the test, after
/// `replaying FILE` on stderr has named the input.
pub fn replay(fuzz_dir: &Path, target: &str, body: fn(&[u8])) -> usize {
    let mut count = 0;
    for dir in [
        fuzz_dir.join("corpus").join(target),
        fuzz_dir.join("seeds").join(target),
        fuzz_dir.join("regressions").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries.map(|e| e.expect("corpus entry").path()).collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).expect("read corpus file");
            eprintln!("replaying {}", file.display());
            body(&data);
            count += 1;
        }
    }
    count
}

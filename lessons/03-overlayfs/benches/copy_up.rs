//! What copy-up costs: appending one byte to a lower file through an overlay copies the whole
//! file into the upper dir first, so the first write's time grows with the file's size; the
//! second write, and a write to a file already in the upper dir, cost the same as anywhere.
//!
//! Run: `cargo bench -p overlay --bench copy_up` (needs root: it mounts overlays).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_main};
use overlay::scratch::{Scratch, write_file};
use overlay::{Mounted, Overlay};

/// A fresh overlay whose only lower holds `file.bin` of `size` bytes. The mount guard comes
/// first in the tuple so it is dropped (unmounted) before the scratch dir is removed.
fn fresh_overlay(size: usize) -> (Mounted, Scratch) {
    let lab = Scratch::new().unwrap();
    let lower = lab.dir("lower").unwrap();
    write_file(&lower.join("file.bin"), vec![1u8; size]).unwrap();
    let (upper, work, merged) = lab.overlay_dirs("c").unwrap();
    let mounted = Overlay::new([&lower], &upper, &work)
        .mount(&merged)
        .unwrap();
    (mounted, lab)
}

fn append_one_byte(path: &Path) {
    let mut file = OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(b"!").unwrap();
}

fn copy_up(c: &mut Criterion) {
    let mut group = c.benchmark_group("append one byte");
    group.sample_size(20);
    for (label, size) in [("1 MiB", 1 << 20), ("16 MiB", 16 << 20)] {
        group.bench_function(
            format!("first write to a {label} lower file (copy-up)"),
            |b| {
                b.iter_batched(
                    || fresh_overlay(size),
                    |(mounted, lab)| {
                        append_one_byte(&mounted.target().join("file.bin"));
                        (mounted, lab) // dropped after the measurement
                    },
                    BatchSize::PerIteration,
                )
            },
        );
    }
    group.bench_function("second write to a 16 MiB file (already copied up)", |b| {
        b.iter_batched(
            || {
                let (mounted, lab) = fresh_overlay(16 << 20);
                append_one_byte(&mounted.target().join("file.bin"));
                (mounted, lab)
            },
            |(mounted, lab)| {
                append_one_byte(&mounted.target().join("file.bin"));
                (mounted, lab)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

// criterion's macro generates an undocumented `benches` function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::copy_up);
}
criterion_main!(group::benches);

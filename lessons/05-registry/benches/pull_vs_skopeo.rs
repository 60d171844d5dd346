//! Pull a ~100 MB, 4-layer image from a local `docker-registry`: our client vs `skopeo copy`.
//!
//! Run: `cargo bench -p registry --bench pull_vs_skopeo` (release build; a few minutes the
//! first time). Each round pulls into a fresh store (ours: lesson 04's store, fsync'd blobs) and
//! a fresh OCI layout (skopeo: `--dest-oci-accept-uncompressed-layers`, so neither side
//! compresses). The median of 5 rounds each is printed, with the ratio the chapter quotes.

use std::process::Command;
use std::time::{Duration, Instant};

use harness::registry::image::{OCI_LAYER_TAR, OciLayout, noise, tar_layer};
use harness::registry::{Auth, Registry};
use registry::pull::{PullOptions, pull};
use registry::{Client, Reference};

const LAYERS: usize = 4;
const LAYER_BYTES: usize = 25 << 20;
const ROUNDS: usize = 5;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let registry = Registry::start(Auth::None);
    let dir = tempfile::tempdir().unwrap();
    let mut layout = OciLayout::new(dir.path());
    let layers: Vec<Vec<u8>> = (0..LAYERS)
        .map(|i| tar_layer(&[("data.bin", &noise(LAYER_BYTES, i as u64 + 1), 0o644)]))
        .collect();
    let total: usize = layers.iter().map(Vec::len).sum();
    let image = layout.image("amd64", None, &layers, OCI_LAYER_TAR);
    drop(layers);
    registry.push_with_skopeo(&layout.name("big", &image), "bench/big:1", false);
    let reference = Reference::parse(&format!("{}/bench/big:1", registry.host())).unwrap();
    let source = format!("docker://{reference}");

    let (mut ours, mut skopeo) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let store_dir = tempfile::tempdir().unwrap();
        let store = images::store::Store::open(store_dir.path()).unwrap();
        let options = PullOptions {
            progress: false,
            jobs: LAYERS,
            ..PullOptions::default()
        };
        let start = Instant::now();
        let pulled = pull(&Client::anonymous(), &store, &reference, &options).unwrap();
        ours.push(start.elapsed());
        assert_eq!(pulled.downloaded, LAYERS + 1);

        let out = tempfile::tempdir().unwrap();
        let dest = format!("oci:{}:big", out.path().display());
        let start = Instant::now();
        let status = Command::new("skopeo")
            .args([
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                "--dest-oci-accept-uncompressed-layers",
                &source,
                &dest,
            ])
            .status()
            .unwrap();
        skopeo.push(start.elapsed());
        assert!(status.success());
    }
    let (ours, skopeo) = (median(ours), median(skopeo));
    let mb = total as f64 / (1 << 20) as f64;
    println!(
        "image: {LAYERS} layers, {mb:.0} MiB, from docker-registry on 127.0.0.1 ({ROUNDS} rounds, median)"
    );
    println!(
        "ours   : {:>7.1} ms  ({:.0} MiB/s)",
        ours.as_secs_f64() * 1e3,
        mb / ours.as_secs_f64()
    );
    println!(
        "skopeo : {:>7.1} ms  ({:.0} MiB/s)",
        skopeo.as_secs_f64() * 1e3,
        mb / skopeo.as_secs_f64()
    );
    println!(
        "ratio ours/skopeo: {:.2} (below 1 means we are faster)",
        ours.as_secs_f64() / skopeo.as_secs_f64()
    );
}

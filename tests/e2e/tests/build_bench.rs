//! Benchmark (ignored by default; run it on purpose): the same small multi-step Dockerfile
//! (`tests/dockerfiles/bench`) built cold (`--no-cache`) and fully cached, by `capstone build`
//! and by `buildah bud --layers` (chroot isolation, overlay storage), alternating, in one run.
//!
//! ```text
//! cargo test -p e2e --release --test build_bench -- --ignored --nocapture
//! ```
//! It prints a table of medians; the book's build chapter quotes it. Nothing is asserted about
//! speed (timing belongs in benchmarks, not tests); it only checks both builds succeed.

mod capstone_support;
#[path = "dockerfiles/common.rs"]
mod common;

use capstone_support::Engine;
use common::*;
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn build_cold_and_cached_ours_vs_buildah() {
    let ctx = context_copy("bench");
    let engine = Engine::with_busybox();
    let buildah = Buildah::with_busybox_on("overlay");
    let mut times: [Vec<Duration>; 4] = Default::default();
    for _ in 0..ROUNDS {
        for (slot, cold) in [(0, true), (1, false)] {
            let extra: &[&str] = if cold {
                &["-t", "bench", "--no-cache"]
            } else {
                &["-t", "bench"]
            };
            let start = Instant::now();
            let run = capstone_build(&engine, ctx.path(), extra);
            times[slot].push(start.elapsed());
            assert_eq!(run.code, 0, "{run:?}");
            let start = Instant::now();
            let out = buildah.bud(ctx.path(), extra);
            times[slot + 2].push(start.elapsed());
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let [ours_cold, ours_cached, buildah_cold, buildah_cached] = times.map(median);
    println!("| build ({ROUNDS} rounds, median) | capstone build | buildah bud --layers |");
    println!("|---|---|---|");
    println!(
        "| cold (--no-cache) | {} | {} |",
        ms(ours_cold),
        ms(buildah_cold)
    );
    println!(
        "| fully cached | {} | {} |",
        ms(ours_cached),
        ms(buildah_cached)
    );
}

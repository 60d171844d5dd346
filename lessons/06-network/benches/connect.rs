//! What does giving a container a network cost? Starting a sandbox (the pause process and its
//! namespaces) alone, and sandbox + connect (lease, veth pair, addresses, route, wait for the
//! link to run) + disconnect, on a bridge network — all inside a private namespace.
//!
//! Run:  cargo bench -p network
//! The chapter compares the difference with podman's bridge overhead measured on this machine.

// criterion_group! generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use network::{Networks, Sandbox};

fn connect(c: &mut Criterion) {
    // Only this (main) thread moves into the private host namespace, and every thread it
    // starts later inherits it: the machine's own network is never touched.
    network::netns::unshare_host().expect("private host namespace (run as root)");
    let state = tempfile::tempdir().unwrap();
    let nets = Networks::new(state.path());
    nets.create("bench", "bench0", "10.110.0.0/16".parse().unwrap())
        .unwrap();

    let mut group = c.benchmark_group("network");
    group.bench_function("sandbox only", |b| {
        b.iter(|| drop(Sandbox::start("s", None).unwrap()));
    });
    group.bench_function("sandbox + connect + disconnect", |b| {
        b.iter(|| {
            let s = Sandbox::start("s", None).unwrap();
            nets.connect("bench", "s", s.netns()).unwrap();
            nets.disconnect("bench", "s").unwrap();
        });
    });
    group.finish();
    nets.remove("bench").unwrap();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = connect
}
criterion_main!(benches);

//! Teardown on the failure path: a test (or step) that panics half-way, with a swarm formed
//! and tasks running on every server, still leaves nothing behind.
//!
//! Run: `cargo build -p capstone --bin capstone-runtime && cargo test -p orchestration --test teardown`

use std::panic::{AssertUnwindSafe, catch_unwind};

use orchestration::{Cluster, images};

mod support;
use support::Footprint;

#[test]
fn a_panic_with_tasks_running_still_leaves_nothing_behind() {
    let mut footprint = None;
    let mut task_pids = Vec::new();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let cluster = Cluster::start().expect("start the cluster");
        cluster.form_swarm().expect("form the swarm");
        let sleep = ["sleep", "3600"];
        let spread = cluster.service("--name spread --replicas 3", &images::busybox(), &sleep);
        spread.expect("create spread");
        for task in cluster.wait_running("spread", 3).expect("spread runs") {
            let evidence = cluster.runtime_evidence(&task).expect("runtime evidence");
            task_pids.push(evidence.runtime_pid);
        }
        footprint = Some(Footprint::of(&cluster));
        panic!("a step failed half-way");
    }));
    assert!(outcome.is_err(), "the closure panics by design");
    footprint.expect("the cluster started").assert_gone();
    assert_eq!(task_pids.len(), 3);
    for pid in task_pids {
        let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
        assert!(!alive, "the container process {pid} outlived its cluster");
    }
}

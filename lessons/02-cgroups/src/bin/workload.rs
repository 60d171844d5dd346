//! The lesson's workloads as one binary, for tests: `workload --workload memory-hog`,
//! `busy-for 1000`, `fork-bomb 50`, `counter`. Steps run the same code by re-executing
//! themselves (see `cgroups::workload`).

fn main() {
    cgroups::workload::serve_if_asked();
    eprintln!("usage: workload --workload memory-hog | busy-for MS | fork-bomb N | counter");
    std::process::exit(2)
}

//! What does installing Docker's default seccomp profile cost a container's start? The profile
//! compiled by libseccomp as a chain of comparisons (level 1, its default) and as a binary
//! tree (level 2, what the lesson and the capstone use), each installed in a fresh child
//! process: a filter can never be removed, so every measurement needs a process of its own.
//!
//! Run:  cargo bench -p confinement
//! The chapter has the figures measured on this machine.

// criterion_group! generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use confinement::seccomp::{Filter, Profile, compile::compile_at};
use criterion::{Criterion, criterion_group, criterion_main};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};
use std::io::{Read, Write};
use std::time::Duration;

/// Forks, installs `filter` in the child with seccomp(2), and returns how long the
/// installing system call took, as the child measured it and sent it through a pipe.
fn install_once(filter: &Filter) -> Duration {
    let (mut reader, writer) = std::io::pipe().unwrap();
    // SAFETY: the benchmark is single-threaded here; the child only installs the filter,
    // writes eight bytes and exits.
    match unsafe { fork() }.unwrap() {
        ForkResult::Child => {
            confinement::no_new_privs::set().unwrap();
            let start = std::time::Instant::now();
            filter.install().unwrap();
            let nanos = start.elapsed().as_nanos() as u64;
            let _ = (&writer).write_all(&nanos.to_ne_bytes());
            // SAFETY: leaves the forked copy without running the parent's exit handlers.
            unsafe { libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            drop(writer);
            let mut bytes = [0u8; 8];
            reader.read_exact(&mut bytes).unwrap();
            assert!(matches!(waitpid(child, None), Ok(WaitStatus::Exited(_, 0))));
            Duration::from_nanos(u64::from_ne_bytes(bytes))
        }
    }
}

fn install(c: &mut Criterion) {
    let profile = Profile::docker_default().unwrap();
    let caps = confinement::capabilities::DEFAULT_CAPABILITIES
        .into_iter()
        .collect();
    let mut group = c.benchmark_group("install Docker's default profile");
    for (level, name) in [(1, "chain (level 1)"), (2, "binary tree (level 2)")] {
        let filter = compile_at(level, &profile, "default", &caps).unwrap();
        let label = format!("{name}, {} instructions", filter.instructions().len());
        group.bench_function(label, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| install_once(&filter)).sum());
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = install
}
criterion_main!(benches);

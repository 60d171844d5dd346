//! What does each piece of starting a container cost? clone(2) with each namespace kind alone
//! and all together, pivot_root(2) into the busybox root, and execve(2) of a static binary.
//!
//! Run:  cargo bench -p namespaces
//! The book's "Containers and virtual machines" chapter quotes these figures.

// criterion_group! generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use namespaces::mounts::{make_private, pivot_into};
use namespaces::{Namespace, process::spawn, rootfs};
use std::ffi::CString;

/// clone(2) a child in the given namespaces that exits at once, and reap it.
fn clone_and_reap(namespaces: &[Namespace]) {
    let child = spawn(namespaces, || 0).expect("clone");
    assert_eq!(child.wait().expect("wait"), 0);
}

fn clone_per_namespace(c: &mut Criterion) {
    let mut group = c.benchmark_group("clone");
    group.bench_function("no namespace (fork)", |b| b.iter(|| clone_and_reap(&[])));
    for ns in Namespace::ALL {
        group.bench_function(ns.proc_name(), |b| b.iter(|| clone_and_reap(&[ns])));
    }
    let container = [
        Namespace::Uts,
        Namespace::Pid,
        Namespace::Mount,
        Namespace::Ipc,
        Namespace::Net,
        Namespace::Cgroup,
    ];
    group.bench_function("all but user", |b| b.iter(|| clone_and_reap(&container)));
    group.finish();
}

fn pivot_root_and_exec(c: &mut Criterion) {
    let rootfs = rootfs::busybox_rootfs().expect("busybox rootfs");
    c.bench_function("clone(mnt) + pivot_root", |b| {
        b.iter(|| {
            let child = spawn(&[Namespace::Mount], || {
                match make_private().and_then(|_| pivot_into(&rootfs)) {
                    Ok(()) => 0,
                    Err(_) => 1,
                }
            })
            .expect("clone");
            assert_eq!(child.wait().expect("wait"), 0);
        })
    });
    let program = CString::new(format!("{}/bin/true", rootfs.display())).unwrap();
    c.bench_function("fork + execve(busybox true)", |b| {
        b.iter(|| {
            let child = spawn(&[], || {
                let Err(_) = nix::unistd::execv(&program, std::slice::from_ref(&program));
                127
            })
            .expect("clone");
            assert_eq!(child.wait().expect("wait"), 0);
        })
    });
}

criterion_group!(benches, clone_per_namespace, pivot_root_and_exec);
criterion_main!(benches);

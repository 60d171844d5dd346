//! What does each step of starting a container cost, and the whole start?
//!
//! - a cgroup: create it and attach a (held-back) process; remove an empty one (lesson 02);
//! - an overlay root: mount one with 1 and with 8 lower layers; unmount it (lesson 03);
//! - lesson 01's container: clone into six namespaces, mount /proc, /sys, /dev, pivot_root,
//!   exec busybox `true`, wait;
//! - everything an engine does, from the lessons' libraries (`e2e::sandbox`);
//! - `capstone run --rm IMAGE /bin/true`, when a capstone binary is there to run.
//!
//! clone(2) per namespace kind, pivot_root(2) and execve(2) alone are lesson 01's benchmark
//! (`cargo bench -p namespaces`); they are not repeated here.
//!
//! Run (as root): cargo bench -p e2e --bench start
//! The book's "Containers and virtual machines" chapter quotes these figures.

use cgroups::{CgroupGuard, Hierarchy};
use criterion::{BatchSize, Criterion};
use e2e::sandbox::{CONTROLLERS, Sandbox};
use harness::names::unique;
use namespaces::container::{ContainerSpec, run};
use namespaces::process::{Child, Gate, spawn};
use overlay::Overlay;
use overlay::scratch::Scratch;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A process held back on a gate, in a cgroup. Dropping it lets the process exit, reaps it,
/// then removes the (now empty) cgroup.
struct Held {
    gate: Gate,
    child: Option<Child>,
    _cgroup: CgroupGuard,
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = self.gate.open();
        if let Some(child) = self.child.take() {
            let _ = child.wait();
        }
    }
}

/// A child that does nothing until its gate opens (clone(2) with no new namespace).
fn held_child() -> (Gate, Child) {
    let gate = Gate::new().expect("pipe");
    let child = spawn(&[], || if gate.wait() { 0 } else { 1 }).expect("clone");
    (gate, child)
}

fn cgroup_steps(c: &mut Criterion) {
    let hierarchy = Hierarchy::detect().expect("a cgroup hierarchy");
    let mut group = c.benchmark_group("cgroup");
    group.bench_function("create + attach a process", |b| {
        b.iter_batched(
            held_child,
            |(gate, child)| {
                let cgroup = hierarchy
                    .create(&unique("kitb"), &CONTROLLERS)
                    .expect("create");
                cgroup.add_process(child.pid().as_raw()).expect("attach");
                Held {
                    gate,
                    child: Some(child),
                    _cgroup: CgroupGuard(cgroup),
                }
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("remove (empty)", |b| {
        b.iter_batched(
            || {
                hierarchy
                    .create(&unique("kitb"), &CONTROLLERS)
                    .expect("create")
            },
            |cgroup| cgroup.remove().expect("remove"),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// A scratch dir with `extra` empty lower layers above `image` and upper/work/merged dirs.
fn overlay_dirs(image: &Path, extra: usize) -> (Scratch, Overlay, PathBuf) {
    let dirs = Scratch::new().expect("scratch dir");
    let mut lowers: Vec<PathBuf> = (0..extra)
        .map(|i| dirs.dir(&format!("layer{i}")).expect("layer dir"))
        .collect();
    lowers.push(image.to_path_buf());
    let (upper, work, merged) = dirs.overlay_dirs("c").expect("overlay dirs");
    (dirs, Overlay::new(lowers, upper, work), merged)
}

fn overlay_steps(c: &mut Criterion) {
    let image = namespaces::rootfs::busybox_rootfs().expect("busybox rootfs");
    let mut group = c.benchmark_group("overlay");
    for lowers in [1, 8] {
        group.bench_function(format!("mount ({lowers} lower)"), |b| {
            b.iter_batched(
                || overlay_dirs(&image, lowers - 1),
                |(dirs, overlay, merged)| (overlay.mount(&merged).expect("mount"), dirs),
                BatchSize::PerIteration,
            )
        });
    }
    group.bench_function("unmount", |b| {
        b.iter_batched(
            || {
                let (dirs, overlay, merged) = overlay_dirs(&image, 0);
                (overlay.mount(&merged).expect("mount"), dirs)
            },
            |(mounted, dirs)| {
                mounted.unmount().expect("unmount");
                dirs
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn whole_starts(c: &mut Criterion) {
    let image = namespaces::rootfs::busybox_rootfs().expect("busybox rootfs");
    let mut group = c.benchmark_group("run /bin/true");
    let spec = ContainerSpec::new(&image, vec!["/bin/true".into()]);
    group.bench_function("lesson 01 container (namespaces, pivot_root, exec)", |b| {
        b.iter(|| assert_eq!(run(&spec).expect("container run"), 0))
    });
    group.bench_function("lessons 01-03 sandbox (+ cgroup, overlay)", |b| {
        b.iter(|| {
            let sandbox = Sandbox::new(&unique("kitb"), &image).expect("sandbox");
            assert_eq!(sandbox.run(vec!["/bin/true".into()]).expect("run"), 0);
        })
    });
    match capstone() {
        Ok((binary, image)) => {
            group.bench_function("capstone run --rm", |b| {
                b.iter(|| {
                    let status = Command::new(&binary)
                        .args(["run", "--rm", "--network", "none", &image, "/bin/true"])
                        .stdout(Stdio::null())
                        .status()
                        .expect("capstone");
                    assert!(
                        status.success(),
                        "capstone run --rm {image} /bin/true: {status}"
                    );
                })
            });
        }
        Err(why) => eprintln!("run /bin/true/capstone run --rm: SKIPPED, no figure: {why}"),
    }
    group.finish();
}

/// The capstone binary and an image to run: `KIT_CAPSTONE` and `KIT_CAPSTONE_IMAGE` (the
/// comparison script sets both, with `CAPSTONE_ROOT` pointing at a store holding the image).
fn capstone() -> Result<(PathBuf, String), String> {
    let binary = std::env::var_os("KIT_CAPSTONE").map(PathBuf::from).ok_or(
        "set KIT_CAPSTONE to a built capstone binary and KIT_CAPSTONE_IMAGE to an image it has \
         (scripts/bench/compare.sh does both)",
    )?;
    let image = std::env::var("KIT_CAPSTONE_IMAGE").map_err(|_| "KIT_CAPSTONE_IMAGE is not set")?;
    if !binary.exists() {
        return Err(format!("{} does not exist", binary.display()));
    }
    Ok((binary, image))
}

fn main() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("start: SKIPPED, no figures: cgroups, mounts and namespaces need root");
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    cgroup_steps(&mut c);
    overlay_steps(&mut c);
    whole_starts(&mut c);
    c.final_summary();
}

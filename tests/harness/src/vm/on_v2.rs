//! Running a suite again on cgroup v2: what lessons 02 and 07 and the capstone's end-to-end
//! tests share. Students' laptops run cgroup v2 and the kit's build machines run hybrid v1, so
//! each of those test files boots Debian's kernel with `cgroup_no_v1=all` (see [`super`]) and
//! runs test programs inside it. This module holds the part that is the same every time: skip
//! on a v2 host (the tests already ran natively), skip loudly with `KIT_SKIP_VM=1`, boot, print
//! what happened, and check that the guest really is on cgroup v2.

use super::{Accel, Vm, VmOutput};
use std::time::Duration;

/// Whether this machine's `/sys/fs/cgroup` is a cgroup v2 mount (a unified host): statfs(2)
/// reports `CGROUP2_SUPER_MAGIC` (linux/magic.h) as its type.
pub fn host_is_cgroup_v2() -> bool {
    nix::sys::statfs::statfs("/sys/fs/cgroup")
        .is_ok_and(|fs| fs.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC)
}

/// Runs `script` in a cgroup-v2 VM of `memory_mib` MiB and 2 CPUs, with `deadline`, and
/// returns its output, having checked the guest's `/sys/fs/cgroup` is cgroup2. Returns `None`
/// (and says why on stderr) when the host runs cgroup v2 itself or `KIT_SKIP_VM=1` is set.
/// `what` names the suite in messages ("lesson 07's tests"). A VM that cannot run is a
/// failure, never a pass.
pub fn run_on_cgroup_v2(
    what: &str,
    script: &str,
    memory_mib: u32,
    deadline: Duration,
) -> Option<VmOutput> {
    if host_is_cgroup_v2() {
        eprintln!("this host runs cgroup v2: {what} already ran on v2, no VM needed");
        return None;
    }
    if std::env::var("KIT_SKIP_VM").is_ok_and(|v| v == "1") {
        eprintln!("\n*** KIT_SKIP_VM=1: NOT running {what} on cgroup v2 in a VM ***\n");
        return None;
    }
    let script = format!("echo \"cgroup fs: $(stat -fc %T /sys/fs/cgroup)\"\n{script}");
    let out = Vm::builder()
        .accel(Accel::Auto)
        .memory_mib(memory_mib)
        .cpus(2)
        .run(&script, deadline)
        .unwrap_or_else(|e| {
            panic!("could not run {what} in a cgroup v2 VM: {e}\n(set KIT_SKIP_VM=1 to skip this test on purpose)")
        });
    eprintln!(
        "vm: {:?}, ready after {:.1?}, done after {:.1?}\n{}",
        out.accel_used, out.boot_time, out.total_time, out.stdout
    );
    assert!(
        out.stdout.contains("cgroup fs: cgroup2fs"),
        "the guest is not on cgroup v2:\n{}",
        out.stdout
    );
    Some(out)
}

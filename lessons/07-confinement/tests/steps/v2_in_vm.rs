//! This lesson's tests again, on a cgroup-v2-only kernel in a VM (see `harness::vm`).
//!
//! On a hybrid host such as the kit's build machines, the v2 device program is already
//! tested on the small cgroup2 tree beside the v1 controllers; this run shows it on the
//! layout students' laptops have — v2 only, no `devices` hierarchy to fall back on — and the
//! seccomp probes on Debian's own kernel. It boots that kernel under QEMU with
//! `cgroup_no_v1=all` and runs this test binary inside, minus itself (the host's files are
//! shared read-only). About 25 s with software emulation.
//!
//! `KIT_SKIP_VM=1` skips it, loudly. A missing kernel or QEMU is a failure, not a pass.

use harness::vm::{Accel, Vm};
use std::time::Duration;

#[test]
fn lesson_tests_pass_on_cgroup_v2_in_a_vm() {
    let (layout, _) = cgroups::layout::detect().expect("detect the cgroup layout");
    if layout == cgroups::Layout::Unified {
        eprintln!("this host runs cgroup v2: the device tests already ran on v2, no VM needed");
        return;
    }
    if std::env::var("KIT_SKIP_VM").is_ok_and(|v| v == "1") {
        eprintln!("\n*** KIT_SKIP_VM=1: NOT running lesson 07's tests on cgroup v2 in a VM ***\n");
        return;
    }
    let me = std::env::current_exe().expect("path of this test binary");
    let script = format!(
        "echo \"cgroup fs: $(stat -fc %T /sys/fs/cgroup)\"\n\
         cd /tmp && exec {} --skip v2_in_vm --test-threads 1 --color never\n",
        me.display()
    );
    let out = Vm::builder()
        .accel(Accel::Auto)
        .memory_mib(512)
        .cpus(2)
        .run(&script, Duration::from_secs(180))
        .unwrap_or_else(|e| panic!("could not run the tests in a cgroup v2 VM: {e}\n(set KIT_SKIP_VM=1 to skip this test on purpose)"));
    eprintln!(
        "vm: {:?}, ready after {:.1?}, done after {:.1?}\n{}",
        out.accel_used, out.boot_time, out.total_time, out.stdout
    );
    assert!(
        out.stdout.contains("cgroup fs: cgroup2fs"),
        "the guest is not on cgroup v2:\n{}",
        out.stdout
    );
    assert_eq!(
        out.status, 0,
        "lesson 07's tests failed on cgroup v2:\n{}\n{}",
        out.stdout, out.console
    );
    for test in [
        "devices::the_v2_device_program_is_what_refuses_the_open ... ok",
        "devices::devices_step_allows_mknod_and_refuses_open_on_each_version ... ok",
        "seccomp::dockers_default_profile_refuses_every_family_with_eperm ... ok",
    ] {
        assert!(
            out.stdout.contains(test),
            "`{test}` missing:\n{}",
            out.stdout
        );
    }
}

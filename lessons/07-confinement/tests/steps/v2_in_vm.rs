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

use harness::vm::run_on_cgroup_v2;
use std::time::Duration;

#[test]
fn lesson_tests_pass_on_cgroup_v2_in_a_vm() {
    let me = std::env::current_exe().expect("path of this test binary");
    let script = format!(
        "cd /tmp && exec {} --skip v2_in_vm --test-threads 1 --color never\n",
        me.display()
    );
    let Some(out) = run_on_cgroup_v2("lesson 07's tests", &script, 512, Duration::from_secs(180))
    else {
        return;
    };
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

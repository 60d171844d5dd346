//! This lesson's tests again, on a cgroup-v2-only kernel in a VM (see `harness::vm`).
//!
//! Students' laptops run cgroup v2; the kit's build machines run hybrid v1. So that
//! `cargo test -p cgroups` proves both, this test boots Debian's kernel under QEMU with
//! `cgroup_no_v1=all`, and runs this very test binary inside it (the host's files are shared
//! read-only), minus itself. On a v2 host the tests above already ran on v2, natively.
//!
//! `KIT_SKIP_VM=1` skips it, loudly. A missing kernel or QEMU is a failure, not a pass.

use harness::vm::run_on_cgroup_v2;
use std::time::Duration;

#[test]
fn lesson_tests_pass_on_cgroup_v2_in_a_vm() {
    // The guest sees the host's files read-only: build the container's root filesystem now.
    namespaces::rootfs::busybox_rootfs().expect("the busybox root filesystem for step 07");
    let me = std::env::current_exe().expect("path of this test binary");
    // Inside: show the controllers, then run every test but this one.
    let script = format!(
        "echo \"controllers: $(cat /sys/fs/cgroup/cgroup.controllers)\"\n\
         cd /tmp && exec {} --skip v2_in_vm --test-threads 2 --color never\n",
        me.display()
    );
    let Some(out) = run_on_cgroup_v2("lesson 02's tests", &script, 768, Duration::from_secs(240))
    else {
        return;
    };
    assert_eq!(
        out.status, 0,
        "lesson 02's tests failed on cgroup v2:\n{}\n{}",
        out.stdout, out.console
    );
    let passed = out
        .stdout
        .lines()
        .find_map(|l| {
            l.strip_prefix("test result: ok. ")?
                .split(' ')
                .next()?
                .parse::<u32>()
                .ok()
        })
        .expect("a cargo test summary line");
    assert!(
        passed >= 15,
        "only {passed} tests ran in the VM:\n{}",
        out.stdout
    );
}

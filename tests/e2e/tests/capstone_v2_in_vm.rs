//! The capstone's end-to-end tests again, on a cgroup-v2-only kernel in a VM (see
//! `harness::vm`), as lesson 02 does for its own tests.
//!
//! Students' laptops run cgroup v2; the kit's build machines run hybrid v1. This test boots
//! Debian's kernel under QEMU with `cgroup_no_v1=all` and runs, inside it, the test programs
//! cargo built for the suites in [`SUITES`] (the host's files are shared read-only; the
//! guest writes to RAM and has a tmpfs `/tmp` for the engines' state roots). On a v2 host the
//! suites already ran on v2, natively.
//!
//! The suites' test programs must be built and up to date: `cargo test --workspace` and
//! `cargo test -p e2e` build them all before running any. `KIT_SKIP_VM=1` skips this test,
//! loudly; a missing kernel or QEMU is a failure, not a pass.

mod capstone_support;

use harness::vm::run_on_cgroup_v2;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The test programs run in the VM, with the tests each leaves out there (and why).
///
/// Under software emulation every process start costs ~20 times what it does on the host,
/// so these five take 3 to 4 minutes on a busy two-core machine; they touch cgroups,
/// namespaces, mounts and networks. The image, registry, build, terminal and `system`
/// suites passed on v2 too when tried, but are left out to keep CI's time reasonable.
const SUITES: &[(&str, &[&str])] = &[
    // Memory limit and OOM kill, pids limit, CPU quota, pause, in the kernel's files.
    ("capstone_limits", &[]),
    // Exit codes, the container's view of the world, limits written to the cgroup.
    ("capstone_run", &[]),
    // Detached containers, stop, kill, logs, exec, pause, restart, ps.
    ("capstone_lifecycle", &[]),
    // Bridges, user networks, published ports, connect and disconnect.
    ("capstone_network", &[]),
    // Named and anonymous volumes, binds, read-only mounts.
    ("capstone_volumes", &[]),
];

#[test]
fn capstone_tests_pass_on_cgroup_v2_in_a_vm() {
    // The guest sees the host's files read-only: build what the tests would build now.
    let capstone = capstone_support::capstone_bin();
    namespaces::rootfs::busybox_rootfs().expect("the busybox root filesystem for the image");
    let mut script = format!(
        "export CAPSTONE_BIN={}\n\
         export INSTA_WORKSPACE_ROOT={} INSTA_UPDATE=no\n\
         cd /tmp\n",
        capstone.display(),
        workspace().display()
    );
    for (suite, skips) in SUITES {
        let program = test_program(suite);
        let skips: String = skips.iter().map(|s| format!(" --skip {s}")).collect();
        script += &format!(
            "echo \"== {suite}\"\n\
             {} --test-threads 4 --color never{skips}\n\
             echo \"== {suite} exit $?\"\n",
            program.display()
        );
    }
    let Some(out) = run_on_cgroup_v2(
        "the capstone's tests",
        &script,
        1536,
        Duration::from_secs(600),
    ) else {
        return;
    };
    for (suite, _) in SUITES {
        let exit = format!("== {suite} exit ");
        let status = out.stdout.lines().find_map(|l| l.strip_prefix(&exit));
        assert_eq!(
            status,
            Some("0"),
            "{suite} failed on cgroup v2:\n{}\n--- console ---\n{}",
            out.stdout,
            out.console
        );
    }
    let summaries: Vec<u32> = out
        .stdout
        .lines()
        .filter_map(|l| {
            l.strip_prefix("test result: ok. ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .collect();
    assert_eq!(summaries.len(), SUITES.len(), "{}", out.stdout);
    assert!(
        summaries.iter().all(|&passed| passed > 0),
        "a suite ran no test: {summaries:?}\n{}",
        out.stdout
    );
}

/// The newest build of this package's test target `name`: cargo puts it beside this test's
/// own program as `deps/NAME-HASH`, with a dep-info file `deps/NAME-HASH.d` listing the
/// sources it was built from. A program older than one of them is stale: fail, rather than
/// test old code on v2.
fn test_program(name: &str) -> PathBuf {
    let me = std::env::current_exe().expect("path of this test program");
    let deps = me.parent().expect("target/<profile>/deps");
    let prefix = format!("{name}-");
    let newest = std::fs::read_dir(deps)
        .expect("read the deps directory")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(&prefix))
                .is_some_and(|hash| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        })
        .max_by_key(|path| modified(path));
    let build = format!("build it with `cargo test -p e2e --no-run` (or `--test {name}`)");
    let program =
        newest.unwrap_or_else(|| panic!("no test program {name} in {}: {build}", deps.display()));
    let built = modified(&program);
    let stale = sources(&program.with_extension("d"))
        .into_iter()
        .find(|source| modified(source) > built);
    if let Some(source) = stale {
        panic!(
            "{} is older than {}: {build}",
            program.display(),
            source.display()
        );
    }
    program
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The sources rustc lists in a dep-info file (`TARGET: SOURCE SOURCE…` on its first line,
/// relative to the workspace, spaces in names escaped with a backslash): the test's own
/// files, not the libraries it links (a changed lesson library is not noticed here).
fn sources(dep_info: &Path) -> Vec<PathBuf> {
    let workspace = workspace();
    let text = std::fs::read_to_string(dep_info)
        .unwrap_or_else(|e| panic!("read {}: {e}", dep_info.display()));
    let first = text.lines().next().unwrap_or("");
    let list = first.split_once(": ").map_or("", |(_, list)| list);
    list.replace("\\ ", "\u{0}")
        .split_whitespace()
        .map(|s| workspace.join(s.replace('\u{0}', " ")))
        .collect()
}

/// The workspace's root directory (insta, which checks the snapshots, would ask `cargo
/// metadata` for it, and there is no cargo in the guest's `PATH`).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace directory")
}

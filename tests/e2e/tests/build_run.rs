//! `RUN` in `capstone build`, through the real binary: what it writes under `/tmp` stays in
//! its layer (no tmpfs there, as in Docker); it sees Docker's build-time `/etc/hosts` and the
//! host's `/etc/resolv.conf`, neither of which enters the layer; a failing command's error names the line, its
//! exit code and its last lines of output, and the failed build leaves no tag, mount, cgroup
//! or scratch directory; `--network none|host|default` decides which network namespace `RUN`
//! sees — checked inside the engine's own network namespace (the harness's `TestNetns`),
//! never on the host's.

mod capstone_support;
#[path = "dockerfiles/common.rs"]
mod common;

use capstone_support::Engine;
use common::*;
use std::path::{Path, PathBuf};

/// Reads a file of a built image, unpacked by umoci (software we did not write).
fn file_in_image(engine: &Engine, tag: &str, path: &str) -> Option<String> {
    let dir = tempfile::Builder::new()
        .prefix("build-run-unpack-")
        .tempdir()
        .unwrap();
    unpack_ours(
        engine,
        &format!("docker.io/library/{tag}:latest"),
        dir.path(),
    );
    std::fs::read_to_string(dir.path().join("bundle/rootfs").join(path)).ok()
}

#[test]
fn files_run_writes_under_tmp_are_kept_in_the_layer() {
    let engine = Engine::with_busybox();
    let ctx = context_with(
        "FROM busybox\nRUN echo kept > /tmp/note.txt && mkdir /tmp/made-by-run\nRUN cat /tmp/note.txt > /copy-of-note.txt\n",
    );
    let run = capstone_build(&engine, ctx.path(), &["-t", "tmpkeep"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        file_in_image(&engine, "tmpkeep", "tmp/note.txt").as_deref(),
        Some("kept\n")
    );
    // The next RUN saw it too: /tmp is the image's own directory in every step.
    assert_eq!(
        file_in_image(&engine, "tmpkeep", "copy-of-note.txt").as_deref(),
        Some("kept\n")
    );
}

#[test]
fn run_gets_its_own_hosts_and_the_hosts_resolv_conf_which_stay_out_of_the_layer() {
    let engine = Engine::with_busybox();
    let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let ctx = context_with(
        "FROM busybox\nRUN cat /etc/resolv.conf > /seen-resolv.txt && cat /etc/hosts > /seen-hosts.txt && echo 'nameserver 192.0.2.1' > /etc/resolv.conf && echo '192.0.2.2 changed' >> /etc/hosts\n",
    );
    let run = capstone_build(&engine, ctx.path(), &["-t", "etcfiles"]);
    assert_eq!(run.code, 0, "{run:?}");

    let dir = tempfile::tempdir().unwrap();
    unpack_ours(&engine, "docker.io/library/etcfiles:latest", dir.path());
    let rootfs = dir.path().join("bundle/rootfs");
    let read = |p: &str| std::fs::read_to_string(rootfs.join(p)).ok();
    // What the step saw: the host's resolv.conf, and Docker's build-time hosts file.
    assert_eq!(
        read("seen-resolv.txt").as_deref(),
        Some(host_resolv.as_str())
    );
    let hosts = read("seen-hosts.txt").unwrap();
    assert!(
        hosts.contains("127.0.0.1\tlocalhost buildkitsandbox"),
        "{hosts}"
    );
    // What the image keeps: the base's own files (busybox has a hosts file, no resolv.conf);
    // the step's writes to them went to the lent copies.
    let base = namespaces::rootfs::busybox_rootfs().unwrap();
    let base_hosts = std::fs::read_to_string(base.join("etc/hosts")).ok();
    assert_eq!(read("etc/hosts"), base_hosts);
    assert_eq!(
        read("etc/resolv.conf"),
        None,
        "the mount point went into the layer"
    );
    // And the host's file was never touched.
    assert_eq!(
        std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default(),
        host_resolv
    );
}

/// Cgroups named for a build beneath this test's own cgroups (the engine would make any
/// cgroup of its own there, as it does for containers: see `capstone_support::cgroup_dirs`).
fn build_cgroups() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for line in std::fs::read_to_string("/proc/self/cgroup")
        .unwrap()
        .lines()
    {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next(), parts.next(), parts.next());
        let controller = controllers.unwrap_or("").split(',').next().unwrap_or("");
        let base = Path::new("/sys/fs/cgroup").join(if controller.is_empty() {
            "unified"
        } else {
            controller
        });
        let own = base.join(path.unwrap_or("/").trim_start_matches('/'));
        found.extend(entries(&own).into_iter().filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains("build"))
        }));
    }
    found.sort();
    found
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn failing_run_names_line_code_and_output_tail_and_leaves_nothing() {
    let engine = Engine::with_busybox();
    let ctx = context_with(
        "FROM busybox\nRUN echo partial > /made.txt\n\nRUN echo first line && seq 1 30 && echo about-to-fail >&2 && exit 3\n",
    );
    let cgroups_before = build_cgroups();
    let blobs_before = entries(&engine.root.path().join("images/blobs/sha256")).len();
    let run = capstone_build(&engine, ctx.path(), &["-t", "broken"]);

    assert_eq!(run.code, 1, "{run:?}");
    // The output was shown as it came...
    assert!(run.stdout.contains("first line"), "{run:?}");
    // ...and the error names the line, the instruction and the code, and quotes the tail:
    // the last lines (stderr included), not the first.
    let error = run.stderr.as_str();
    assert!(
        error.contains(
            "dockerfile line 4: RUN echo first line && seq 1 30 && echo about-to-fail >&2 && exit 3: exit code 3"
        ),
        "{error}"
    );
    assert!(error.contains("| about-to-fail"), "{error}");
    assert!(error.contains("| 30"), "{error}");
    assert!(
        !error.contains("| first line"),
        "the whole output was quoted: {error}"
    );

    // Nothing half-made: no tag, no mount, no cgroup, no scratch dir, no layer of the failed
    // step (the successful step before it is cached, as in Docker: 1 layer + config + manifest).
    assert_nothing_left(&engine, "broken");
    assert_eq!(build_cgroups(), cgroups_before, "a cgroup was left behind");
    let blobs_after = entries(&engine.root.path().join("images/blobs/sha256")).len();
    assert_eq!(
        blobs_after,
        blobs_before + 3,
        "only the first RUN's image may be stored"
    );
    let ps = engine.ok(&["ps", "-a"]);
    assert!(
        ps.starts_with("CONTAINER ID") && ps.lines().count() == 1,
        "the RUN's container was removed: {ps}"
    );
}

#[test]
fn quiet_failing_run_still_quotes_the_output() {
    let engine = Engine::with_busybox();
    let ctx = context_with("FROM busybox\nRUN echo the reason && false\n");
    let run = capstone_build(&engine, ctx.path(), &["-q", "-t", "q"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!run.stdout.contains("the reason"), "-q echoed: {run:?}");
    // The whole message as a student sees it (stable: no ids, no paths).
    insta::assert_snapshot!(run.stderr.trim_end());
    assert!(
        run.stderr
            .contains("dockerfile line 2: RUN echo the reason && false: exit code 1")
            && run.stderr.contains("| the reason"),
        "{}",
        run.stderr
    );
}

/// A link only the engine's own network namespace has: one end of a veth pair made there.
const MARKER: &str = "bldmarker0";

/// Runs `capstone build` inside the engine's network namespace (where `build` does not run
/// by default: see `HOST_NETWORK_VERBS`), after adding the [`MARKER`] link there; returns the
/// interfaces a `RUN` saw (from /proc/net/dev) followed by its `lo`'s flags.
fn links_seen(engine: &Engine, network: &str, tag: &str) -> String {
    if !engine.netns.links().iter().any(|l| l == MARKER) {
        engine.netns.ip(&[
            "link", "add", MARKER, "type", "veth", "peer", "name", "bldpeer0",
        ]);
    }
    let ctx = context_with(
        "FROM busybox\nRUN tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' > /links.txt && cat /sys/class/net/lo/flags >> /links.txt\n",
    );
    let mut cmd = engine
        .netns
        .command(capstone_support::capstone_bin().to_str().unwrap());
    cmd.arg("--root").arg(engine.root.path());
    cmd.arg("--runroot").arg(engine.runroot.path());
    cmd.args(["build", "-t", tag]);
    if !network.is_empty() {
        cmd.args(["--network", network]);
    }
    let out = cmd.arg(ctx.path()).output().unwrap();
    assert!(out.status.success(), "--network {network}: {out:?}");
    file_in_image(engine, tag, "links.txt").unwrap()
}

#[test]
fn network_none_gives_run_only_a_loopback_that_is_up() {
    let engine = Engine::with_busybox();
    let seen = links_seen(&engine, "none", "netnone");
    let links: Vec<&str> = seen.lines().take_while(|l| !l.contains("0x")).collect();
    assert_eq!(links.first(), Some(&"lo"), "{seen}");
    assert!(
        !seen.contains(MARKER),
        "none saw the outside's link: {seen}"
    );
    // IFF_UP is bit 0 of /sys/class/net/lo/flags.
    let flags = seen.lines().last().unwrap().trim_start_matches("0x");
    let flags = u32::from_str_radix(flags, 16).unwrap();
    assert_eq!(flags & 1, 1, "loopback is down: {seen}");
}

#[test]
fn network_host_and_default_see_the_callers_network_namespace() {
    let engine = Engine::with_busybox();
    for (mode, tag) in [
        ("host", "nethost"),
        ("default", "netdefault"),
        ("", "netunset"),
    ] {
        let seen = links_seen(&engine, mode, tag);
        assert!(
            seen.lines().any(|l| l == MARKER),
            "--network {mode:?} did not see {}: {seen}",
            MARKER
        );
    }
}

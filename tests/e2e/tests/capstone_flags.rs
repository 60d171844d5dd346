//! `run`'s flags seen from inside the container and from the kernel, not from what the
//! engine wrote down: resource limits in `/proc/self/limits` (setrlimit(2)), sysctls in the
//! container's own `/proc/sys`, tmpfs mounts and `/dev/shm`'s size in its mountinfo (statfs),
//! a device node that reads, supplementary groups from `id`, extra `/etc/hosts` lines and
//! name servers, labels and their filters, the stop signal the command receives, `--cidfile`,
//! `-a`, and the refusals Docker makes (a sysctl of no namespace, a limit above our own).

mod capstone_support;

use capstone_support::{Engine, eventually};

/// Runs `sh -c script` in a fresh busybox container with `flags`; returns its stdout.
fn inside(engine: &Engine, flags: &[&str], script: &str) -> String {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["busybox", "sh", "-c", script]);
    let run = engine.run(&args);
    assert_eq!(run.code, 0, "run {flags:?} {script:?}: {run:?}");
    run.stdout
}

/// The line of `/proc/self/limits` about `what` (e.g. "Max open files"), split in words.
fn limits_line(limits: &str, what: &str) -> Vec<String> {
    let line = limits
        .lines()
        .find(|l| l.starts_with(what))
        .unwrap_or_else(|| panic!("no {what:?} in\n{limits}"));
    line[what.len()..]
        .split_whitespace()
        .map(String::from)
        .collect()
}

#[test]
fn ulimit_sets_the_soft_and_hard_limit_the_process_sees() {
    let engine = Engine::with_busybox();
    let limits = inside(
        &engine,
        &["--ulimit", "nofile=512:1024"],
        "cat /proc/self/limits",
    );
    assert_eq!(limits_line(&limits, "Max open files")[..2], ["512", "1024"]);
}

/// runc (under dockerd) gives an `exec`'d process the container's limits too (its init
/// config takes the container's rlimits); measured here, dockerd's exec showed `512 1024` in
/// some runs and `1024 1024` in others, so it is no stable reference for this test.
#[test]
fn an_exec_gets_the_containers_ulimits_too() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["--ulimit", "nofile=512:1024", "busybox", "sleep", "1000"]);
    let limits = engine.ok(&["exec", &id, "cat", "/proc/self/limits"]);
    assert_eq!(limits_line(&limits, "Max open files")[..2], ["512", "1024"]);
}

#[test]
fn ulimit_above_the_engines_own_hard_limit_is_refused_clearly() {
    let engine = Engine::with_busybox();
    // Our own hard limit, which root without CAP_SYS_RESOURCE cannot raise.
    let own = limits_line(
        &std::fs::read_to_string("/proc/self/limits").unwrap(),
        "Max open files",
    );
    let Ok(hard) = own[1].parse::<u64>() else {
        return; // unlimited here: nothing can be above it
    };
    let too_high = format!("nofile={0}:{0}", hard + 1);
    let run = engine.run(&["run", "--rm", "--ulimit", &too_high, "busybox", "true"]);
    assert_eq!(run.code, 125, "{run:?}");
    assert!(run.stderr.contains("CAP_SYS_RESOURCE"), "{run:?}");
    assert!(
        engine.ok(&["ps", "-aq"]).trim().is_empty(),
        "nothing was created"
    );
}

#[test]
fn namespaced_sysctls_are_set_inside_and_others_are_refused() {
    let engine = Engine::with_busybox();
    let out = inside(
        &engine,
        &[
            "--sysctl",
            "kernel.shmmax=123456789",
            "--sysctl",
            "net.ipv4.ip_forward=1",
        ],
        "cat /proc/sys/kernel/shmmax /proc/sys/net/ipv4/ip_forward",
    );
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        ["123456789", "1"]
    );
    // The host's own values are untouched (the container has its own IPC and net namespaces).
    let host = std::fs::read_to_string("/proc/sys/kernel/shmmax").unwrap();
    assert_ne!(host.trim(), "123456789");
    let run = engine.run(&[
        "run",
        "--rm",
        "--sysctl",
        "vm.swappiness=10",
        "busybox",
        "true",
    ]);
    assert_eq!(run.code, 125, "{run:?}");
    assert!(
        run.stderr.contains("not in a separate kernel namespace"),
        "{run:?}"
    );
    let run = engine.run(&[
        "run",
        "--rm",
        "--network",
        "host",
        "--sysctl",
        "net.ipv4.ip_forward=1",
        "busybox",
        "true",
    ]);
    assert_eq!(run.code, 125, "{run:?}");
}

/// The fields of mountinfo's line for `mount_point`: (mount options, super options).
fn mount_line(mountinfo: &str, mount_point: &str) -> (String, String) {
    let line = mountinfo
        .lines()
        .find(|l| l.split_whitespace().nth(4) == Some(mount_point))
        .unwrap_or_else(|| panic!("{mount_point} not mounted:\n{mountinfo}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    let dash = fields.iter().position(|f| *f == "-").unwrap();
    (fields[5].to_string(), fields[dash + 3].to_string())
}

#[test]
fn tmpfs_mounts_and_shm_size_show_in_the_containers_mountinfo() {
    let engine = Engine::with_busybox();
    let mountinfo = inside(
        &engine,
        &[
            "--tmpfs",
            "/scratch:size=1m,mode=700",
            "--mount",
            "type=tmpfs,target=/cache,tmpfs-size=2097152",
            "--shm-size",
            "128m",
        ],
        "cat /proc/self/mountinfo",
    );
    let (opts, sup) = mount_line(&mountinfo, "/scratch");
    assert!(
        opts.contains("nosuid") && opts.contains("nodev") && opts.contains("noexec"),
        "{opts}"
    );
    assert!(
        sup.contains("size=1024k") && sup.contains("mode=700"),
        "{sup}"
    );
    let (_, sup) = mount_line(&mountinfo, "/cache");
    assert!(sup.contains("size=2048k"), "{sup}");
    let (_, sup) = mount_line(&mountinfo, "/dev/shm");
    assert!(sup.contains("size=131072k"), "{sup}");
    let run = engine.run(&["run", "--rm", "--tmpfs", "/x:bogus", "busybox", "true"]);
    assert_eq!(run.code, 125, "{run:?}");
    assert!(run.stderr.contains("unknown option"), "{run:?}");
}

#[test]
fn a_device_is_present_and_usable_and_a_non_device_is_refused() {
    let engine = Engine::with_busybox();
    let out = inside(
        &engine,
        &["--device", "/dev/zero:/dev/myzero"],
        "ls -l /dev/myzero; head -c 4 /dev/myzero | od -An -tx1",
    );
    assert!(out.starts_with('c'), "a character device: {out}");
    assert_eq!(
        out.lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["00"; 4]
    );
    let run = engine.run(&[
        "run",
        "--rm",
        "--device",
        "/etc/hostname",
        "busybox",
        "true",
    ]);
    assert_eq!(run.code, 125, "{run:?}");
    assert!(run.stderr.contains("not a device node"), "{run:?}");
}

#[test]
fn group_add_gives_supplementary_groups() {
    let engine = Engine::with_busybox();
    let out = inside(
        &engine,
        &["--group-add", "1234", "--group-add", "4321"],
        "id -G",
    );
    let groups: Vec<&str> = out.split_whitespace().collect();
    assert!(
        groups.contains(&"1234") && groups.contains(&"4321"),
        "{out}"
    );
}

#[test]
fn add_host_and_dns_write_hosts_and_resolv_conf() {
    let engine = Engine::with_busybox();
    let out = inside(
        &engine,
        &[
            "--add-host",
            "db.example:10.1.2.3",
            "--add-host",
            "host.example:host-gateway",
            "--dns",
            "192.0.2.53",
        ],
        "cat /etc/hosts; echo ---; cat /etc/resolv.conf",
    );
    let (hosts, resolv) = out.split_once("---").unwrap();
    assert!(
        hosts
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["10.1.2.3", "db.example"]),
        "{hosts}"
    );
    // host-gateway: the bridge's address, which is also the container's default route.
    let gateway = hosts
        .lines()
        .find(|l| l.ends_with("host.example"))
        .expect(hosts);
    let route = inside(&engine, &[], "ip route");
    let via = route
        .split_whitespace()
        .skip_while(|w| *w != "via")
        .nth(1)
        .unwrap();
    assert!(
        gateway.starts_with(&format!("{via}\t")),
        "{gateway} vs {route}"
    );
    let servers: Vec<&str> = resolv
        .lines()
        .filter_map(|l| l.strip_prefix("nameserver "))
        .collect();
    assert_eq!(servers, ["192.0.2.53"], "{resolv}");
    // Without the engine's network there are no hosts files of ours to write them in.
    for network in ["none", "host"] {
        let args = [
            "run",
            "--rm",
            "--network",
            network,
            "--dns",
            "192.0.2.53",
            "busybox",
            "true",
        ];
        let run = engine.run(&args);
        assert_eq!(run.code, 125, "{run:?}");
        assert!(run.stderr.contains("conflicting options"), "{run:?}");
    }
}

#[test]
fn labels_show_in_inspect_and_filter_ps() {
    let engine = Engine::with_busybox();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "# a comment\ntier=web\n").unwrap();
    let path = file.path().to_str().unwrap();
    engine.ok(&[
        "create",
        "--name",
        "shop",
        "-l",
        "app=shop",
        "--label-file",
        path,
        "busybox",
    ]);
    engine.ok(&["create", "--name", "blog", "-l", "app=blog", "busybox"]);
    let labels = &engine.inspect("shop")["Config"]["Labels"];
    assert_eq!(labels, &serde_json::json!({"app": "shop", "tier": "web"}));
    let names =
        |filter: &str| engine.ok(&["ps", "-a", "--filter", filter, "--format", "{{.Names}}"]);
    assert_eq!(names("label=app=shop"), "shop\n");
    assert_eq!(names("label=tier"), "shop\n");
    assert_eq!(names("label=app").lines().count(), 2);
    assert_eq!(names("label=nope"), "");
}

#[test]
fn stop_signal_is_what_the_command_receives_and_stop_timeout_is_recorded() {
    let engine = Engine::with_busybox();
    let script = "trap 'echo got USR1; exit 3' USR1; echo ready; while :; do sleep 0.1; done";
    let id = engine.detached(&[
        "--stop-signal",
        "USR1",
        "--stop-timeout",
        "30",
        "busybox",
        "sh",
        "-c",
        script,
    ]);
    wait_for_log(&engine, &id, "ready");
    engine.ok(&["stop", &id]);
    let info = engine.inspect(&id);
    assert_eq!(info["State"]["ExitCode"], 3, "the trap ran, no SIGKILL");
    assert_eq!(info["Config"]["StopSignal"], "USR1");
    assert_eq!(info["Config"]["StopTimeout"], 30);
    assert!(engine.ok(&["logs", &id]).contains("got USR1"));
}

/// Polls `logs` until it holds `text` (a minute at most).
fn wait_for_log(engine: &Engine, id: &str, text: &str) {
    eventually(&format!("{text:?} in the log of {id}"), || {
        engine.ok(&["logs", id]).contains(text).then_some(())
    });
}

#[test]
fn cidfile_holds_the_id_and_an_existing_one_is_refused() {
    let engine = Engine::with_busybox();
    let dir = tempfile::tempdir().unwrap();
    let cidfile = dir.path().join("cid");
    let path = cidfile.to_str().unwrap();
    let id = engine.ok(&["create", "--cidfile", path, "busybox"]);
    assert_eq!(std::fs::read_to_string(&cidfile).unwrap(), id.trim());
    let run = engine.run(&["create", "--cidfile", path, "busybox"]);
    assert_eq!(run.code, 125, "{run:?}");
    assert_eq!(
        engine.ok(&["ps", "-aq"]).lines().count(),
        1,
        "the second was not created"
    );
}

#[test]
fn attach_shows_only_the_streams_named() {
    let engine = Engine::with_busybox();
    let script = "echo to-out; echo to-err >&2";
    let run = engine.run(&["run", "--rm", "-a", "stderr", "busybox", "sh", "-c", script]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", "to-err\n"));
    let run = engine.run(&["run", "-d", "-a", "stdout", "busybox", "true"]);
    assert_eq!(run.code, 125, "-a and -d conflict: {run:?}");
}

#[test]
fn no_new_privileges_sets_the_flag_the_kernel_reports() {
    let engine = Engine::with_busybox();
    let status = inside(
        &engine,
        &["--security-opt", "no-new-privileges"],
        "cat /proc/self/status",
    );
    assert!(
        status
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["NoNewPrivs:", "1"]),
        "{status}"
    );
}

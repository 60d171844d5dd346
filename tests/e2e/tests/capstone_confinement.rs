//! Docker's confinement in the capstone (lesson 07 wired in): from inside a container, every
//! family of system calls Docker's default seccomp profile refuses is refused, ordinary calls
//! still work, `--security-opt seccomp=unconfined` lifts the filter (so it is the filter that
//! refused), `exec` is filtered like the container's first process, and the kernel shows the
//! filter and `no_new_privs` in `/proc/PID/status`.

mod capstone_support;

use capstone_support::Engine;
use std::collections::BTreeMap;

/// The probe, and the host's C library it needs, mounted into the container.
fn probe_mounts() -> Vec<String> {
    capstone_support::host_program_mounts(env!("CARGO_BIN_EXE_syscall-probe"), "/probe")
}

/// `family call -> outcome` as the probe printed them.
fn outcomes(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let (family, call, outcome) = (f.next()?, f.next()?, f.next()?);
            Some((format!("{family} {call}"), outcome.to_string()))
        })
        .collect()
}

fn run_probe(engine: &Engine, extra: &[&str]) -> BTreeMap<String, String> {
    let mut args: Vec<String> = vec![
        "run".into(),
        "--rm".into(),
        "--network".into(),
        "none".into(),
    ];
    args.extend(probe_mounts());
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["busybox".into(), "/probe".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = engine.run(&args);
    assert_eq!(out.code, 0, "probe in a container: {out:?}");
    let found = outcomes(&out.stdout);
    assert!(found.len() >= 16, "the probe printed every call: {out:?}");
    found
}

#[test]
fn the_default_profile_refuses_each_family_docker_refuses() {
    if !std::path::Path::new("/usr/lib64").exists() {
        panic!("this test bind-mounts the host's /usr/lib64 for the probe's loader");
    }
    let engine = Engine::with_busybox();
    let confined = run_probe(&engine, &[]);
    for family in [
        "namespaces",
        "keyring",
        "BPF",
        "perf",
        "userfaultfd",
        "kexec",
        "swap",
        "clock",
        "syslog",
        "mount",
        "open_by_handle_at",
    ] {
        let calls: Vec<_> = confined
            .iter()
            .filter(|(k, _)| k.starts_with(family))
            .collect();
        assert!(!calls.is_empty(), "a probe of {family}: {confined:?}");
        for (call, outcome) in calls {
            assert_eq!(outcome, "EPERM", "{call} inside a capstone container");
        }
    }
    for ordinary in ["process getpid()", "files close_range(1000, 1001)"] {
        assert_eq!(
            confined[ordinary], "ok",
            "{ordinary} still works: {confined:?}"
        );
    }
    // The compiled filter was kept (compiling Docker's profile costs more than a start);
    // a second container loads it from the cache and is refused the same way.
    let cache = engine.runroot.path().join("seccomp");
    let kept: Vec<_> = std::fs::read_dir(&cache).unwrap().collect();
    assert_eq!(kept.len(), 1, "one compiled filter in {}", cache.display());
    assert_eq!(
        run_probe(&engine, &[]),
        confined,
        "the cached filter refuses the same"
    );
    // Without the filter, the same calls reach the kernel: the namespace family answers
    // differently (root may make a user namespace; setns(-1) is EBADF), so it was the filter.
    let unconfined = run_probe(&engine, &["--security-opt", "seccomp=unconfined"]);
    assert_ne!(
        unconfined["namespaces setns(-1, 0)"], "EPERM",
        "{unconfined:?}"
    );
}

#[test]
fn exec_is_filtered_like_the_first_process_and_the_kernel_shows_it() {
    let engine = Engine::with_busybox();
    let mut args = vec![
        "run".to_string(),
        "-d".into(),
        "--network".into(),
        "none".into(),
    ];
    args.extend(probe_mounts());
    args.extend(["--security-opt".into(), "no-new-privileges".into()]);
    args.extend(["busybox".into(), "sleep".into(), "1000".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let id = engine.ok(&args).trim().to_string();
    let pid = engine.inspect(&id)["State"]["Pid"].as_i64().unwrap();
    // The kernel's view from outside: mode 2 is a filter (seccomp(2)), and no_new_privs.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(status.contains("Seccomp:\t2"), "{status}");
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
    let out = engine.run(&["exec", &id, "/probe"]);
    assert_eq!(out.code, 0, "{out:?}");
    let exec = outcomes(&out.stdout);
    assert_eq!(exec["keyring add_key(NULL…)"], "EPERM", "{exec:?}");
    assert_eq!(
        exec["namespaces unshare(CLONE_NEWUSER)"], "EPERM",
        "{exec:?}"
    );
    // And the exec'd process's own status, read inside: filtered, no_new_privs.
    let inside = engine.ok(&["exec", &id, "cat", "/proc/self/status"]);
    assert!(
        inside.contains("Seccomp:\t2") && inside.contains("NoNewPrivs:\t1"),
        "{inside}"
    );
    assert_eq!(
        engine.inspect(&id)["HostConfig"]["SecurityOpt"][0],
        "no-new-privileges"
    );
}

#[test]
fn a_malformed_profile_is_refused_with_the_json_path_and_nothing_is_created() {
    let engine = Engine::with_busybox();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("bad.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOPE"}]}"#,
    )
    .unwrap();
    let opt = format!("seccomp={}", profile.display());
    let out = engine.run(&["create", "--security-opt", &opt, "busybox", "true"]);
    assert_eq!(out.code, 125, "{out:?}");
    assert!(
        out.stderr.contains("syscalls[0].action"),
        "the JSON path is named: {}",
        out.stderr
    );
    assert_eq!(
        engine.ok(&["ps", "-aq"]).trim(),
        "",
        "no container was created"
    );
    let bad = engine.run(&["create", "--security-opt", "apparmor=x", "busybox", "true"]);
    assert_eq!(bad.code, 125, "{bad:?}");
    assert!(
        bad.stderr.contains("no AppArmor or SELinux"),
        "{}",
        bad.stderr
    );
}

/// Asks real Docker (Debian's dockerd, in a network namespace of the test's own): `info`'s
/// `SecurityOptions` and `inspect`'s `HostConfig.SecurityOpt` read the same in both engines.
#[test]
fn security_options_read_as_dockerds_do() {
    let engine = Engine::with_busybox();
    let dockerd = capstone_support::dockerd_with(&engine, "busybox");
    let format = ["info", "--format", "{{json .SecurityOptions}}"];
    let theirs = dockerd.ok(&format);
    assert!(theirs.contains("name=seccomp"), "dockerd: {theirs}");
    assert_eq!(engine.ok(&format).trim(), theirs.trim());
    for opts in [
        vec![],
        vec![
            "--security-opt",
            "no-new-privileges",
            "--security-opt",
            "seccomp=unconfined",
        ],
    ] {
        let mut args = vec!["create"];
        args.extend(&opts);
        args.extend(["busybox", "true"]);
        let ours = engine.ok(&args).trim().to_string();
        let theirs = dockerd.ok(&args).trim().to_string();
        let field = ["inspect", "-f", "{{json .HostConfig.SecurityOpt}}"];
        assert_eq!(
            engine.ok(&[&field[..], &[ours.as_str()]].concat()).trim(),
            dockerd
                .ok(&[&field[..], &[theirs.as_str()]].concat())
                .trim(),
            "SecurityOpt for {opts:?}"
        );
    }
}

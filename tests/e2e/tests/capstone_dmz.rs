//! The capstone's own binary is out of every container's reach (CVE-2019-5736), tried the way
//! an attacker would: an image whose `/bin/sh` and entrypoint are `#!/proc/self/exe` scripts
//! (so a runtime exec'ing them runs *itself* inside the container), and a watcher process
//! inside — with `CAP_SYS_PTRACE`, so that non-dumpable processes do not stop it — that opens
//! every `/proc/PID/exe` it sees and, once done, reopens each handle for writing. While it
//! watches, `exec` runs the hostile `/bin/sh` and entrypoint again and again. Then: no handle
//! it ever got is the host's capstone binary (st_dev/st_ino), and the binary's checksum is
//! unchanged. `run` and `run --init` of the hostile entrypoint run the
//! sealed dmz (lesson 07), not the capstone.

mod capstone_support;

use capstone_support::{Engine, capstone_bin, host_program_mounts};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

/// An image like busybox whose `/bin/sh` and `/evil` are `#!/proc/self/exe` scripts.
fn hostile_image(engine: &Engine) {
    engine.import_busybox_changed("hostile", |root: &Path| {
        for script in ["bin/sh", "evil"] {
            let path = root.join(script);
            let _ = std::fs::remove_file(&path);
            std::fs::write(&path, "#!/proc/self/exe\n").unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    });
}

/// The capstone binary as the kernel names it: (st_dev, st_ino), and its sha256.
fn capstone_identity() -> ((u64, u64), String) {
    let meta = std::fs::metadata(capstone_bin()).unwrap();
    let sum = confinement::sealed::sha256_of(capstone_bin()).unwrap();
    ((meta.dev(), meta.ino()), sum)
}

/// Polls the container's log until `line` appears, up to a deadline.
fn wait_for_line(engine: &Engine, id: &str, line: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let logs = engine.ok(&["logs", id]);
        if logs.lines().any(|l| l == line) {
            return logs;
        }
        assert!(Instant::now() < deadline, "no `{line}` in time: {logs}");
        std::thread::yield_now();
    }
}

#[test]
fn a_watcher_in_the_container_never_gets_a_handle_on_the_capstone_binary() {
    let engine = Engine::with_busybox();
    hostile_image(&engine);
    let (capstone, sum_before) = capstone_identity();
    let mut args = vec!["run", "-d", "--init", "--network", "none"];
    args.extend(["--cap-add", "SYS_PTRACE"]);
    let mounts = host_program_mounts(env!("CARGO_BIN_EXE_exe-watcher"), "/watcher");
    args.extend(mounts.iter().map(String::as_str));
    args.extend(["hostile", "/watcher", "/tmp/stop"]);
    let id = engine.ok(&args).trim().to_string();
    wait_for_line(&engine, &id, "ready");

    for _ in 0..20 {
        for hostile in [&["sh", "-c", "true"][..], &["/evil"]] {
            let mut exec = vec!["exec", id.as_str()];
            exec.extend_from_slice(hostile);
            let out = engine.run(&exec);
            // The script's interpreter is the dmz, which finds nothing to run.
            assert_eq!(out.code, 126, "{hostile:?}: {out:?}");
            assert!(out.stderr.contains("dmz"), "{hostile:?}: {out:?}");
        }
        assert_eq!(engine.run(&["exec", &id, "true"]).code, 0);
    }
    engine.ok(&["exec", &id, "touch", "/tmp/stop"]);
    assert_eq!(engine.ok(&["wait", &id]).trim(), "0");
    let report = engine.ok(&["logs", &id]);

    let handles: Vec<Vec<&str>> = report
        .lines()
        .filter(|l| l.starts_with("handle "))
        .map(|l| l.splitn(4, ' ').collect())
        .collect();
    // The watcher does get handles (the init's, at least: a sealed dmz)...
    assert!(
        handles.iter().any(|h| h[3].starts_with("/memfd:dmz")),
        "{report}"
    );
    // ...but never one on the capstone binary. (Its writes through the handles it got may
    // succeed on the container's own files, e.g. the image's busybox: those are its own.)
    let on_capstone =
        |h: &&Vec<&str>| (h[1].parse(), h[2].parse()) == (Ok(capstone.0), Ok(capstone.1));
    assert!(!handles.iter().any(|h| on_capstone(&h)), "{report}");
    assert_eq!(capstone_identity().1, sum_before, "the binary changed");
}

#[test]
fn a_proc_self_exe_entrypoint_runs_the_sealed_dmz_not_the_capstone() {
    let engine = Engine::with_busybox();
    hostile_image(&engine);
    let (_, sum_before) = capstone_identity();
    for init in [&[][..], &["--init"]] {
        let mut args = vec!["run", "--rm", "--network", "none"];
        args.extend_from_slice(init);
        args.extend(["hostile", "/evil"]);
        let out = engine.run(&args);
        assert_eq!(out.code, 126, "{init:?}: {out:?}");
        assert!(out.stderr.contains("dmz"), "{init:?}: {out:?}");
    }
    // What a process of the container sees as its runtime's executables: never a host file.
    let out = engine.ok(&[
        "run",
        "--rm",
        "--init",
        "--network",
        "none",
        "busybox",
        "readlink",
        "/proc/1/exe",
    ]);
    assert_eq!(out.trim(), "/memfd:dmz (deleted)");
    assert_eq!(capstone_identity().1, sum_before, "the binary changed");
}

//! `capstone-runtime` execs every command through lesson 07's sealed dmz, so a container run
//! by dockerd, containerd or podman with our runtime cannot make the runtime's own binary run
//! inside it (CVE-2019-5736): a bundle whose command is a `#!/proc/self/exe` script runs the
//! dmz, which finds nothing to run; an `exec`'s waiting process is the dmz; the runtime
//! binary's sha256 is unchanged. With `--preserve-fds N` it execs directly, keeping fd 3.
//!
//! Run: `CAPSTONE_BIN=$PWD/target/debug/capstone cargo test -p e2e --test runtime_dmz`
//! (as root; the cargo runner elevates).

mod runtime_support;

use runtime_support::{Bundle, Runtime, runtime_bin};
use std::os::unix::fs::PermissionsExt;

/// A bundle running `args`, with `/evil` a `#!/proc/self/exe` script in its rootfs.
fn hostile_bundle(args: &[&str]) -> Bundle {
    let bundle = Bundle::new(args, |_| {});
    let evil = bundle.path().join("rootfs/evil");
    std::fs::write(&evil, "#!/proc/self/exe\n").unwrap();
    std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o755)).unwrap();
    bundle
}

/// What `/proc/…` `path` reads as (a link's target for `exe`), once `still` is false for it or
/// after 30 s (the caller's assertion then shows what was seen).
fn wait_while(path: &str, still: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let now = match std::fs::read_link(path) {
            Ok(target) => target.to_string_lossy().into_owned(),
            Err(_) => std::fs::read_to_string(path).unwrap_or_default(),
        };
        if !still(&now) || std::time::Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

fn runtime_sha256() -> String {
    confinement::sealed::sha256_of(&runtime_bin()).unwrap()
}

#[test]
fn a_proc_self_exe_command_runs_the_sealed_dmz_not_the_runtime() {
    let sum_before = runtime_sha256();
    let runtime = Runtime::capstone();
    let bundle = hostile_bundle(&["/evil"]);
    let bundle_path = bundle.path().to_str().unwrap();
    let out = runtime.run(&["run", "--bundle", bundle_path, "evil1"]);
    // The script's interpreter is the dmz, which finds nothing to run (the runtime would
    // have printed its usage instead).
    assert_eq!(out.code, 126, "{out:?}");
    assert!(out.stderr.contains("dmz: nothing to run"), "{out:?}");
    assert_eq!(runtime_sha256(), sum_before, "the runtime binary changed");
}

#[test]
fn an_execs_waiting_process_is_the_dmz() {
    let sum_before = runtime_sha256();
    let runtime = Runtime::capstone();
    let bundle = hostile_bundle(&["sleep", "1000"]);
    let bundle_path = bundle.path().to_str().unwrap();
    runtime.ok(&["create", "--bundle", bundle_path, "held"]);
    // The hold (exec fifo) comes before the dmz's execve: `start` still releases it.
    runtime.ok(&["start", "held"]);
    let pid = runtime.state("held")["pid"].as_i64().unwrap();
    // `start` returns once the hold is released (as runc's does); the execve(2) follows.
    let comm = wait_while(&format!("/proc/{pid}/comm"), |comm| comm.trim() != "sleep");
    assert_eq!(comm.trim(), "sleep");

    let evil = runtime.run(&["exec", "held", "/evil"]);
    assert_eq!(evil.code, 126, "{evil:?}");
    assert!(evil.stderr.contains("dmz: nothing to run"), "{evil:?}");
    // The exec'd command's parent, the first process of this exec born inside, is the dmz.
    // An exec's waiting process (its pid file names it) is the dmz, seen from the host; the
    // command it forked inside sees it as its parent outside the PID namespace (pid 0).
    let pid_file = runtime.root.path().join("exec.pid");
    let pid_file = pid_file.to_str().unwrap();
    runtime.ok(&[
        "exec",
        "--detach",
        "--pid-file",
        pid_file,
        "held",
        "sleep",
        "1000",
    ]);
    let waiter = std::fs::read_to_string(pid_file).unwrap();
    // The pid file is written once the waiting process exists; it may still be the runtime
    // (non-dumpable, outside the PID namespace) for a moment before its execveat(2) of the dmz.
    let runtime_path = runtime_bin().canonicalize().unwrap();
    let waiter_exe = wait_while(&format!("/proc/{}/exe", waiter.trim()), |exe| {
        std::path::Path::new(exe) == runtime_path
    });
    assert_eq!(waiter_exe, "/memfd:dmz (deleted)");
    // The container's pid 1 is its command (busybox), never the runtime.
    let first = runtime.ok(&["exec", "held", "readlink", "/proc/1/exe"]);
    assert_eq!(first.trim(), "/bin/busybox");
    runtime.ok(&["kill", "held", "KILL"]);
    runtime.wait_for_status("held", "stopped");
    assert_eq!(runtime_sha256(), sum_before, "the runtime binary changed");
}

#[test]
fn preserve_fds_still_hands_descriptor_3_to_the_command() {
    let runtime = Runtime::capstone();
    let bundle = Bundle::new(&["sh", "-c", "cat <&3"], |_| {});
    let secret = bundle.path().join("fd3.txt");
    std::fs::write(&secret, "through fd 3\n").unwrap();
    let file = std::fs::File::open(&secret).unwrap();
    // Open as descriptor 3 in the runtime (dup2(2) in the child before its execve).
    let mut command = std::process::Command::new(&runtime.program);
    command.arg("--root").arg(runtime.root.path()).args([
        "run",
        "--preserve-fds",
        "1",
        "--bundle",
        bundle.path().to_str().unwrap(),
        "fds",
    ]);
    let raw = std::os::fd::AsRawFd::as_raw_fd(&file);
    // SAFETY: dup2(2) and fcntl(2) are async-signal-safe; `raw` is open in the parent while it forks.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
            // dup2(2) onto itself would keep close-on-exec: then clear it instead.
            let failed = if raw == 3 {
                libc::fcntl(3, libc::F_SETFD, 0) < 0
            } else {
                libc::dup2(raw, 3) < 0
            };
            if failed {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = command.stdin(std::process::Stdio::null()).output().unwrap();
    let _ = runtime.run(&["delete", "--force", "fds"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "through fd 3\n");
}

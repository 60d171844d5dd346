//! `capstone-runtime` beside runc: the same bundles, run by each with a `--root` of its own;
//! the state JSON, the exit codes, the error phrases callers match, and what the container
//! sees from inside must be the same.
//!
//! Run: `CAPSTONE_BIN=$PWD/target/debug/capstone cargo test -p e2e --test runtime_vs_runc`
//! (as root; the cargo runner elevates).

mod runtime_support;

use runtime_support::{Bundle, Runtime};
use std::path::Path;

/// Both runtimes, ours first.
fn both() -> [Runtime; 2] {
    [Runtime::capstone(), Runtime::runc()]
}

/// The fields of the state JSON that do not depend on the moment or the pid.
fn stable(state: &serde_json::Value) -> serde_json::Value {
    let mut state = state.clone();
    let object = state.as_object_mut().unwrap();
    object.remove("pid");
    object.remove("created");
    state
}

#[test]
fn create_start_kill_delete_give_runcs_states() {
    let bundle = Bundle::new(&["sleep", "1000"], |_| {});
    let bundle_path = bundle.path().to_str().unwrap();
    let mut seen = Vec::new();
    for runtime in both() {
        let pid_file = runtime.root.path().join("pid");
        runtime.ok(&[
            "create",
            "--bundle",
            bundle_path,
            "--pid-file",
            pid_file.to_str().unwrap(),
            "c1",
        ]);
        let created = runtime.state("c1");
        // The pid file is written before create returns, and names the held-back process.
        let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
        assert_eq!(created["pid"], pid, "{}", runtime.name());
        assert!(Path::new(&format!("/proc/{pid}")).exists());
        let comm_before = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
        assert_ne!(
            comm_before.trim(),
            "sleep",
            "{}: not exec'd before start",
            runtime.name()
        );
        runtime.ok(&["start", "c1"]);
        let running = runtime.state("c1");
        let comm = runtime_support::wait_for_comm(pid, "sleep");
        assert_eq!(comm, "sleep", "{}", runtime.name());
        let ps: Vec<i32> =
            serde_json::from_str(&runtime.ok(&["ps", "--format", "json", "c1"])).unwrap();
        assert_eq!(ps, vec![pid], "{}", runtime.name());
        runtime.ok(&["pause", "c1"]);
        let paused = runtime.state("c1");
        runtime.ok(&["resume", "c1"]);
        let exec = runtime.run(&["exec", "c1", "sh", "-c", "echo hi; exit 3"]);
        runtime.ok(&["kill", "c1", "KILL"]);
        let stopped = runtime.wait_for_status("c1", "stopped");
        let kill_again = runtime.run(&["kill", "c1", "KILL"]);
        runtime.ok(&["delete", "c1"]);
        let gone = runtime.run(&["state", "c1"]);
        seen.push((
            [created, running, paused, stopped].map(|s| stable(&s)),
            (exec.code, exec.stdout),
            kill_again.code,
            gone.code,
            gone.stderr.contains("does not exist"),
        ));
    }
    assert_eq!(seen[0], seen[1], "capstone-runtime (left) vs runc (right)");
    assert_eq!(seen[0].0[3]["status"], "stopped");
}

#[test]
fn the_container_sees_the_same_world() {
    let script = "hostname; id; pwd; ulimit -n; \
                  grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):' /proc/self/status; \
                  ls /dev; cat /proc/kcore | wc -c; \
                  (exec 3<>/dev/fuse && echo fuse opened); \
                  cat /proc/sys/kernel/domainname /proc/self/oom_score_adj; \
                  mkdir /made 2>&1 || echo mkdir refused; \
                  touch /proc/sys/kernel/hostname 2>&1 || echo read-only; \
                  grep -vc ':/$' /proc/self/cgroup; \
                  ps -o pid,comm";
    let bundle = Bundle::new(&["sh", "-c", script], |config| {
        config["hostname"] = "lab".into();
        config["process"]["cwd"] = "/tmp".into();
        config["process"]["noNewPrivileges"] = true.into();
        config["process"]["oomScoreAdj"] = 100.into();
        config["linux"]["sysctl"] = serde_json::json!({"kernel.domainname": "example.test"});
        // With a cgroup namespace each runtime's cgroups read as `/` inside (without one,
        // the paths differ: runc joins every v1 controller, capstone-runtime four of them).
        let namespaces = config["linux"]["namespaces"].as_array_mut().unwrap();
        namespaces.push(serde_json::json!({"type": "cgroup"}));
        // One device beyond the defaults, allowed by the device rules runc applies.
        config["linux"]["devices"] =
            serde_json::json!([{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]);
        let rules = config["linux"]["resources"]["devices"]
            .as_array_mut()
            .unwrap();
        rules.push(serde_json::json!({"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rwm"}));
        config["linux"]["seccomp"] = serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]
        });
    });
    let bundle_path = bundle.path().to_str().unwrap();
    let outputs: Vec<(i32, String)> = both()
        .iter()
        .map(|runtime| {
            let out = runtime.run(&["run", "--bundle", bundle_path, "world"]);
            (out.code, out.stdout)
        })
        .collect();
    assert_eq!(
        outputs[0], outputs[1],
        "capstone-runtime (left) vs runc (right)"
    );
    assert!(outputs[0].1.contains("lab\n"), "{}", outputs[0].1);
    assert!(outputs[0].1.contains("mkdir refused"), "{}", outputs[0].1);
    assert!(outputs[0].1.contains("fuse opened"), "{}", outputs[0].1);
    assert!(
        outputs[0].1.contains("example.test\n100\n"),
        "{}",
        outputs[0].1
    );
}

#[test]
fn exit_codes_and_error_phrases_are_runcs() {
    let bundle = Bundle::new(&["sh", "-c", "exit 7"], |_| {});
    let bundle_path = bundle.path().to_str().unwrap();
    for runtime in both() {
        let name = runtime.name();
        let run = runtime.run(&["run", "--bundle", bundle_path, "seven"]);
        assert_eq!(run.code, 7, "{name}: {run:?}");
        let log = runtime.root.path().join("log.json");
        let log_arg = log.to_str().unwrap();
        let missing = runtime.run(&["--log", log_arg, "--log-format", "json", "delete", "nope"]);
        assert_eq!(missing.code, 1, "{name}");
        let last = std::fs::read_to_string(&log).unwrap();
        let line: serde_json::Value = serde_json::from_str(last.lines().last().unwrap()).unwrap();
        assert_eq!(line["level"], "error", "{name}: {last}");
        assert!(
            line["msg"]
                .as_str()
                .unwrap()
                .contains("container does not exist"),
            "{name}: {last}"
        );
        // A forced delete of what does not exist is no error.
        assert_eq!(
            runtime.run(&["delete", "--force", "nope"]).code,
            0,
            "{name}"
        );
    }
}

#[test]
fn a_bad_config_is_refused_with_the_field_named() {
    let bundle = Bundle::new(&["true"], |config| {
        config["process"]["user"]["uid"] = "root".into();
    });
    let ours = Runtime::capstone();
    let out = ours.run(&["create", "--bundle", bundle.path().to_str().unwrap(), "bad"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("process.user.uid"), "{}", out.stderr);
    // Nothing was left behind: the id is free again.
    assert!(
        ours.run(&["state", "bad"])
            .stderr
            .contains("does not exist")
    );
    assert_eq!(
        runtime_support::Runtime::runc()
            .run(&["create", "--bundle", bundle.path().to_str().unwrap(), "bad"])
            .code,
        1
    );
}

/// The directory of the cgroup process `pid` is in: its pids controller's on cgroup v1 (and
/// hybrid), its unified one on v2.
fn pids_cgroup_dir(pid: i32) -> std::path::PathBuf {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let v1 = text
        .lines()
        .find_map(|l| l.split_once(":pids:").map(|(_, p)| p.to_string()));
    match v1 {
        Some(path) => format!("/sys/fs/cgroup/pids{path}").into(),
        None => {
            let path = text.lines().find_map(|l| l.strip_prefix("0::")).unwrap();
            format!("/sys/fs/cgroup{path}").into()
        }
    }
}

#[test]
fn delete_force_cleans_what_a_killed_create_or_process_left() {
    let ours = Runtime::capstone();
    // A runtime killed before it wrote its record leaves a bare directory: delete removes it.
    std::fs::create_dir(ours.root.path().join("half")).unwrap();
    assert_eq!(ours.run(&["delete", "--force", "half"]).code, 0);
    assert!(!ours.root.path().join("half").exists());
    // A created container whose held process was killed: its cgroup and record go too.
    let bundle = Bundle::new(&["true"], |_| {});
    ours.ok(&[
        "create",
        "--bundle",
        bundle.path().to_str().unwrap(),
        "held",
    ]);
    let pid = ours.state("held")["pid"].as_i64().unwrap() as i32;
    let cgroup = pids_cgroup_dir(pid);
    assert!(cgroup.ends_with("held"), "{}", cgroup.display());
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL).unwrap();
    assert_eq!(ours.wait_for_status("held", "stopped")["status"], "stopped");
    ours.ok(&["delete", "--force", "held"]);
    assert!(!cgroup.exists(), "{} is left", cgroup.display());
    assert!(!ours.root.path().join("held").exists());
}

#[test]
fn run_passes_a_signal_on_to_the_container() {
    use std::io::BufRead;
    let script = "trap 'echo got TERM; exit 9' TERM; echo ready; while :; do sleep 1; done";
    let bundle = Bundle::new(&["sh", "-c", script], |_| {});
    for runtime in both() {
        let mut child = std::process::Command::new(&runtime.program)
            .arg("--root")
            .arg(runtime.root.path())
            .args(["run", "--bundle", bundle.path().to_str().unwrap(), "sig"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(
            lines.next().unwrap().unwrap(),
            "ready",
            "{}",
            runtime.name()
        );
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::SIGTERM).unwrap();
        assert_eq!(
            lines.next().unwrap().unwrap(),
            "got TERM",
            "{}",
            runtime.name()
        );
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(9), "{}", runtime.name());
    }
}

#[test]
fn a_symlink_in_the_rootfs_never_leads_a_mount_onto_the_host() {
    // The bundle's rootfs is untrusted: `/evil` points at a directory of the host by its
    // absolute path. A mount at `/evil/sub` must land inside the rootfs (openat2(2)
    // RESOLVE_IN_ROOT reads the link as the container would), never in the host's directory.
    let host_dir = tempfile::tempdir().unwrap();
    let host_path = host_dir.path().to_str().unwrap().to_string();
    let bundle = Bundle::new(&["ls", "/evil/sub"], |config| {
        let mounts = config["mounts"].as_array_mut().unwrap();
        mounts.push(serde_json::json!({
            "destination": "/evil/sub", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"]
        }));
    });
    std::os::unix::fs::symlink(&host_path, bundle.path().join("rootfs/evil")).unwrap();
    let ours = Runtime::capstone();
    let out = ours.run(&["run", "--bundle", bundle.path().to_str().unwrap(), "evil"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        std::fs::read_dir(host_dir.path()).unwrap().next().is_none(),
        "the host directory was written to"
    );
    let inside = bundle
        .path()
        .join("rootfs")
        .join(host_path.trim_start_matches('/'));
    assert!(
        inside.join("sub").is_dir(),
        "the mount point was made inside the rootfs"
    );
}

#[test]
fn features_spec_and_systemd_cgroup_answer_like_runc() {
    let ours = Runtime::capstone();
    let runc = Runtime::runc();
    // `features`: the same document shape runc gives (runtime-spec features.md).
    for runtime in [&ours, &runc] {
        let features: serde_json::Value = serde_json::from_str(&runtime.ok(&["features"])).unwrap();
        assert!(
            features["ociVersionMax"].is_string(),
            "{}: {features}",
            runtime.name()
        );
        let namespaces = features["linux"]["namespaces"].as_array().unwrap();
        assert!(namespaces.contains(&"pid".into()), "{}", runtime.name());
    }
    // `spec` writes a config.json our runtime then reads; never over an existing one.
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().to_str().unwrap();
    ours.ok(&["spec", "--bundle", bundle]);
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("config.json")).unwrap()).unwrap();
    assert_eq!(config["root"]["path"], "rootfs");
    assert_eq!(ours.run(&["spec", "--bundle", bundle]).code, 1);
    // systemd cgroups are refused up front, with what to use instead.
    let out = ours.run(&["--systemd-cgroup", "list"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("cgroupfs"), "{}", out.stderr);
}

/// What arrives on a `--console-socket`: the data bytes and the descriptor (runtime-spec's
/// "Console": one message, the pty master passed with `SCM_RIGHTS`).
fn receive_console(listener: std::os::unix::net::UnixListener) -> (String, std::os::fd::OwnedFd) {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, recvmsg};
    use std::os::fd::{AsRawFd, FromRawFd};
    let (stream, _) = listener.accept().unwrap();
    let mut data = [0u8; 4096];
    let mut iov = [std::io::IoSliceMut::new(&mut data)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let msg = recvmsg::<()>(
        stream.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::empty(),
    )
    .unwrap();
    let fd = msg
        .cmsgs()
        .unwrap()
        .find_map(|c| match c {
            ControlMessageOwned::ScmRights(fds) => fds.first().copied(),
            _ => None,
        })
        .expect("a descriptor with the message");
    let len = msg.bytes;
    // SAFETY: the kernel just installed this descriptor in our table.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    (String::from_utf8_lossy(&data[..len]).into_owned(), fd)
}

#[test]
fn a_console_socket_gets_runcs_message_a_name_and_a_pty_master() {
    let mut seen = Vec::new();
    for runtime in both() {
        let bundle = Bundle::new(&["sleep", "1000"], |c| {
            c["process"]["terminal"] = true.into()
        });
        let socket = bundle.path().join("console.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let receiver = std::thread::spawn(move || receive_console(listener));
        let bundle_path = bundle.path().to_str().unwrap();
        let socket = socket.to_str().unwrap();
        runtime.ok(&[
            "create",
            "--bundle",
            bundle_path,
            "--console-socket",
            socket,
            "tty1",
        ]);
        let (name, master) = receiver.join().unwrap();
        // A pty master answers TIOCGPTN with its slave's number.
        let mut number: libc::c_uint = 0;
        // SAFETY: TIOCGPTN writes one unsigned int to the pointer.
        let rc = unsafe {
            libc::ioctl(
                std::os::fd::AsRawFd::as_raw_fd(&master),
                libc::TIOCGPTN,
                &mut number,
            )
        };
        assert_eq!(
            rc,
            0,
            "{}: the descriptor is not a pty master",
            runtime.name()
        );
        runtime.ok(&["delete", "--force", "tty1"]);
        seen.push(name);
    }
    assert_eq!(
        seen[0], seen[1],
        "the data sent with the master, ours then runc's"
    );
}

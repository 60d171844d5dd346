//! Each step of lesson 01, run as the student runs it, with its effect checked from outside:
//! namespace inodes, the host's hostname and mount table, files, exit codes.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};

/// Runs a step binary to completion and returns what it printed.
fn run(bin: &str, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of `key=` on the first line starting with `prefix` (values end at a space).
fn field(text: &str, prefix: &str, key: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with(prefix) && l.contains(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no line `{prefix} … {key}=` in:\n{text}"));
    let start = line.find(&format!("{key}=")).unwrap() + key.len() + 1;
    line[start..].split(' ').next().unwrap().to_string()
}

fn my_namespace(kind: &str) -> u64 {
    std::fs::metadata(format!("/proc/self/ns/{kind}"))
        .unwrap()
        .ino()
}

fn host_mounts() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap()
}

fn host_hostname() -> String {
    nix::unistd::gethostname()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn uts_namespace_gives_the_child_its_own_hostname() {
    let name = harness::names::unique("lab");
    let out = run(env!("CARGO_BIN_EXE_01-uts"), &[&name]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(field(&text, "inside:", "hostname"), name);
    let inside_ns: u64 = field(&text, "inside:", "uts").parse().unwrap();
    let outside_ns: u64 = field(&text, "outside:", "uts").parse().unwrap();
    assert_eq!(
        outside_ns,
        my_namespace("uts"),
        "the step's parent is in the host's namespace"
    );
    assert_ne!(inside_ns, outside_ns, "the child got a new UTS namespace");
    assert_ne!(host_hostname(), name, "the host's hostname did not change");
    assert_eq!(field(&text, "outside:", "hostname"), host_hostname());
}

#[test]
fn pid_namespace_makes_child_pid_1_and_its_proc_lists_only_its_tree() {
    let before = host_mounts();
    let out = run(env!("CARGO_BIN_EXE_02-pid"), &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(field(&text, "inside:", "pid"), "1");
    assert!(
        text.contains("inside: started a grandchild, its pid=2"),
        "{text}"
    );
    assert!(text.contains("inside: /proc lists pids=[1, 2]"), "{text}");
    // One process, two pids: the parent, in the host's PID namespace, saw the child that
    // called itself 1 under an ordinary pid.
    let outside_pid: u32 = after(&text, "outside: the child's pid here is ")
        .parse()
        .unwrap_or_else(|e| panic!("no outside pid ({e}) in:\n{text}"));
    assert!(
        outside_pid > 1,
        "the child's host pid: {outside_pid}\n{text}"
    );
    // The host's /proc still shows the host's tree (the child's fresh /proc listed only two
    // processes): the step counted it after the child was gone.
    let host_count: usize = after(&text, "outside: /proc still lists ")
        .parse()
        .unwrap_or_else(|e| panic!("no host process count ({e}) in:\n{text}"));
    assert!(
        host_count > 2,
        "the host's /proc lists {host_count}:\n{text}"
    );
    assert_eq!(host_mounts(), before, "the host's mount table is unchanged");
}

/// The number that follows `prefix` on the first line starting with it.
fn after(text: &str, prefix: &str) -> String {
    let line = text.lines().find_map(|l| l.strip_prefix(prefix));
    let line = line.unwrap_or_else(|| panic!("no line `{prefix}…` in:\n{text}"));
    line.split(' ').next().unwrap().to_string()
}

#[test]
fn a_mount_made_inside_is_invisible_outside() {
    let before = host_mounts();
    let out = run(env!("CARGO_BIN_EXE_03-mount"), &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(field(&text, "inside:", "listed"), "true");
    assert_eq!(field(&text, "inside:", "exists"), "true");
    assert_eq!(field(&text, "outside: while", "listed"), "false");
    assert_eq!(field(&text, "outside: while", "exists"), "false");
    assert_eq!(host_mounts(), before, "the host's mount table is unchanged");
}

#[test]
fn pivot_root_leaves_only_the_new_root_visible() {
    let before = host_mounts();
    let out = run(env!("CARGO_BIN_EXE_04-pivot-root"), &["ls", "/"]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("/lab-01-marker-") && text.contains("exists=true"),
        "{text}"
    );
    assert_eq!(
        field(&text, "inside:", "visible"),
        "false",
        "the host's marker is out of reach"
    );
    for dir in ["bin", "etc", "proc", "tmp"] {
        assert!(
            text.lines().any(|l| l == dir),
            "busybox root lists {dir}:\n{text}"
        );
    }
    assert!(
        !text.lines().any(|l| l == "boot" || l == "work"),
        "no host directories:\n{text}"
    );
    assert_eq!(host_mounts(), before, "the host's mount table is unchanged");
    let leftover = std::fs::read_dir("/").unwrap().flatten().any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        name == format!("lab-01-marker-{}", out_pid(&text))
    });
    assert!(!leftover, "the step removed its marker");
}

/// The pid the step used in its marker's name.
fn out_pid(text: &str) -> String {
    let at = text.find("/lab-01-marker-").unwrap() + "/lab-01-marker-".len();
    text[at..].split(' ').next().unwrap().to_string()
}

#[test]
fn ipc_and_network_namespaces_hide_host_queues_and_devices() {
    let out = run(env!("CARGO_BIN_EXE_05-ipc-net"), &[]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert_eq!(field(&text, "outside: message", "visible"), "true");
    assert_eq!(field(&text, "inside: message", "visible"), "false");
    assert!(text.contains("inside: interfaces=[\"lo\"]"), "{text}");
    assert_eq!(field(&text, "inside: lo", "up"), "false");
}

#[test]
fn user_namespace_maps_root_inside_to_an_unprivileged_uid_outside() {
    let out = run(env!("CARGO_BIN_EXE_06-user"), &[]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(field(&text, "inside (before)", "uid"), "65534");
    assert_eq!(field(&text, "inside: uid", "uid"), "0");
    assert!(text.contains("uid_map = 0 65534 1"), "{text}");
    assert_eq!(field(&text, "outside: the process", "uid"), "65534");
    assert_eq!(
        field(&text, "outside: /tmp", "uid"),
        "65534",
        "files made by root inside"
    );
    assert!(text.contains("sethostname on the host's UTS namespace: Operation not permitted"));
}

fn mini_container(args: &[&str]) -> Output {
    run(env!("CARGO_BIN_EXE_07-mini-container"), args)
}

#[test]
fn mini_container_isolates_hostname_pids_and_filesystem() {
    let script = "hostname; echo pid=$$; ps -o pid,comm > /tmp/ps; wc -l < /tmp/ps; ls /";
    let out = mini_container(&["--hostname", "box", "sh", "-c", script]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "box");
    assert_eq!(lines[1], "pid=1");
    // ps ran alone beside the shell (its output went to a file, so no pipeline partner was
    // racing it): a header line, then only the container's own processes, sh and ps.
    assert_eq!(lines[2].trim(), "3", "{text}");
    assert!(lines.contains(&"bin") && !lines.contains(&"work"), "{text}");
}

#[test]
fn mini_container_mounts_proc_sys_readonly_and_a_minimal_dev() {
    let script = "touch /sys/x 2>/dev/null && echo sys=rw || echo sys=ro; \
                  touch /x 2>/dev/null && echo root=rw || echo root=ro; \
                  echo hi > /tmp/t && echo tmp=rw; ls /dev | tr '\\n' ' '";
    let out = mini_container(&["sh", "-c", script]);
    let text = stdout(&out);
    assert!(
        text.contains("sys=ro") && text.contains("root=ro") && text.contains("tmp=rw"),
        "{text}"
    );
    for dev in ["null", "zero", "random", "urandom", "tty", "pts", "shm"] {
        assert!(text.contains(&format!("{dev} ")), "/dev has {dev}: {text}");
    }
    assert!(
        !text.contains("sda") && !text.contains("vda") && !text.contains("mem "),
        "{text}"
    );
}

#[test]
fn mini_container_passes_the_exit_status_through() {
    assert_eq!(
        mini_container(&["sh", "-c", "exit 3"]).status.code(),
        Some(3)
    );
    assert_eq!(mini_container(&["true"]).status.code(), Some(0));
}

#[test]
fn mini_container_reports_a_kill_by_signal_as_128_plus_n() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_07-mini-container"))
        .args(["sh", "-c", "echo ready; exec sleep 1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let pid: i32 = line
        .split("host pid ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no host pid in {line:?}"));
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut ready = String::new();
    stdout.read_line(&mut ready).unwrap(); // the event: the command is running
    assert_eq!(ready.trim(), "ready");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(128 + 9));
}

#[test]
fn mini_container_says_clearly_what_is_wrong() {
    let missing = mini_container(&["--rootfs", "/nonexistent-rootfs", "sh"]);
    assert_ne!(missing.status.code(), Some(0));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("/nonexistent-rootfs") && err.contains("not a root filesystem"),
        "{err}"
    );

    let not_found = mini_container(&["no-such-command"]);
    assert_eq!(not_found.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&not_found.stderr).contains("command not found"));

    let not_executable = mini_container(&["/etc/passwd"]);
    assert_eq!(not_executable.status.code(), Some(126));

    let bad_flag = mini_container(&["--no-such-flag", "sh"]);
    assert_eq!(bad_flag.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_flag.stderr).contains("--no-such-flag"));
}

#[test]
fn steps_refuse_to_run_without_root_in_one_clear_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_01-uts"))
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs root"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn the_mini_container_leaves_the_host_mount_table_unchanged() {
    let before = host_mounts();
    let out = mini_container(&["sh", "-c", "mount | wc -l"]);
    assert!(out.status.success());
    assert_eq!(host_mounts(), before);
}

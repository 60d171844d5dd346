//! `capstone run` end to end: exit codes as Docker gives them, the container's view of the
//! world (namespaces, capabilities, masked paths, nodev root, no leaked descriptors), limits
//! in the cgroup, and nothing left behind afterwards.

mod capstone_support;

use capstone_support::{Engine, cgroup_dirs, host_mounts};
use cgroups::{Hierarchy, Layout};
use std::path::Path;

#[test]
fn exit_status_of_the_command_is_the_exit_status_of_run() {
    let engine = Engine::with_busybox();
    let run = engine.run(&["run", "--rm", "busybox", "sh", "-c", "echo hello; exit 3"]);
    assert_eq!(run.code, 3, "{run:?}");
    assert_eq!(run.stdout, "hello\n");
}

#[test]
fn a_command_missing_from_the_image_exits_127() {
    let engine = Engine::with_busybox();
    let run = engine.run(&["run", "--rm", "busybox", "no-such-command"]);
    assert_eq!(run.code, 127, "{run:?}");
    assert!(run.stderr.contains("executable file not found"), "{run:?}");
}

#[test]
fn a_file_that_cannot_be_executed_exits_126() {
    let engine = Engine::with_busybox();
    let run = engine.run(&["run", "--rm", "busybox", "/etc/passwd"]);
    assert_eq!(run.code, 126, "{run:?}");
}

#[test]
fn a_command_killed_by_a_signal_exits_128_plus_the_signal() {
    let engine = Engine::with_busybox();
    // With --init the command is pid 2, which (unlike a pid 1) can die of its own signal.
    let run = engine.run(&[
        "run",
        "--rm",
        "--init",
        "busybox",
        "sh",
        "-c",
        "kill -USR1 $$",
    ]);
    assert_eq!(run.code, 128 + libc::SIGUSR1, "{run:?}");
}

#[test]
fn the_image_config_and_flags_shape_the_process() {
    let engine = Engine::with_busybox();
    let out = engine.ok(&[
        "run",
        "--rm",
        "-e",
        "GREETING=hi",
        "-w",
        "/work/dir",
        "-u",
        "nobody",
        "--hostname",
        "lab",
        "busybox",
        "sh",
        "-c",
        "echo $GREETING; pwd; id -u; hostname; echo $PATH",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "hi");
    assert_eq!(
        lines[1], "/work/dir",
        "the working directory is created if the image lacks it"
    );
    assert_ne!(lines[2], "0", "-u nobody runs as nobody's uid");
    assert_eq!(lines[3], "lab");
    assert!(lines[4].contains("/bin"), "PATH from the image: {out}");
}

#[test]
fn env_file_values_are_taken_as_written_and_dash_e_wins() {
    let engine = Engine::with_busybox();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.env");
    let text = "# a comment\n\n  PLAIN=one\nQUOTED=\"two words\"\nFROM_CLI\nLATER=file\n";
    std::fs::write(&file, text).unwrap();
    let out = engine
        .command(&[
            "run",
            "--rm",
            "--env-file",
            file.to_str().unwrap(),
            "-e",
            "LATER=flag",
            "busybox",
            "sh",
            "-c",
            "echo \"$PLAIN|$QUOTED|$FROM_CLI|$LATER\"",
        ])
        .env("FROM_CLI", "exported")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    // Quotes stay (no shell parses the file, in Docker either); a bare NAME is taken from
    // the CLI's environment; -e comes after the file.
    assert_eq!(stdout.trim_end(), "one|\"two words\"|exported|flag");
}

#[test]
fn the_container_is_pid_1_in_its_own_namespaces() {
    let engine = Engine::with_busybox();
    let out = engine.ok(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo $$; ls /proc | grep -c '^[0-9]'; readlink /proc/self/ns/net",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1");
    assert!(
        lines[1].parse::<u32>().unwrap() <= 3,
        "only the container's processes are visible: {out}"
    );
    let host_net = std::fs::read_link("/proc/self/ns/net").unwrap();
    assert_ne!(
        lines[2],
        host_net.to_str().unwrap(),
        "a network namespace of its own"
    );
}

#[test]
fn docker_default_capabilities_with_an_empty_inheritable_set() {
    let engine = Engine::with_busybox();
    let out = engine.ok(&[
        "run",
        "--rm",
        "busybox",
        "grep",
        "^Cap",
        "/proc/self/status",
    ]);
    // Docker's 14 default capabilities as a mask (moby's defaults; what `docker run` shows).
    assert!(out.contains("CapBnd:\t00000000a80425fb"), "{out}");
    assert!(out.contains("CapEff:\t00000000a80425fb"), "{out}");
    assert!(out.contains("CapInh:\t0000000000000000"), "{out}");
    let dropped = engine.ok(&[
        "run",
        "--rm",
        "--cap-drop",
        "ALL",
        "busybox",
        "grep",
        "^CapBnd",
        "/proc/self/status",
    ]);
    assert!(dropped.contains("0000000000000000"), "{dropped}");
}

#[test]
fn sensitive_proc_paths_are_masked_or_read_only() {
    let engine = Engine::with_busybox();
    // kernel/hostname exists on every kernel (kernel/sysrq does not), and writing it would
    // touch only the container's own UTS namespace if /proc/sys were writable.
    let run = engine.run(&["run", "--rm", "busybox", "sh", "-c",
        "wc -c < /proc/keys; ls /proc/acpi 2>/dev/null | wc -l; echo lab > /proc/sys/kernel/hostname && echo WROTE"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines[0].trim(), "0", "/proc/keys reads empty: {run:?}");
    assert_eq!(
        lines[1].trim(),
        "0",
        "/proc/acpi is an empty directory: {run:?}"
    );
    assert!(
        run.stderr.contains("Read-only file system") && !run.stdout.contains("WROTE"),
        "/proc/sys must be read-only: {run:?}"
    );
}

#[test]
fn a_device_node_made_in_the_container_cannot_be_opened() {
    let engine = Engine::with_busybox();
    // CAP_MKNOD is a default capability, so mknod works; the nodev root makes it useless.
    let run = engine.run(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "mknod /mem c 1 1 && head -c 1 /mem",
    ]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Permission denied"), "{run:?}");
}

#[test]
fn no_descriptor_of_the_engine_reaches_the_container() {
    let engine = Engine::with_busybox();
    let out = engine.ok(&["run", "--rm", "busybox", "ls", "/proc/self/fd"]);
    let fds: Vec<&str> = out.split_whitespace().collect();
    // 0, 1, 2 and the directory ls itself is reading.
    assert!(fds.len() <= 4, "leaked descriptors: {fds:?}");
}

#[test]
fn read_only_root_refuses_writes() {
    let engine = Engine::with_busybox();
    let run = engine.run(&["run", "--rm", "--read-only", "busybox", "touch", "/file"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("Read-only file system"), "{run:?}");
}

#[test]
fn limits_are_written_to_the_container_cgroup_and_removed_with_it() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&[
        "--memory",
        "64m",
        "--pids-limit",
        "20",
        "busybox",
        "sleep",
        "1000",
    ]);
    let dirs = cgroup_dirs(&id);
    // Which file holds the memory limit depends on the layout (lesson 02 detects it): v2 has
    // one directory with memory.max and pids.max, v1 a directory per controller, with the
    // memory limit in memory.limit_in_bytes.
    let memory_file = match Hierarchy::detect()
        .expect("detect the cgroup layout")
        .layout()
    {
        Layout::Unified => "memory.max",
        Layout::Legacy | Layout::Hybrid => "memory.limit_in_bytes",
    };
    let file = |name: &str| {
        let found = dirs.iter().map(|d| d.join(name)).find(|f| f.exists());
        found.unwrap_or_else(|| panic!("no {name} in {dirs:?}"))
    };
    let read = |path: &Path| std::fs::read_to_string(path).unwrap().trim().to_string();
    let memory_limit = file(memory_file);
    assert_eq!(read(&memory_limit), (64u64 << 20).to_string());
    assert_eq!(read(&file("pids.max")), "20");
    let pid = engine.inspect(&id)["State"]["Pid"].as_i64().unwrap();
    let procs = read(&memory_limit.with_file_name("cgroup.procs"));
    assert!(
        procs.lines().any(|p| p == pid.to_string()),
        "the container's pid 1 is in its cgroup: {procs:?}"
    );
    let own_mounts = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap();
    assert!(
        own_mounts.contains(&id),
        "the container's mount table has its overlay: {own_mounts}"
    );
    assert!(
        !host_mounts().contains(&id),
        "the overlay lives only in the container's mount namespace"
    );
    engine.ok(&["rm", "-f", &id]);
    for dir in dirs {
        assert!(!dir.exists(), "{} left behind", dir.display());
    }
    assert!(!engine.root.path().join("containers").join(&id).exists());
}

#[test]
fn an_unknown_image_is_a_clear_error_with_code_125() {
    let engine = Engine::new();
    let run = engine.run(&["run", "--rm", "nosuchimage-here:1", "true"]);
    assert_eq!(run.code, 125, "{run:?}");
    assert!(run.stderr.contains("nosuchimage-here"), "{run:?}");
    assert_eq!(
        engine.ok(&["ps", "-aq"]),
        "",
        "a failed run leaves no container"
    );
}

#[test]
fn bad_flag_values_are_refused_before_anything_is_made() {
    let engine = Engine::with_busybox();
    for args in [
        &["run", "--memory", "lots", "busybox", "true"][..],
        &["run", "--cpus", "-1", "busybox", "true"],
        &["run", "--pids-limit", "0", "busybox", "true"],
        &["run", "--name", "-bad", "busybox", "true"],
        &["run", "--network", "moon", "busybox", "true"],
        &["run", "--cap-add", "FLY", "busybox", "true"],
        &["run", "-w", "relative", "busybox", "true"],
        &["run", "--no-such-flag", "busybox", "true"],
    ] {
        let run = engine.run(args);
        assert_eq!(run.code, 125, "{args:?}: {run:?}");
        assert!(!run.stderr.is_empty(), "{args:?} says why");
    }
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
}

#[test]
fn at_a_terminal_a_bare_run_gets_a_pty_with_the_window_size() {
    // script(1) gives the engine a real terminal of 17 rows and 91 columns.
    let engine = Engine::with_busybox();
    let inner = format!(
        "stty cols 91 rows 17; {} --root {} --runroot {} run --rm busybox sh -c 'stty size; exit 4'",
        capstone_support::capstone_bin().display(),
        engine.root.path().display(),
        engine.runroot.path().display()
    );
    let out = engine
        .netns
        .command("script")
        .args(["-qec", &inner, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run script(1)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("17 91"),
        "the container's terminal has our window size: {text:?}"
    );
    assert_eq!(out.status.code(), Some(4), "{text:?}");
}

#[test]
fn an_image_whose_proc_is_a_symlink_is_refused_and_nothing_is_made_on_the_host() {
    // /proc, /sys and /dev are mounted while the engine still sees the host's `/`: an image's
    // `/proc -> /some/host/dir` must not send mkdir(2) or mount(2) there.
    let engine = Engine::new();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("made-by-the-engine");
    engine.import_busybox_changed("hostile", |tree| {
        let proc_dir = tree.join("proc");
        if proc_dir.exists() {
            std::fs::remove_dir_all(&proc_dir).unwrap();
        }
        std::os::unix::fs::symlink(&target, &proc_dir).unwrap();
    });

    let run = engine.run(&["run", "--rm", "hostile", "true"]);

    assert_eq!(
        run.code, 125,
        "refused before the command runs: {}",
        run.stderr
    );
    assert!(run.stderr.contains("/proc"), "{}", run.stderr);
    assert!(
        !target.exists(),
        "the engine made the directory on the host"
    );
}

#[test]
fn the_command_starts_with_default_signals_whatever_the_engine_ignores() {
    // A script's `capstone run … &` starts the engine with SIGINT and SIGQUIT ignored;
    // execve(2) would pass that on, and a shell cannot even trap an ignored signal.
    let engine = Engine::with_busybox();
    let mut cmd = engine.command(&[
        "run",
        "--rm",
        "busybox",
        "grep",
        "SigIgn",
        "/proc/self/status",
    ]);
    // SAFETY: only signal(2) runs between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
            libc::signal(libc::SIGQUIT, libc::SIG_IGN);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let line = String::from_utf8_lossy(&out.stdout);
    let ignored = u64::from_str_radix(line.trim().trim_start_matches("SigIgn:\t"), 16).unwrap();
    let (sigint, sigquit) = (1 << (libc::SIGINT - 1), 1 << (libc::SIGQUIT - 1));
    assert_eq!(ignored & (sigint | sigquit), 0, "{line}");
}

//! Lesson 02's graders: each test sets up a cgroup through the library, runs a small
//! workload in it, and checks what the kernel did (exit signals, cgroup files), not what a
//! step printed. Every cgroup is held by a `CgroupGuard`, so it is killed and removed even
//! when an assertion fails.
//!
//! On a host that is not cgroup v2, `v2_in_vm::lesson_tests_pass_on_cgroup_v2_in_a_vm` boots
//! a v2-only VM and runs this same binary inside it.

#[path = "steps/v2_in_vm.rs"]
mod v2_in_vm;

use cgroups::workload::{self, Workload};
use cgroups::{CgroupGuard, Controller, CpuQuota, Error, Hierarchy, Layout, process};
use std::io::{BufRead, BufReader, Read};
use std::os::fd::AsFd;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WORKLOAD: &str = env!("CARGO_BIN_EXE_workload");

fn hierarchy() -> Hierarchy {
    Hierarchy::detect().expect("detect the cgroup layout")
}

/// A fresh cgroup with a unique name, removed when the guard drops.
fn new_cgroup(controllers: &[Controller]) -> CgroupGuard {
    let name = harness::names::unique("l02t");
    CgroupGuard(
        hierarchy()
            .create(&name, controllers)
            .expect("create a test cgroup"),
    )
}

/// Starts `work` from the workload binary, already inside `cgroup`.
fn spawn_in(cgroup: &CgroupGuard, work: &Workload) -> Child {
    let mut command = workload::command(Path::new(WORKLOAD), work);
    process::join_on_exec(&mut command, &**cgroup);
    command
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn workload")
}

fn read_line(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("read a line");
    line.trim().to_string()
}

// ---------------------------------------------------------------- the library, per step

#[test]
fn layout_detection_agrees_with_the_filesystem() {
    let layout = hierarchy().layout();
    // cgroup2 at the root has cgroup.controllers; a v1 tmpfs root has per-controller dirs.
    let unified = Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    assert_eq!(layout == Layout::Unified, unified, "layout {layout:?}");
    if !unified {
        assert!(Path::new("/sys/fs/cgroup/memory/memory.limit_in_bytes").exists());
    }
}

#[test]
fn child_joins_the_cgroup_and_removal_kills_it() {
    let cgroup = new_cgroup(&Controller::ALL);
    let mut child = spawn_in(&cgroup, &Workload::Counter);
    let pid = child.id() as i32;
    // Keep the pipe open: a counter whose reader went away stops by itself.
    let mut output = BufReader::new(child.stdout.take().unwrap());
    read_line(&mut output);

    assert_eq!(cgroup.processes().unwrap(), vec![pid]);
    let membership = process::cgroup_of(pid).unwrap();
    assert!(
        membership.contains(cgroup.name()),
        "/proc/{pid}/cgroup: {membership}"
    );

    let dirs = cgroup.directories();
    drop(cgroup);
    assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
    for dir in dirs {
        assert!(!dir.exists(), "{} still exists", dir.display());
    }
}

#[test]
fn memory_hog_is_oom_killed_at_the_limit_and_counted() {
    let cgroup = new_cgroup(&[Controller::Memory]);
    let limit = 32 << 20;
    cgroup.set_memory(limit, Some(limit)).unwrap();
    let mut hog = spawn_in(&cgroup, &Workload::MemoryHog);
    let mut output = String::new();
    hog.stdout
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    let status = hog.wait().unwrap();

    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "hog ended with {status}; said {output}"
    );
    let stats = cgroup.stats().unwrap();
    assert!(stats.oom_kills.unwrap() >= 1, "{stats:?}");
    // v2's memory.peak came in Linux 5.19 (Ubuntu 22.04 runs 5.15): check it where it exists.
    if let Some(peak) = stats.memory_peak {
        let within = peak <= limit + (1 << 20) && peak >= limit / 2;
        assert!(within, "peak {peak} for limit {limit}");
    }
    assert!(
        output.contains("allocated 8 MiB"),
        "the hog ran before it was killed: {output}"
    );
}

#[test]
fn cpu_quota_holds_a_busy_loop_near_its_share() {
    let cgroup = new_cgroup(&[Controller::Cpu]);
    cgroup
        .set_cpu_quota(CpuQuota {
            quota_us: 20_000,
            period_us: 100_000,
        })
        .unwrap();
    let start = Instant::now();
    let status = spawn_in(&cgroup, &Workload::BusyFor(Duration::from_millis(1000)))
        .wait()
        .unwrap();
    let wall = start.elapsed().as_secs_f64();
    assert!(status.success());

    let stats = cgroup.stats().unwrap();
    let cpus = stats.cpu_usage_usec.unwrap() as f64 / 1e6 / wall;
    // Unthrottled, the loop would use ~1.0; the quota allows 0.2. The low end is generous
    // because the machine may be busy with other work.
    assert!(
        (0.03..=0.3).contains(&cpus),
        "used {cpus:.3} CPUs under a 0.2 quota: {stats:?}"
    );
    assert!(stats.cpu_throttled_periods.unwrap() >= 1, "{stats:?}");
}

#[test]
fn fork_fails_at_the_pids_limit() {
    let cgroup = new_cgroup(&[Controller::Pids, Controller::Freezer]);
    cgroup.set_pids_max(5).unwrap();
    let output = {
        let mut command = workload::command(Path::new(WORKLOAD), &Workload::ForkBomb(100));
        process::join_on_exec(&mut command, &*cgroup);
        command.output().unwrap()
    };
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the bomb was not stopped: {said}");
    assert!(said.contains("fork number 5 failed: EAGAIN"), "{said}");

    let stats = cgroup.stats().unwrap();
    assert_eq!(
        stats.pids_current,
        Some(4),
        "the 4 children stay, the bomb itself exited"
    );
    assert!(stats.pids_limit_hits.unwrap() >= 1, "{stats:?}");

    // The limit is this cgroup's, not the machine's: the same bomb in a sibling cgroup without
    // a pids limit forks twice as many children as the limit allows.
    let free = new_cgroup(&[Controller::Pids, Controller::Freezer]);
    let output = {
        let mut command = workload::command(Path::new(WORKLOAD), &Workload::ForkBomb(10));
        process::join_on_exec(&mut command, &*free);
        command.output().unwrap()
    };
    let said = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "a limit stopped it: {said}");
    assert!(said.contains("forked all 10 children"), "{said}");
    assert_eq!(free.stats().unwrap().pids_current, Some(10));
}

#[test]
fn frozen_cgroup_makes_no_progress_until_thawed() {
    let cgroup = new_cgroup(&[Controller::Freezer]);
    let mut counter = spawn_in(&cgroup, &Workload::Counter);
    let mut lines = BufReader::new(counter.stdout.take().unwrap());
    read_line(&mut lines);

    cgroup.freeze().unwrap();
    let mut last: u64 = 0;
    while has_data(&lines, 0) {
        last = read_line(&mut lines).parse().unwrap();
    }
    // Waiting for an event that must NOT come: poll(2) with a deadline.
    assert!(!has_data(&lines, 300), "the counter wrote while frozen");

    cgroup.thaw().unwrap();
    assert!(
        has_data(&lines, 10_000),
        "the counter did not resume after thawing"
    );
    let next: u64 = read_line(&mut lines).parse().unwrap();
    assert!(next > last, "resumed at {next} after {last}");
    drop(cgroup);
    counter.wait().unwrap();
}

fn has_data(reader: &BufReader<std::process::ChildStdout>, millis: u16) -> bool {
    use nix::poll::{PollFd, PollFlags, poll};
    if !reader.buffer().is_empty() {
        return true;
    }
    let mut fds = [PollFd::new(reader.get_ref().as_fd(), PollFlags::POLLIN)];
    poll(&mut fds, millis).unwrap() > 0
}

#[test]
fn removal_kills_a_whole_process_tree() {
    let cgroup = new_cgroup(&[Controller::Pids, Controller::Freezer]);
    cgroup.set_pids_max(4).unwrap();
    let mut command = workload::command(Path::new(WORKLOAD), &Workload::ForkBomb(10));
    process::join_on_exec(&mut command, &*cgroup);
    assert!(command.stdout(Stdio::null()).status().unwrap().success());
    let orphans = cgroup.processes().unwrap();
    assert_eq!(orphans.len(), 3, "the bomb's children are left inside");

    let dirs = cgroup.directories();
    cgroup.remove().unwrap();
    for pid in orphans {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists() || is_zombie(pid),
            "pid {pid} survived"
        );
    }
    assert!(dirs.iter().all(|d| !d.exists()));
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

#[test]
fn controllers_are_set_up_where_the_layout_needs_them() {
    let hierarchy = hierarchy();
    let parent_name = harness::names::unique("l02p");
    let parent = CgroupGuard(
        hierarchy
            .create(&parent_name, &[Controller::Memory, Controller::Pids])
            .unwrap(),
    );
    let leaf = CgroupGuard(
        hierarchy
            .create(
                &format!("{parent_name}/leaf"),
                &[Controller::Memory, Controller::Pids],
            )
            .unwrap(),
    );
    match hierarchy.layout() {
        Layout::Unified => {
            let read =
                |dir: &Path| std::fs::read_to_string(dir.join("cgroup.subtree_control")).unwrap();
            let parent_dir = &parent.directories()[0];
            assert!(read(Path::new("/sys/fs/cgroup")).contains("memory"));
            assert!(read(parent_dir).contains("memory") && read(parent_dir).contains("pids"));
            assert_eq!(
                read(&leaf.directories()[0]).trim(),
                "",
                "the leaf enables nothing"
            );
            assert!(leaf.directories()[0].join("pids.max").exists());
        }
        Layout::Legacy | Layout::Hybrid => {
            let dirs = leaf.directories();
            assert_eq!(dirs.len(), 2, "one directory per hierarchy: {dirs:?}");
            assert!(
                dirs.iter()
                    .any(|d| d.join("memory.limit_in_bytes").exists())
            );
            assert!(dirs.iter().any(|d| d.join("pids.max").exists()));
        }
    }
    drop(leaf);
    drop(parent);
}

#[test]
fn docker_style_limits_land_in_this_layouts_files() {
    let cgroup = new_cgroup(&[Controller::Memory, Controller::Cpu, Controller::Pids]);
    let host_cpus = std::thread::available_parallelism().unwrap().get();
    cgroup
        .apply(&cgroups::Resources {
            memory: Some(cgroups::limits::parse_memory("64m").unwrap()),
            memory_swap: Some(cgroups::limits::parse_memory("128m").unwrap()),
            cpu_quota: Some(cgroups::limits::parse_cpus("0.5", host_cpus).unwrap()),
            cpu_shares: Some(512),
            pids: cgroups::limits::parse_pids("42").unwrap(),
        })
        .unwrap();
    let file = |name: &str| {
        let dir = cgroup
            .directories()
            .into_iter()
            .find(|d| d.join(name).exists());
        let dir = dir.unwrap_or_else(|| panic!("no {name} in {:?}", cgroup.directories()));
        std::fs::read_to_string(dir.join(name))
            .unwrap()
            .trim()
            .to_string()
    };
    if hierarchy().layout() == Layout::Unified {
        assert_eq!(file("memory.max"), "67108864");
        assert_eq!(
            file("memory.swap.max"),
            "67108864",
            "v2 counts swap alone: 128m - 64m"
        );
        assert_eq!(file("cpu.max"), "50000 100000");
        assert_eq!(file("cpu.weight"), "20", "512 shares as a v2 weight");
    } else {
        assert_eq!(file("memory.limit_in_bytes"), "67108864");
        assert_eq!(file("memory.memsw.limit_in_bytes"), "134217728");
        assert_eq!(file("cpu.cfs_quota_us"), "50000");
        assert_eq!(file("cpu.cfs_period_us"), "100000");
        assert_eq!(file("cpu.shares"), "512");
    }
    assert_eq!(file("pids.max"), "42");
}

// ---------------------------------------------------------------- bad input

#[test]
fn existing_cgroup_is_refused_and_nothing_is_left_half_made() {
    let hierarchy = hierarchy();
    let first = new_cgroup(&[Controller::Pids]);
    // The name exists in the pids hierarchy only; asking for more must not create the rest.
    let err = hierarchy
        .create(first.name(), &Controller::ALL)
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    assert!(err.to_string().contains("already exists"), "{err}");
    let memory_dir = hierarchy.open(first.name(), &[Controller::Memory]);
    if hierarchy.layout() != Layout::Unified {
        assert!(memory_dir.is_err(), "a memory directory was made after all");
    }
    assert!(
        first.processes().unwrap().is_empty(),
        "the first cgroup still works"
    );
}

#[test]
fn creating_a_cgroup_without_permission_names_the_file_and_the_fix() {
    use std::os::unix::process::CommandExt;
    // The step as user `nobody`: the kernel refuses the mkdir (or the subtree_control write).
    let output = Command::new(env!("CARGO_BIN_EXE_02-create-and-join"))
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("no permission to") && stderr.contains("/sys/fs/cgroup/"),
        "{stderr}"
    );
    assert!(stderr.contains("run as root"), "{stderr}");
}

#[test]
fn unknown_controller_and_bad_names_are_rejected() {
    let err = "blkio2".parse::<Controller>().unwrap_err().to_string();
    assert!(
        err.contains("unknown cgroup controller `blkio2`") && err.contains("memory, cpu"),
        "{err}"
    );
    for name in ["", "/abs", "../escape", "a//b"] {
        let err = hierarchy().create(name, &[Controller::Pids]).unwrap_err();
        assert!(err.to_string().contains("cgroup name"), "{name:?}: {err}");
    }
}

#[test]
fn quota_below_the_kernel_minimum_is_refused_naming_the_file() {
    let cgroup = new_cgroup(&[Controller::Cpu]);
    let err = cgroup
        .set_cpu_quota(CpuQuota {
            quota_us: 500,
            period_us: 100_000,
        })
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Write { .. }), "{text}");
    assert!(text.contains("`500") && text.contains("cpu."), "{text}");
}

#[test]
fn limit_for_a_controller_the_cgroup_lacks_is_a_clear_error() {
    // Under a parent of our own that enables only memory (on v2, other tests may enable
    // pids in the shared root at any time).
    let hierarchy = hierarchy();
    let parent_name = harness::names::unique("l02q");
    let _parent = CgroupGuard(
        hierarchy
            .create(&parent_name, &[Controller::Memory])
            .unwrap(),
    );
    let cgroup = CgroupGuard(
        hierarchy
            .create(&format!("{parent_name}/leaf"), &[Controller::Memory])
            .unwrap(),
    );
    let text = cgroup.set_pids_max(10).unwrap_err().to_string();
    assert!(
        text.contains("pids controller is not available") && text.contains("pids.max"),
        "{text}"
    );
}

// ---------------------------------------------------------------- the step binaries

/// The number after `label` on the line starting with `line`; panics (quoting `out`) when
/// the line is missing or shows no number (a step prints `-` for a file the kernel lacks).
fn number_after(out: &str, line: &str, label: &str) -> u64 {
    let found = out
        .lines()
        .filter_map(|l| l.strip_prefix(line))
        .find_map(|rest| rest.split_once(label).map(|(_, value)| value));
    let value = found.unwrap_or_else(|| panic!("no line `{line}…{label}` in:\n{out}"));
    let value = value.split(|c: char| !c.is_ascii_digit()).next().unwrap();
    value
        .parse()
        .unwrap_or_else(|_| panic!("no number after `{label}` in:\n{out}"))
}

fn run_step(bin: &str, args: &[&str]) -> String {
    let output = Command::new(bin).args(args).output().expect("run step");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{bin} failed: {}\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn step_01_names_the_layout_and_our_cgroup() {
    let out = run_step(env!("CARGO_BIN_EXE_01-look-around"), &[]);
    let layout = format!("{:?}", hierarchy().layout());
    assert!(out.contains(&format!("layout: {layout}")), "{out}");
    assert!(out.contains("0::/"), "{out}");
}

#[test]
fn step_02_shows_the_child_inside() {
    let out = run_step(env!("CARGO_BIN_EXE_02-create-and-join"), &[]);
    assert!(out.contains("child ended with signal: 9"), "{out}");
}

#[test]
fn step_03_hog_is_oom_killed() {
    let out = run_step(env!("CARGO_BIN_EXE_03-memory-limit"), &["--memory", "24m"]);
    assert!(out.contains("OOM kills counted by the cgroup: 1"), "{out}");
}

#[test]
fn step_03_rejects_garbage_limits() {
    let output = Command::new(env!("CARGO_BIN_EXE_03-memory-limit"))
        .args(["--memory", "64x"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("invalid memory limit `64x`: unknown unit `x`")
    );
}

#[test]
fn step_04_reports_throttling() {
    let out = run_step(
        env!("CARGO_BIN_EXE_04-cpu-quota"),
        &["--cpus", "0.2", "--millis", "500"],
    );
    let throttled = number_after(&out, "periods with work: ", "of which throttled: ");
    assert!(throttled >= 1, "no period was throttled:\n{out}");
}

#[test]
fn step_05_contains_the_fork_bomb() {
    let out = run_step(env!("CARGO_BIN_EXE_05-pids-limit"), &["--pids", "10"]);
    assert!(out.contains("fork number 10 failed: EAGAIN"), "{out}");
}

#[test]
fn step_06_freezes_and_thaws() {
    let out = run_step(env!("CARGO_BIN_EXE_06-freeze"), &[]);
    assert!(
        out.contains("new output in 300 ms while frozen: none"),
        "{out}"
    );
}

#[test]
fn step_07_container_runs_under_the_limits() {
    let out = run_step(
        env!("CARGO_BIN_EXE_07-limited-container"),
        &["--pids-limit", "8", "--memory", "32m"],
    );
    let started: u32 = out
        .lines()
        .find_map(|l| {
            l.strip_prefix("inside: started ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no count of started processes:\n{out}"));
    // 8 pids: the container's shell and its subshell take two, the rest are sleeps.
    assert!(
        (1..8).contains(&started),
        "started {started} under pids.max 8:\n{out}"
    );
    let refused = number_after(&out, "host: forks refused by pids.max: ", "");
    assert!(refused >= 1, "pids.max refused no fork:\n{out}");
    // Its cgroup namespace is rooted at its own cgroup: the host's path does not show inside.
    let inside = out
        .lines()
        .find(|l| l.starts_with("inside: /proc/self/cgroup"))
        .expect("cgroup line");
    assert!(
        !inside.contains("lesson02-container") && inside.contains("0::/"),
        "{inside}"
    );
}

//! Graders for lesson 02 (cgroups), on v1, v2 or hybrid alike: a cgroup with a random name
//! and a random limit; the grader reads the cgroup's files back and makes a process run into
//! the limit, then checks the kernel's own counters (`memory.events`/`memory.oom_control`,
//! `pids.events`).

use crate::kernel::{self, ChildGuard};
use crate::report::Report;
use cgroups::{CgroupGuard, Controller, Hierarchy};
use namespaces::process::Gate;
use std::path::PathBuf;

fn new_cgroup(controllers: &[Controller]) -> anyhow::Result<CgroupGuard> {
    let name = kernel::random_name("kit-grade");
    Ok(CgroupGuard(
        Hierarchy::detect()?.create(&name, controllers)?,
    ))
}

/// The first of the cgroup's directories holding `file` (v1 has one directory per hierarchy).
fn file_of(cgroup: &CgroupGuard, file: &str) -> anyhow::Result<PathBuf> {
    cgroup
        .directories()
        .into_iter()
        .map(|dir| dir.join(file))
        .find(|path| path.exists())
        .ok_or_else(|| anyhow::anyhow!("no {file} in {:?}", cgroup.directories()))
}

/// Forks a child that waits until the grader has moved it into `cgroup` (by writing
/// cgroup.procs itself, not through the student's code), then runs `work` and exits with its
/// result.
fn child_in(cgroup: &CgroupGuard, work: impl FnOnce() -> i32) -> anyhow::Result<ChildGuard> {
    let gate = Gate::new()?;
    // SAFETY: the grader is single-threaded, so the child's copy of memory is consistent; the
    // child only runs `work` and then _exit(2)s, never returning into the grader's code.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => {
            let code = if gate.wait() { work() } else { 1 };
            // SAFETY: _exit(2) ends the child without running the parent's destructors.
            unsafe { libc::_exit(code) }
        }
        nix::unistd::ForkResult::Parent { child } => {
            let guard = ChildGuard::new(child);
            for dir in cgroup.directories() {
                std::fs::write(dir.join("cgroup.procs"), child.to_string())?;
            }
            gate.open()?;
            Ok(guard)
        }
    }
}

/// 02.1: a sleeping process moved in with `add_process`; its pid must be in cgroup.procs of
/// every directory, and `/proc/PID/cgroup` must name the cgroup.
pub fn join(r: &mut Report) -> anyhow::Result<()> {
    let cgroup = new_cgroup(&[Controller::Pids, Controller::Memory])?;
    let sleeper = std::process::Command::new("sleep").arg("600").spawn()?;
    let child = ChildGuard::new(nix::unistd::Pid::from_raw(sleeper.id() as i32));
    if let Err(e) = cgroup.add_process(child.pid.as_raw()) {
        r.check("add_process succeeded", e.to_string(), false);
    }
    for dir in cgroup.directories() {
        let procs = std::fs::read_to_string(dir.join("cgroup.procs"))?;
        let inside = procs.lines().any(|l| l.trim() == child.pid.to_string());
        if !r.check(
            format!("pid {} is in {}/cgroup.procs", child.pid, dir.display()),
            format!("{:?}", procs.trim()),
            inside,
        ) {
            r.advise(
                "write the pid to cgroup.procs in every directory of the cgroup",
                0,
            );
        }
    }
    let membership = std::fs::read_to_string(format!("/proc/{}/cgroup", child.pid))?;
    let named = membership
        .lines()
        .filter(|l| l.ends_with(cgroup.name()))
        .count();
    r.check(
        format!("/proc/PID/cgroup names {}", cgroup.name()),
        format!("{named} of {} lines", membership.lines().count()),
        named > 0,
    );
    Ok(()) // the guard kills the sleeper before the cgroup guard removes the cgroup
}

/// 02.2: a random limit, not a whole number of pages; the kernel stores it rounded down to a
/// page, and a process touching twice as much is killed by the cgroup's OOM killer.
pub fn memory_limit(r: &mut Report) -> anyhow::Result<()> {
    let page = 4096u64;
    let limit = fastrand::u64(24..48) * 1024 * 1024 + fastrand::u64(1..page);
    let cgroup = new_cgroup(&[Controller::Memory])?;
    if let Err(e) = cgroup.set_memory(limit, None) {
        r.check("set_memory succeeded", e.to_string(), false);
    }
    let file =
        file_of(&cgroup, "memory.max").or_else(|_| file_of(&cgroup, "memory.limit_in_bytes"))?;
    let stored = std::fs::read_to_string(&file)?.trim().to_string();
    let want = limit / page * page;
    if !r.check(
        format!(
            "{} holds {limit} rounded down to a page ({want})",
            file.display()
        ),
        stored.clone(),
        stored == want.to_string(),
    ) {
        r.advise("the limit file still holds the default: write max to memory.max (v2) or memory.limit_in_bytes (v1)", 0);
        return Ok(());
    }
    let swaps = std::fs::read_to_string("/proc/swaps").unwrap_or_default();
    if swaps.lines().count() > 1 {
        r.check(
            "(the OOM kill is not tried: this machine has swap, which the limit does not cover)",
            "swap on",
            true,
        );
        return Ok(());
    }
    let mut child = child_in(&cgroup, || {
        let mut hog: Vec<u8> = Vec::new();
        for _ in 0..(2 * limit / page) {
            hog.push(1);
            hog.extend(std::iter::repeat_n(0u8, page as usize - 1));
        }
        i32::from(hog.len() > 1)
    })?;
    let ended = child.wait();
    r.check(
        "a process touching twice the limit is killed",
        ended.clone(),
        ended.contains("SIGKILL"),
    );
    let kills = cgroup.stats()?.oom_kills;
    r.check(
        "the cgroup's OOM kill counter went up",
        format!("oom_kill {}", cgroups::shown(kills)),
        kills.unwrap_or(0) >= 1,
    );
    Ok(())
}

/// 02.3: a random pids.max; a process in the cgroup forks until fork(2) fails, and must
/// manage exactly max − 1 children (it counts itself); `pids.events` counts the refusals.
pub fn pids_limit(r: &mut Report) -> anyhow::Result<()> {
    let max = fastrand::u64(3..10);
    let cgroup = new_cgroup(&[Controller::Pids])?;
    if let Err(e) = cgroup.set_pids_max(max) {
        r.check("set_pids_max succeeded", e.to_string(), false);
    }
    let file = file_of(&cgroup, "pids.max")?;
    let stored = std::fs::read_to_string(&file)?.trim().to_string();
    if !r.check(
        format!("{} holds {max}", file.display()),
        stored.clone(),
        stored == max.to_string(),
    ) {
        r.advise(
            "pids.max still says max (no limit): write the number to pids.max",
            0,
        );
        return Ok(());
    }
    let mut child = child_in(&cgroup, || {
        let mut forked = 0;
        for _ in 0..max + 5 {
            // SAFETY: single-threaded; the grandchild only pauses until it is killed.
            match unsafe { nix::unistd::fork() } {
                Ok(nix::unistd::ForkResult::Child) => loop {
                    nix::unistd::pause();
                },
                Ok(nix::unistd::ForkResult::Parent { .. }) => forked += 1,
                Err(_) => break,
            }
        }
        forked
    })?;
    let ended = child.wait();
    let forked: u64 = ended
        .strip_prefix("exited ")
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX);
    r.check(
        format!("a process in the cgroup can fork only {} children", max - 1),
        ended,
        forked == max - 1,
    );
    let hits = cgroup.stats()?.pids_limit_hits;
    r.check(
        "pids.events counts the refused forks",
        format!("max {}", cgroups::shown(hits)),
        hits.unwrap_or(0) >= 1,
    );
    Ok(())
}

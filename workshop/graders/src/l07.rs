//! Graders for lesson 07 (confinement): the student's function runs in a forked child, and
//! the grader reads that child from outside — `NoNewPrivs`, `CapBnd` and `Seccomp` in
//! `/proc/PID/status`. The path exercises are in `l07_paths.rs`.

use crate::kernel;
use crate::parked::Parked;
use crate::report::Report;

/// 07.1: `NoNewPrivs: 1` in the child's status, the grader's own still 0.
pub fn no_new_privs(r: &mut Report) -> anyhow::Result<()> {
    let parked = Parked::new()?;
    let mut child = kernel::fork_child(&parked.note, || {
        parked.park(|_| confinement::no_new_privs::set().map_err(|e| e.to_string()))
    })?;
    let Some((release, _)) = parked.wait(r, &mut child, "no_new_privs::set") else {
        return Ok(());
    };
    let theirs = kernel::status_field(child.pid, "NoNewPrivs")?;
    if !r.check(
        "the child's /proc/PID/status says NoNewPrivs: 1",
        theirs.clone(),
        theirs == "1",
    ) {
        r.advise(
            "no_new_privs is still off: prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)",
            1,
        );
    }
    let mine = kernel::status_field(nix::unistd::Pid::this(), "NoNewPrivs")?;
    r.check(
        "the grader's own NoNewPrivs is untouched",
        mine.clone(),
        mine == "0",
    );
    release.open()?;
    child.wait();
    Ok(())
}

/// 07.2: a random set of capabilities kept; `CapBnd` must be exactly that set.
pub fn bounding_set(r: &mut Report) -> anyhow::Result<()> {
    let all: Vec<caps::Capability> = caps::all().into_iter().filter(|c| c.index() < 41).collect();
    let keep: caps::CapsHashSet = all
        .into_iter()
        .filter(|_| fastrand::u8(0..4) == 0)
        .collect();
    let want: u64 = keep.iter().map(|c| 1u64 << c.index()).sum();
    let parked = Parked::new()?;
    let mut child = kernel::fork_child(&parked.note, || {
        parked.park(|_| {
            confinement::capabilities::limit_bounding_set(&keep).map_err(|e| e.to_string())
        })
    })?;
    let Some((release, _)) = parked.wait(r, &mut child, "limit_bounding_set") else {
        return Ok(());
    };
    let shown = kernel::status_field(child.pid, "CapBnd")?;
    let seen = u64::from_str_radix(&shown, 16).unwrap_or(u64::MAX);
    // Capabilities this kernel does not have cannot be in the set either way.
    let kernel_caps = u64::from_str_radix(
        &kernel::status_field(nix::unistd::Pid::this(), "CapBnd")?,
        16,
    )?;
    let ok = seen == want & kernel_caps;
    if !r.check(
        format!(
            "CapBnd is exactly {} capabilities ({:016x})",
            keep.len(),
            want & kernel_caps
        ),
        shown,
        ok,
    ) {
        let advice = if seen == kernel_caps {
            "nothing was dropped: prctl(PR_CAPBSET_DROP, n) for each n not kept"
        } else {
            "the set differs: keep exactly the capabilities in `keep`, drop every other up to the kernel's last"
        };
        r.advise(advice, if seen == kernel_caps { 0 } else { 1 });
    }
    release.open()?;
    child.wait();
    Ok(())
}

/// 07.3: a random no-argument system call refused with a random errno: `Seccomp: 2` in the
/// child's status, the call fails with exactly that errno, and getpid(2) still works.
pub fn seccomp_filter(r: &mut Report) -> anyhow::Result<()> {
    let calls = [
        (libc::SYS_getppid, "getppid"),
        (libc::SYS_getpgrp, "getpgrp"),
        (libc::SYS_getegid, "getegid"),
        (libc::SYS_geteuid, "geteuid"),
    ];
    let (nr, name) = calls[fastrand::usize(..calls.len())];
    let errno = fastrand::i32(1..134);
    let parked = Parked::new()?;
    let mut child = kernel::fork_child(&parked.note, || {
        parked.park(|note| {
            // SAFETY: plain integer arguments; seccomp(2) needs no_new_privs or CAP_SYS_ADMIN.
            unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
            let filter = confinement::seccomp::filter::refuse_one(nr, errno);
            filter.install().map_err(|e| format!("install: {e}"))?;
            // SAFETY: these system calls take no arguments and touch no memory.
            let rc = unsafe { libc::syscall(nr) };
            let got = nix::errno::Errno::last_raw();
            // SAFETY: as above.
            let pid = unsafe { libc::syscall(libc::SYS_getpid) };
            note.write(&format!("{rc} {got} {pid}"));
            Ok(())
        })
    })?;
    let Some((release, note)) = parked.wait(r, &mut child, "refuse_one and install") else {
        return Ok(());
    };
    let mode = kernel::status_field(child.pid, "Seccomp")?;
    r.check(
        "the child's /proc/PID/status says Seccomp: 2 (filter)",
        mode.clone(),
        mode == "2",
    );
    release.open()?;
    child.wait();
    let said = note.read();
    let numbers: Vec<i64> = said
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    let refused = numbers.first() == Some(&-1) && numbers.get(1) == Some(&i64::from(errno));
    if !r.check(
        format!("{name}(2) fails with errno {errno}"),
        format!("rc errno: {said:?}"),
        refused,
    ) {
        r.advise(
            "the refused call must return RET_ERRNO | errno when data.nr == nr",
            1,
        );
    }
    r.check(
        "getpid(2) is still allowed",
        format!("{:?}", numbers.get(2)),
        numbers.get(2).is_some_and(|p| *p > 0),
    );
    Ok(())
}

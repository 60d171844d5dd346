//! Small programs to put under limits: a memory hog, a busy loop, a fork bomb, a counter.
//!
//! Steps run them by re-executing themselves with `--workload NAME` (see [`command`] and
//! [`serve_if_asked`]), so every step is one self-contained binary; tests run the `workload`
//! binary. They are deliberately plain Rust so that what they do is obvious.

use nix::unistd::{ForkResult, fork, pause};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The flag that turns any step binary into a workload.
pub const FLAG: &str = "--workload";

/// The workloads, and their command-line form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workload {
    /// Allocates and touches memory 1 MiB at a time, forever (or until OOM-killed),
    /// printing a line every 8 MiB.
    MemoryHog,
    /// Spins on the CPU until this much wall-clock time has passed, then prints its CPU time.
    BusyFor(Duration),
    /// Forks up to this many children that just wait, and reports the first failed fork(2).
    /// Exits 0 when a fork failed (the limit held), 1 when all succeeded.
    ForkBomb(u32),
    /// Prints 1, 2, 3… one line every millisecond, forever.
    Counter,
}

impl Workload {
    /// The arguments that select this workload (after [`FLAG`]).
    pub fn args(&self) -> Vec<String> {
        match self {
            Workload::MemoryHog => vec!["memory-hog".into()],
            Workload::BusyFor(time) => vec!["busy-for".into(), time.as_millis().to_string()],
            Workload::ForkBomb(n) => vec!["fork-bomb".into(), n.to_string()],
            Workload::Counter => vec!["counter".into()],
        }
    }

    /// Parses what [`Workload::args`] produced.
    pub fn from_args(args: &[String]) -> Option<Workload> {
        let number = |i: usize| args.get(i)?.parse::<u64>().ok();
        match args.first()?.as_str() {
            "memory-hog" => Some(Workload::MemoryHog),
            "busy-for" => Some(Workload::BusyFor(Duration::from_millis(number(1)?))),
            "fork-bomb" => Some(Workload::ForkBomb(number(1)? as u32)),
            "counter" => Some(Workload::Counter),
            _ => None,
        }
    }

    /// Runs the workload in this process and exits.
    pub fn run(&self) -> ! {
        let mut out = std::io::stdout();
        match self {
            Workload::MemoryHog => {
                let mut kept: Vec<Vec<u8>> = Vec::new();
                loop {
                    // vec![1; …] writes every byte, so every page is really allocated.
                    kept.push(vec![1u8; 1 << 20]);
                    if kept.len().is_multiple_of(8) {
                        let _ = writeln!(out, "allocated {} MiB", kept.len());
                    }
                }
            }
            Workload::BusyFor(time) => {
                let start = Instant::now();
                let mut spins: u64 = 0;
                while start.elapsed() < *time {
                    spins = std::hint::black_box(spins.wrapping_add(1));
                }
                let usage =
                    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF);
                let cpu = usage.map(|u| {
                    use nix::sys::time::TimeValLike;
                    u.user_time().num_milliseconds() + u.system_time().num_milliseconds()
                });
                let _ = writeln!(
                    out,
                    "busy for {} ms of wall time, got {} ms of CPU",
                    time.as_millis(),
                    cpu.unwrap_or(-1)
                );
                std::process::exit(0)
            }
            Workload::ForkBomb(max) => {
                for n in 1..=*max {
                    // SAFETY: this workload process is single-threaded, so the child may run
                    // any code; it only calls pause(2).
                    match unsafe { fork() } {
                        Ok(ForkResult::Child) => {
                            // Let go of the parent's stdout and stderr so whoever reads it sees EOF
                            // when the parent exits, then wait to be killed.
                            // SAFETY: close(2) on our own descriptors, nothing else uses them.
                            unsafe {
                                libc::close(libc::STDOUT_FILENO);
                                libc::close(libc::STDERR_FILENO);
                            }
                            loop {
                                pause();
                            }
                        }
                        Ok(ForkResult::Parent { .. }) => {}
                        Err(errno) => {
                            let _ = writeln!(
                                out,
                                "forked {} children; fork number {n} failed: {errno}",
                                n - 1
                            );
                            std::process::exit(0)
                        }
                    }
                }
                let _ = writeln!(out, "forked all {max} children: no limit stopped us");
                std::process::exit(1)
            }
            Workload::Counter => {
                for n in 1u64.. {
                    if writeln!(out, "{n}").and_then(|_| out.flush()).is_err() {
                        break; // the reader went away
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                std::process::exit(0)
            }
        }
    }
}

/// A command running `workload` through `program` (a step binary, or the `workload` binary).
pub fn command(program: &Path, workload: &Workload) -> Command {
    let mut command = Command::new(program);
    command.arg(FLAG).args(workload.args());
    command
}

/// A command running `workload` through the current executable (what steps use).
pub fn command_self(workload: &Workload) -> Command {
    let exe = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
    command(&exe, workload)
}

/// Call first thing in a step's `main`: when started as `STEP --workload NAME …`,
/// runs that workload instead of the step, and never returns.
pub fn serve_if_asked() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(FLAG) {
        match Workload::from_args(&args[1..]) {
            Some(workload) => workload.run(),
            None => {
                eprintln!(
                    "unknown workload {:?}: use memory-hog, busy-for MS, fork-bomb N or counter",
                    &args[1..]
                );
                std::process::exit(2)
            }
        }
    }
}

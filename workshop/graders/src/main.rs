//! `kit-grade`: runs the graders of the workshop's exercises and writes one JSON report per
//! exercise (see [`report::Report`]) to the file given with `--out`, one per line.
//!
//! Usage: `kit-grade --out FILE ID…`. It is built together with the lessons (it links the
//! student's code), so `cargo kit check` builds it first, then runs it as root. A grader
//! that panics — the student's `todo!()` — or fails to set up is reported as failed; every
//! grader cleans up what it made through guards, whichever way it ends.
//!
//! Graders only observe the kernel: namespace inodes, mountinfo, cgroup files and counters,
//! xattrs and device numbers (see each module). The values they use (names, limits, ids)
//! are random per run, so code that only prints the expected text cannot pass.

mod fake_registry;
mod kernel;
mod l01;
mod l01_mounts;
mod l02;
mod l03;
mod l04;
mod l05;
mod l05_manifest;
mod l06;
mod l06_nft;
mod l07;
mod l07_paths;
mod parked;
mod report;

use report::Report;
use std::io::Write;

/// One grader: fills the report, or fails to set up.
type Grader = fn(&mut Report) -> anyhow::Result<()>;

/// Every exercise id with its grader (ids as in workshop/exercises.toml).
const GRADERS: &[(&str, Grader)] = &[
    ("01.1", l01::namespace_flags),
    ("01.2", l01::hostname),
    ("01.3", l01_mounts::make_private),
    ("01.4", l01_mounts::mount_proc),
    ("01.5", l01_mounts::pivot_root),
    ("01.6", l01::uid_map),
    ("02.1", l02::join),
    ("02.2", l02::memory_limit),
    ("02.3", l02::pids_limit),
    ("03.1", l03::overlay_options),
    ("03.2", l03::whiteout),
    ("03.3", l03::opaque),
    ("04.1", l04::resolve_in_root),
    ("04.2", l04::no_dotdot),
    ("05.1", l05::answer_challenge),
    ("05.2", l05::bearer_token),
    ("05.3", l05::basic_login),
    ("05.4", l05_manifest::verify_digest),
    ("05.5", l05_manifest::choose_platform),
    ("06.1", l06::veth_pair),
    ("06.2", l06::bridge),
    ("06.3", l06::set_master),
    ("06.4", l06::add_address),
    ("06.5", l06_nft::nat_rule),
    ("06.6", l06_nft::publish_port),
    ("07.1", l07::no_new_privs),
    ("07.2", l07::bounding_set),
    ("07.3", l07::seccomp_filter),
    ("07.4", l07_paths::mask_path),
    ("07.5", l07_paths::readonly_path),
];

fn grade(id: &str) -> Report {
    let mut report = Report::new(id);
    let Some((_, grader)) = GRADERS.iter().find(|(known, _)| *known == id) else {
        report.check("a grader exists for this id", "none", false);
        return report.finish();
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| grader(&mut report)));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            report.check("the grader ran to its end", format!("{e:#}"), false);
        }
        Err(panic) => {
            let text = kernel::panic_text(panic.as_ref());
            report.check("the code ran without panicking", text, false);
        }
    }
    if report
        .checks
        .iter()
        .any(|c| c.saw.contains("not yet implemented"))
    {
        report.advice = None;
        report.advise(
            "the exercise is still a hole: replace the todo!() with your code",
            0,
        );
    }
    report.finish()
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (out, ids) = match args.as_slice() {
        [flag, out, ids @ ..] if flag == "--out" => (out.clone(), ids.to_vec()),
        _ => anyhow::bail!("usage: kit-grade --out FILE ID…"),
    };
    let mut file = std::fs::File::create(&out)?;
    for id in ids {
        let report = grade(&id);
        writeln!(file, "{}", serde_json::to_string(&report)?)?;
    }
    Ok(())
}

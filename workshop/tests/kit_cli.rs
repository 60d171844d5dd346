//! `cargo kit` as a student uses it, on a copy of the workspace: a student's own code is
//! never lost, a build error shows only the compiler's errors, hints come one at a time,
//! `watch` re-checks on save, and `reset` removes what graders left on the host.
//!
//! Run: `cargo test -p workshop --test kit_cli` (as root, through the cargo runner).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn region_of(copy: &Path, file: &str, id: &str) -> String {
    let path = copy.join(file);
    let (text, region) = workshop::regions::read(&path, id).unwrap();
    workshop::regions::body(&text, region)
}

const MOUNTS: &str = "lessons/01-namespaces/src/mounts.rs";

/// `reset` removes every grader's scratch on the host: tests that run graders hold this
/// while they do, and the reset test holds it too.
static HOST: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn start_keeps_a_students_own_code_and_solution_restores_the_reference() {
    let copy = common::copy_workspace();
    let reference = region_of(copy.path(), MOUNTS, "01.3");
    let path = copy.path().join(MOUNTS);
    let text = std::fs::read_to_string(&path).unwrap();
    let mine = "    // my own attempt, typed before starting\n    Ok(())\n";
    let (_, region) = workshop::regions::read(&path, "01.3").unwrap();
    std::fs::write(&path, workshop::regions::replace(&text, region, mine)).unwrap();

    let out = common::kit(copy.path(), &["start", "01.3"]);
    let said = stdout(&out);
    assert!(out.status.success(), "{said}");
    let kept = said
        .lines()
        .find_map(|l| l.strip_prefix("your own code from there is kept in "))
        .unwrap_or_else(|| panic!("no word of the kept copy in:\n{said}"));
    assert_eq!(std::fs::read_to_string(kept).unwrap(), mine);
    assert!(workshop::regions::is_hole(
        &region_of(copy.path(), MOUNTS, "01.3"),
        "01.3"
    ));

    let out = common::kit(copy.path(), &["solution", "01.3"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(region_of(copy.path(), MOUNTS, "01.3"), reference);
    let list: serde_json::Value =
        serde_json::from_slice(&common::kit(copy.path(), &["--json", "list"]).stdout).unwrap();
    assert_eq!(list["01.3"]["solution_viewed"], true, "{list}");
}

#[test]
fn hints_come_one_at_a_time_from_nudge_to_near_answer() {
    let copy = common::copy_workspace();
    let catalogue = workshop::catalogue::Catalogue::load(copy.path()).unwrap();
    let hints = &catalogue.get("01.1").unwrap().hints;
    for (i, hint) in hints.iter().enumerate() {
        let said = stdout(&common::kit(copy.path(), &["hint", "01.1"]));
        assert!(
            said.starts_with(&format!("hint {} of {}", i + 1, hints.len())),
            "{said}"
        );
        assert!(said.contains(hint.as_str()), "{said}");
    }
    let again = stdout(&common::kit(copy.path(), &["hint", "01.1"]));
    assert!(again.contains("last hint"), "{again}");
}

#[test]
fn check_on_code_that_does_not_compile_shows_only_the_compilers_errors() {
    let copy = common::copy_that_does_not_compile("01.3");
    let out = common::kit(copy.path(), &["check", "01.3"]);
    let errors = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{errors}");
    assert!(errors.contains("E0308"), "{errors}");
    assert!(errors.contains("mounts.rs"), "{errors}");
    for noise in ["Compiling", "warning", "Finished"] {
        assert!(!errors.contains(noise), "{noise:?} in:\n{errors}");
    }
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
}

#[test]
fn watch_checks_again_when_the_exercise_file_is_saved() {
    let _host = HOST.lock().unwrap_or_else(|e| e.into_inner());
    let copy = common::copy_workspace();
    let log = copy.path().join("watch.log");
    let mut watcher = std::process::Command::new(env!("CARGO_BIN_EXE_workshop"))
        .arg("--root")
        .arg(copy.path())
        .args(["watch", "01.4", "--max-checks", "2"])
        .env("CARGO_TARGET_DIR", common::test_target())
        .stdout(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(600);
    while !read().contains("watching") {
        assert!(
            Instant::now() < deadline && watcher.try_wait().unwrap().is_none(),
            "no first check:\n{}",
            read()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let file = std::fs::File::options()
        .write(true)
        .open(copy.path().join(MOUNTS))
        .unwrap();
    file.set_modified(std::time::SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    let status = loop {
        if let Some(status) = watcher.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = watcher.kill();
            panic!("watch did not check again:\n{}", read());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{}", read());
    assert_eq!(
        read().matches("01.4 mount-proc: passed").count(),
        2,
        "{}",
        read()
    );
}

/// Leftovers made by hand as a crashed grader would leave them; removed on drop if `reset`
/// did not.
struct Leftovers {
    dir: PathBuf,
    cgroup: PathBuf,
    sleeper: std::process::Child,
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        let _ = self.sleeper.kill();
        let _ = self.sleeper.wait();
        let _ = nix::mount::umount2(&self.dir, nix::mount::MntFlags::MNT_DETACH);
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_dir(&self.cgroup);
    }
}

/// A cgroup hierarchy with the pids controller (v1), or the v2 root.
fn pids_hierarchy() -> PathBuf {
    let v1 = Path::new("/sys/fs/cgroup/pids");
    if v1.join("cgroup.procs").exists() {
        v1.to_path_buf()
    } else {
        PathBuf::from("/sys/fs/cgroup")
    }
}

#[test]
fn reset_removes_the_graders_leftovers_from_the_host() {
    let _host = HOST.lock().unwrap_or_else(|e| e.into_inner());
    let copy = common::copy_workspace();
    let name = format!("{}", std::process::id());
    let dir = std::env::temp_dir().join(format!("kit-proc-test{name}"));
    std::fs::create_dir_all(dir.join("inside")).unwrap();
    let cgroup = pids_hierarchy().join(format!("kit-grade-test{name}"));
    std::fs::create_dir(&cgroup).unwrap();
    let sleeper = std::process::Command::new("sleep")
        .arg("600")
        .spawn()
        .unwrap();
    let left = Leftovers {
        dir,
        cgroup,
        sleeper,
    };
    nix::mount::mount(
        Some("tmpfs"),
        &left.dir.join("inside"),
        Some("tmpfs"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    )
    .unwrap();
    std::fs::write(
        left.cgroup.join("cgroup.procs"),
        left.sleeper.id().to_string(),
    )
    .unwrap();

    let out = common::kit(copy.path(), &["reset"]);
    let said = stdout(&out);
    assert!(out.status.success(), "{said}");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !mounts.contains(left.dir.to_str().unwrap()),
        "still mounted; kit said:\n{said}"
    );
    assert!(!left.dir.exists(), "{said}");
    assert!(!left.cgroup.exists(), "{said}");
    for thing in [left.dir.join("inside"), left.cgroup.clone()] {
        assert!(
            said.contains(thing.to_str().unwrap()),
            "{} not reported:\n{said}",
            thing.display()
        );
    }
}

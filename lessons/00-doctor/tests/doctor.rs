//! The doctor binary, run as an instructor runs it, checked against facts this test finds out
//! for itself: the mount table (`mount`), `uname -r`, util-linux's `unshare`, `ip link`.

use serde_json::Value;
use std::process::{Command, Output};

const DOCTOR: &str = env!("CARGO_BIN_EXE_doctor");

fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `doctor --json`, parsed, with the exit status.
fn doctor_json(cmd: &mut Command) -> (Value, Option<i32>) {
    let out = run(cmd.arg("--json"));
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("--json output is not JSON ({e}):\n{}", text(&out.stdout)));
    (json, out.status.code())
}

fn check<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {json:#}"))
}

fn summary<'a>(json: &'a Value, id: &str) -> &'a str {
    check(json, id)["summary"].as_str().unwrap()
}

/// `mount` lines of a filesystem type: (mount point, options).
fn mounts_of_type(fs_type: &str) -> Vec<(String, String)> {
    let out = text(&run(&mut Command::new("mount")).stdout);
    out.lines()
        .filter_map(|l| {
            // "cgroup on /sys/fs/cgroup/memory type cgroup (rw,relatime,memory)"
            let (_, rest) = l.split_once(" on ")?;
            let (point, rest) = rest.split_once(" type ")?;
            let (kind, options) = rest.split_once(' ')?;
            (kind == fs_type).then(|| {
                (
                    point.to_string(),
                    options.trim_matches(['(', ')']).to_string(),
                )
            })
        })
        .collect()
}

#[test]
fn reports_the_cgroup_layout_the_mount_table_shows() {
    let v1 = mounts_of_type("cgroup");
    let v2 = mounts_of_type("cgroup2");
    let expected = if v2.iter().any(|(p, _)| p == "/sys/fs/cgroup") {
        "v2 unified"
    } else if !v1.is_empty() && !v2.is_empty() {
        "hybrid"
    } else if !v1.is_empty() {
        "v1"
    } else {
        "v2 unified"
    };
    let (json, _) = doctor_json(&mut Command::new(DOCTOR));
    let found = summary(&json, "cgroups");
    assert!(
        found.starts_with(expected),
        "expected {expected}, doctor says {found:?}"
    );
    if let Some((point, _)) = v2.first() {
        assert!(
            found.contains(point.as_str()),
            "{found:?} should name the cgroup2 mount {point}"
        );
    }
}

#[test]
fn names_the_hierarchy_holding_each_required_controller() {
    let (json, _) = doctor_json(&mut Command::new(DOCTOR));
    let found = summary(&json, "cgroup-controllers");
    for controller in ["memory", "cpu", "pids"] {
        // Where does this machine keep it? A v1 mount with the controller in its options, or
        // a cgroup2 mount listing it in cgroup.controllers.
        let v1 = mounts_of_type("cgroup")
            .into_iter()
            .find(|(_, opts)| opts.split(',').any(|o| o == controller))
            .map(|(p, _)| format!("{controller} (v1 {p})"));
        let v2 = mounts_of_type("cgroup2")
            .into_iter()
            .find(|(p, _)| {
                std::fs::read_to_string(format!("{p}/cgroup.controllers"))
                    .is_ok_and(|c| c.split_whitespace().any(|n| n == controller))
            })
            .map(|(p, _)| format!("{controller} (v2 {p})"));
        let expected = v1
            .or(v2)
            .unwrap_or_else(|| panic!("this machine has no {controller} controller"));
        assert!(
            found.contains(&expected),
            "expected {expected:?} in {found:?}"
        );
    }
}

#[test]
fn json_and_human_output_report_the_same_checks() {
    let (json, json_code) = doctor_json(&mut Command::new(DOCTOR));
    let human = run(&mut Command::new(DOCTOR));
    let human_text = text(&human.stdout);
    assert_eq!(human.status.code(), json_code);
    let check_lines: Vec<&str> = human_text
        .lines()
        .filter(|l| l.starts_with(['✓', '✗', '!']) && !l.contains("present   ✗"))
        .collect();
    let checks = json["checks"].as_array().unwrap();
    assert_eq!(check_lines.len(), checks.len(), "{human_text}");
    for (line, c) in check_lines.iter().zip(checks) {
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), c["symbol"].as_str(), "{line}");
        assert_eq!(words.next(), c["id"].as_str(), "{line}");
        assert!(
            line.ends_with(c["summary"].as_str().unwrap()),
            "{line} vs {c}"
        );
        if let Some(fix) = c["fix"].as_str() {
            assert!(
                human_text.contains(&format!("fix: {fix}")),
                "fix of {} missing",
                c["id"]
            );
        }
    }
    let counted = |sym: &str| checks.iter().filter(|c| c["symbol"] == sym).count();
    assert_eq!(json["required_missing"], counted("✗"));
    assert_eq!(json["optional_missing"], counted("!"));
}

#[test]
fn exits_zero_here_because_everything_required_is_present() {
    let (json, code) = doctor_json(&mut Command::new(DOCTOR));
    let blocking: Vec<&Value> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["requirement"] == "required" && c["status"] == "missing")
        .collect();
    assert!(
        blocking.is_empty(),
        "this lab machine should have everything: {blocking:#?}"
    );
    assert_eq!(json["ready"], true);
    assert_eq!(code, Some(0));
}

#[test]
fn reports_the_running_kernel_release() {
    let release = text(&run(Command::new("uname").arg("-r")).stdout)
        .trim()
        .to_string();
    let (json, _) = doctor_json(&mut Command::new(DOCTOR));
    assert!(
        summary(&json, "kernel").contains(&release),
        "{}",
        summary(&json, "kernel")
    );
}

/// `doctor` run as uid 65534 (nobody) through util-linux's setpriv.
fn as_nobody(program: &str) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", program]);
    cmd
}

#[test]
fn unprivileged_userns_verdict_agrees_with_util_linux_unshare() {
    // unshare -r maps uid 0 to the caller; -u needs CAP_SYS_ADMIN in the new namespace.
    let mut unshare = as_nobody("unshare");
    unshare.args(["-r", "-u", "true"]);
    let allowed = run(&mut unshare).status.success();
    let (json, _) = doctor_json(&mut Command::new(DOCTOR));
    let c = check(&json, "userns-unprivileged");
    assert_eq!(
        c["status"] == "pass",
        allowed,
        "unshare -r -u as nobody: {allowed}; doctor: {c}"
    );
}

#[test]
fn without_root_it_skips_proofs_and_exits_one_only_for_required_gaps() {
    let (json, code) = doctor_json(&mut as_nobody(DOCTOR));
    assert!(
        summary(&json, "overlayfs").contains("needs root"),
        "{json:#}"
    );
    assert!(
        summary(&json, "root").starts_with("not root (euid 65534"),
        "{json:#}"
    );
    let required_missing = json["required_missing"].as_u64().unwrap();
    assert_eq!(
        code,
        Some(if required_missing > 0 { 1 } else { 0 }),
        "{json:#}"
    );
}

fn link_names() -> Vec<String> {
    let out = run(Command::new("ip").args(["-o", "link", "show"]));
    let mut names: Vec<String> = text(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.split(": ")
                .nth(1)
                .map(|n| n.split('@').next().unwrap().to_string())
        })
        .collect();
    names.sort();
    names
}

fn named_netns() -> String {
    text(&run(Command::new("ip").args(["netns", "list"])).stdout)
}

#[test]
fn veth_and_bridge_probe_leaves_no_link_or_netns_on_the_host() {
    let (links_before, netns_before) = (link_names(), named_netns());
    let (json, _) = doctor_json(&mut Command::new(DOCTOR));
    let c = check(&json, "veth-bridge");
    assert_eq!(c["status"], "pass", "{c}");
    let seen = c["details"][0].as_str().unwrap();
    for name in doctor::netdev::TEST_LINKS {
        assert!(
            seen.contains(name),
            "the probe should have seen {name}: {seen}"
        );
    }
    let links_after = link_names();
    assert_eq!(links_before, links_after, "host links changed");
    assert!(!links_after.iter().any(|l| l.starts_with("doctor-")));
    assert_eq!(
        netns_before,
        named_netns(),
        "named network namespaces changed"
    );
}

#[test]
fn overlay_probe_leaves_nothing_mounted_and_no_temp_dir() {
    // A temp dir of our own as TMPDIR, so the probe's work dir is ours to inspect.
    let tmp = std::env::temp_dir().join(format!("doctor-test-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let (json, _) = doctor_json(Command::new(DOCTOR).env("TMPDIR", &tmp));
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    std::fs::remove_dir_all(&tmp).unwrap();

    let c = check(&json, "overlayfs");
    assert_eq!(c["status"], "pass", "{c}");
    let evidence = c["details"][0].as_str().unwrap();
    assert!(
        evidence.contains(&format!("lowerdir={}", tmp.display())),
        "{evidence}"
    );
    assert!(left.is_empty(), "the probe left {left:?} behind");
    assert!(
        !mounts.contains(tmp.to_str().unwrap()),
        "an overlay is still mounted under {tmp:?}"
    );
}

#[test]
fn help_lists_each_tool_under_its_requirement_from_the_code() {
    let help = text(&run(Command::new(DOCTOR).arg("--help")).stdout);
    let (required, optional) = help
        .split_once("Optional")
        .unwrap_or_else(|| panic!("--help has no Optional paragraph:\n{help}"));
    for tool in doctor::tools::TOOLS {
        let (here, other) = match tool.requirement {
            doctor::Requirement::Required => (required, optional),
            doctor::Requirement::Optional => (optional, required),
        };
        let named = |t: &str| {
            t.split(|c: char| !c.is_alphanumeric() && c != '-' && c != '_')
                .any(|w| w == tool.program)
        };
        assert!(
            named(here) && !named(other),
            "{} is {:?} in the code:\n{help}",
            tool.program,
            tool.requirement
        );
    }
}

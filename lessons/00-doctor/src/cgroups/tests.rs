//! The layout classifier over mount tables copied from real machines of each kind.

use super::*;

/// Ubuntu 22.04 / Debian 12: one cgroup2 filesystem at /sys/fs/cgroup.
const UNIFIED: &str = "\
22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
35 22 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";

/// CentOS 7: a tmpfs with one cgroup v1 filesystem per controller (cpu and cpuacct share one).
const LEGACY: &str = "\
25 18 0:21 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755
26 25 0:22 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
29 25 0:25 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct
30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory
31 25 0:27 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,pids
";

/// This lab machine's kind: v1 controllers plus cgroup2 at /sys/fs/cgroup/unified.
const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

fn no_v2_files(_: &Path) -> Option<String> {
    None
}

#[test]
fn cgroup2_at_sys_fs_cgroup_is_unified() {
    assert_eq!(classify(&parse_mountinfo(UNIFIED)), Layout::Unified);
}

#[test]
fn only_v1_hierarchies_is_legacy() {
    assert_eq!(classify(&parse_mountinfo(LEGACY)), Layout::Legacy);
}

#[test]
fn v1_hierarchies_plus_a_cgroup2_mount_is_hybrid() {
    assert_eq!(classify(&parse_mountinfo(HYBRID)), Layout::Hybrid);
}

#[test]
fn no_cgroup_mount_is_none_and_a_required_failure() {
    let mounts = parse_mountinfo("22 28 0:21 / /sys rw - sysfs sysfs rw\n");
    assert_eq!(classify(&mounts), Layout::None);
    assert!(layout_check(&mounts).blocks());
}

#[test]
fn v1_controllers_come_from_super_options_not_names() {
    let mounts = parse_mountinfo(LEGACY);
    let found = controllers(&mounts, no_v2_files);
    let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
    // name=systemd is a named hierarchy without a controller; cpu,cpuacct share one mount.
    assert_eq!(names, ["cpu", "cpuacct", "memory", "pids"]);
    assert_eq!(
        found[0].mount_point,
        Path::new("/sys/fs/cgroup/cpu,cpuacct")
    );
    assert!(found.iter().all(|c| c.version == "v1"));
}

#[test]
fn v2_controllers_come_from_cgroup_controllers_file() {
    let mounts = parse_mountinfo(UNIFIED);
    let read = |p: &Path| {
        assert_eq!(p, Path::new("/sys/fs/cgroup/cgroup.controllers"));
        Some("cpuset cpu io memory hugetlb pids rdma misc\n".to_string())
    };
    let check = controllers_check(&mounts, read);
    assert!(!check.blocks(), "{check:?}");
    assert!(
        check.summary.contains("memory (v2 /sys/fs/cgroup)"),
        "{}",
        check.summary
    );
}

#[test]
fn hybrid_controllers_merge_both_hierarchies() {
    let mounts = parse_mountinfo(HYBRID);
    let read = |_: &Path| Some("hugetlb\n".to_string());
    let found = controllers(&mounts, read);
    let hugetlb = found.iter().find(|c| c.name == "hugetlb").unwrap();
    assert_eq!(hugetlb.version, "v2");
    assert_eq!(hugetlb.mount_point, Path::new("/sys/fs/cgroup/unified"));
    let check = controllers_check(&mounts, read);
    assert!(!check.blocks());
    assert!(check.summary.contains("pids (v1 /sys/fs/cgroup/pids)"));
}

#[test]
fn a_missing_memory_controller_blocks_with_a_fix() {
    let without_memory: String = LEGACY
        .lines()
        .filter(|l| !l.contains("memory"))
        .collect::<Vec<_>>()
        .join("\n");
    let check = controllers_check(&parse_mountinfo(&without_memory), no_v2_files);
    assert!(check.blocks());
    assert_eq!(check.summary, "not available: memory");
    assert!(check.fix.unwrap().contains("cgroup_enable=memory"));
}

#[test]
fn mountinfo_paths_have_their_octal_escapes_decoded() {
    let line = "40 31 0:37 / /mnt/with\\040space rw - cgroup2 cgroup2 rw\n";
    let mounts = parse_mountinfo(line);
    assert_eq!(mounts[0].mount_point, Path::new("/mnt/with space"));
    assert_eq!(mounts[0].fs_type, "cgroup2");
}

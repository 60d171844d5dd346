//! Step 5: masked and read-only paths, seen from inside and in the container's mount table.

use super::{line, stdout_of};

fn host_mounts() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").unwrap()
}

#[test]
fn masked_paths_read_empty_and_proc_sys_is_read_only() {
    let before = host_mounts();
    let text = stdout_of(env!("CARGO_BIN_EXE_05-masked-paths"), &[]);
    // The host shows the timer list; the container reads it as empty.
    let host: usize = line(&text, "outside: host /proc/timer_list bytes=")
        .rsplit('=')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(host > 0, "{text}");
    assert_eq!(
        line(&text, "inside: /proc/timer_list"),
        "inside: /proc/timer_list bytes=0"
    );
    assert_eq!(
        line(&text, "inside: /proc/keys"),
        "inside: /proc/keys bytes=0"
    );
    assert_eq!(
        line(&text, "inside: /sys/firmware"),
        "inside: /sys/firmware entries=0"
    );
    assert_eq!(
        line(&text, "inside: write /proc/sys/kernel/domainname"),
        "inside: write /proc/sys/kernel/domainname: EROFS"
    );
    for path in [
        "/proc/sys",
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/sys/firmware",
    ] {
        let mount = line(&text, &format!("outside: container mount {path} "));
        assert!(mount.contains(" ro,"), "{mount}");
    }
    assert_eq!(host_mounts(), before, "the host's mount table is unchanged");
}

//! Where `inspect` shows each `run` flag, and in what shape, is Docker's question: a private
//! dockerd (its own network namespace, data root and socket) creates the same container with
//! the same flags, and each field must read the same in both engines' `inspect`.

mod capstone_support;

use capstone_support::Engine;
use serde_json::Value;

/// One field of `inspect` as JSON (`{{json .HostConfig.Tmpfs}}`), parsed so key order does not
/// matter (Go prints struct fields in declaration order, we print ours alphabetically).
fn field(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[test]
fn run_flags_land_where_dockerd_puts_them() {
    let engine = Engine::with_busybox();
    let dockerd = capstone_support::dockerd_with(&engine, "busybox");
    let flags = [
        "-l",
        "app=shop",
        "--add-host",
        "db.example:10.1.2.3",
        "--dns",
        "192.0.2.53",
        "--tmpfs",
        "/scratch:size=1m",
        "--ulimit",
        "nofile=512:1024",
        "--device",
        "/dev/zero:/dev/myzero",
        "--stop-signal",
        "SIGUSR1",
        "--stop-timeout",
        "30",
        "--shm-size",
        "128m",
        "--sysctl",
        "kernel.shmmax=123456789",
        "--group-add",
        "1234",
        "--log-opt",
        "max-size=1m",
        "--log-opt",
        "max-file=2",
        "-P",
    ];
    let fields = [
        ".Config.Labels",
        ".Config.StopSignal",
        ".Config.StopTimeout",
        ".HostConfig.ExtraHosts",
        ".HostConfig.Dns",
        ".HostConfig.Tmpfs",
        ".HostConfig.Ulimits",
        ".HostConfig.Devices",
        ".HostConfig.ShmSize",
        ".HostConfig.Sysctls",
        ".HostConfig.GroupAdd",
        ".HostConfig.LogConfig",
        ".HostConfig.PublishAllPorts",
        ".Mounts",
    ];
    let mut differences = Vec::new();
    let tmpfs_mount = ["--mount", "type=tmpfs,target=/cache"];
    for with_flags in [false, true] {
        let mut args = vec!["create"];
        if with_flags {
            args.extend(flags);
            args.extend(tmpfs_mount);
        }
        args.extend(["busybox", "true"]);
        let ours = engine.ok(&args).trim().to_string();
        let theirs = dockerd.ok(&args).trim().to_string();
        for name in fields {
            let template = format!("{{{{json {name}}}}}");
            let ours_value = field(&engine.ok(&["inspect", "-f", &template, &ours]));
            let theirs_value = field(&dockerd.ok(&["inspect", "-f", &template, &theirs]));
            if ours_value != theirs_value {
                differences.push(format!(
                    "{name} (flags: {with_flags}): ours {ours_value}, dockerd's {theirs_value}"
                ));
            }
        }
    }
    assert!(differences.is_empty(), "{differences:#?}");
}

/// Inside, `/sys/fs/cgroup` is the container's own cgroup in both engines: the same limit
/// files hold the same values (v2: `memory.max`; v1: `memory/memory.limit_in_bytes`), and
/// neither lets the container write them. (On v1 Docker shows every hierarchy, on a writable
/// tmpfs; capstone the four it has a cgroup in, on a read-only one.)
#[test]
fn the_container_reads_its_limits_in_sys_fs_cgroup_as_in_docker() {
    let engine = Engine::with_busybox();
    let dockerd = capstone_support::dockerd_with(&engine, "busybox");
    let args = [
        "run",
        "--rm",
        "--network",
        "none",
        "--memory",
        "64m",
        "--pids-limit",
        "50",
        "busybox",
        "sh",
        "-c",
        capstone_support::READ_OWN_LIMITS,
    ];
    let docker_says = capstone_support::Run::from(dockerd.docker().args(args).output().unwrap());
    assert_eq!(docker_says.stdout, "67108864\n50\n", "{docker_says:?}");
    assert!(
        docker_says.stderr.contains("Read-only file system"),
        "{docker_says:?}"
    );
    let capstone_says = engine.run(&args);
    assert_eq!(
        capstone_says.stdout, docker_says.stdout,
        "{capstone_says:?}"
    );
    assert!(
        capstone_says.stderr.contains("Read-only file system"),
        "{capstone_says:?}"
    );
}

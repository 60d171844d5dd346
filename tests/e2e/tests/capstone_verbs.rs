//! Docker's everyday verbs beyond run/stop: `--format` Go templates on the listing verbs and
//! `inspect -f`, `rename`, `port`, `history`, `export`, the prunes, `logs --since/--until` and
//! the `rm -f $(ps -aq)` idiom — checked against the records, the files on disk and the kernel
//! (the pid a template prints is the container's process in /proc; what `export` writes is
//! what the container wrote; a pruned container's directory is gone), and against Docker's
//! table layout.

mod capstone_support;

use capstone_support::{Engine, cgroup_dirs, host_mounts};
use std::path::Path;
use std::process::Command;

#[test]
fn format_templates_print_docker_fields_for_ps_inspect_and_info() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["--name", "web", "busybox", "sleep", "1000"]);

    // ps: one line per container, Docker's field names and functions.
    assert_eq!(engine.ok(&["ps", "--format", "{{.Names}}"]), "web\n");
    let line = engine.ok(&[
        "ps",
        "--format",
        "{{.ID}} {{upper .Names}} {{.State}} {{len .Names}} {{join (split .Command \" \") \"+\"}}",
    ]);
    assert_eq!(
        line,
        format!("{} WEB running 3 \"sleep+1000\"\n", &id[..12])
    );
    let json: serde_json::Value =
        serde_json::from_str(&engine.ok(&["ps", "--format", "{{json .}}"])).unwrap();
    assert_eq!(json["Names"], "web");
    assert!(
        json["Status"].as_str().unwrap().starts_with("Up "),
        "{json}"
    );

    // `table` adds Docker's header row and aligns the columns with its tabwriter settings
    // (at least ten wide, three spaces of padding); `\t` typed literally is a tab.
    let table = engine.ok(&["ps", "--format", "table {{.ID}}\\t{{.Names}}\\t{{.State}}"]);
    assert_eq!(
        table,
        format!(
            "CONTAINER ID   NAMES     STATE\n{}   web       running\n",
            &id[..12]
        )
    );

    // inspect -f reads the same document `inspect` prints; the pid is the container's init.
    let state = engine.ok(&["inspect", "-f", "{{.State.Status}} {{.State.Pid}}", "web"]);
    let (status, pid) = state.trim().split_once(' ').unwrap();
    assert_eq!(status, "running");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert_eq!(
        cmdline, b"sleep\x001000\x00",
        "pid {pid} is the container's sleep"
    );
    assert_eq!(
        engine.ok(&["inspect", "--format", "{{.Nope}}", "web"]),
        "<no value>\n",
        "a missing key of a JSON map prints as Go prints it"
    );
    assert_eq!(
        engine.ok(&["inspect", "-f", "{{json .Config.Cmd}}", "web"]),
        "[\"sleep\",\"1000\"]\n"
    );

    // info and version: Docker's names.
    assert_eq!(
        engine.ok(&["info", "--format", "{{.Containers}} {{.ContainersRunning}}"]),
        "1 1\n"
    );
    let version = engine.ok(&["version", "-f", "{{.Server.Version}}"]);
    assert_eq!(
        version.trim(),
        engine.ok(&["--version"]).trim().rsplit(' ').next().unwrap()
    );
}

#[test]
fn format_templates_list_images_networks_and_volumes() {
    let engine = Engine::with_busybox();
    assert_eq!(
        engine.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]),
        "busybox:latest\n"
    );
    let ids = engine.ok(&["images", "-q"]);
    assert_eq!(engine.ok(&["images", "--format", "{{.ID}}"]), ids);

    let networks = engine.ok(&["network", "ls", "--format", "{{.Name}}/{{.Driver}}"]);
    assert!(networks.contains("host/host\n"), "{networks}");
    assert!(networks.contains("none/null\n"), "{networks}");

    engine.ok(&["volume", "create", "--label", "team=lab", "data"]);
    let table = engine.ok(&[
        "volume",
        "ls",
        "--format",
        "table {{.Name}}\\t{{.Labels}}\\t{{.Mountpoint}}",
    ]);
    let mountpoint = table.lines().nth(1).unwrap().rsplit(' ').next().unwrap();
    assert_eq!(
        table.lines().next().unwrap(),
        "VOLUME NAME   LABELS     MOUNTPOINT"
    );
    assert!(
        std::path::Path::new(mountpoint).is_dir(),
        "the volume's Mountpoint is its directory: {table}"
    );
    assert!(table.contains("data          team=lab   /"), "{table}");
}

#[test]
fn a_bad_template_names_the_template_and_the_position() {
    let engine = Engine::with_busybox();
    let run = engine.run(&["ps", "--format", "{{.Names"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!(run.stderr.trim_end());
    engine.ok(&["create", "--name", "idle", "busybox"]);
    let run = engine.run(&["ps", "-a", "--format", "{{.Nmes}}"]);
    assert_eq!(
        run.code, 1,
        "an unknown field is an error, as in Docker: {run:?}"
    );
    assert!(run.stderr.contains("Nmes"), "{run:?}");
}

#[test]
fn rename_gives_a_running_container_a_new_name_and_refuses_a_taken_one() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["--name", "first", "busybox", "sleep", "1000"]);
    engine.detached(&["--name", "other", "busybox", "sleep", "1000"]);
    engine.ok(&["rename", "first", "second"]);
    assert_eq!(engine.inspect("second")["Id"], id.as_str());
    assert_eq!(engine.inspect("second")["Name"], "/second");
    assert_eq!(
        engine
            .run(&["inspect", "--type", "container", "first"])
            .code,
        1
    );
    let taken = engine.run(&["rename", "second", "other"]);
    assert_eq!(taken.code, 1);
    assert!(taken.stderr.contains("already in use"), "{taken:?}");
    // Still the same process, still running.
    let pid = engine.inspect("second")["State"]["Pid"].as_i64().unwrap();
    assert!(Path::new(&format!("/proc/{pid}")).exists());
}

#[test]
fn port_prints_one_binding_as_docker_does() {
    let engine = Engine::with_busybox();
    engine.detached(&["--name", "pub", "-p", "8080:80", "busybox", "sleep", "1000"]);
    let bindings = &engine.inspect("pub")["NetworkSettings"]["Ports"]["80/tcp"][0];
    assert_eq!(bindings["HostPort"], "8080");
    assert_eq!(engine.ok(&["port", "pub"]), "80/tcp -> 0.0.0.0:8080\n");
    assert_eq!(engine.ok(&["port", "pub", "80/tcp"]), "0.0.0.0:8080\n");
    assert_eq!(engine.ok(&["port", "pub", "80"]), "0.0.0.0:8080\n");
    let none = engine.run(&["port", "pub", "81"]);
    assert_eq!(none.code, 1);
    assert!(
        none.stderr
            .contains("no public port '81/tcp' published for pub"),
        "{none:?}"
    );
}

#[test]
fn history_lists_each_step_with_the_size_of_its_layer() {
    let engine = Engine::with_busybox();
    engine.ok(&[
        "run",
        "--name",
        "maker",
        "busybox",
        "sh",
        "-c",
        "echo made > /made",
    ]);
    let image = engine
        .ok(&["commit", "maker", "made:v1"])
        .trim()
        .to_string();
    let history = engine.ok(&["history", "made:v1"]);
    let lines: Vec<&str> = history.lines().collect();
    let header: Vec<&str> = lines[0]
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        header,
        ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"],
        "{history}"
    );
    assert!(
        lines[1].starts_with(&image.trim_start_matches("sha256:")[..12]),
        "{history}"
    );
    assert!(
        lines.iter().skip(2).all(|l| l.starts_with("<missing>")),
        "{history}"
    );
    let quiet = engine.ok(&["history", "-q", "made:v1"]);
    assert_eq!(quiet.lines().count(), lines.len() - 1);
    // The newest step's size is the committed layer's blob, as stored.
    let manifest = engine.inspect("made:v1")["Manifest"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(engine.blob_path(&manifest)).unwrap()).unwrap();
    let top = manifest["layers"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let blob = std::fs::metadata(engine.blob_path(top["digest"].as_str().unwrap())).unwrap();
    let size = lines[1]
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .nth(3)
        .unwrap()
        .to_string();
    assert_eq!(size, human_size(blob.len()), "{history}");
}

#[test]
fn export_writes_the_containers_files_without_its_mounts_and_leaves_nothing_mounted() {
    let engine = Engine::with_busybox();
    let script = "echo hi > /hello && rm /bin/ls && mkdir /d && ln -s / /d/root";
    engine.ok(&["run", "--name", "done", "busybox", "sh", "-c", script]);
    let out = tempfile::tempdir().unwrap();
    let tar = out.path().join("done.tar");
    engine.ok(&["export", "-o", tar.to_str().unwrap(), "done"]);
    let tree = out.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    let untar = Command::new("tar")
        .arg("-xf")
        .arg(&tar)
        .arg("-C")
        .arg(&tree)
        .status()
        .unwrap();
    assert!(untar.success());
    assert_eq!(std::fs::read_to_string(tree.join("hello")).unwrap(), "hi\n");
    assert!(
        tree.join("bin/busybox").is_file(),
        "the image's files are there"
    );
    assert!(
        !tree.join("bin/ls").exists(),
        "a file the container deleted is not"
    );
    assert!(
        std::fs::symlink_metadata(tree.join("d/root"))
            .unwrap()
            .is_symlink()
    );

    // A running container: what it wrote a moment ago, and none of its /proc.
    engine.detached(&["--name", "live", "busybox", "sleep", "1000"]);
    engine.ok(&["exec", "live", "sh", "-c", "echo now > /now"]);
    let listing = engine.command(&["export", "live"]).output().unwrap();
    assert!(listing.status.success());
    let names = tar_names(&listing.stdout);
    assert!(names.iter().any(|n| n == "now"), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("proc/1")), "{names:?}");
    assert!(
        !host_mounts().contains("/view-"),
        "the view was mounted in its own namespace"
    );
}

/// The member names of an archive, as GNU tar lists them.
fn tar_names(archive: &[u8]) -> Vec<String> {
    use std::io::Write;
    let mut tar = Command::new("tar")
        .arg("-tf")
        .arg("-")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tar.stdin.take().unwrap().write_all(archive).unwrap();
    let out = tar.wait_with_output().unwrap();
    assert!(out.status.success(), "tar -t of the export failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// Docker's `HumanSize` for the sizes this test meets (kB and MB, three significant digits).
fn human_size(bytes: u64) -> String {
    let (value, unit) = if bytes >= 1_000_000 {
        (bytes as f64 / 1e6, "MB")
    } else if bytes >= 1000 {
        (bytes as f64 / 1e3, "kB")
    } else {
        return format!("{bytes}B");
    };
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{unit}")
}

#[test]
fn container_prune_removes_stopped_containers_and_their_directories_only() {
    let engine = Engine::with_busybox();
    let done = engine
        .ok(&["run", "-d", "busybox", "true"])
        .trim()
        .to_string();
    engine.ok(&["wait", &done]);
    let made = engine.ok(&["create", "busybox"]).trim().to_string();
    let live = engine.detached(&["busybox", "sleep", "1000"]);
    assert_eq!(
        engine.run(&["container", "prune"]).code,
        1,
        "no prompt: -f is required"
    );
    let out = engine.ok(&["container", "prune", "-f"]);
    assert!(out.starts_with("Deleted Containers:\n"), "{out}");
    assert!(
        out.contains(&done) && out.contains(&made) && !out.contains(&live),
        "{out}"
    );
    assert!(out.contains("Total reclaimed space: "), "{out}");
    let containers = engine.root.path().join("containers");
    assert!(!containers.join(&done).exists() && !containers.join(&made).exists());
    assert!(containers.join(&live).exists());
    assert_eq!(engine.ok(&["ps", "-aq"]).trim(), &live[..12]);
}

#[test]
fn image_prune_all_removes_unused_images_and_keeps_those_in_use() {
    let engine = Engine::with_busybox();
    engine.import_busybox_changed("spare", |root| {
        std::fs::write(root.join("spare"), "x").unwrap();
    });
    let spare_config = engine.inspect("spare")["Id"].as_str().unwrap().to_string();
    engine.detached(&["busybox", "sleep", "1000"]);
    assert!(engine.blob_path(&spare_config).exists());
    // Without -a only what no tag names goes: both tagged images stay.
    let out = engine.ok(&["image", "prune", "-f"]);
    assert!(out.ends_with("Total reclaimed space: 0B\n"), "{out}");
    assert!(engine.blob_path(&spare_config).exists());
    let out = engine.ok(&["image", "prune", "-a", "-f"]);
    assert!(out.contains("untagged: spare:latest"), "{out}");
    assert!(!out.contains("busybox"), "{out}");
    assert!(
        !engine.blob_path(&spare_config).exists(),
        "its config blob is gone: {out}"
    );
    assert_eq!(
        engine.ok(&["images", "--format", "{{.Repository}}"]),
        "busybox\n"
    );
}

#[test]
fn logs_since_and_until_select_entries_by_time() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sh", "-c", "echo one; sleep 1; echo two"]);
    engine.ok(&["wait", &id]);
    let stamped = engine.ok(&["logs", "-t", &id]);
    let times: Vec<&str> = stamped
        .lines()
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(times.len(), 2, "{stamped}");
    assert_eq!(engine.ok(&["logs", "--since", times[1], &id]), "two\n");
    assert_eq!(engine.ok(&["logs", "--until", times[0], &id]), "one\n");
    assert_eq!(engine.ok(&["logs", "--since", "1h", &id]), "one\ntwo\n");
    assert_eq!(engine.ok(&["logs", "--until", "1h", &id]), "");
    assert_eq!(engine.ok(&["logs", "--since", "0", &id]), "one\ntwo\n");
    for bad in ["yesterday", "1e300", "9999999999h"] {
        let bad = engine.run(&["logs", "--since", bad, &id]);
        assert_eq!(bad.code, 1, "{bad:?}");
        assert!(bad.stderr.contains("--since"), "{bad:?}");
    }
}

#[test]
fn rm_f_of_ps_aq_removes_every_container_and_its_processes() {
    let engine = Engine::with_busybox();
    let live = engine.detached(&["busybox", "sleep", "1000"]);
    let pid = engine.inspect(&live)["State"]["Pid"].as_i64().unwrap();
    engine.ok(&["create", "busybox"]);
    // The notes' idiom: `capstone rm -f $(capstone ps -aq)` — short ids, several at once.
    let ids = engine.ok(&["ps", "-aq"]);
    assert_eq!(ids.lines().count(), 2);
    let mut args = vec!["rm", "-f"];
    args.extend(ids.split_whitespace());
    let removed = engine.ok(&args);
    assert_eq!(removed, ids, "rm prints each name as given");
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "its sleep is gone"
    );
    assert!(
        cgroup_dirs(&live).iter().all(|d| !d.exists()),
        "its cgroups are gone"
    );
}

/// The pids in a container's cgroup, read from its `cgroup.procs` files.
fn cgroup_pids(id: &str) -> Vec<i32> {
    let mut pids: Vec<i32> = cgroup_dirs(id)
        .iter()
        .filter_map(|d| std::fs::read_to_string(d.join("cgroup.procs")).ok())
        .flat_map(|text| {
            text.lines()
                .map(|l| l.trim().parse::<i32>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// Polls `cgroup.procs` until the container has `count` processes (with a deadline).
fn wait_for_processes(id: &str, count: usize) -> Vec<i32> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let pids = cgroup_pids(id);
        if pids.len() == count {
            return pids;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "pids {pids:?}, wanted {count}"
        );
        std::thread::yield_now();
    }
}

#[test]
fn top_lists_exactly_the_processes_of_the_containers_cgroup() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["busybox", "sh", "-c", "sleep 1000 & exec sleep 1001"]);
    let in_cgroup = wait_for_processes(&id, 2);
    let top = engine.ok(&["top", &id]);
    let mut lines = top.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
        "{top}"
    );
    let mut listed: Vec<i32> = lines
        .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
        .collect();
    listed.sort_unstable();
    assert_eq!(listed, in_cgroup, "{top}");
    for pid in &listed {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        assert!(
            cmdline.starts_with(b"sleep\x00100"),
            "pid {pid} is one of the sleeps"
        );
    }
    // ps options pass through; the header is ps's own, cells at least 20 wide as in Docker.
    let top = engine.ok(&["top", &id, "-o", "pid,comm"]);
    assert!(top.starts_with(&format!("{:<20}COMMAND\n", "PID")), "{top}");
    assert_eq!(
        top.lines().filter(|l| l.ends_with("sleep")).count(),
        2,
        "{top}"
    );
    // Without -e, ps lists only its own user's processes, unless it is given the pids.
    let other_user = engine.detached(&["-u", "1000", "busybox", "sleep", "1002"]);
    wait_for_processes(&other_user, 1);
    let top = engine.ok(&["top", &other_user, "-o", "pid,user,comm"]);
    assert_eq!(top.lines().count(), 2, "{top}");
    assert!(top.lines().nth(1).unwrap().ends_with("sleep"), "{top}");
    // An option ps refuses with -q (a forest) still works: ps runs again without it.
    let forest = engine.ok(&["top", &id, "axf"]);
    assert_eq!(
        forest.lines().filter(|l| l.contains("sleep 10")).count(),
        2,
        "{forest}"
    );
}

#[test]
fn stats_reports_the_cgroup_and_netns_counters() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&[
        "-m",
        "64m",
        "busybox",
        "sh",
        "-c",
        "sleep 1000 & while :; do :; done",
    ]);
    wait_for_processes(&id, 2);
    let gateway = engine.inspect(&id)["NetworkSettings"]["Gateway"]
        .as_str()
        .unwrap()
        .to_string();
    engine.ok(&["exec", &id, "ping", "-c", "1", &gateway]);
    let pid = engine.inspect(&id)["State"]["Pid"].as_i64().unwrap();
    let net = |pid: i64| -> (u64, u64) {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).unwrap();
        let eth0 = text
            .lines()
            .find(|l| l.trim_start().starts_with("eth0:"))
            .unwrap();
        let f: Vec<u64> = eth0
            .split_once(':')
            .unwrap()
            .1
            .split_whitespace()
            .map(|f| f.parse().unwrap())
            .collect();
        (f[0], f[8])
    };
    let before = net(pid);
    let out = engine.ok(&["stats", "--no-stream", "--format", "{{json .}}", &id]);
    let after = net(pid);
    let stats: serde_json::Value = serde_json::from_str(&out).unwrap();

    // The limit is the one the cgroup file holds (v1 memory.limit_in_bytes, v2 memory.max).
    let limit_file = cgroup_dirs(&id)
        .iter()
        .flat_map(|d| [d.join("memory.limit_in_bytes"), d.join("memory.max")])
        .find(|p| p.exists())
        .unwrap();
    let limit: u64 = std::fs::read_to_string(&limit_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(limit, 64 << 20);
    let usage = stats["MemUsage"].as_str().unwrap();
    assert!(usage.ends_with(" / 64MiB"), "{stats}");
    // Processes: the pids controller's count (pids.current).
    let pids_file = cgroup_dirs(&id)
        .iter()
        .map(|d| d.join("pids.current"))
        .find(|p| p.exists())
        .unwrap();
    assert_eq!(
        stats["PIDs"],
        std::fs::read_to_string(pids_file).unwrap().trim()
    );
    // A spinning shell uses CPU.
    let cpu: f64 = stats["CPUPerc"]
        .as_str()
        .unwrap()
        .trim_end_matches('%')
        .parse()
        .unwrap();
    assert!(cpu > 1.0, "{stats}");
    // Network: the namespace's eth0 counters (the ping went out and came back). Other
    // packets (ARP, IPv6 neighbour discovery) may arrive while stats runs, so its figure is
    // one the counter held between the two reads, not necessarily either of them.
    let (rx, tx) = stats["NetIO"].as_str().unwrap().split_once(" / ").unwrap();
    assert!(before.0 > 0 && before.1 > 0, "{before:?}");
    let held_between =
        |from: u64, to: u64, shown: &str| (from..=to).any(|n| human_size(n) == shown);
    assert!(
        held_between(before.0, after.0, rx),
        "{stats} {before:?} {after:?}"
    );
    assert!(
        held_between(before.1, after.1, tx),
        "{stats} {before:?} {after:?}"
    );
    // The default table has Docker's columns.
    let table = engine.ok(&["stats", "--no-stream", &id]);
    let header: Vec<&str> = table
        .lines()
        .next()
        .unwrap()
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "CONTAINER ID",
            "NAME",
            "CPU %",
            "MEM USAGE / LIMIT",
            "MEM %",
            "NET I/O",
            "BLOCK I/O",
            "PIDS"
        ]
    );
}

/// The container's writable layer, where the files `cp` put into a stopped container land.
fn upper_dir(engine: &Engine, id: &str) -> std::path::PathBuf {
    let c = engine.inspect(id);
    c["GraphDriver"]["Data"]["UpperDir"]
        .as_str()
        .unwrap()
        .into()
}

#[test]
fn cp_follows_dockers_rules_in_both_directions() {
    let engine = Engine::with_busybox();
    let script = "mkdir /data && echo s > /data/s && ln -s /data/s /data/link \
                  && touch /owned && chown 1234:1234 /owned";
    engine.ok(&["run", "--name", "src", "busybox", "sh", "-c", script]);
    let host = tempfile::tempdir().unwrap();
    let at = |p: &str| host.path().join(p).to_str().unwrap().to_string();
    std::fs::create_dir(at("existing")).unwrap();
    std::fs::create_dir(at("contents")).unwrap();
    std::fs::write(at("file"), "old").unwrap();

    // A file into a directory keeps its name; onto a missing path takes that name.
    engine.ok(&["cp", "src:/data/s", &format!("{}/", at("existing"))]);
    assert_eq!(std::fs::read_to_string(at("existing/s")).unwrap(), "s\n");
    engine.ok(&["cp", "src:/data/s", &at("renamed")]);
    assert_eq!(std::fs::read_to_string(at("renamed")).unwrap(), "s\n");
    engine.ok(&["cp", "src:/data/s", &at("file")]);
    assert_eq!(
        std::fs::read_to_string(at("file")).unwrap(),
        "s\n",
        "a file is replaced"
    );
    // A directory: created when missing, copied into one that exists, `/.` for contents.
    engine.ok(&["cp", "src:/data", &at("new")]);
    assert!(Path::new(&at("new/s")).is_file());
    engine.ok(&["cp", "src:/data", &at("existing")]);
    assert!(Path::new(&at("existing/data/s")).is_file());
    engine.ok(&["cp", "src:/data/.", &at("contents")]);
    assert!(Path::new(&at("contents/s")).is_file());
    let onto_file = engine.run(&["cp", "src:/data", &at("file")]);
    assert!(
        onto_file
            .stderr
            .contains("cannot copy a directory to a file"),
        "{onto_file:?}"
    );
    let missing = engine.run(&["cp", "src:/data/s", &format!("{}/", at("nowhere"))]);
    assert!(missing.stderr.contains("must exist"), "{missing:?}");

    // -L copies what a symlink points to; without it, the link itself.
    engine.ok(&["cp", "src:/data/link", &at("link")]);
    assert_eq!(
        std::fs::read_link(at("link")).unwrap(),
        Path::new("/data/s")
    );
    engine.ok(&["cp", "-L", "src:/data/link", &at("followed")]);
    assert_eq!(std::fs::read_to_string(at("followed")).unwrap(), "s\n");
    // -a keeps the owner; without it the copy belongs to the user at the destination (root).
    use std::os::unix::fs::MetadataExt;
    engine.ok(&["cp", "src:/owned", &at("mine")]);
    assert_eq!(std::fs::metadata(at("mine")).unwrap().uid(), 0);
    engine.ok(&["cp", "-a", "src:/owned", &at("theirs")]);
    assert_eq!(std::fs::metadata(at("theirs")).unwrap().uid(), 1234);

    // Into the stopped container: the file lands in its writable layer.
    engine.ok(&["cp", &at("renamed"), "src:/data/in.txt"]);
    engine.ok(&["cp", &at("contents"), "src:/tree"]);
    let upper = upper_dir(&engine, "src");
    assert_eq!(
        std::fs::read_to_string(upper.join("data/in.txt")).unwrap(),
        "s\n"
    );
    assert!(upper.join("tree/s").is_file());
    assert!(
        !host_mounts().contains("/root-"),
        "the overlay was mounted privately"
    );

    // `-`: a tar stream on stdout, and from stdin into a directory.
    let streamed = engine.command(&["cp", "src:/data", "-"]).output().unwrap();
    assert!(streamed.status.success(), "{streamed:?}");
    let names = tar_names(&streamed.stdout);
    assert!(names.iter().any(|n| n == "data/s"), "{names:?}");
    std::fs::write(at("t"), "t\n").unwrap();
    let pack = Command::new("tar")
        .arg("-C")
        .arg(host.path())
        .args(["-cf", "-", "t"])
        .output()
        .unwrap();
    assert!(pack.status.success());
    let tar_text = String::from_utf8(pack.stdout).expect("an ASCII-only tar");
    let run = engine.run_with_stdin(&["cp", "-", "src:/streamed"], &tar_text);
    assert_eq!(run.code, 1, "the directory must exist: {run:?}");
    assert!(run.stderr.contains("create it first"), "{run:?}");
    let run = engine.run_with_stdin(&["cp", "-", "src:/tree"], &tar_text);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        std::fs::read_to_string(upper.join("tree/t")).unwrap(),
        "t\n"
    );
    assert!(!upper.join("streamed").exists());
}

#[test]
fn cp_never_leaves_the_containers_root() {
    let engine = Engine::with_busybox();
    let script = "mkdir /data && ln -s / /data/up && ln -s ../../../../.. /data/climb";
    engine.ok(&["run", "--name", "trap", "busybox", "sh", "-c", script]);
    let host = tempfile::tempdir().unwrap();
    let name = format!("capstone-cp-{}.txt", std::process::id());
    let file = host.path().join(&name);
    std::fs::write(&file, "inside\n").unwrap();

    // Through a symlink to `/` and a `..` chain: the container's `/`, not the host's.
    engine.ok(&["cp", file.to_str().unwrap(), "trap:/data/up/"]);
    engine.ok(&["cp", file.to_str().unwrap(), "trap:/data/climb/etc/"]);
    assert!(
        !Path::new("/").join(&name).exists(),
        "nothing was written to the host's /"
    );
    assert!(
        !Path::new("/etc").join(&name).exists(),
        "nothing was written to the host's /etc"
    );
    let upper = upper_dir(&engine, "trap");
    assert!(upper.join(&name).is_file() && upper.join("etc").join(&name).is_file());

    // Reading ../../etc/passwd gives the image's passwd, not the host's.
    let out = host.path().join("passwd");
    engine.ok(&["cp", "trap:../../../etc/passwd", out.to_str().unwrap()]);
    let image_passwd = engine.ok(&["run", "--rm", "busybox", "cat", "/etc/passwd"]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), image_passwd);

    // A running container: its live root (/proc/PID/root), the same confinement.
    let id = engine.detached(&["busybox", "sh", "-c", "ln -s / /up && exec sleep 1000"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while engine.run(&["exec", &id, "test", "-L", "/up"]).code != 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the container made no /up"
        );
    }
    engine.ok(&["cp", file.to_str().unwrap(), &format!("{id}:/up/tmp/")]);
    assert_eq!(
        engine.ok(&["exec", &id, "cat", &format!("/tmp/{name}")]),
        "inside\n"
    );
    assert!(
        !Path::new("/tmp").join(&name).exists(),
        "nothing was written to the host's /tmp"
    );
    engine.ok(&[
        "cp",
        &format!("{id}:/up/tmp/{name}"),
        host.path().join("back").to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read_to_string(host.path().join("back")).unwrap(),
        "inside\n"
    );
}

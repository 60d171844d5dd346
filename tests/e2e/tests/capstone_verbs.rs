//! Docker's everyday verbs beyond run/stop: `--format` Go templates on the listing verbs and
//! `inspect -f`, checked against the records and the kernel (the pid a template prints is
//! the container's process in /proc), and against Docker's table layout.

mod capstone_support;

use capstone_support::Engine;

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

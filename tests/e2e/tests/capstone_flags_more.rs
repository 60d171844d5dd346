//! `run` flags that need a built image, a user-defined network or a long log: `-P` publishes
//! every exposed port (seen in the firewall's port map), `--network-alias` is a name a peer
//! reaches, `images --filter label=` picks by the image's labels, `--log-opt` rotates the
//! json log (files on disk, `logs` reading across them), and `ps`'s labels column snapshot.

mod capstone_support;

use capstone_support::Engine;

/// Builds `Dockerfile` text over busybox as `tag`.
fn build(engine: &Engine, tag: &str, dockerfile: &str) {
    let context = tempfile::tempdir().unwrap();
    std::fs::write(context.path().join("Dockerfile"), dockerfile).unwrap();
    engine.ok(&["build", "-q", "-t", tag, context.path().to_str().unwrap()]);
}

#[test]
fn publish_all_gives_every_exposed_port_a_host_port() {
    let engine = Engine::with_busybox();
    build(&engine, "exposing", "FROM busybox\nEXPOSE 80 53/udp\n");
    let id = engine.detached(&["-P", "exposing", "sleep", "1000"]);
    let ports = engine.ok(&["port", &id]);
    let mut found: Vec<(String, u16)> = ports
        .lines()
        .map(|l| {
            let (inside, host) = l.split_once(" -> ").unwrap();
            let host_port = host.rsplit(':').next().unwrap().parse().unwrap();
            (inside.to_string(), host_port)
        })
        .collect();
    found.sort();
    let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["53/udp", "80/tcp"], "{ports}");
    let ruleset = engine.netns.nft_ruleset();
    for (_, host_port) in &found {
        assert!(*host_port > 0);
        assert!(
            ruleset.contains(&format!("{host_port} : ")),
            "{host_port} in the port map:\n{ruleset}"
        );
    }
    assert_eq!(engine.inspect(&id)["HostConfig"]["PublishAllPorts"], true);
}

#[test]
fn a_network_alias_is_a_name_peers_reach() {
    let engine = Engine::with_busybox();
    engine.ok(&["network", "create", "flagsnet"]);
    let server = engine.detached(&[
        "--network",
        "flagsnet",
        "--network-alias",
        "db-alias",
        "busybox",
        "sleep",
        "1000",
    ]);
    let address = engine.inspect(&server)["NetworkSettings"]["Networks"]["flagsnet"]["IPAddress"]
        .as_str()
        .unwrap()
        .to_string();
    let run = engine.run(&[
        "run",
        "--rm",
        "--network",
        "flagsnet",
        "busybox",
        "ping",
        "-c",
        "1",
        "-W",
        "5",
        "db-alias",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains(&address),
        "the alias is the server's address {address}: {run:?}"
    );
    let run = engine.run(&["run", "--rm", "--network-alias", "x", "busybox", "true"]);
    assert_eq!(run.code, 125, "no alias on the default bridge: {run:?}");
    engine.ok(&["rm", "-f", &server]);
    engine.ok(&["network", "rm", "flagsnet"]);
}

#[test]
fn images_filter_by_the_images_labels() {
    let engine = Engine::with_busybox();
    build(
        &engine,
        "labelled",
        "FROM busybox\nLABEL team=infra stage=test\n",
    );
    let repos =
        |filter: &str| engine.ok(&["images", "--filter", filter, "--format", "{{.Repository}}"]);
    assert_eq!(repos("label=team=infra"), "labelled\n");
    assert_eq!(repos("label=stage"), "labelled\n");
    assert_eq!(repos("label=team=other"), "");
    // A container inherits the image's labels, under its own.
    let id = engine.ok(&["create", "-l", "stage=prod", "labelled"]);
    let labels = &engine.inspect(id.trim())["Config"]["Labels"];
    assert_eq!(
        labels,
        &serde_json::json!({"team": "infra", "stage": "prod"})
    );
}

#[test]
fn log_opts_rotate_the_json_log_and_logs_reads_across_the_files() {
    let engine = Engine::with_busybox();
    let script = "i=1; while [ $i -le 300 ]; do echo line-$i; i=$((i+1)); done";
    let run = engine.run(&[
        "run",
        "--name",
        "chatty",
        "--log-opt",
        "max-size=2k",
        "--log-opt",
        "max-file=3",
        "busybox",
        "sh",
        "-c",
        script,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let log_path = engine.inspect("chatty")["LogPath"]
        .as_str()
        .unwrap()
        .to_string();
    for n in ["", ".1", ".2"] {
        let size = std::fs::metadata(format!("{log_path}{n}")).unwrap().len();
        assert!(size > 0 && size <= 2048, "{log_path}{n} is {size} bytes");
    }
    assert!(
        !std::path::Path::new(&format!("{log_path}.3")).exists(),
        "max-file=3 keeps three"
    );
    let logs = engine.ok(&["logs", "chatty"]);
    let numbers: Vec<u32> = logs
        .lines()
        .map(|l| l.strip_prefix("line-").unwrap().parse().unwrap())
        .collect();
    assert_eq!(numbers.last(), Some(&300), "the newest line is kept");
    assert!(numbers[0] > 1, "the oldest lines were rotated away");
    let expected: Vec<u32> = (numbers[0]..=300).collect();
    assert_eq!(
        numbers, expected,
        "in order, none lost between the kept files"
    );
    let run = engine.run(&[
        "run",
        "--rm",
        "--log-opt",
        "max-size=oops",
        "busybox",
        "true",
    ]);
    assert_eq!(run.code, 125, "{run:?}");
    let run = engine.run(&["run", "--rm", "--log-opt", "mode=fast", "busybox", "true"]);
    assert_eq!(run.code, 125, "{run:?}");
}

#[test]
fn ps_labels_column_layout() {
    let engine = Engine::with_busybox();
    engine.ok(&[
        "create", "--name", "shop", "-l", "app=shop", "-l", "tier=web", "busybox",
    ]);
    engine.ok(&["create", "--name", "blog", "-l", "app=blog", "busybox"]);
    engine.ok(&["create", "--name", "plain", "busybox"]);
    let table = engine.ok(&[
        "ps",
        "-a",
        "--filter",
        "label=app",
        "--format",
        "table {{.Names}}\t{{.Labels}}",
    ]);
    insta::assert_snapshot!(table);
}

#[test]
fn logs_follow_goes_on_across_a_rotation() {
    let engine = Engine::with_busybox();
    let script = "echo ready; until [ -e /tmp/go ]; do sleep 0.05; done; \
                  i=1; while [ $i -le 100 ]; do echo line-$i; i=$((i+1)); sleep 0.01; done";
    let id = engine.detached(&[
        "--log-opt",
        "max-size=1k",
        "--log-opt",
        "max-file=5",
        "busybox",
        "sh",
        "-c",
        script,
    ]);
    let mut follower = engine
        .command(&["logs", "-f", &id])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines =
        std::io::BufRead::lines(std::io::BufReader::new(follower.stdout.take().unwrap()));
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    engine.ok(&["exec", &id, "touch", "/tmp/go"]);
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(follower.wait().unwrap().success());
    let expected: Vec<String> = (1..=100).map(|i| format!("line-{i}")).collect();
    assert_eq!(
        rest, expected,
        "every line once, in order, across the rotations"
    );
    let log_path = engine.inspect(&id)["LogPath"].as_str().unwrap().to_string();
    assert!(
        std::path::Path::new(&format!("{log_path}.1")).exists(),
        "it did rotate"
    );
}

#[test]
fn network_ls_filters_by_the_networks_labels() {
    let engine = Engine::with_busybox();
    engine.ok(&[
        "network", "create", "--label", "env=prod", "--label", "team", "prodnet",
    ]);
    engine.ok(&["network", "create", "--label", "env=dev", "devnet"]);
    let names = |filter: &str| {
        engine.ok(&[
            "network",
            "ls",
            "--filter",
            filter,
            "--format",
            "{{.Name}} {{.Labels}}",
        ])
    };
    assert_eq!(names("label=env=prod"), "prodnet env=prod,team=\n");
    assert_eq!(names("label=team"), "prodnet env=prod,team=\n");
    assert_eq!(
        names("label=env").lines().count(),
        2,
        "host and none have no labels"
    );
    let inspect: serde_json::Value =
        serde_json::from_str(&engine.ok(&["network", "inspect", "devnet"])).unwrap();
    assert_eq!(inspect[0]["Labels"], serde_json::json!({"env": "dev"}));
    engine.ok(&["network", "rm", "prodnet", "devnet"]);
}

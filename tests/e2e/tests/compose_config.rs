//! `capstone compose config`: the notes' example projects resolve (`.env`, anchors and merge
//! keys, short syntaxes, resource names), agree with Debian's `docker-compose` 1.29 where its
//! output is stable, and bad files give errors that name the file, the service and the key.
//! `config` reads files only: nothing here needs a network namespace or root's kernel features.

mod capstone_support;

use capstone_support::capstone_bin;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use yaml_serde::Value;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Runs `capstone compose ARGS… config` in `dir` with its own state root and the given extra
/// environment (`FRONT_PORT`, … are removed first, so the host's values cannot leak in).
fn compose(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let state = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(capstone_bin());
    cmd.current_dir(dir)
        .arg("--root")
        .arg(state.path().join("root"))
        .arg("--runroot")
        .arg(state.path().join("run"))
        .arg("compose")
        .args(args);
    for var in [
        "FRONT_PORT",
        "DB_NAME",
        "GREETING",
        "COMPOSE_FILE",
        "COMPOSE_PROJECT_NAME",
        "COMPOSE_PROFILES",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().copied());
    cmd.output().unwrap()
}

fn config(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut all = args.to_vec();
    all.push("config");
    let out = compose(dir, &all, env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "compose config failed: {stderr}");
    yaml_serde::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_busybox_example_resolves_env_anchors_and_names() {
    let dir = examples().join("leafy-busybox");
    let model = config(&dir, &[], &[]);
    assert_eq!(model["name"], Value::from("leafy"));
    let services = &model["services"];
    // .env gives FRONT_PORT and GREETING; the x-httpd anchor's `<<` gave every service its command.
    assert_eq!(
        services["frontend"]["ports"][0]["published"],
        Value::from("8080")
    );
    assert_eq!(
        services["db"]["environment"]["GREETING"],
        Value::from("hello from the leafy database")
    );
    for name in ["db", "backend", "frontend"] {
        assert_eq!(
            services[name]["restart"],
            Value::from("unless-stopped"),
            "{name}"
        );
        assert_eq!(services[name]["command"][0], Value::from("httpd"), "{name}");
    }
    // Two networks: the frontend is on `front` only, the database on `back` only.
    let networks = |s: &str| -> Vec<String> {
        services[s]["networks"]
            .as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(networks("frontend"), ["front"]);
    assert_eq!(networks("db"), ["back"]);
    assert_eq!(networks("backend"), ["back", "front"]);
    assert_eq!(
        services["backend"]["networks"]["front"]["aliases"][0],
        Value::from("api")
    );
    assert_eq!(model["networks"]["back"]["name"], Value::from("leafy_back"));
    assert_eq!(model["volumes"]["data"]["name"], Value::from("leafy_data"));
    assert_eq!(services["db"]["volumes"][0]["source"], Value::from("data"));
    let context = services["db"]["build"]["context"].as_str().unwrap();
    assert!(
        Path::new(context).join("Dockerfile").is_file(),
        "{context} is the db's directory"
    );

    // The process environment overrides .env; -p overrides `name:`.
    let model = config(&dir, &["-p", "other"], &[("FRONT_PORT", "9090")]);
    assert_eq!(
        model["services"]["frontend"]["ports"][0]["published"],
        Value::from("9090")
    );
    assert_eq!(
        model["networks"]["front"]["name"],
        Value::from("other_front")
    );
}

#[test]
fn the_docker_hub_example_resolves_too() {
    let model = config(&examples().join("leafy-hub"), &[], &[]);
    let db = &model["services"]["db"];
    assert_eq!(
        db["environment"]["POSTGRES_PASSWORD"],
        Value::from("leafy-secret")
    );
    // `$${POSTGRES_DB}` is a literal `$` for the container's shell, printed escaped again.
    assert_eq!(
        db["healthcheck"]["test"][1],
        Value::from("pg_isready -U postgres -d $${POSTGRES_DB}")
    );
    // --format json prints the same model.
    let out = compose(
        &examples().join("leafy-hub"),
        &["config", "--format", "json"],
        &[],
    );
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(yaml_serde::to_value(json).unwrap(), model);
    let bind = &model["services"]["backend"]["volumes"][0];
    assert_eq!(bind["type"], Value::from("bind"));
    assert!(
        Path::new(bind["source"].as_str().unwrap())
            .join("app.py")
            .is_file()
    );
}

/// Debian's docker-compose 1.29 predates `name:`, prints short volume syntax and no resource
/// names; everything else a service says must agree.
#[test]
fn services_agree_with_docker_compose_1_29() {
    if Command::new("docker-compose")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("skipped: docker-compose (Debian's docker-compose package) is not installed");
        return;
    }
    let copy = tempfile::tempdir().unwrap();
    let dir = copy.path().join("leafy");
    let status = Command::new("cp")
        .arg("-a")
        .arg(examples().join("leafy-busybox"))
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let file = dir.join("compose.yaml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("name: leafy\n", "");
    std::fs::write(&file, text).unwrap();

    let ours = config(&dir, &["-p", "leafy"], &[]);
    let out = Command::new("docker-compose")
        .current_dir(&dir)
        .args(["-p", "leafy", "config"])
        .env_remove("FRONT_PORT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Value = yaml_serde::from_slice(&out.stdout).unwrap();
    for service in ["db", "backend", "frontend"] {
        for key in [
            "build",
            "command",
            "environment",
            "healthcheck",
            "image",
            "networks",
            "restart",
        ] {
            assert_eq!(
                ours["services"][service][key], theirs["services"][service][key],
                "services.{service}.{key}"
            );
        }
        let conditions = |m: &Value| -> Vec<(String, Value)> {
            m["services"][service]["depends_on"]
                .as_mapping()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str().unwrap().to_string(), v["condition"].clone()))
                .collect()
        };
        assert_eq!(
            conditions(&ours),
            conditions(&theirs),
            "services.{service}.depends_on"
        );
    }
    let (our_port, their_port) = (
        &ours["services"]["frontend"]["ports"][0],
        &theirs["services"]["frontend"]["ports"][0],
    );
    assert_eq!(our_port["target"], their_port["target"]);
    assert_eq!(
        our_port["published"].as_str().unwrap(),
        their_port["published"].as_u64().unwrap().to_string()
    );
    assert_eq!(
        theirs["services"]["db"]["volumes"][0],
        Value::from("data:/data:rw")
    );

    // --services and --volumes list the same names (in any order).
    for flag in ["--services", "--volumes"] {
        let lines = |out: Output| {
            assert!(
                out.status.success(),
                "{flag}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let mut names: Vec<String> = String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(String::from)
                .collect();
            names.sort();
            names
        };
        let ours = lines(compose(&dir, &["-p", "leafy", "config", flag], &[]));
        let theirs = lines(
            Command::new("docker-compose")
                .current_dir(&dir)
                .args(["-p", "leafy", "config", flag])
                .output()
                .unwrap(),
        );
        assert_eq!(ours, theirs, "{flag}");
    }
    assert_eq!(
        ours["services"]["db"]["volumes"][0]["target"],
        Value::from("/data")
    );
}

#[test]
fn files_merge_in_order_and_the_defaults_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("My App.v2");
    std::fs::create_dir(&project).unwrap();
    let write = |name: &str, text: &str| std::fs::write(project.join(name), text).unwrap();
    write(
        "compose.yaml",
        "services:\n  web:\n    image: busybox\n    environment: [A=1, B=2]\n    ports: ['80']\n  debug:\n    image: busybox\n    profiles: [debug]\n",
    );
    write(
        "compose.override.yaml",
        "services:\n  web:\n    image: busybox:1.36\n    environment: {B: '3'}\n    ports: ['443']\n",
    );
    write(
        "extra.yaml",
        "services:\n  web:\n    command: echo $$HOME ${WHO:-nobody}\n",
    );
    write("vars.env", "WHO=student\n");

    // No -f: compose.yaml and compose.override.yaml; the project name from the directory.
    let model = config(&project, &[], &[]);
    assert_eq!(model["name"], Value::from("myappv2"));
    let web = &model["services"]["web"];
    assert_eq!(web["image"], Value::from("busybox:1.36"));
    assert_eq!(web["environment"]["A"], Value::from("1"));
    assert_eq!(web["environment"]["B"], Value::from("3"));
    assert_eq!(web["ports"].as_sequence().unwrap().len(), 2, "ports append");
    assert!(
        model["services"].get("debug").is_none(),
        "a profile's service is off by default"
    );

    // -f in order, --env-file, --profile.
    let model = config(
        &project,
        &[
            "-f",
            "compose.yaml",
            "-f",
            "extra.yaml",
            "--env-file",
            "vars.env",
            "--profile",
            "debug",
        ],
        &[],
    );
    assert_eq!(model["services"]["web"]["image"], Value::from("busybox"));
    assert_eq!(
        model["services"]["web"]["command"],
        Value::from("echo $$HOME student")
    );
    assert!(model["services"].get("debug").is_some());

    // --project-directory: relative paths and .env are taken from there, not from the file's
    // directory; the project name too.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join(".env"), "WHO=there\n").unwrap();
    let file = project.join("extra.yaml").display().to_string();
    let model = config(
        &project,
        &[
            "-f",
            "compose.yaml",
            "-f",
            &file,
            "--project-directory",
            "../elsewhere",
        ],
        &[],
    );
    assert_eq!(model["name"], Value::from("elsewhere"));
    assert_eq!(
        model["services"]["web"]["command"],
        Value::from("echo $$HOME there")
    );

    // A bad key in the second file is reported in that file.
    write(
        "bad.yaml",
        "services:\n  web:\n    ports:\n      - target: 80\n        publish: 8080\n",
    );
    let out = compose(
        &project,
        &["-f", "compose.yaml", "-f", "bad.yaml", "config"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "bad.yaml: services.web.ports[0] additional property \"publish\" is not allowed"
        ),
        "{stderr}"
    );
}

/// Each bad file fails with exit code 1, prints nothing on stdout, and names the place.
#[test]
fn bad_files_give_errors_that_name_the_place() {
    let cases = [
        (
            "unknown key",
            "services:\n  web:\n    image: busybox\n    imagee: typo\n",
        ),
        (
            "unknown key, nested",
            "services:\n  web:\n    image: busybox\n    healthcheck:\n      test: [CMD, true]\n      every: 2s\n",
        ),
        (
            "wrong type",
            "services:\n  web:\n    image: busybox\n    ports:\n      - target: eighty\n",
        ),
        (
            "bad short port",
            "services:\n  web:\n    image: busybox\n    ports: ['80:http']\n",
        ),
        ("missing image", "services:\n  web:\n    restart: always\n"),
        (
            "cycle",
            "services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [c]\n  c:\n    image: busybox\n    depends_on: [a]\n",
        ),
        (
            "undefined network",
            "services:\n  web:\n    image: busybox\n    networks: [back]\n",
        ),
        (
            "undefined volume",
            "services:\n  web:\n    image: busybox\n    volumes: ['data:/data']\n",
        ),
        (
            "required variable",
            "services:\n  web:\n    image: ${IMAGE:?set IMAGE to the image to run}\n",
        ),
        (
            "unsupported key",
            "services:\n  web:\n    image: busybox\n    logging: {driver: none}\n",
        ),
        ("not yaml", "services:\n  web: [\n"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut messages = Vec::new();
    for (what, text) in cases {
        std::fs::write(dir.path().join("compose.yaml"), text).unwrap();
        let out = compose(dir.path(), &["config"], &[]);
        assert_eq!(out.status.code(), Some(1), "{what}");
        assert!(out.stdout.is_empty(), "{what}: printed a model");
        let stderr = String::from_utf8_lossy(&out.stderr)
            .replace(&dir.path().display().to_string(), "[dir]");
        messages.push(format!("{what}:\n{}", stderr.trim_end()));
    }
    insta::assert_snapshot!(messages.join("\n\n"));
}

/// What `config` prints is itself a compose file that resolves to the same model (the `$$`
/// escapes, the long syntaxes and the resource names all read back unchanged).
#[test]
fn the_printed_model_reads_back_as_the_same_model() {
    for example in ["leafy-busybox", "leafy-hub"] {
        let dir = examples().join(example);
        let out = compose(&dir, &["config"], &[]);
        assert!(out.status.success(), "{example}");
        let copy = tempfile::tempdir().unwrap();
        std::fs::write(copy.path().join("compose.yaml"), &out.stdout).unwrap();
        let again = compose(copy.path(), &["config"], &[]);
        assert!(
            again.status.success(),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&again.stdout),
            String::from_utf8_lossy(&out.stdout),
            "{example}"
        );
    }
}

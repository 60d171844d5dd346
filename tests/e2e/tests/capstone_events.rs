//! `events`: every operation appends to the engine's event log, and `capstone events` prints
//! it as Docker does — past events up to `--until`, filtered with `--filter`, shaped with
//! `--format`, and new ones as they happen while it follows.

mod capstone_support;

use capstone_support::Engine;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{SystemTime, UNIX_EPOCH};

/// `--until` for "everything so far": now, in Unix seconds (with fractions).
fn now() -> String {
    let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    format!("{}.{:09}", t.as_secs(), t.subsec_nanos())
}

#[test]
fn a_containers_life_is_logged_in_order_in_dockers_shapes() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["--name", "brief", "busybox", "sh", "-c", "exit 3"]);
    assert_eq!(engine.ok(&["wait", &id]).trim(), "3");
    engine.ok(&["rm", &id]);
    let until = now();

    let lines = engine.ok(&["events", "--until", &until, "--filter", "type=container"]);
    let actions: Vec<&str> = lines
        .lines()
        .map(|l| l.split(' ').nth(2).unwrap())
        .collect();
    assert_eq!(actions, ["create", "start", "die", "destroy"], "{lines}");
    // Docker's line: time, type, action, id, (sorted attributes).
    let die = lines.lines().nth(2).unwrap();
    let (time, rest) = die.split_once(' ').unwrap();
    assert!(
        time.ends_with('Z') && time.len() == 30,
        "RFC 3339 with nanoseconds: {die}"
    );
    assert_eq!(
        rest,
        // (Docker shows the image as typed, `busybox`; the record keeps it normalised.)
        format!("container die {id} (exitCode=3, image=busybox:latest, name=brief)")
    );

    let json = engine.ok(&["events", "--until", &until, "--format", "{{json .}}"]);
    let events: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let connect = events
        .iter()
        .find(|e| e["Type"] == "network" && e["Action"] == "connect")
        .expect("the start plugs it into the default network");
    assert_eq!(connect["Actor"]["Attributes"]["container"], id.as_str());
    assert_eq!(connect["Actor"]["Attributes"]["name"], "bridge");
    assert_eq!(connect["scope"], "local");
    let nanos = connect["timeNano"].as_i64().unwrap();
    assert_eq!(connect["time"].as_i64().unwrap(), nanos / 1_000_000_000);
}

#[test]
fn filters_combine_and_format_picks_fields() {
    let engine = Engine::with_busybox();
    let a = engine.detached(&["--name", "aa", "--network", "none", "busybox", "true"]);
    let b = engine.detached(&[
        "--name",
        "bb",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "exit 4",
    ]);
    engine.ok(&["wait", &a]);
    engine.ok(&["wait", &b]);
    engine.ok(&["volume", "create", "data"]);
    let cc = engine.ok(&["create", "--name", "cc", "busybox", "true"]);
    let cc = cc.trim();
    engine.ok(&["network", "create", "evnet"]);
    engine.ok(&["network", "connect", "evnet", "cc"]);
    engine.ok(&["network", "disconnect", "evnet", "cc"]);
    engine.ok(&["network", "rm", "evnet"]);
    engine.ok(&["tag", "busybox", "mine:1"]);
    engine.ok(&["rmi", "mine:1"]);
    let until = now();
    let codes = engine.ok(&[
        "events",
        "--until",
        &until,
        "--filter",
        "event=die",
        "--filter",
        "container=bb",
        "--format",
        "{{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}",
    ]);
    assert_eq!(codes, "bb 4\n");
    let volumes = engine.ok(&["events", "--until", &until, "--filter", "type=volume"]);
    assert!(
        volumes
            .trim_end()
            .ends_with("volume create data (driver=local)"),
        "{volumes}"
    );
    let networks = engine.ok(&[
        "events",
        "--until",
        &until,
        "--filter",
        "network=evnet",
        "--format",
        "{{.Action}} {{.Actor.Attributes.container}}",
    ]);
    assert_eq!(
        networks,
        format!("create <no value>\nconnect {cc}\ndisconnect {cc}\ndestroy <no value>\n")
    );
    let images = engine.ok(&[
        "events",
        "--until",
        &until,
        "--filter",
        "type=image",
        "--format",
        "{{.Action}} {{.Actor.Attributes.name}}",
    ]);
    assert_eq!(images, "tag mine:1\nuntag mine:1\n");
    let run = engine.run(&["events", "--until", &until, "--filter", "colour=red"]);
    assert_eq!(
        run.code, 1,
        "as Docker's CLI exits on a daemon's refusal: {run:?}"
    );
    assert!(run.stderr.contains("colour=red"), "{run:?}");
}

/// Kills the follower on every path.
struct Follower(std::process::Child);

impl Drop for Follower {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_follower_sees_new_events_as_they_happen() {
    let engine = Engine::with_busybox();
    let mut follower = Follower(
        engine
            .command(&[
                "events",
                "--filter",
                "container=live",
                "--format",
                "{{.Action}}",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let out = follower.0.stdout.take().unwrap();
    let id = engine.detached(&["--name", "live", "--network", "none", "busybox", "true"]);
    engine.ok(&["wait", &id]);
    engine.ok(&["rm", "live"]);
    let seen: Vec<String> = BufReader::new(out)
        .lines()
        .map(Result::unwrap)
        .take_while(|action| action != "destroy")
        .collect();
    assert_eq!(seen, ["create", "start", "die"]);
}

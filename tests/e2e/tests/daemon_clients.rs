//! `capstone daemon` with more of what clients do: a missing image answered with 404 so the
//! `docker` CLI pulls it (from the harness's registry, listening in the engine's network
//! namespace) and retries; images tagged, listed and removed; networks and volumes made,
//! used by a container (a ping across the bridge, a file in the volume seen from the host)
//! and removed; and Debian's Python SDK (`python3-docker`) running, listing, reading the logs
//! of and removing containers.

mod capstone_support;
mod daemon_support;

use capstone_support::Engine;
use daemon_support::Daemon;

#[test]
fn a_missing_image_is_pulled_by_the_cli_after_a_404_then_tagged_and_removed() {
    let engine = Engine::new();
    let (registry, _layout) = engine.registry_with_busybox();
    let daemon = Daemon::start(&engine);
    let reference = format!("{}/lab/busybox:v1", registry.host());
    let run = daemon.run(&["run", "--rm", &reference, "/bin/busybox", "echo", "pulled"]);
    assert_eq!(run.code, 0, "{run:?}\n{}", daemon.log());
    assert_eq!(run.stdout, "pulled\n");
    assert!(run.stderr.contains("Unable to find image"), "{run:?}");
    let log = daemon.log();
    assert!(log.contains("POST /v1.41/containers/create → 404"), "{log}");
    assert!(log.contains("POST /v1.41/images/create?"), "{log}");
    // The store under the root holds it: the capstone CLI lists it too.
    assert!(engine.ok(&["images"]).contains("lab/busybox"));
    daemon.ok(&["tag", &reference, "mine:latest"]);
    let tags = daemon.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert!(tags.lines().any(|t| t == "mine:latest"), "{tags}");
    assert!(daemon.ok(&["history", "mine"]).lines().count() >= 2);
    daemon.ok(&["rmi", "mine"]);
    daemon.ok(&["rmi", &reference]);
    assert_eq!(daemon.ok(&["images", "-q"]), "");
    let missing = daemon.run(&["rmi", "nothing-here"]);
    assert_eq!(missing.code, 1, "{missing:?}");
}

#[test]
fn networks_and_volumes_are_made_used_and_removed_through_the_api() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    daemon.ok(&["network", "create", "appnet"]);
    daemon.ok(&["volume", "create", "data"]);
    let nets = daemon.ok(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(nets.lines().any(|n| n == "appnet"), "{nets}");
    daemon.ok(&[
        "run",
        "-d",
        "--name",
        "server",
        "--network",
        "appnet",
        "-v",
        "data:/data",
        "busybox",
        "sh",
        "-c",
        "echo kept > /data/file; exec sleep 1000",
    ]);
    // Another container on the network reaches it by name (the kernel carries the ping).
    let ping = daemon.run(&[
        "run",
        "--rm",
        "--network",
        "appnet",
        "busybox",
        "ping",
        "-c",
        "1",
        "server",
    ]);
    assert_eq!(ping.code, 0, "{ping:?}");
    let inspect = daemon.ok(&[
        "network",
        "inspect",
        "-f",
        "{{range .Containers}}{{.Name}}{{end}}",
        "appnet",
    ]);
    assert_eq!(inspect.trim(), "server");
    let filtered = daemon.ok(&[
        "ps",
        "--filter",
        "network=appnet",
        "--filter",
        "volume=data",
        "--format",
        "{{.Names}}",
    ]);
    assert_eq!(filtered.trim(), "server");
    let mountpoint = daemon.ok(&["volume", "inspect", "-f", "{{.Mountpoint}}", "data"]);
    assert_eq!(
        daemon.ok(&["exec", "server", "cat", "/data/file"]),
        "kept\n"
    );
    let on_host =
        std::fs::read_to_string(std::path::Path::new(mountpoint.trim()).join("file")).unwrap();
    assert_eq!(on_host, "kept\n");
    let df = daemon.ok(&[
        "system",
        "df",
        "--format",
        "{{.Type}} {{.TotalCount}} {{.Active}}",
    ]);
    assert!(
        df.contains("Local Volumes 1 1") && df.contains("Containers 1 1"),
        "{df}"
    );
    let busy = daemon.run(&["volume", "rm", "data"]);
    assert_ne!(busy.code, 0, "a volume in use is not removed: {busy:?}");
    daemon.ok(&["rm", "-f", "server"]);
    daemon.ok(&["network", "rm", "appnet"]);
    daemon.ok(&["volume", "rm", "data"]);
    assert!(!engine.ok(&["network", "ls"]).contains("appnet"));
    assert_eq!(daemon.ok(&["volume", "ls", "-q"]), "");
}

#[test]
fn the_python_sdk_runs_lists_reads_logs_and_removes() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let script = r#"
import docker
client = docker.from_env()
print(client.containers.run("busybox", ["echo", "from-sdk"], remove=True).decode(), end="")
c = client.containers.run("busybox", ["sh", "-c", "echo line; exec sleep 1000"], detach=True, name="sdk")
print([x.name for x in client.containers.list()])
for chunk in c.logs(stream=True, follow=True):  # the first line, as it comes
    print(chunk.decode(), end="")
    break
c.kill()
print(c.wait()["StatusCode"])
print(c.logs().decode(), end="")
c.remove()
print(len(client.containers.list(all=True)))
"#;
    // A deadline, so a reply that never comes fails the test instead of hanging it.
    let out = std::process::Command::new("timeout")
        .args(["120", "python3", "-c"])
        .arg(script)
        .env(
            "DOCKER_HOST",
            format!("unix://{}", daemon.socket().display()),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        daemon.log()
    );
    assert_eq!(stdout, "from-sdk\n['sdk']\nline\n137\nline\n0\n");
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
}

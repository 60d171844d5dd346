//! `networks: {x: {internal: true}}`: a network with no way out. Its containers reach each
//! other, but get no default route, and the firewall drops whatever would be routed off its
//! bridge (Docker: no gateway for the container, DROP rules in DOCKER-ISOLATION). Checked in
//! the containers' routing tables, by a connection that must fail where it succeeds from a
//! normal network, and in the nftables ruleset of the engine's namespace.

mod capstone_support;

use capstone_support::{Engine, compose, eventually};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

/// `hidden` on the internal network only, `open` on a normal one, `both` on the two (and
/// serving `both` over HTTP).
const FILE: &str = r#"name: sealed
services:
  hidden:
    image: busybox
    command: ["sleep", "1000"]
    networks: [inner]
  open:
    image: busybox
    command: ["sleep", "1000"]
    networks: [outer]
  both:
    image: busybox
    command: ["sh", "-c", "mkdir /www && echo both > /www/index.html && exec httpd -f -p 80 -h /www"]
    networks: [inner, outer]
networks:
  inner:
    internal: true
  outer: {}
"#;

/// The default route's gateway in a container (`/proc/net/route`, the kernel's own table:
/// destination 0, gateway in little-endian hex), if it has one.
fn default_gateway(engine: &Engine, dir: &Path, service: &str) -> Option<String> {
    let run = compose(
        engine,
        dir,
        &["exec", "-T", service, "cat", "/proc/net/route"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    run.stdout.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields[1] == "00000000").then(|| {
            let g = u32::from_str_radix(fields[2], 16).unwrap();
            std::net::Ipv4Addr::from(g.swap_bytes()).to_string()
        })
    })
}

/// `network inspect NAME`'s one document.
fn network(engine: &Engine, name: &str) -> serde_json::Value {
    first(&engine.ok(&["network", "inspect", name]))
}

fn first(json: &str) -> serde_json::Value {
    let mut list: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
    list.remove(0)
}

/// The default route's gateway in `/proc/net/route`'s text, if there is one (destination
/// 0; the gateway in the kernel's little-endian hex).
fn gateway_in(table: &str) -> Option<String> {
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        (fields[1] == "00000000").then(|| {
            let g = u32::from_str_radix(fields[2], 16).unwrap();
            std::net::Ipv4Addr::from(g.swap_bytes()).to_string()
        })
    })
}

#[test]
fn an_internal_network_has_no_route_out_but_its_containers_reach_each_other() {
    let engine = Engine::with_busybox();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), FILE).unwrap();
    // A server in the engine's namespace: "outside" for the containers.
    let listener = engine.in_netns(|| TcpListener::bind("0.0.0.0:0").unwrap());
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut request = [0u8; 1024];
            let _ = conn.read(&mut request);
            let _ = conn.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n");
        }
    });
    let up = compose(&engine, dir.path(), &["up", "-d"]);
    assert_eq!(up.code, 0, "{up:?}");
    assert!(!up.stderr.contains("warning"), "{}", up.stderr);

    let inner = network(&engine, "sealed_inner");
    let outer = network(&engine, "sealed_outer");
    assert_eq!(inner["Internal"], true);
    assert_eq!(outer["Internal"], false);
    let outer_gateway = outer["IPAM"]["Config"][0]["Gateway"].as_str().unwrap();

    // Routes: none out of `hidden`; `both` leaves through the normal network only.
    assert_eq!(default_gateway(&engine, dir.path(), "hidden"), None);
    assert_eq!(
        default_gateway(&engine, dir.path(), "open").as_deref(),
        Some(outer_gateway)
    );
    assert_eq!(
        default_gateway(&engine, dir.path(), "both").as_deref(),
        Some(outer_gateway)
    );

    // The outside answers `open`, not `hidden`.
    let url = format!("http://{outer_gateway}:{port}/");
    let fetch = |service: &str, url: &str| {
        let args = ["exec", "-T", service, "wget", "-q", "-O", "-", url];
        compose(&engine, dir.path(), &args)
    };
    let fetched = fetch("open", &url);
    assert_eq!(fetched.stdout, "hello\n", "{fetched:?}");
    let refused = fetch("hidden", &url);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stdout.is_empty());

    // Inside the internal network, names and packets still flow.
    let answer = eventually("both's httpd to answer hidden", || {
        let run = fetch("hidden", "http://both/");
        (run.code == 0).then_some(run.stdout)
    });
    assert_eq!(answer, "both\n");

    // The firewall seals the bridge both ways (lesson 06's rules, in the engine's namespace).
    let bridge = format!("br-{}", &inner["Id"].as_str().unwrap()[..12]);
    let ruleset = engine.in_netns(|| {
        let out = std::process::Command::new("nft")
            .args(["list", "chain", "ip", "lab", "forward"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    });
    for rule in [
        format!("iifname \"{bridge}\" oifname != \"{bridge}\" drop"),
        format!("oifname \"{bridge}\" iifname != \"{bridge}\" drop"),
    ] {
        assert!(ruleset.contains(&rule), "{rule} not in {ruleset}");
    }
    let down = compose(&engine, dir.path(), &["down", "-t", "1"]);
    assert_eq!(down.code, 0, "{down:?}");
}

/// What real Docker does with the same shape, asked through the docker CLI. Debian's dockerd
/// is 20.10: it still gave an internal network's containers a default route through the
/// bridge's own address, dropped by its firewall; Docker 25 and later configure none (moby
/// pull request 46603), which is what the capstone does. Both agree on `Internal`, and a
/// container also on a normal network leaves through that network's gateway.
#[test]
fn docker_routes_containers_of_an_internal_network_the_same_way() {
    let engine = Engine::with_busybox();
    let dockerd = capstone_support::dockerd_with(&engine, "busybox");
    dockerd.ok(&["network", "create", "--internal", "inner"]);
    dockerd.ok(&["network", "create", "outer"]);
    for name in ["hidden", "both"] {
        let run = ["run", "-d", "--name", name, "--network", "inner"];
        dockerd.ok(&[&run[..], &["busybox", "sleep", "1000"]].concat());
    }
    dockerd.ok(&["network", "connect", "outer", "both"]);
    let theirs = |name: &str| gateway_in(&dockerd.ok(&["exec", name, "cat", "/proc/net/route"]));
    // (20.10 leaves the gateway out of a user network's IPAM config: read the container's.)
    let gateway = |c: serde_json::Value, net: &str| {
        c["NetworkSettings"]["Networks"][net]["Gateway"]
            .as_str()
            .map(String::from)
    };
    let their_hidden = first(&dockerd.ok(&["inspect", "hidden"]));
    let their_both = first(&dockerd.ok(&["inspect", "both"]));
    let their_inner = first(&dockerd.ok(&["network", "inspect", "inner"]));

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), FILE).unwrap();
    let up = compose(&engine, dir.path(), &["up", "-d"]);
    assert_eq!(up.code, 0, "{up:?}");
    let our_inner = network(&engine, "sealed_inner");

    assert_eq!(their_inner["Internal"], true);
    assert_eq!(our_inner["Internal"], true);
    let old_docker = theirs("hidden");
    assert!(
        old_docker.is_none() || old_docker == gateway(their_hidden, "inner"),
        "{old_docker:?}"
    );
    assert_eq!(default_gateway(&engine, dir.path(), "hidden"), None);
    assert_eq!(theirs("both"), gateway(their_both, "outer"));
    assert_eq!(
        default_gateway(&engine, dir.path(), "both"),
        gateway(engine.inspect("sealed-both-1"), "sealed_outer")
    );
    let down = compose(&engine, dir.path(), &["down", "-t", "1"]);
    assert_eq!(down.code, 0, "{down:?}");
}

#[test]
fn network_create_internal_gives_run_containers_no_default_route() {
    let engine = Engine::with_busybox();
    engine.ok(&["network", "create", "--internal", "lonely"]);
    assert_eq!(network(&engine, "lonely")["Internal"], true);
    let routes = engine.ok(&[
        "run",
        "--rm",
        "--network",
        "lonely",
        "busybox",
        "cat",
        "/proc/net/route",
    ]);
    assert_eq!(gateway_in(&routes), None, "{routes}");
    assert_eq!(
        routes.lines().count(),
        2,
        "only the subnet's own route: {routes}"
    );
    engine.ok(&["network", "rm", "lonely"]);
}

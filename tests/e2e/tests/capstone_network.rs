//! Bridge networking in the capstone (lesson 06 under `run --network` and `-p`): containers on
//! a user network reach each other by name and address, published ports answer on the host's
//! addresses, `--network none` has only loopback, and every way a container ends leaves no
//! veth, no nftables entry and no lease behind. Every engine command runs inside the test's
//! own network namespace (see `capstone_support`), which is also the "host" we inspect with
//! `ip` and `nft`; the machine's interfaces and firewall are never touched.

mod capstone_support;

use capstone_support::Engine;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use serde_json::Value;
use std::net::SocketAddr;
use std::os::fd::{AsFd, FromRawFd};
use std::time::Duration;

/// How long a server in a container may take to listen (an upper bound, not a sleep).
const READY: Duration = Duration::from_secs(10);

/// A web server whose page is `text`, in busybox's httpd.
fn web_server(text: &str) -> String {
    format!("mkdir -p /www && echo {text} > /www/index.html && exec httpd -f -p 80 -h /www")
}

/// `GET /` from the engine's namespace (the "host"), waiting for something to listen.
fn http_get(engine: &Engine, addr: &str) -> String {
    let addr: SocketAddr = addr.parse().unwrap();
    engine
        .in_netns(|| network::probe::http_get(addr, READY))
        .unwrap_or_else(|e| panic!("GET http://{addr}/: {e}"))
}

/// The container's address on `network`, from `inspect`.
fn address(engine: &Engine, container: &str, network: &str) -> String {
    let c = engine.inspect(container);
    c["NetworkSettings"]["Networks"][network]["IPAddress"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The leases lesson 06's IPAM holds for `network`, from its state file.
fn leases(engine: &Engine, network: &str) -> usize {
    let path = engine.root.path().join("networks/networks.json");
    let state: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    state["networks"][network]["leases"]
        .as_object()
        .map_or(0, |l| l.len())
}

/// Whether host port `port` is in the engine's published-port map (an element
/// `PORT : ADDRESS . PORT` of lesson 06's `tcp_ports`; a bare number could also match a
/// random bridge name elsewhere in the ruleset).
fn published(engine: &Engine, port: u16) -> bool {
    engine.netns.nft_ruleset().contains(&format!("{port} : "))
}

/// [`veths`] once the kernel has deleted every pair it was left (a container's pair goes with
/// its network namespace, in the kernel's own worker, a moment after the engine returns),
/// or whatever is still there after 10 s.
fn veths_once_settled(engine: &Engine) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left = veths(engine);
        if left.is_empty() || std::time::Instant::now() > deadline {
            return left;
        }
    }
}

/// Host ends of veth pairs in the engine's namespace (lesson 06 names them `vl…`).
fn veths(engine: &Engine) -> Vec<String> {
    let links = engine.netns.links();
    links.into_iter().filter(|l| l.starts_with("vl")).collect()
}

#[test]
fn containers_on_a_user_network_reach_each_other_by_name_and_address() {
    let engine = Engine::with_busybox();
    engine.ok(&["network", "create", "app"]);
    engine.detached(&[
        "--name",
        "web",
        "--network",
        "app",
        "busybox",
        "sh",
        "-c",
        &web_server("hello-from-web"),
    ]);
    let web_ip = address(&engine, "web", "app");
    // Ready when it answers (from the host side, through the bridge).
    assert!(http_get(&engine, &format!("{web_ip}:80")).contains("hello-from-web"));
    let out = engine.ok(&[
        "run",
        "--rm",
        "--network",
        "app",
        "busybox",
        "sh",
        "-c",
        &format!(
            "ping -c1 -W5 {web_ip} >/dev/null && wget -qO- http://web/ && grep -w web /etc/hosts"
        ),
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "hello-from-web", "{out}");
    assert!(lines[1].starts_with(&format!("{web_ip}\tweb ")), "{out}");
}

#[test]
fn a_bridged_container_has_eth0_a_default_route_and_resolv_conf() {
    let engine = Engine::with_busybox();
    let out = engine.ok(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "ip -o -4 addr show eth0; ip route show default; grep -c nameserver /etc/resolv.conf",
    ]);
    assert!(out.contains("inet 172.30.0."), "{out}");
    assert!(out.contains("default via 172.30.0.1 dev eth0"), "{out}");
    assert!(out.lines().last().unwrap().parse::<u32>().unwrap() >= 1);
    // The default network was made on first use, on the engine's "host".
    assert!(engine.netns.links().contains(&"capstone0".to_string()));
}

#[test]
fn network_none_has_only_loopback() {
    let engine = Engine::with_busybox();
    let out = engine.ok(&[
        "run",
        "--rm",
        "--network",
        "none",
        "busybox",
        "ip",
        "-o",
        "link",
    ]);
    let names: Vec<&str> = out.lines().filter_map(|l| l.split(": ").nth(1)).collect();
    assert_eq!(names, ["lo"], "{out}");
    assert!(!engine.netns.links().contains(&"capstone0".to_string()));
}

#[test]
fn a_published_port_answers_on_the_hosts_loopback_and_address() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&[
        "--name",
        "pub",
        "-p",
        "8080:80",
        "busybox",
        "sh",
        "-c",
        &web_server("published"),
    ]);
    let ip = address(&engine, "pub", "bridge");
    assert!(http_get(&engine, &format!("{ip}:80")).contains("published"));
    assert!(http_get(&engine, "127.0.0.1:8080").contains("published"));
    assert!(http_get(&engine, "172.30.0.1:8080").contains("published"));
    let ps = engine.ok(&["ps"]);
    assert!(ps.contains("0.0.0.0:8080->80/tcp"), "{ps}");
    assert_eq!(engine.ok(&["port", "pub"]), "80/tcp -> 0.0.0.0:8080\n");
    let c = engine.inspect(&id);
    assert_eq!(
        c["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"],
        "8080"
    );
    assert_eq!(
        c["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"],
        "8080"
    );
    assert_eq!(c["HostConfig"]["NetworkMode"], "bridge");
    assert_eq!(c["NetworkSettings"]["IPAddress"], ip.as_str());
    assert_eq!(c["NetworkSettings"]["Gateway"], "172.30.0.1");
    assert_eq!(c["Config"]["ExposedPorts"]["80/tcp"], serde_json::json!({}));
}

#[test]
fn a_port_without_a_host_port_gets_a_free_one() {
    let engine = Engine::with_busybox();
    engine.detached(&[
        "--name",
        "any",
        "-p",
        "80",
        "busybox",
        "sh",
        "-c",
        &web_server("any"),
    ]);
    let port = engine.ok(&["port", "any"]);
    let host_port = port.trim().rsplit(':').next().unwrap();
    assert!(host_port.parse::<u16>().unwrap() > 0, "{port}");
    assert!(http_get(&engine, &format!("127.0.0.1:{host_port}")).contains("any"));
}

#[test]
fn a_udp_port_is_published_beside_tcp_of_the_same_number_and_answers() {
    let engine = Engine::with_busybox();
    let args = [
        "-p",
        "5353:53/udp",
        "-p",
        "5353:53",
        "busybox",
        "sleep",
        "1000",
    ];
    let id = engine.detached(&args);
    let port = engine.ok(&["port", &id]);
    assert!(port.contains("53/udp -> 0.0.0.0:5353"), "{port}");
    assert!(port.contains("53/tcp -> 0.0.0.0:5353"), "{port}");
    assert!(engine.ok(&["ps"]).contains("0.0.0.0:5353->53/udp"));
    let inspect = engine.inspect(&id);
    assert_eq!(
        inspect["NetworkSettings"]["Ports"]["53/udp"][0]["HostPort"],
        "5353"
    );
    // busybox has no UDP server: bind one in the container's network namespace from here
    // (a socket made in a namespace stays in it) and echo one datagram.
    let pid = inspect["State"]["Pid"].as_u64().unwrap() as u32;
    let container_ns = network::NetNs::of_pid(pid).unwrap();
    let echo = network::probe::udp_echo_once(&container_ns, 53, READY).unwrap();
    let local: SocketAddr = "127.0.0.1:5353".parse().unwrap();
    let reply = engine.in_netns(|| network::probe::udp_ask(local, "over udp", READY));
    echo.join().unwrap().unwrap();
    assert_eq!(reply.unwrap(), "over udp");
    let rules = engine.netns.nft_ruleset();
    assert!(rules.contains("udp dport map @udp_ports"), "{rules}");
    engine.ok(&["rm", "-f", &id]);
    assert!(!published(&engine, 5353), "{}", engine.netns.nft_ruleset());
}

#[test]
fn rm_and_exit_leave_no_veth_no_published_port_and_no_lease() {
    let engine = Engine::with_busybox();
    engine.ok(&["network", "create", "app"]);
    let args = [
        "--network",
        "app",
        "-p",
        "8081:80",
        "busybox",
        "sleep",
        "1000",
    ];
    let id = engine.detached(&args);
    assert_eq!(veths(&engine).len(), 1);
    assert_eq!(leases(&engine, "app"), 1);
    assert!(published(&engine, 8081));
    engine.ok(&["rm", "-f", &id]);
    // --rm: the monitor tears down at the exit, then removes.
    engine.ok(&[
        "run",
        "--rm",
        "--network",
        "app",
        "-p",
        "8082:80",
        "busybox",
        "true",
    ]);
    // A plain exit, then system prune.
    engine.ok(&[
        "run",
        "--network",
        "app",
        "-p",
        "8083:80",
        "busybox",
        "true",
    ]);
    assert_eq!(leases(&engine, "app"), 0, "released at exit");
    let pruned = engine.ok(&["system", "prune", "-f"]);
    assert!(
        veths_once_settled(&engine).is_empty(),
        "{:?}",
        engine.netns.links()
    );
    assert_eq!(leases(&engine, "app"), 0);
    for port in [8081, 8082, 8083] {
        assert!(!published(&engine, port), "{}", engine.netns.nft_ruleset());
    }
    // With no container left on it, the prune removed the network too: bridge, rules, record.
    assert!(pruned.contains("Deleted Networks:\napp\n"), "{pruned}");
    let links = engine.netns.links();
    assert!(!links.iter().any(|l| l.starts_with("br-")), "{links:?}");
    let rules = engine.netns.nft_ruleset();
    assert!(!rules.contains("net app"), "{rules}");
    let networks = engine.ok(&["network", "ls"]);
    assert!(
        networks.contains(" none ") && !networks.contains(" app "),
        "{networks}"
    );
}

#[test]
fn connect_and_disconnect_plug_a_running_container_in_and_out() {
    let engine = Engine::with_busybox();
    engine.ok(&["network", "create", "--subnet", "10.123.0.0/24", "back"]);
    let id = engine.detached(&["--name", "worker", "busybox", "sleep", "1000"]);
    engine.ok(&["network", "connect", "back", "worker"]);
    let addrs = engine.ok(&["exec", "worker", "ip", "-o", "-4", "addr", "show", "eth1"]);
    assert!(addrs.contains("inet 10.123.0.2/24"), "{addrs}");
    let net: Value = serde_json::from_str(&engine.ok(&["network", "inspect", "back"])).unwrap();
    let member = &net[0]["Containers"][&id];
    assert_eq!(member["Name"], "worker");
    assert_eq!(member["IPv4Address"], "10.123.0.2/24");
    assert_eq!(net[0]["IPAM"]["Config"][0]["Subnet"], "10.123.0.0/24");
    assert_eq!(net[0]["IPAM"]["Config"][0]["Gateway"], "10.123.0.1");
    // Refused while attached; fine after disconnect.
    let busy = engine.run(&["network", "rm", "back"]);
    assert_eq!(busy.code, 1);
    assert!(busy.stderr.contains("is attached"), "{}", busy.stderr);
    engine.ok(&["network", "disconnect", "back", "worker"]);
    let links = engine.ok(&["exec", "worker", "ip", "-o", "link"]);
    assert!(
        links.contains(": eth0@") && !links.contains("eth1"),
        "{links}"
    );
    assert_eq!(leases(&engine, "back"), 0);
    engine.ok(&["network", "rm", "back"]);
}

#[test]
fn bad_network_input_is_refused_with_a_clear_error_and_leaves_nothing() {
    let engine = Engine::with_busybox();
    for (args, says) in [
        (
            &["run", "--network", "moon", "busybox", "true"][..],
            "network moon not found",
        ),
        (&["run", "-p", "99999:80", "busybox", "true"], "invalid -p"),
        (
            &["run", "-p", "53:53/sctp", "busybox", "true"],
            "tcp or udp",
        ),
        (
            &["run", "-p", "80:80", "-p", "80:81", "busybox", "true"],
            "published twice",
        ),
        (
            &["run", "--network", "none", "-p", "80:80", "busybox", "true"],
            "--network none",
        ),
    ] {
        let run = engine.run(args);
        assert_eq!(run.code, 125, "{args:?}: {run:?}");
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
    assert_eq!(engine.ok(&["ps", "-aq"]), "");
    engine.ok(&["network", "create", "--subnet", "10.124.0.0/16", "one"]);
    let taken = engine.run(&["network", "create", "one"]);
    assert!(
        taken.code == 1 && taken.stderr.contains("already exists"),
        "{taken:?}"
    );
    let overlap = engine.run(&["network", "create", "--subnet", "10.124.5.0/24", "two"]);
    assert!(
        overlap.code == 1 && overlap.stderr.contains("overlaps"),
        "{overlap:?}"
    );
    let bad = engine.run(&["network", "create", "--subnet", "10.124.0.1/16", "three"]);
    assert!(bad.code == 1 && bad.stderr.contains("CIDR"), "{bad:?}");
    for verb in ["create", "rm"] {
        let predefined = engine.run(&["network", verb, "bridge"]);
        assert!(
            predefined.code == 1 && predefined.stderr.contains("predefined"),
            "{predefined:?}"
        );
    }
    // A host port already published: the second start fails at the gate and leaves nothing.
    engine.detached(&["-p", "8090:80", "busybox", "sleep", "1000"]);
    let second = engine.run(&["run", "-d", "-p", "8090:80", "busybox", "sleep", "1000"]);
    assert_eq!(second.code, 125, "{second:?}");
    assert!(
        second.stderr.contains("already published"),
        "{}",
        second.stderr
    );
    assert_eq!(veths(&engine).len(), 1, "{:?}", engine.netns.links());
    assert_eq!(leases(&engine, "bridge"), 1);
}

#[test]
fn a_container_whose_monitor_was_killed_gives_its_address_back_when_reconciled() {
    let engine = Engine::with_busybox();
    let id = engine.detached(&["-p", "8085:80", "busybox", "sleep", "1000"]);
    assert!(published(&engine, 8085), "{}", engine.netns.nft_ruleset());
    let pid = engine.inspect(&id)["State"]["Pid"].as_i64().unwrap() as i32;
    // The monitor is the container's parent (field 4 of /proc/PID/stat, proc_pid_stat(5)).
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let monitor: i32 = after_name.split(' ').nth(1).unwrap().parse().unwrap();
    for victim in [monitor, pid] {
        // A pidfd (pidfd_open(2)) becomes readable when its process has exited: the event.
        // SAFETY: a plain system call with two integer arguments.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, victim, 0) } as i32;
        assert!(fd >= 0, "pidfd_open({victim})");
        // SAFETY: we own the fresh descriptor.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
        let victim = nix::unistd::Pid::from_raw(victim);
        nix::sys::signal::kill(victim, nix::sys::signal::Signal::SIGKILL).unwrap();
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        assert_eq!(poll(&mut fds, PollTimeout::from(10_000u16)).unwrap(), 1);
    }
    // `ps -a` shows both are gone, and changes nothing: looking has no side effects.
    let ps = engine.ok(&["ps", "-a"]);
    assert!(ps.contains("Exited (255)"), "{ps}");
    assert_eq!(
        leases(&engine, "bridge"),
        1,
        "ps must not tear the network down"
    );
    // The engine reconciles before it hands out anything (here at `create`): it records the
    // exit and gives the address and the published port back.
    engine.ok(&["create", "busybox", "true"]);
    assert_eq!(leases(&engine, "bridge"), 0);
    assert!(!published(&engine, 8085));
    assert_eq!(engine.inspect(&id)["NetworkSettings"]["IPAddress"], "");
}

#[test]
fn network_ls_layout_matches_docker() {
    let engine = Engine::new();
    engine.ok(&["network", "create", "app"]);
    let ls = engine.ok(&["network", "ls"]);
    // The ids are the only part that changes between runs: every one is 12 hex digits, so
    // the columns stay where they are when each is replaced by 12 x's.
    let redacted: Vec<String> = ls
        .lines()
        .map(|l| match l.split_once(' ') {
            Some((id, rest)) if id.len() == 12 && id.chars().all(|c| c.is_ascii_hexdigit()) => {
                format!("{} {rest}", "x".repeat(12))
            }
            _ => l.to_string(),
        })
        .collect();
    insta::assert_snapshot!(redacted.join("\n"));
}

#[test]
fn the_images_exposed_ports_are_recorded_and_listed_beside_published_ones() {
    let engine = Engine::with_busybox();
    let context = tempfile::tempdir().unwrap();
    std::fs::write(
        context.path().join("Dockerfile"),
        "FROM busybox\nEXPOSE 443\n",
    )
    .unwrap();
    engine.ok(&[
        "build",
        "-q",
        "-t",
        "exposed",
        context.path().to_str().unwrap(),
    ]);
    let id = engine.detached(&["-p", "8086:80", "exposed", "sleep", "1000"]);
    let ps = engine.ok(&["ps"]);
    assert!(ps.contains("0.0.0.0:8086->80/tcp, 443/tcp"), "{ps}");
    let exposed = &engine.inspect(&id)["Config"]["ExposedPorts"];
    assert!(exposed.get("443/tcp").is_some() && exposed.get("80/tcp").is_some());
    engine.ok(&["stop", "-t", "0", &id]);
    let ps = engine.ok(&["ps", "-a"]);
    let row = ps.lines().find(|l| l.starts_with(&id[..12]));
    let row = row.unwrap_or_else(|| panic!("the stopped container is listed: {ps}"));
    assert!(
        row.contains("Exited (") && !row.contains("/tcp"),
        "no ports shown once it stopped: {ps}"
    );
}

#[test]
fn an_image_whose_etc_is_a_symlink_to_the_host_cannot_make_the_engine_write_there() {
    // The engine binds its hosts and resolv.conf into the new root while it still sees the
    // host's `/`. An image whose `/etc` is an absolute symlink to a host directory must not
    // make it create or mount anything in that directory.
    let engine = Engine::new();
    let outside = tempfile::tempdir().unwrap();
    engine.import_busybox_changed("hostile", |tree| {
        std::fs::remove_dir_all(tree.join("etc")).unwrap();
        std::os::unix::fs::symlink(outside.path(), tree.join("etc")).unwrap();
    });

    let out = engine.ok(&["run", "--rm", "hostile", "cat", "/etc/hosts"]);

    assert!(
        out.contains("localhost"),
        "the container got its hosts file: {out}"
    );
    let written: Vec<_> = std::fs::read_dir(outside.path()).unwrap().collect();
    assert!(
        written.is_empty(),
        "the engine wrote into the host directory the image's /etc names: {written:?}"
    );
}

#[test]
fn a_stopped_container_connected_to_a_network_joins_it_when_it_starts() {
    let engine = Engine::with_busybox();
    // "alpha" sorts before "bridge": eth0 must still be --network's.
    engine.ok(&["network", "create", "--subnet", "10.125.0.0/24", "alpha"]);
    let args = [
        "--name",
        "late",
        "--network",
        "default",
        "busybox",
        "ip",
        "-o",
        "-4",
        "addr",
    ];
    let mut create = vec!["create"];
    create.extend(args);
    engine.ok(&create);
    engine.ok(&["network", "connect", "alpha", "late"]);
    let out = engine.ok(&["start", "-a", "late"]);
    assert!(
        out.contains("eth0    inet 172.30.0.2/16"),
        "default is bridge: {out}"
    );
    assert!(out.contains("eth1    inet 10.125.0.2/24"), "{out}");
    assert_eq!(leases(&engine, "alpha"), 0, "given back at the exit");
}

#[test]
fn a_run_whose_image_cannot_be_found_makes_no_bridge() {
    let engine = Engine::new();

    let run = engine.run(&["run", "--rm", "127.0.0.1:9/nowhere/nothing", "true"]);

    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        !engine.netns.links().contains(&"capstone0".to_string()),
        "the default network was made for a container that never existed"
    );
}

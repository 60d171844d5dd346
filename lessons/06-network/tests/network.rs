//! The network driver, tested inside a throwaway namespace that plays the host
//! (`harness::netns::TestNetns`): reachability, isolation, teardown and bad input.
//! Kernel state is read back with the real `ip` and `nft`, not with the code under test.

use std::net::SocketAddr;
use std::time::Duration;

use harness::netns::TestNetns;
use network::firewall::Firewall;
use network::netlink::Netlink;
use network::{Error, Networks, Sandbox, Subnet};

fn subnet(s: &str) -> Subnet {
    s.parse().unwrap()
}

/// The links a sandbox sees, from `ip -o link` run inside it (which must succeed).
fn links_inside(sandbox: &Sandbox) -> Vec<String> {
    let out = sandbox.command("ip").args(["-o", "link"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ip -o link failed: {out:?}");
    text.lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|name| name.split('@').next().unwrap_or(name).to_string())
        .collect()
}

fn ping(from: &Sandbox, target: &str) -> bool {
    let out = from
        .command("busybox")
        .args(["ping", "-c", "1", "-W", "2", target])
        .output()
        .unwrap();
    out.status.success()
}

#[test]
fn containers_on_one_network_ping_each_other_by_address_and_name() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    host.run(|| {
        nets.create("n", "brn", subnet("10.90.0.0/24")).unwrap();
        let hosts = nets.hosts_file("n");
        let a = Sandbox::start("a", Some(&hosts)).unwrap();
        let b = Sandbox::start("b", Some(&hosts)).unwrap();
        let at_a = nets.connect("n", "a", a.netns()).unwrap();
        let at_b = nets.connect("n", "b", b.netns()).unwrap();
        assert_ne!(at_a.addr, at_b.addr);
        assert!(
            ping(&a, &at_b.addr.to_string()),
            "a cannot ping b's address"
        );
        assert!(ping(&b, "a"), "b cannot ping a by name");
        let resolved = a
            .command("busybox")
            .args(["ping", "-c", "1", "b"])
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&resolved.stdout).contains(&format!("({})", at_b.addr)));
        // Both host ends are plugged into the bridge (checked with iproute2, not our code).
        let ports = host.ip(&["-o", "link", "show", "master", "brn"]);
        assert_eq!(ports.lines().count(), 2, "{ports}");
    });
}

#[test]
fn container_inside_sees_eth0_address_and_default_route() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    host.run(|| {
        nets.create("n", "brn", subnet("10.91.0.0/24")).unwrap();
        let a = Sandbox::start("a", None).unwrap();
        nets.connect("n", "a", a.netns()).unwrap();
        let addr = a
            .command("ip")
            .args(["-4", "-o", "addr", "show", "eth0"])
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&addr.stdout).contains("10.91.0.2/24"));
        let route = a
            .command("ip")
            .args(["route", "show", "default"])
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&route.stdout).contains("default via 10.91.0.1 dev eth0"));
    });
}

#[test]
fn published_port_answers_on_the_hosts_loopback() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("index.html"), "published!\n").unwrap();
    let nets = Networks::new(dir.path());
    let body = host.run(|| {
        nets.create("n", "brn", subnet("10.92.0.0/24")).unwrap();
        let web = Sandbox::start("web", None).unwrap();
        nets.connect("n", "web", web.netns()).unwrap();
        let root = root.path().to_str().unwrap();
        let mut httpd = web
            .command("busybox")
            .args(["httpd", "-f", "-p", "80", "-h", root])
            .spawn()
            .unwrap();
        nets.publish("n", "web", 18080, 80).unwrap();
        let local: SocketAddr = "127.0.0.1:18080".parse().unwrap();
        let answer = network::probe::http_get(local, Duration::from_secs(10));
        httpd.kill().unwrap();
        httpd.wait().unwrap();
        answer.unwrap()
    });
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.ends_with("published!\n"), "{body}");
    assert_eq!(host.sysctl("net/ipv4/conf/brn/route_localnet"), "1");
}

#[test]
fn published_udp_port_answers_on_the_hosts_loopback_beside_tcp_of_the_same_number() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    let reply = host.run(|| {
        nets.create("n", "brn", subnet("10.93.0.0/24")).unwrap();
        let dns = Sandbox::start("dns", None).unwrap();
        nets.connect("n", "dns", dns.netns()).unwrap();
        let wait = Duration::from_secs(10);
        let echo = network::probe::udp_echo_once(dns.netns(), 53, wait).unwrap();
        let udp = network::firewall::Protocol::Udp;
        nets.publish_protocol("n", "dns", udp, 18053, 53).unwrap();
        // TCP 18053 is another port: publishing it too is fine; UDP 18053 again is not.
        nets.publish("n", "dns", 18053, 53).unwrap();
        let again = nets
            .publish_protocol("n", "dns", udp, 18053, 53)
            .unwrap_err();
        assert!(
            again.to_string().contains("18053/udp is already published"),
            "{again}"
        );
        let local: SocketAddr = "127.0.0.1:18053".parse().unwrap();
        let reply = network::probe::udp_ask(local, "ping over udp", wait);
        echo.join().unwrap().unwrap();
        let published = nets.firewall().published().unwrap();
        assert_eq!(published.len(), 2, "{published:?}");
        nets.disconnect("n", "dns").unwrap();
        assert!(nets.firewall().published().unwrap().is_empty());
        reply.unwrap()
    });
    assert_eq!(reply, "ping over udp");
    assert!(host.nft_ruleset().contains("udp dport map @udp_ports"));
}

#[test]
fn container_on_another_network_cannot_reach() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    host.run(|| {
        nets.create("one", "br1", subnet("10.93.1.0/24")).unwrap();
        nets.create("two", "br2", subnet("10.93.2.0/24")).unwrap();
        let (a, b, c) = (
            Sandbox::start("a", None).unwrap(),
            Sandbox::start("b", None).unwrap(),
            Sandbox::start("c", None).unwrap(),
        );
        nets.connect("one", "a", a.netns()).unwrap();
        let at_b = nets.connect("one", "b", b.netns()).unwrap();
        nets.connect("two", "c", c.netns()).unwrap();
        let b_addr = at_b.addr.to_string();
        assert!(ping(&a, &b_addr), "control: a (same network) must reach b");
        assert!(!ping(&c, &b_addr), "c (other network) must not reach b");
    });
    // The drop rule exists for each network.
    let rules = host.nft_ruleset();
    assert!(
        rules.contains("iifname \"br1\" oifname @bridges oifname != \"br1\" drop"),
        "{rules}"
    );
}

#[test]
fn an_internal_network_gives_no_default_route_and_drops_what_would_leave_its_bridge() {
    use network::uplink::{OUTSIDE_ADDR, Uplink};
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    host.run(|| {
        let _uplink = Uplink::create("uplink").unwrap();
        nets.create_with("sealed", "brs", subnet("10.94.1.0/24"), true)
            .unwrap();
        nets.create("open", "bro", subnet("10.94.2.0/24")).unwrap();
        let (a, b, c) = (
            Sandbox::start("a", None).unwrap(),
            Sandbox::start("b", None).unwrap(),
            Sandbox::start("c", None).unwrap(),
        );
        nets.connect("sealed", "a", a.netns()).unwrap();
        let at_b = nets.connect("sealed", "b", b.netns()).unwrap();
        nets.connect("open", "c", c.netns()).unwrap();
        let outside = OUTSIDE_ADDR.to_string();
        assert!(
            ping(&c, &outside),
            "control: c (normal network) must reach outside"
        );
        assert!(
            ping(&a, &at_b.addr.to_string()),
            "a must reach b on its own network"
        );
        let default = a
            .command("ip")
            .args(["route", "show", "default"])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&default.stdout),
            "",
            "no default route"
        );
        assert!(!ping(&a, &outside), "a has no route out");
        // Even a route the container makes itself leads nowhere: the firewall drops it.
        let added = a
            .command("ip")
            .args(["route", "add", "default", "via", "10.94.1.1"])
            .status()
            .unwrap();
        assert!(added.success());
        assert!(
            !ping(&a, &outside),
            "the sealed bridge must drop a's packets"
        );
    });
    let rules = host.nft_ruleset();
    assert!(
        rules.contains("iifname \"brs\" oifname != \"brs\" drop"),
        "{rules}"
    );
    assert!(
        !rules.contains("iifname \"bro\" oifname != \"bro\" drop"),
        "{rules}"
    );
}

#[test]
fn teardown_leaves_no_links_rules_or_leases() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    host.run(|| {
        nets.create("n", "brn", subnet("10.94.0.0/24")).unwrap();
        let a = Sandbox::start("a", None).unwrap();
        let b = Sandbox::start("b", None).unwrap();
        nets.connect("n", "a", a.netns()).unwrap();
        nets.connect("n", "b", b.netns()).unwrap();
        nets.publish("n", "a", 18081, 80).unwrap();

        // Disconnecting one container removes its veth, its published port and its lease.
        nets.disconnect("n", "a").unwrap();
        assert!(nets.firewall().published().unwrap().is_empty());
        assert_eq!(nets.network("n").unwrap().leases.len(), 1);
        assert_eq!(links_inside(&a), ["lo"], "a's eth0 went with its veth");
        assert!(
            host.nft_ruleset().contains("table ip lab"),
            "the network's rules"
        );

        nets.remove("n").unwrap();
    });
    assert_eq!(host.links(), vec!["lo".to_string()]);
    let rules = host.nft_ruleset();
    assert!(!rules.contains("table ip lab"), "{rules}");
    let state = network::ipam::Ipam::new(dir.path()).read().unwrap();
    assert!(state.networks.is_empty());
    assert!(!nets.hosts_file("n").exists());
}

/// The host ends of veth pairs in `host` (lesson 06 names them `vl…`), read with `ip`.
fn host_veths(host: &TestNetns) -> Vec<String> {
    let links = host.links();
    links.into_iter().filter(|l| l.starts_with("vl")).collect()
}

#[test]
fn disconnect_exited_leaves_the_pair_to_the_kernel_which_deletes_it_with_the_namespace() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    host.run(|| {
        nets.create("n", "brn", subnet("10.97.0.0/24")).unwrap();
        let a = Sandbox::start("a", None).unwrap();
        nets.connect("n", "a", a.netns()).unwrap();
        drop(a); // its last process dies, and with it the namespace
        nets.disconnect_exited("n", "a", false).unwrap();
        assert!(nets.network("n").unwrap().leases.is_empty());
    });
    // The kernel's netns worker deletes both ends, a moment later: poll with a deadline.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !host_veths(&host).is_empty() && std::time::Instant::now() < deadline {}
    assert!(host_veths(&host).is_empty(), "{:?}", host.links());
    host.run(|| nets.remove("n").unwrap());
}

#[test]
fn a_link_that_vanished_between_lookup_and_delete_is_told_apart_as_no_such_device() {
    // Teardown looks a veth up by name and then deletes it by index; a dying namespace can
    // take the pair away in between. The kernel's answer then is ENODEV, which teardown
    // treats as "already gone" — it must not be confused with a real refusal.
    let host = TestNetns::new();
    host.run(|| {
        let mut nl = Netlink::open().unwrap();
        nl.add_bridge("gone0").unwrap();
        let index = nl.link("gone0").unwrap().index;
        nl.delete_link(index).unwrap();
        let again = nl.delete_link(index).unwrap_err();
        assert!(again.is_no_such_device(), "{again}");
        assert!(!again.is_already_exists(), "{again}");
    });
}

#[test]
fn an_address_leased_again_before_the_kernel_deleted_its_old_pair_still_connects() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    host.run(|| {
        // A /30 has one address besides the gateway, so `b` must get `a`'s again.
        nets.create("n", "brn", subnet("10.98.0.0/30")).unwrap();
        // `a` stays alive, so its namespace and the old pair outlive the released lease:
        // the worst case of a kernel that has not got round to deleting it yet.
        let a = Sandbox::start("a", None).unwrap();
        let at_a = nets.connect("n", "a", a.netns()).unwrap();
        nets.disconnect_exited("n", "a", false).unwrap();
        assert_eq!(host_veths(&host), vec![at_a.host_veth.clone()]);
        let b = Sandbox::start("b", None).unwrap();
        let at_b = nets.connect("n", "b", b.netns()).unwrap();
        assert_eq!(
            at_b.addr, at_a.addr,
            "the released address is the first free one"
        );
        // The stale pair was deleted (a has no eth0 left) and b's is the one on the bridge.
        assert_eq!(links_inside(&a), ["lo"]);
        let ports = host.ip(&["-o", "link", "show", "master", "brn"]);
        assert_eq!(ports.lines().count(), 1, "{ports}");
        assert!(
            ping(&b, &at_b.gateway.to_string()),
            "b cannot reach its gateway"
        );
        nets.disconnect("n", "b").unwrap();
        nets.remove("n").unwrap();
    });
}

#[test]
fn addresses_are_handed_out_serially_and_a_released_one_only_after_a_round() {
    let dir = tempfile::tempdir().unwrap();
    let ipam = network::ipam::Ipam::new(dir.path());
    // 10.96.0.0/29: gateway .1, containers .2 to .6.
    ipam.update(|s| s.add_network("n", "brn", subnet("10.96.0.0/29")))
        .unwrap();
    let lease = |owner: &str| ipam.update(|s| s.allocate("n", owner)).unwrap().to_string();
    assert_eq!(lease("a"), "10.96.0.2");
    assert_eq!(lease("b"), "10.96.0.3");
    ipam.update(|s| s.release("n", "a")).unwrap();
    // Not .2, just given back (another container may still have it in its ARP cache).
    assert_eq!(lease("c"), "10.96.0.4");
    assert_eq!(lease("d"), "10.96.0.5");
    assert_eq!(lease("e"), "10.96.0.6");
    // At the end of the subnet, round to the start: .2 is free again, .3 is still b's.
    assert_eq!(lease("f"), "10.96.0.2");
    let full = ipam.update(|s| s.allocate("n", "g")).unwrap_err();
    assert!(
        matches!(full, network::ipam::Error::Exhausted { .. }),
        "{full}"
    );
}

#[test]
fn concurrent_allocations_never_share_an_address() {
    let dir = tempfile::tempdir().unwrap();
    let ipam = network::ipam::Ipam::new(dir.path());
    ipam.update(|s| s.add_network("n", "brn", subnet("10.95.0.0/24")))
        .unwrap();
    // Eight workers with their own Ipam (their own lock file descriptions, as separate
    // processes would have) allocate at the same time.
    let addrs: Vec<_> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..8)
            .map(|w| {
                let ipam = network::ipam::Ipam::new(dir.path());
                s.spawn(move || {
                    (0..10)
                        .map(|i| {
                            ipam.update(|st| st.allocate("n", &format!("c{w}-{i}")))
                                .unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let unique: std::collections::BTreeSet<_> = addrs.iter().collect();
    assert_eq!(unique.len(), 80);
    assert_eq!(ipam.read().unwrap().networks["n"].leases.len(), 80);
}

#[test]
fn overlapping_subnet_is_refused_and_nothing_is_made() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    let err = host.run(|| {
        nets.create("one", "br1", subnet("10.96.0.0/16")).unwrap();
        nets.create("two", "br2", subnet("10.96.5.0/24"))
            .unwrap_err()
    });
    assert!(
        matches!(err, Error::Ipam(network::ipam::Error::SubnetOverlap { .. })),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("overlaps 10.96.0.0/16 of network \"one\""),
        "{err}"
    );
    let links = host.links();
    assert!(links.contains(&"br1".to_string()), "{links:?}");
    assert!(!links.contains(&"br2".to_string()), "{links:?}");
    let rules = host.nft_ruleset();
    assert!(rules.contains("br1") && !rules.contains("br2"), "{rules}");
}

#[test]
fn subnet_already_on_a_host_interface_is_refused() {
    let host = TestNetns::new();
    host.ip(&[
        "link", "add", "uplink0", "type", "veth", "peer", "name", "uplink0p",
    ]);
    host.ip(&["addr", "add", "10.97.0.9/24", "dev", "uplink0"]);
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    let err = host.run(|| nets.create("n", "brn", subnet("10.97.0.0/24")).unwrap_err());
    assert!(matches!(err, Error::SubnetInUse { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("10.97.0.9 on interface \"uplink0\""),
        "{err}"
    );
    let links = host.links();
    assert!(
        links.contains(&"uplink0".to_string()) && !links.contains(&"brn".to_string()),
        "{links:?}"
    );
}

#[test]
fn exhausted_pool_is_a_clear_error_and_leaves_no_veth() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    host.run(|| {
        // A /30 has two hosts: the gateway and one container.
        nets.create("tiny", "brt", subnet("10.98.0.0/30")).unwrap();
        let a = Sandbox::start("a", None).unwrap();
        let b = Sandbox::start("b", None).unwrap();
        nets.connect("tiny", "a", a.netns()).unwrap();
        let err = nets.connect("tiny", "b", b.netns()).unwrap_err();
        assert!(
            matches!(err, Error::Ipam(network::ipam::Error::Exhausted { .. })),
            "{err}"
        );
        assert!(
            err.to_string().contains("(10.98.0.0/30) is exhausted"),
            "{err}"
        );
        // Only a's veth exists; b got nothing, not even half a cable.
        let veths: Vec<_> = host
            .links()
            .into_iter()
            .filter(|l| l.starts_with("vl"))
            .collect();
        assert_eq!(veths, vec!["vl0a620002".to_string()]);
        assert_eq!(links_inside(&b), ["lo"], "b got no interface");
        assert_eq!(nets.network("tiny").unwrap().leases.len(), 1);
    });
}

#[test]
fn publishing_a_taken_port_is_refused() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    let (err, published) = host.run(|| {
        nets.create("n", "brn", subnet("10.99.0.0/24")).unwrap();
        let a = Sandbox::start("a", None).unwrap();
        let b = Sandbox::start("b", None).unwrap();
        nets.connect("n", "a", a.netns()).unwrap();
        nets.connect("n", "b", b.netns()).unwrap();
        nets.publish("n", "a", 18082, 80).unwrap();
        (
            nets.publish("n", "b", 18082, 80).unwrap_err(),
            nets.firewall().published().unwrap(),
        )
    });
    assert!(
        err.to_string()
            .contains("host port 18082/tcp is already published (to 10.99.0.2:80)"),
        "{err}"
    );
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].addr.to_string(), "10.99.0.2");
}

#[test]
fn taken_bridge_name_is_refused_before_anything_is_recorded() {
    let host = TestNetns::new();
    host.ip(&["link", "add", "busy0", "type", "bridge"]);
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    let err = host.run(|| {
        nets.create("n", "busy0", subnet("10.100.0.0/24"))
            .unwrap_err()
    });
    assert!(matches!(err, Error::BridgeTaken(_)), "{err}");
    assert!(nets.ipam().read().unwrap().networks.is_empty());
    let rules = host.nft_ruleset();
    assert!(!rules.contains("table ip lab"), "{rules}");
}

#[test]
fn missing_nft_is_reported_before_anything_is_made() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path()).with_firewall(Firewall::with_program("/nonexistent/nft"));
    let err = host.run(|| {
        nets.create("n", "brn", subnet("10.101.0.0/24"))
            .unwrap_err()
    });
    assert!(
        err.to_string().contains("apt-get install nftables"),
        "{err}"
    );
    assert_eq!(host.links(), vec!["lo".to_string()]);
    assert!(nets.ipam().read().unwrap().networks.is_empty());
}

/// A stand-in `nft` that answers `--version` and `list` but refuses every change.
fn refusing_nft(dir: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("nft");
    let script = "#!/bin/sh\ncase \"$1\" in --version) exit 0;; -f) echo 'refused by test' >&2; exit 1;; *) exec nft \"$@\";; esac\n";
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn failed_setup_rolls_back_the_bridge_and_the_record() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let fake = refusing_nft(dir.path());
    let nets = Networks::new(dir.path().join("state")).with_firewall(Firewall::with_program(&fake));
    let err = host.run(|| {
        nets.create("n", "brn", subnet("10.102.0.0/24"))
            .unwrap_err()
    });
    assert!(err.to_string().contains("refused by test"), "{err}");
    assert_eq!(host.links(), vec!["lo".to_string()]);
    assert!(nets.ipam().read().unwrap().networks.is_empty());
}

#[test]
fn teardown_goes_on_past_errors_and_reports_them_all() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let nets = Networks::new(&state);
    let fake = refusing_nft(dir.path());
    let broken = Networks::new(&state).with_firewall(Firewall::with_program(&fake));
    let err = host.run(|| {
        nets.create("n", "brn", subnet("10.103.0.0/24")).unwrap();
        let a = Sandbox::start("a", None).unwrap();
        nets.connect("n", "a", a.netns()).unwrap();
        broken.remove("n").unwrap_err()
    });
    // Firewall deletions failed, yet the links and the record are gone.
    assert!(err.0.len() >= 2, "{err}");
    assert!(err.to_string().contains("refused by test"), "{err}");
    assert_eq!(host.links(), vec!["lo".to_string()]);
    assert!(nets.ipam().read().unwrap().networks.is_empty());
}

#[test]
fn unsafe_or_overlong_names_are_refused_before_anything_is_made() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    host.run(|| {
        // A quote would end the nft comment; a slash would leave the hosts directory.
        for (name, bridge) in [
            ("a\"b", "br0"),
            ("../x", "br0"),
            ("ok", "a-very-long-bridge"),
        ] {
            let err = nets
                .create(name, bridge, subnet("10.104.0.0/24"))
                .unwrap_err();
            assert!(matches!(err, Error::InvalidName { .. }), "{err}");
        }
        nets.create("ok", "brok", subnet("10.104.0.0/24")).unwrap();
        let a = Sandbox::start("a", None).unwrap();
        let err = nets.connect("ok", "a b", a.netns()).unwrap_err();
        assert!(
            err.to_string()
                .contains("container name \"a b\" is not valid"),
            "{err}"
        );
        assert!(nets.network("ok").unwrap().leases.is_empty());
    });
    let links = host.links();
    assert!(links.contains(&"brok".to_string()), "{links:?}");
    assert!(!links.iter().any(|l| l.starts_with("vl")), "{links:?}");
}

#[test]
fn container_on_two_networks_gets_eth0_and_eth1_and_reaches_both() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    host.run(|| {
        nets.create("front", "brf", subnet("10.105.1.0/24"))
            .unwrap();
        nets.create("back", "brb", subnet("10.105.2.0/24")).unwrap();
        let (proxy, web, db) = (
            Sandbox::start("proxy", None).unwrap(),
            Sandbox::start("web", None).unwrap(),
            Sandbox::start("db", None).unwrap(),
        );
        let first = nets.connect("front", "proxy", proxy.netns()).unwrap();
        let second = nets.connect("back", "proxy", proxy.netns()).unwrap();
        assert_eq!(
            (first.interface.as_str(), second.interface.as_str()),
            ("eth0", "eth1")
        );
        let at_web = nets.connect("front", "web", web.netns()).unwrap();
        let at_db = nets.connect("back", "db", db.netns()).unwrap();
        assert!(ping(&proxy, &at_web.addr.to_string()));
        assert!(ping(&proxy, &at_db.addr.to_string()));
        nets.remove("back").unwrap();
        assert_eq!(links_inside(&proxy), ["lo", "eth0"]);
    });
}

#[test]
fn dns_responder_answers_for_containers_that_joined_after_the_asker() {
    let host = TestNetns::new();
    let dir = tempfile::tempdir().unwrap();
    let nets = Networks::new(dir.path());
    let resolv = dir.path().join("resolv.conf");
    std::fs::write(&resolv, "nameserver 10.106.0.1\n").unwrap();
    host.run(|| {
        let net = subnet("10.106.0.0/24");
        nets.create("n", "brn", net).unwrap();
        let _dns = network::dns::Responder::start(nets.ipam().clone(), "n", net.gateway()).unwrap();
        let a = Sandbox::start_with_files("a", &[(resolv.as_path(), "/etc/resolv.conf")]).unwrap();
        nets.connect("n", "a", a.netns()).unwrap();
        // One query, asked again while nothing answers at all (the first packets on a link
        // that has just come up can be lost), up to a deadline; an answer — an address or
        // NXDOMAIN — is final.
        let lookup = |name: &str| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let out = a
                    .command("busybox")
                    .args(["nslookup", name])
                    .output()
                    .unwrap();
                let said = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
                let unanswered = said.contains("timed out") || said.contains("no servers");
                if !unanswered || std::time::Instant::now() > deadline {
                    return (out.status.success(), said);
                }
            }
        };
        // b does not exist yet: the responder says so (NXDOMAIN), at once.
        let (found, out) = lookup("b");
        assert!(!found, "b must not resolve before it joins: {out}");
        assert!(out.contains("NXDOMAIN"), "the responder answered: {out}");
        let b = Sandbox::start("b", None).unwrap();
        let at_b = nets.connect("n", "b", b.netns()).unwrap();
        let (found, out) = lookup("b");
        assert!(found, "{out}");
        assert!(out.contains(&format!("Address: {}", at_b.addr)), "{out}");
        // Gone again after disconnecting.
        nets.disconnect("n", "b").unwrap();
        let (found, out) = lookup("b");
        assert!(!found && out.contains("NXDOMAIN"), "{out}");
    });
}

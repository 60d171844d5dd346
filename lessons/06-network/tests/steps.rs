//! One test per step: run the step program and check the evidence it prints. Each step also
//! checks its own effect (it exits non-zero if a ping or a connection fails), and every step
//! after the first runs in a private network namespace, which these tests confirm.

use std::process::Command;

fn run_step(exe: &str) -> String {
    let out = Command::new(exe).output().expect("run the step");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{exe} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn own_netns_inode() -> String {
    let link = std::fs::read_link("/proc/self/ns/net").unwrap();
    link.to_string_lossy()
        .trim_start_matches("net:[")
        .trim_end_matches(']')
        .to_string()
}

#[test]
fn new_namespace_holds_only_lo_and_it_is_down() {
    let out = run_step(env!("CARGO_BIN_EXE_01-empty-netns"));
    assert!(out.contains("has 1 interface(s):\n  lo (DOWN)"), "{out}");
    assert!(out.contains("inside: 0 address(es), 0 route(s)"), "{out}");
}

#[test]
fn veth_pair_carries_pings_both_ways_in_a_private_host() {
    let out = run_step(env!("CARGO_BIN_EXE_02-veth-ping"));
    assert!(
        out.contains("host now has: [\"lo\", \"veth-host\"]"),
        "{out}"
    );
    assert!(
        out.contains("container now has: [\"lo\", \"veth-ctr\"]"),
        "{out}"
    );
    assert_eq!(out.matches("1 packets received").count(), 2, "{out}");
    // The step's "host" is its own namespace, not this machine's.
    let step_host = out
        .lines()
        .find_map(|l| l.strip_prefix("host: this step runs in its own namespace net:["))
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or_else(|| panic!("no line naming the step's namespace:\n{out}"));
    assert!(step_host.parse::<u64>().is_ok(), "{out}");
    assert_ne!(step_host, own_netns_inode(), "{out}");
}

#[test]
fn two_containers_on_a_bridge_ping_each_other() {
    let out = run_step(env!("CARGO_BIN_EXE_03-bridge"));
    assert!(out.contains("vl0a580002 master lab0"), "{out}");
    assert!(out.contains("vl0a580003 master lab0"), "{out}");
    assert!(out.contains("64 bytes from 10.88.0.3"), "{out}");
}

#[test]
fn masquerade_shows_the_host_address_to_the_outside() {
    let out = run_step(env!("CARGO_BIN_EXE_04-nat"));
    assert!(out.contains("default via 10.88.0.1"), "{out}");
    assert!(out.contains("net.ipv4.ip_forward = 1"), "{out}");
    assert!(out.contains("masquerade"), "{out}");
    assert!(
        out.contains("outside: connection from 203.0.113.1 (the container is 10.88.0.2)"),
        "{out}"
    );
}

#[test]
fn published_port_answers_on_host_loopback_and_from_outside() {
    let out = run_step(env!("CARGO_BIN_EXE_05-publish"));
    assert!(out.contains("8080 : 10.88.0.2 . 80"), "{out}");
    assert!(
        out.contains("host -> 127.0.0.1:8080: HTTP/1.1 200 OK … hello from the container"),
        "{out}"
    );
    assert!(
        out.contains("outside -> 203.0.113.1:8080: HTTP/1.1 200 OK"),
        "{out}"
    );
}

#[test]
fn container_reaches_another_by_name() {
    let out = run_step(env!("CARGO_BIN_EXE_06-names"));
    assert!(out.contains("10.89.0.3\tb"), "{out}");
    assert!(out.contains("PING b (10.89.0.3)"), "{out}");
    assert!(out.contains("1 packets received"), "{out}");
}

#[test]
fn lesson_01_containers_find_each_other_by_name() {
    let out = run_step(env!("CARGO_BIN_EXE_07-containers"));
    assert!(out.contains("10.89.0.2\tweb"), "{out}");
    // Printed by wget inside the client container: the page served by the web container.
    assert!(out.contains("hello from the web container"), "{out}");
    assert!(out.contains("client exited 0"), "{out}");
}

#[test]
fn dns_finds_a_container_the_client_never_heard_of() {
    let out = run_step(env!("CARGO_BIN_EXE_08-dns"));
    assert!(out.contains("hello, found through DNS"), "{out}");
    assert!(out.contains("client exited 0"), "{out}");
}

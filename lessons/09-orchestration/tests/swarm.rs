//! The whole lesson on one cluster: a swarm of three servers whose every task runs under
//! `capstone-runtime` — scheduling, rescheduling, an overlay network across servers,
//! swarm's DNS and etcd-based discovery — and nothing left behind afterwards.
//!
//! Run: `cargo build -p capstone --bin capstone-runtime && cargo test -p orchestration --test swarm`
//! (as root; the kit's cargo runner elevates). One cluster for every check keeps it to a
//! couple of minutes on two cores.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use orchestration::discovery::{self, Watcher};
use orchestration::{Cluster, Task, images, overlay, swarm};

mod support;
use support::Footprint;

/// The overlay network the lesson's services share.
const NET: &str = "lab";

fn per_node(tasks: &[Task]) -> BTreeMap<String, usize> {
    let mut count = BTreeMap::new();
    for t in tasks.iter().filter(|t| t.is_running()) {
        *count.entry(t.node.clone()).or_insert(0) += 1;
    }
    count
}

fn ok(result: orchestration::Result<impl Sized>, cluster: &Cluster) {
    if let Err(e) = result {
        panic!(
            "{e}\n--- manager's dockerd ---\n{}",
            cluster.manager().log_tail(30)
        );
    }
}

#[test]
fn a_swarm_of_three_servers_runs_every_task_under_capstone_runtime() {
    let cluster = Cluster::start().expect("start the cluster");
    let footprint = Footprint::of(&cluster);
    forming(&cluster);
    scheduling(&cluster);
    let mut watcher = clustering_and_discovery(&cluster);
    rescheduling(&cluster, &mut watcher);
    drop(watcher);
    drop(cluster);
    footprint.assert_gone();
}

fn forming(cluster: &Cluster) {
    let nodes = cluster.form_swarm().expect("form the swarm");
    let names: BTreeSet<_> = nodes.iter().map(|n| n.hostname.clone()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["server1".into(), "server2".into(), "server3".into()])
    );
    let leader = nodes.iter().find(|n| n.manager_status == "Leader").unwrap();
    assert_eq!(leader.hostname, "server1");
    // The node name is each server's own UTS hostname, read from inside its namespaces.
    for server in cluster.servers() {
        let out = server.nsenter("hostname").output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            server.hostname()
        );
    }
    let created = cluster.create_overlay(NET);
    ok(created, cluster);
}

fn scheduling(cluster: &Cluster) {
    let busybox = images::busybox();
    // Spread: three replicas, one per server.
    ok(
        cluster.service("--name spread --replicas 3", &busybox, &["sleep", "3600"]),
        cluster,
    );
    let spread = cluster.wait_running("spread", 3).expect("spread runs");
    assert_eq!(
        per_node(&spread).values().collect::<Vec<_>>(),
        vec![&1, &1, &1],
        "{spread:?}"
    );
    assert_runs_under_capstone(cluster, &spread);
    // A reservation no server can meet: Pending, with the scheduler's reason.
    ok(
        cluster.service(
            "--name greedy --reserve-cpu 64",
            &busybox,
            &["sleep", "3600"],
        ),
        cluster,
    );
    let greedy = cluster
        .wait_tasks("greedy", "a Pending task of greedy", |tasks| {
            tasks
                .iter()
                .any(|t| t.state() == "Pending" && t.error.contains("insufficient resources"))
        })
        .expect("greedy stays pending");
    assert!(
        greedy.iter().all(|t| !t.is_running() && t.node.is_empty()),
        "{greedy:?}"
    );
    // A constraint pins every replica to server2, and only server2 runs its containers.
    let pin = "--name pinned --replicas 3 --constraint node.hostname==server2";
    ok(cluster.service(pin, &busybox, &["sleep", "3600"]), cluster);
    let pinned = cluster.wait_running("pinned", 3).expect("pinned runs");
    assert_eq!(
        per_node(&pinned),
        BTreeMap::from([("server2".to_string(), 3)])
    );
    for server in cluster.servers() {
        let ids = server
            .docker_ok(&[
                "ps",
                "-q",
                "--filter",
                "label=com.docker.swarm.service.name=pinned",
            ])
            .unwrap();
        let expected = if server.hostname() == "server2" { 3 } else { 0 };
        assert_eq!(
            ids.lines().count(),
            expected,
            "pinned containers on {}",
            server.hostname()
        );
    }
    ok(
        cluster
            .manager()
            .docker_ok(&["service", "rm", "spread", "greedy", "pinned"]),
        cluster,
    );
}

/// Every task's container: started by dockerd with runtime `capstone`, known to our runtime
/// as running (its own state under dockerd's `--root`), and its init process in the
/// kernel's cgroup under that server's cgroup parent.
fn assert_runs_under_capstone(cluster: &Cluster, tasks: &[Task]) {
    for task in tasks {
        let evidence = cluster.runtime_evidence(task).expect("runtime evidence");
        assert_eq!(evidence.runtime_name, "capstone", "{task:?}");
        assert_eq!(evidence.runtime_status, "running", "{task:?}");
        let cgroups =
            std::fs::read_to_string(format!("/proc/{}/cgroup", evidence.runtime_pid)).unwrap();
        let parent = cluster.server_named(&task.node).unwrap().cgroup_parent();
        assert!(
            cgroups.contains(parent),
            "{task:?} not under {parent}: {cgroups}"
        );
    }
}

fn clustering_and_discovery(cluster: &Cluster) -> Watcher {
    let etcd_image = images::etcd();
    let etcd = cluster.service(
        &discovery::etcd_flags(NET),
        &etcd_image,
        &discovery::ETCD_COMMAND,
    );
    ok(etcd, cluster);
    let web = cluster.create_dnsrr_service("web", 3, NET, &etcd_image, discovery::WEB_SCRIPT);
    ok(web, cluster);
    let etcd = cluster.wait_running("etcd", 1).expect("etcd runs");
    let tasks = cluster.wait_running("web", 3).expect("web runs");
    assert_eq!(per_node(&tasks).len(), 3, "{tasks:?}");
    assert_runs_under_capstone(cluster, &etcd);
    assert_runs_under_capstone(cluster, &tasks);
    let addresses = web_addresses(cluster, &tasks);

    // The overlay on server1: a VXLAN device whose tunnel endpoints are the other servers.
    let view = orchestration::wait_for(
        "VXLAN endpoints on server1",
        Duration::from_secs(30),
        || {
            let view = overlay::vxlan_view(cluster.manager())?;
            Ok((view.contains("dst 10.9.0.2") && view.contains("dst 10.9.0.3")).then_some(view))
        },
    );
    let view = view.expect("vxlan view");
    assert!(
        view.contains("vxlan id") && view.contains("dstport 4789"),
        "{view}"
    );

    // A port published in host mode answers on its server's own address, from the switch.
    let flags = "--name front --network lab --publish mode=host,target=80,published=8080 \
                 --constraint node.hostname==server2";
    let serve = "echo front > /tmp/index.html; exec httpd -f -p 80 -h /tmp";
    ok(
        cluster.service(flags, &images::busybox(), &["sh", "-c", serve]),
        cluster,
    );
    cluster.wait_running("front", 1).expect("front runs");
    let server2 = std::net::SocketAddr::from(([10, 9, 0, 2], 8080));
    let get = || network::probe::http_get(server2, Duration::from_secs(30));
    let page = cluster
        .switch()
        .netns()
        .run(get)
        .unwrap()
        .expect("GET 10.9.0.2:8080");
    assert!(
        page.starts_with("HTTP/1.") && page.ends_with("front\n"),
        "{page}"
    );

    // etcd: every task registered itself, and a watcher on server2 sees it.
    let mut watcher = Watcher::start(cluster.server(2), NET, "watcher").expect("watcher");
    watcher
        .until("three registrations", Duration::from_secs(60), |events| {
            events.iter().filter(|e| e.kind == "PUT").count() >= 3
        })
        .expect("watch");
    for (hostname, ip) in &addresses {
        let key = format!("{}{hostname}", discovery::PREFIX);
        let value = format!("{ip}:80");
        assert!(
            watcher
                .events
                .iter()
                .any(|e| e.kind == "PUT" && e.key == key && e.value == value),
            "{key} = {value} not in {:?}",
            watcher.events
        );
    }
    // A client on server1: swarm's DNS answers with every task, and each answers over HTTP.
    let script = r#"for n in tasks.web web; do nslookup $n | sed -n "s/^Address: \([0-9.]*\)$/$n \1/p"; done
for ip in $(nslookup tasks.web | sed -n 's/^Address: \([0-9.]*\)$/\1/p'); do
  echo "http $ip $(timeout 5 wget -qO- http://$ip/index.html)"; done"#;
    let out = cluster.client(1, NET, script).expect("client on server1");
    let answered = |name: &str| -> BTreeSet<String> {
        out.lines()
            .filter_map(|l| l.strip_prefix(&format!("{name} ")))
            .map(str::to_string)
            .collect()
    };
    let expected: BTreeSet<String> = addresses.values().cloned().collect();
    assert_eq!(answered("tasks.web"), expected, "{out}");
    assert_eq!(answered("web"), expected, "{out}");
    for (hostname, ip) in &addresses {
        assert!(
            out.contains(&format!("http {ip} hello from {hostname}")),
            "{hostname} at {ip}: {out}"
        );
    }

    watcher
}

/// Hostname (`serverN-webS`) → overlay address of each running web task, from the manager.
fn web_addresses(cluster: &Cluster, tasks: &[Task]) -> BTreeMap<String, String> {
    tasks
        .iter()
        .map(|t| {
            let inspected = swarm::inspect_task(cluster.manager(), &t.id).unwrap();
            let slot = inspected["Slot"].as_u64().unwrap();
            let ip = swarm::addresses_on(&inspected, NET).remove(0);
            (format!("{}-web{slot}", t.node), ip)
        })
        .collect()
}

fn rescheduling(cluster: &Cluster, watcher: &mut Watcher) {
    // Pull server3's cable: the manager stops hearing it, calls it Down, moves its task.
    let before = swarm::running(cluster.manager(), "web").unwrap();
    let lost = before
        .iter()
        .find(|t| t.node == "server3")
        .expect("a web task on server3")
        .clone();
    cluster.switch().set_cable("server3", false).unwrap();
    cluster
        .wait_nodes("server3 Down", |nodes| {
            nodes
                .iter()
                .any(|n| n.hostname == "server3" && n.status == "Down")
        })
        .expect("server3 goes Down");
    let moved = cluster
        .wait_tasks("web", "3 web tasks, none on server3", |tasks| {
            let running = per_node(tasks);
            running.values().sum::<usize>() == 3 && !running.contains_key("server3")
        })
        .expect("tasks move");
    assert!(!moved.iter().any(|t| t.id == lost.id && t.is_running()));
    // Its lease is no longer renewed: the watcher hears the registration go.
    let lost_key = format!("{}server3-web", discovery::PREFIX);
    watcher
        .until(
            "server3's registration expiring",
            Duration::from_secs(60),
            |events| {
                events
                    .iter()
                    .any(|e| e.kind == "DELETE" && e.key.starts_with(&lost_key))
            },
        )
        .expect("lease expiry seen");

    // Plug it back: Ready again, and the task it kept running while cut off is stopped —
    // neither dockerd nor our runtime has a web container running there any more.
    cluster.switch().set_cable("server3", true).unwrap();
    cluster
        .wait_nodes("server3 Ready again", |nodes| {
            nodes.iter().all(|n| n.status == "Ready")
        })
        .expect("server3 back");
    let server3 = cluster.server(3);
    let orphan = orchestration::wait_for(
        "server3's old web container to stop",
        Duration::from_secs(60),
        || {
            let ids = server3.docker_ok(&[
                "ps",
                "-q",
                "--filter",
                "label=com.docker.swarm.service.name=web",
            ])?;
            Ok(ids.trim().is_empty().then_some(()))
        },
    );
    orphan.expect("no orphaned web container on server3");
    let listed = std::process::Command::new(cluster.runtime())
        .arg("--root")
        .arg(server3.runtime_root())
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&listed.stdout);
    let running_ids: BTreeSet<String> = server3
        .docker_ok(&["ps", "-q", "--no-trunc"])
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let states: serde_json::Value = serde_json::from_str(listed.trim()).unwrap_or_default();
    for state in states.as_array().cloned().unwrap_or_default() {
        if state["status"] == "running" {
            let id = state["id"].as_str().unwrap_or_default().to_string();
            assert!(
                running_ids.contains(&id),
                "runtime runs {id}, which dockerd does not know: {listed}"
            );
        }
    }

    // Drain server2: the scheduler moves its task away and places nothing new there.
    ok(
        cluster
            .manager()
            .docker_ok(&["node", "update", "--availability", "drain", "server2"]),
        cluster,
    );
    let drained = cluster
        .wait_tasks("web", "3 web tasks, none on server2", |tasks| {
            let running = per_node(tasks);
            running.values().sum::<usize>() == 3 && !running.contains_key("server2")
        })
        .expect("drain");
    assert_runs_under_capstone(
        cluster,
        &drained
            .into_iter()
            .filter(Task::is_running)
            .collect::<Vec<_>>(),
    );
}

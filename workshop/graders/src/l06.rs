//! Graders for lesson 06 (networking over netlink): every link is made inside network
//! namespaces the grader creates (and which vanish with it), and observed with iproute2's
//! JSON output (`ip -j -d link`, `ip -j addr`) entered through nsenter(1) — another program
//! asking the kernel, not the lesson's own reading code.

use crate::kernel;
use crate::report::Report;
use anyhow::Context;
use network::netlink::Netlink;
use network::netns::NetNs;
use serde_json::Value;
use std::os::fd::{AsFd, AsRawFd};
use std::process::Command;

/// Runs `ip -j ARGS` inside `ns` and parses its JSON (an empty list when it prints nothing).
fn ip_json(ns: Option<&NetNs>, args: &[&str]) -> anyhow::Result<Value> {
    let mut command = Command::new("nsenter");
    if let Some(ns) = ns {
        command.arg(format!(
            "--net=/proc/{}/fd/{}",
            std::process::id(),
            ns.as_fd().as_raw_fd()
        ));
    } else {
        command.arg("--net=/proc/self/ns/net");
    }
    let out = command
        .arg("ip")
        .arg("-j")
        .args(args)
        .output()
        .context("run nsenter ip")?;
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(if text.trim().is_empty() {
        Value::Array(vec![])
    } else {
        serde_json::from_str(&text)?
    })
}

/// The link called `name` in `ns`, from `ip -j -d link show`.
fn link(ns: Option<&NetNs>, name: &str) -> anyhow::Result<Option<Value>> {
    let all = ip_json(ns, &["-d", "link", "show"])?;
    Ok(all
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["ifname"] == name)
        .cloned())
}

fn kind_of(link: &Option<Value>) -> String {
    match link {
        Some(l) => l["linkinfo"]["info_kind"]
            .as_str()
            .unwrap_or("(no kind)")
            .to_string(),
        None => "(absent)".into(),
    }
}

/// A random interface name, short enough for IFNAMSIZ (15 bytes).
fn link_name(prefix: &str) -> String {
    kernel::random_name(prefix).chars().take(13).collect()
}

/// Runs `ip ARGS` inside `ns` (the grader's own set-up of links around the exercise).
fn ip(ns: &NetNs, args: &[&str]) -> anyhow::Result<()> {
    let status = Command::new("nsenter")
        .arg(format!(
            "--net=/proc/{}/fd/{}",
            std::process::id(),
            ns.as_fd().as_raw_fd()
        ))
        .arg("ip")
        .args(args)
        .status()?;
    anyhow::ensure!(
        status.success(),
        "ip {args:?} failed in the grader's namespace"
    );
    Ok(())
}

fn index_of(ns: &NetNs, name: &str) -> anyhow::Result<u32> {
    let l = link(Some(ns), name)?.with_context(|| format!("no link {name}"))?;
    Ok(l["ifindex"].as_u64().context("ifindex")? as u32)
}

/// 06.1: a veth pair with random names, its peer created straight in a second namespace.
pub fn veth_pair(r: &mut Report) -> anyhow::Result<()> {
    let (here, there) = (NetNs::new()?, NetNs::new()?);
    let (name, peer) = (link_name("kv"), link_name("kp"));
    if let Err(e) = Netlink::open_in(&here)?.add_veth(&name, &peer, Some(&there)) {
        r.check("add_veth succeeded", e.to_string(), false);
    }
    let mine = link(Some(&here), &name)?;
    if !r.check(
        format!("{name} is a veth in the first namespace"),
        kind_of(&mine),
        kind_of(&mine) == "veth",
    ) {
        r.advise("no such link: send RTM_NEWLINK with IfName(name) and LinkInfo Kind(Veth) + the peer's message", 0);
    }
    let theirs = link(Some(&there), &peer)?;
    if !r.check(
        format!("its peer {peer} is a veth in the second namespace"),
        kind_of(&theirs),
        kind_of(&theirs) == "veth",
    ) {
        r.advise(
            "the peer must be created in peer_ns: NetNsFd(ns.as_raw_fd()) in the peer's message",
            1,
        );
    }
    let on_host = link(None, &name)?.is_some() || link(None, &peer)?.is_some();
    r.check(
        "neither end is in the grader's own namespace",
        format!("{on_host}"),
        !on_host,
    );
    Ok(())
}

/// 06.2: a bridge with a random name.
pub fn bridge(r: &mut Report) -> anyhow::Result<()> {
    let ns = NetNs::new()?;
    let name = link_name("kb");
    if let Err(e) = Netlink::open_in(&ns)?.add_bridge(&name) {
        r.check("add_bridge succeeded", e.to_string(), false);
    }
    let found = link(Some(&ns), &name)?;
    if !r.check(
        format!("{name} exists and is a bridge"),
        kind_of(&found),
        kind_of(&found) == "bridge",
    ) {
        r.advise(
            "send RTM_NEWLINK with IfName(name) and LinkInfo(vec![Kind(Bridge)])",
            1,
        );
    }
    Ok(())
}

/// 06.3: a veth end plugged into a bridge, both made by the grader with ip(8).
pub fn set_master(r: &mut Report) -> anyhow::Result<()> {
    let ns = NetNs::new()?;
    let (bridge, end, peer) = (link_name("kb"), link_name("kv"), link_name("kp"));
    ip(&ns, &["link", "add", &bridge, "type", "bridge"])?;
    ip(
        &ns,
        &["link", "add", &end, "type", "veth", "peer", "name", &peer],
    )?;
    let (end_index, bridge_index) = (index_of(&ns, &end)?, index_of(&ns, &bridge)?);
    if let Err(e) = Netlink::open_in(&ns)?.set_master(end_index, bridge_index) {
        r.check("set_master succeeded", e.to_string(), false);
    }
    let found = link(Some(&ns), &end)?.unwrap_or_default();
    let master = found["master"].as_str().unwrap_or("(none)").to_string();
    if !r.check(
        format!("{end}'s master is {bridge}"),
        master.clone(),
        master == bridge,
    ) {
        r.advise(
            "send RTM_SETLINK for the interface's index with Controller(bridge) (IFLA_MASTER)",
            1,
        );
    }
    Ok(())
}

/// 06.4: a random address and prefix on a veth end made by the grader.
pub fn add_address(r: &mut Report) -> anyhow::Result<()> {
    let ns = NetNs::new()?;
    let (end, peer) = (link_name("kv"), link_name("kp"));
    ip(
        &ns,
        &["link", "add", &end, "type", "veth", "peer", "name", &peer],
    )?;
    let addr =
        std::net::Ipv4Addr::new(10, fastrand::u8(..), fastrand::u8(..), fastrand::u8(1..255));
    let prefix = fastrand::u8(16..31);
    if let Err(e) = Netlink::open_in(&ns)?.add_address(index_of(&ns, &end)?, addr, prefix) {
        r.check("add_address succeeded", e.to_string(), false);
    }
    let shown = ip_json(Some(&ns), &["-4", "addr", "show", "dev", &end])?;
    let infos: Vec<String> = shown
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|l| l["addr_info"].as_array().cloned().unwrap_or_default())
        .map(|a| format!("{}/{}", a["local"].as_str().unwrap_or("?"), a["prefixlen"]))
        .collect();
    let want = format!("{addr}/{prefix}");
    if !r.check(
        format!("{end} has {want}"),
        format!("{infos:?}"),
        infos.contains(&want),
    ) {
        r.advise(
            "send RTM_NEWADDR: family Inet, prefix_len, index, and Local + Address attributes",
            1,
        );
    }
    Ok(())
}

//! Graders for lesson 06's nftables exercises: a forked child in a network namespace of its
//! own (unshare(2) `CLONE_NEWNET`) builds the table and runs the student's function; the
//! grader then lists that namespace's table with nft(8), entered through nsenter(1).

use crate::kernel;
use crate::parked::Parked;
use crate::report::Report;
use network::firewall::{Firewall, PortMapping, Protocol, TABLE};
use std::net::Ipv4Addr;
use std::process::Command;

/// Forks a child into a new network namespace where `work` runs after the table exists;
/// returns what `nft list table` shows there, or `None` (with a failed check) if it failed.
fn in_own_netns(
    r: &mut Report,
    what: &str,
    work: impl FnOnce(&Firewall) -> Result<(), String>,
) -> anyhow::Result<Option<String>> {
    let parked = Parked::new()?;
    let mut child = kernel::fork_child(&parked.note, || {
        parked.park(|_| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
                .map_err(|e| format!("unshare: {e}"))?;
            let firewall = Firewall::default();
            firewall
                .ensure_table()
                .map_err(|e| format!("the table: {e}"))?;
            work(&firewall)
        })
    })?;
    let Some((release, _)) = parked.wait(r, &mut child, what) else {
        return Ok(None);
    };
    let out = Command::new("nsenter")
        .arg(format!("--net=/proc/{}/ns/net", child.pid))
        .args(["nft", "list", "table", "ip", TABLE])
        .output()?;
    release.open()?;
    child.wait();
    Ok(Some(String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// The table's lines that contain every one of `parts`.
fn lines_with<'a>(table: &'a str, parts: &[&str]) -> Vec<&'a str> {
    table
        .lines()
        .map(str::trim)
        .filter(|l| parts.iter().all(|p| l.contains(p)))
        .collect()
}

/// 06.5: a random network name, bridge and subnet; the namespace's table must hold the
/// bridge in `bridges`, a masquerade rule for the subnet and a drop rule for its forwarding.
pub fn nat_rule(r: &mut Report) -> anyhow::Result<()> {
    let name = kernel::random_name("net");
    let bridge: String = kernel::random_name("kb").chars().take(13).collect();
    let subnet_text = format!("10.{}.{}.0/24", fastrand::u8(..), fastrand::u8(..));
    let subnet: network::Subnet = subnet_text.parse().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let Some(table) = in_own_netns(r, "add_network", |fw| {
        fw.add_network(&name, &bridge, subnet)
            .map_err(|e| e.to_string())
    })?
    else {
        return Ok(());
    };
    let quoted = format!("\"{bridge}\"");
    let masquerade = lines_with(&table, &[&subnet_text, "masquerade", &quoted]);
    if !r.check(
        format!("a rule masquerades {subnet_text} leaving by another interface than {bridge}"),
        format!("{masquerade:?}"),
        !masquerade.is_empty(),
    ) {
        r.advise(
            "add a postrouting rule: ip saddr SUBNET oifname != \"BRIDGE\" masquerade",
            1,
        );
    }
    let drop = lines_with(&table, &["iifname", &quoted, "@bridges", "drop"]);
    if !r.check(
        format!("a forward rule drops {bridge}'s traffic to other bridges"),
        format!("{drop:?}"),
        !drop.is_empty(),
    ) {
        r.advise(
            "add a forward rule: iifname \"BRIDGE\" oifname @bridges oifname != \"BRIDGE\" drop",
            2,
        );
    }
    let in_set = !lines_with(&table, &["elements", &quoted]).is_empty();
    r.check(
        format!("{bridge} is an element of the bridges set"),
        format!("{in_set}"),
        in_set,
    );
    let commented = lines_with(&table, &[&format!("comment \"net {name}\"")]).len();
    r.check(
        format!("the rules carry the comment \"net {name}\""),
        format!("{commented} rules"),
        commented >= 2,
    );
    Ok(())
}

/// 06.6: a random host port published to a random address and port: the namespace's
/// `tcp_ports` map must hold exactly that element.
pub fn publish_port(r: &mut Report) -> anyhow::Result<()> {
    let mapping = PortMapping {
        proto: Protocol::Tcp,
        host_port: fastrand::u16(20_000..60_000),
        addr: Ipv4Addr::new(10, fastrand::u8(..), fastrand::u8(..), fastrand::u8(2..250)),
        port: fastrand::u16(1..10_000),
    };
    let Some(table) = in_own_netns(r, "publish", |fw| {
        fw.publish(mapping).map_err(|e| e.to_string())
    })?
    else {
        return Ok(());
    };
    let element = format!(
        "{} : {} . {}",
        mapping.host_port, mapping.addr, mapping.port
    );
    let found = lines_with(&table, &[&element]);
    if !r.check(
        format!("the tcp_ports map holds {element}"),
        format!("{found:?}"),
        !found.is_empty(),
    ) {
        r.advise(
            "add one element to the protocol's map: HOSTPORT : ADDR . PORT (with `create element`)",
            1,
        );
    }
    Ok(())
}

//! `-p`: Docker's port syntax parsed into [`PortBinding`]s, and printed back as `ps`'s PORTS
//! column and `inspect`'s `Ports`. A binding becomes an element of lesson 06's nftables map
//! (host port → address . port) that one DNAT rule looks up (nft(8)), made at the start gate
//! by the engine's network attach (`mechanisms::network::attach`).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One `-p [hostip:]hostport:ctrport[/tcp|/udp]`: host port `host_port` forwarded (DNAT,
/// nft(8)) to `container_port` of the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortBinding {
    /// The host address it listens on: `0.0.0.0` (every address of the host's namespace).
    pub host_ip: String,
    /// The host port; 0 in a `-p 80` request means "pick a free one" when it starts.
    pub host_port: u16,
    /// The port inside the container.
    pub container_port: u16,
    /// `tcp` or `udp` (lesson 06's firewall has a map for each).
    pub protocol: String,
}

/// `--expose PORT[-END][/PROTO]` (compose's `expose:`): the keys it adds to the container's
/// `ExposedPorts` (`80/tcp`, one per port of a range). Exposing publishes nothing: it is a
/// note for `-P` and for readers of `inspect`, as the Dockerfile's `EXPOSE` is.
pub fn expose_keys(spec: &str) -> Result<Vec<String>> {
    let bad = || {
        Error::invalid(
            "expose",
            spec,
            "expected PORT, PORT/PROTO or FIRST-LAST[/PROTO], ports from 1 to 65535, tcp or udp",
        )
    };
    let (ports, protocol) = spec.split_once('/').unwrap_or((spec, "tcp"));
    if !["tcp", "udp"].contains(&protocol) {
        return Err(bad());
    }
    let (first, last) = ports.split_once('-').unwrap_or((ports, ports));
    let port = |text: &str| text.parse::<u16>().ok().filter(|n| *n > 0).ok_or_else(bad);
    let (first, last) = (port(first)?, port(last)?);
    if first > last {
        return Err(bad());
    }
    Ok((first..=last).map(|p| format!("{p}/{protocol}")).collect())
}

impl PortBinding {
    /// Parses Docker's `-p` syntax: `8080:80`, `0.0.0.0:8080:80/tcp`, `5353:53/udp`, or
    /// `80` (a host port chosen when the container starts).
    pub fn parse(spec: &str) -> Result<PortBinding> {
        let bad = |why: &str| Error::invalid("-p", spec, why);
        let (ports, protocol) = match spec.split_once('/') {
            Some((p, proto)) => (p, proto),
            None => (spec, "tcp"),
        };
        if !["tcp", "udp"].contains(&protocol) {
            return Err(bad(
                "the protocol is tcp or udp (lesson 06's firewall has no sctp map)",
            ));
        }
        let parts: Vec<&str> = ports.split(':').collect();
        let (host_ip, host_port, container_port) = match parts.as_slice() {
            [c] => ("0.0.0.0", "0", *c),
            [h, c] => ("0.0.0.0", *h, *c),
            [ip, h, c] => (*ip, *h, *c),
            _ => return Err(bad("expected [hostip:]hostport:containerport[/tcp|/udp]")),
        };
        let host_ip = if host_ip.is_empty() {
            "0.0.0.0"
        } else {
            host_ip
        };
        if host_ip != "0.0.0.0" {
            return Err(bad(
                "only 0.0.0.0 (every address of the host) can be given as host address",
            ));
        }
        let port = |text: &str, zero_ok: bool| match text.parse::<u16>() {
            Ok(0) if !zero_ok => Err(bad("ports are numbers from 1 to 65535")),
            Ok(n) => Ok(n),
            Err(_) => Err(bad("ports are numbers from 1 to 65535")),
        };
        Ok(PortBinding {
            host_ip: host_ip.into(),
            host_port: port(host_port, parts.len() == 1)?,
            container_port: port(container_port, false)?,
            protocol: protocol.into(),
        })
    }

    /// Docker's key for it: `80/tcp`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.container_port, self.protocol)
    }

    /// Its protocol in lesson 06's terms (anything but `udp` is TCP, as [`Self::parse`] allows).
    pub fn proto(&self) -> ::network::firewall::Protocol {
        match self.protocol.as_str() {
            "udp" => ::network::firewall::Protocol::Udp,
            _ => ::network::firewall::Protocol::Tcp,
        }
    }

    /// `ps`'s PORTS form: `0.0.0.0:8080->80/tcp`.
    pub fn display(&self) -> String {
        format!("{}:{}->{}", self.host_ip, self.host_port, self.key())
    }
}

/// `HostConfig.PortBindings` / `NetworkSettings.Ports`: `{"80/tcp": [{"HostIp", "HostPort"}]}`.
pub fn ports_json(bindings: &[PortBinding]) -> Value {
    let mut map: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for b in bindings {
        map.entry(b.key()).or_default().push(json!({
            "HostIp": b.host_ip, "HostPort": b.host_port.to_string(),
        }));
    }
    json!(map)
}

#[cfg(test)]
mod tests {
    use super::PortBinding;

    #[test]
    fn docker_port_syntax_parses() {
        let b = PortBinding::parse("8080:80").unwrap();
        assert_eq!((b.host_port, b.container_port), (8080, 80));
        assert_eq!(b.display(), "0.0.0.0:8080->80/tcp");
        let b = PortBinding::parse("0.0.0.0:53:5353/tcp").unwrap();
        assert_eq!(
            (b.host_port, b.container_port, b.key()),
            (53, 5353, "5353/tcp".into())
        );
        assert_eq!(
            PortBinding::parse("80").unwrap().host_port,
            0,
            "picked at start"
        );
        let b = PortBinding::parse("5353:53/udp").unwrap();
        assert_eq!(b.display(), "0.0.0.0:5353->53/udp");
        assert_eq!(b.proto(), ::network::firewall::Protocol::Udp);
    }

    #[test]
    fn bad_port_specs_are_refused() {
        for bad in [
            "",
            "0:80",
            "8080:0",
            "99999:80",
            "a:b",
            "53:53/sctp",
            "53:53/",
            "127.0.0.1:80:80",
            "1:2:3:4",
        ] {
            assert!(PortBinding::parse(bad).is_err(), "{bad:?}");
        }
    }
}

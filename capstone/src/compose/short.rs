//! The two short syntaxes that pack several fields into one string: a port
//! (`[HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]`, ranges allowed) and a volume
//! (`[SOURCE:]TARGET[:MODE]`), each turned into the long syntax's mapping. Spec: the Compose
//! Specification's `ports` and `volumes` sections.

use std::path::Path;
use yaml_serde::{Mapping, Value};

/// Builds a mapping from `(key, value)` pairs, leaving out absent values.
pub fn mapping(pairs: Vec<(&str, Option<Value>)>) -> Value {
    let mut map = Mapping::new();
    for (key, value) in pairs {
        if let Some(value) = value {
            map.insert(Value::from(key), value);
        }
    }
    Value::Mapping(map)
}

fn range(text: &str) -> Result<(u16, u16), String> {
    let number = |s: &str| {
        s.parse::<u16>()
            .map_err(|_| format!("{s:?} is not a port number (1-65535)"))
    };
    match text.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (number(a)?, number(b)?);
            if a > b {
                return Err(format!("the range {text:?} ends before it starts"));
            }
            Ok((a, b))
        }
        None => number(text).map(|p| (p, p)),
    }
}

/// `"127.0.0.1:8080-8081:80-81/udp"` → one long-syntax mapping per port of the range.
pub fn port(text: &str) -> Result<Vec<Value>, String> {
    let (spec, protocol) = match text.split_once('/') {
        Some((s, p)) if p == "tcp" || p == "udp" || p == "sctp" => (s, Some(p)),
        Some((_, p)) => return Err(format!("unknown protocol {p:?}: use tcp, udp or sctp")),
        None => (text, None),
    };
    let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
    let (target, published, host_ip) = match parts.as_slice() {
        [t] => (*t, None, None),
        [t, p] => (*t, Some(*p), None),
        [t, p, ip] => (*t, Some(*p), Some(*ip)),
        _ => unreachable!("rsplitn(3) yields one to three parts"),
    };
    let published = published.filter(|p| !p.is_empty());
    let (t0, t1) = range(target)?;
    let published = match published {
        None => None,
        Some(p) => {
            let (p0, p1) = range(p)?;
            if p1 - p0 != t1 - t0 && p0 != p1 {
                return Err(format!(
                    "the published range {p:?} and the target range {target:?} differ in length"
                ));
            }
            Some((p0, p1))
        }
    };
    let mut out = Vec::new();
    for (i, t) in (t0..=t1).enumerate() {
        let published = published.map(|(p0, p1)| {
            if p0 == p1 && t0 != t1 {
                p0.to_string() // one host port for a range: Docker picks within it
            } else {
                (p0 + i as u16).to_string()
            }
        });
        out.push(mapping(vec![
            ("target", Some(Value::from(t))),
            ("published", published.map(Value::from)),
            ("host_ip", host_ip.map(Value::from)),
            ("protocol", Some(Value::from(protocol.unwrap_or("tcp")))),
            ("mode", Some(Value::from("ingress"))),
        ]));
    }
    Ok(out)
}

/// `"./data:/srv:ro"`, `"db:/var/lib/db"` or `"/cache"` → the long syntax. A source starting
/// with `/`, `.` or `~` is a bind mount (made absolute against the project directory); any
/// other source is a named volume; no source is an anonymous volume.
pub fn volume(text: &str, project_dir: &Path) -> Result<Value, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, m] => (Some(*s), *t, Some(*m)),
        _ => {
            return Err(format!(
                "{text:?} has too many `:`: use SOURCE:TARGET[:MODE]"
            ));
        }
    };
    if !target.starts_with('/') {
        return Err(format!(
            "the target {target:?} is not an absolute path inside the container"
        ));
    }
    let mut read_only = false;
    let mut nocopy = false;
    for flag in mode.unwrap_or("").split(',').filter(|f| !f.is_empty()) {
        match flag {
            "ro" => read_only = true,
            "rw" | "z" | "Z" | "cached" | "delegated" | "consistent" => {}
            "nocopy" => nocopy = true,
            other => return Err(format!("unknown mode {other:?}: use ro, rw or nocopy")),
        }
    }
    // ANCHOR: bind_or_named
    let is_bind = source.is_some_and(|s| s.starts_with(['/', '.', '~']));
    let source = source.map(|s| {
        if is_bind {
            absolute(s, project_dir)
        } else {
            s.to_string()
        }
    });
    // ANCHOR_END: bind_or_named
    let kind = if is_bind { "bind" } else { "volume" };
    let options = if is_bind {
        (
            "bind",
            Some(mapping(vec![("create_host_path", Some(Value::from(true)))])),
        )
    } else {
        (
            "volume",
            nocopy.then(|| mapping(vec![("nocopy", Some(Value::from(true)))])),
        )
    };
    Ok(mapping(vec![
        ("type", Some(Value::from(kind))),
        ("source", source.map(Value::from)),
        ("target", Some(Value::from(target))),
        ("read_only", read_only.then_some(Value::from(true))),
        options,
    ]))
}

/// A host path made absolute: `~` is $HOME, a relative path is taken from the project directory.
pub fn absolute(path: &str, project_dir: &Path) -> String {
    if let Some(rest) = path.strip_prefix('~') {
        let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
        return format!("{home}{rest}");
    }
    let joined = project_dir.join(path);
    // Lexically drop `.` and resolve `..`, without touching the disk (the path may not exist).
    let mut out = std::path::PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(v: &Value) -> String {
        yaml_serde::to_string(v).unwrap()
    }

    #[test]
    fn ports_in_short_syntax_become_long_syntax() {
        let p = port("127.0.0.1:8080:80/udp").unwrap();
        assert_eq!(
            yaml(&p[0]),
            "target: 80\npublished: '8080'\nhost_ip: 127.0.0.1\nprotocol: udp\nmode: ingress\n"
        );
        assert_eq!(
            yaml(&port("80").unwrap()[0]),
            "target: 80\nprotocol: tcp\nmode: ingress\n"
        );
        let range = port("9000-9001:8000-8001").unwrap();
        assert_eq!(range.len(), 2);
        assert_eq!(range[1]["published"], Value::from("9001"));
        assert_eq!(range[1]["target"], Value::from(8001));
    }

    #[test]
    fn bad_ports_say_why() {
        assert!(port("http").unwrap_err().contains("not a port number"));
        assert!(port("80/icmp").unwrap_err().contains("unknown protocol"));
        assert!(port("1-3:1-2").unwrap_err().contains("differ in length"));
    }

    #[test]
    fn volumes_in_short_syntax_tell_bind_from_named_from_anonymous() {
        let dir = Path::new("/srv/app");
        let bind = volume("./data/../www:/var/www:ro", dir).unwrap();
        assert_eq!(bind["type"], Value::from("bind"));
        assert_eq!(bind["source"], Value::from("/srv/app/www"));
        assert_eq!(bind["read_only"], Value::from(true));
        let named = volume("db:/var/lib/db", dir).unwrap();
        assert_eq!(named["type"], Value::from("volume"));
        assert_eq!(named["source"], Value::from("db"));
        let anonymous = volume("/cache", dir).unwrap();
        assert!(anonymous.get("source").is_none());
        assert!(volume("db:relative", dir).is_err());
    }
}

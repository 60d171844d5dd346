//! One file's YAML made regular before it meets the typed model ([`super::spec`]): `x-`
//! extension keys removed, `${VAR}` interpolated in every string, and every short syntax
//! rewritten to its long one (Docker Compose does the same in compose-go's "transform" step).
//! Each rewrite knows its key path, so a malformed value is reported where it is.

mod service;

use super::error::{ComposeError, Result};
use super::interpolate::{Place, Vars, interpolate};
use service::{normalize_service, to_map};
use std::path::Path;
use yaml_serde::{Mapping, Value};

/// Keys of the Compose Specification that capstone does not implement: reported as such
/// rather than as unknown, so nobody hunts for a typo that is not there.
const UNSUPPORTED: &[&str] = &[
    "blkio_config",
    "cgroup",
    "cgroup_parent",
    "configs",
    "cpu_shares",
    "cpuset",
    "develop",
    "device_cgroup_rules",
    "devices",
    "domainname",
    "external_links",
    "group_add",
    "ipc",
    "isolation",
    "links",
    "logging",
    "mac_address",
    "pid",
    "platform",
    "secrets",
    "security_opt",
    "shm_size",
    "sysctls",
    "ulimits",
    "userns_mode",
    "volumes_from",
    "include",
    "extends",
    "annotations",
    "mem_reservation",
    "memswap_limit",
    "oom_score_adj",
    "runtime",
    "storage_opt",
];

/// What normalising one file needs to know.
pub struct Context<'a> {
    /// The file's name as the user gave it (for messages).
    pub file: &'a str,
    /// The variables for interpolation.
    pub vars: &'a Vars,
    /// Relative host paths are taken from here.
    pub project_dir: &'a Path,
}

impl Context<'_> {
    fn invalid(&self, path: &str, message: impl Into<String>) -> ComposeError {
        ComposeError::Invalid {
            file: self.file.to_string(),
            path: path.to_string(),
            message: message.into(),
        }
    }
}

/// Normalises a parsed file in place.
pub fn normalize(doc: &mut Value, cx: &Context) -> Result<()> {
    let Value::Mapping(top) = doc else {
        return Err(cx.invalid(
            "(top level)",
            "a compose file is a mapping with a `services:` key",
        ));
    };
    strip_extensions(top, "", cx)?;
    for section in ["services", "networks", "volumes"] {
        if let Some(Value::Mapping(entries)) = top.get_mut(section) {
            for (name, entry) in entries.iter_mut() {
                if let Value::Mapping(entry) = entry {
                    let path = format!("{section}.{}", key_text(name));
                    strip_extensions(entry, &path, cx)?;
                }
            }
        }
    }
    interpolate_all(doc, "", cx)?;
    let Value::Mapping(top) = doc else {
        unreachable!()
    };
    if let Some(Value::Mapping(services)) = top.get_mut("services") {
        for (name, service) in services.iter_mut() {
            let path = format!("services.{}", key_text(name));
            match service {
                Value::Mapping(service) => normalize_service(service, &path, cx)?,
                Value::Null => *service = Value::Mapping(Mapping::new()),
                _ => return Err(cx.invalid(&path, "a service must be a mapping")),
            }
        }
    }
    for section in ["networks", "volumes"] {
        if let Some(Value::Mapping(entries)) = top.get_mut(section) {
            for (name, entry) in entries.iter_mut() {
                if let Value::Mapping(entry) = entry {
                    let path = format!("{section}.{}", key_text(name));
                    for key in ["labels", "driver_opts"] {
                        to_map(entry, key, &path, cx)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => scalar(other).unwrap_or_else(|| "?".into()),
    }
}

/// Removes `x-…` keys and rejects the keys capstone does not implement.
fn strip_extensions(map: &mut Mapping, path: &str, cx: &Context) -> Result<()> {
    map.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with("x-")));
    if let Some(key) = map
        .keys()
        .filter_map(Value::as_str)
        .find(|k| UNSUPPORTED.contains(k))
    {
        let path = if path.is_empty() { "(top level)" } else { path };
        return Err(ComposeError::Unsupported {
            file: cx.file.to_string(),
            path: path.to_string(),
            key: key.to_string(),
        });
    }
    Ok(())
}

fn interpolate_all(value: &mut Value, path: &str, cx: &Context) -> Result<()> {
    match value {
        Value::String(s) if s.contains('$') => {
            let place = Place {
                file: cx.file,
                path,
            };
            *s = interpolate(s, cx.vars, &place)?;
        }
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                let sub = if path.is_empty() {
                    key_text(k)
                } else {
                    format!("{path}.{}", key_text(k))
                };
                interpolate_all(v, &sub, cx)?;
            }
        }
        Value::Sequence(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                interpolate_all(v, &format!("{path}[{i}]"), cx)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A scalar as the string Compose uses (`8080` → `"8080"`); `None` for null and collections.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(text: &str) -> Result<Value> {
        let vars: Vars = [("TAG".to_string(), "1.36".to_string())].into();
        let mut doc: Value = yaml_serde::from_str(text).unwrap();
        doc.apply_merge().unwrap();
        let cx = Context {
            file: "compose.yaml",
            vars: &vars,
            project_dir: Path::new("/p"),
        };
        normalize(&mut doc, &cx).map(|()| doc)
    }

    #[test]
    fn anchors_merge_keys_and_extensions() {
        let doc = normalized(
            "x-base: &base\n  image: busybox:${TAG}\n  restart: always\n\
             services:\n  web:\n    <<: *base\n    x-note: ignored\n    restart: 'no'\n",
        )
        .unwrap();
        assert!(doc.get("x-base").is_none());
        let web = &doc["services"]["web"];
        assert_eq!(web["image"], Value::from("busybox:1.36"));
        assert_eq!(
            web["restart"],
            Value::from("no"),
            "the service's own key wins over <<"
        );
        assert!(web.get("x-note").is_none());
    }

    #[test]
    fn short_syntaxes_become_long() {
        let doc = normalized(
            "services:\n  web:\n    build: ./web\n    environment: [A=1, B]\n    dns: 1.1.1.1\n\
             \x20   networks: [front]\n    depends_on: [db]\n    command: [sleep, 10]\n",
        )
        .unwrap();
        let web = &doc["services"]["web"];
        assert_eq!(web["build"]["context"], Value::from("/p/web"));
        assert_eq!(web["environment"]["A"], Value::from("1"));
        assert_eq!(web["environment"]["B"], Value::Null);
        assert_eq!(web["dns"][0], Value::from("1.1.1.1"));
        assert_eq!(web["networks"]["front"], Value::Null);
        assert_eq!(
            web["depends_on"]["db"]["condition"],
            Value::from("service_started")
        );
        assert_eq!(web["command"][1], Value::from("10"));
    }

    #[test]
    fn malformed_values_name_their_path() {
        let e = normalized("services:\n  web:\n    environment: [{A: 1}]\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "compose.yaml: services.web.environment[0]: expected a string KEY=VALUE"
        );
        let e = normalized("services:\n  web:\n    image: x\n    secrets: [s]\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("\"secrets\" is part of the Compose Specification")
        );
    }
}

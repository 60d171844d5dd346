//! One service's short syntaxes rewritten to long ones, key by key: `build: ./dir`, an
//! environment list, a single-string `dns`, `ports: ["8080:80"]`, `volumes: ["db:/data"]`,
//! `networks: [a, b]`, `depends_on: [db]`… Spec: the Compose Specification's "services" section.

use super::{Context, key_text, scalar};
use crate::compose::error::Result;
use crate::compose::short::{self, absolute, mapping};
use yaml_serde::{Mapping, Value};

/// Normalises the service at `path` in place.
pub fn normalize_service(svc: &mut Mapping, path: &str, cx: &Context) -> Result<()> {
    if let Some(build) = svc.get_mut("build") {
        let p = format!("{path}.build");
        if let Some(context) = build.as_str() {
            *build = mapping(vec![("context", Some(Value::from(context)))]);
        }
        let Value::Mapping(b) = build else {
            return Err(cx.invalid(&p, "build is a path or a mapping"));
        };
        if let Some(context) = b.get("context").and_then(Value::as_str) {
            let context = absolute(context, cx.project_dir);
            b.insert("context".into(), context.into());
        }
        to_map(b, "args", &p, cx)?;
        to_map(b, "labels", &p, cx)?;
    }
    for key in ["command", "entrypoint"] {
        command(svc.get_mut(key), &format!("{path}.{key}"), cx)?;
    }
    if let Some(Value::Mapping(hc)) = svc.get_mut("healthcheck") {
        command(hc.get_mut("test"), &format!("{path}.healthcheck.test"), cx)?;
    }
    for key in ["environment", "labels"] {
        to_map(svc, key, path, cx)?;
    }
    for key in [
        "env_file", "tmpfs", "dns", "cap_add", "cap_drop", "profiles", "expose",
    ] {
        to_list(svc, key, path, cx)?;
    }
    if let Some(Value::Sequence(files)) = svc.get_mut("env_file") {
        for f in files.iter_mut() {
            if let Some(s) = f.as_str() {
                *f = absolute(s, cx.project_dir).into();
            }
        }
    }
    if let Some(Value::Mapping(hosts)) = svc.get("extra_hosts") {
        let list = hosts.iter().map(|(h, ip)| {
            Value::from(format!(
                "{}:{}",
                key_text(h),
                scalar(ip).unwrap_or_default()
            ))
        });
        let list = Value::Sequence(list.collect());
        svc.insert("extra_hosts".into(), list);
    }
    for key in ["mem_limit"] {
        if let Some(v) = svc.get_mut(key).filter(|v| v.is_number()) {
            *v = scalar(v).unwrap_or_default().into();
        }
    }
    if let Some(v) = svc.get_mut("cpus")
        && let Some(s) = v.as_str()
    {
        let n: f64 = s.parse().map_err(|_| {
            cx.invalid(
                &format!("{path}.cpus"),
                format!("{s:?} is not a number of CPUs"),
            )
        })?;
        *v = n.into();
    }
    if let Some(Value::Mapping(limits)) = svc
        .get_mut("deploy")
        .and_then(|d| d.get_mut("resources"))
        .and_then(|r| r.get_mut("limits"))
    {
        if let Some(v) = limits.get_mut("memory").filter(|v| v.is_number()) {
            *v = scalar(v).unwrap_or_default().into();
        }
        if let Some(v) = limits.get_mut("cpus")
            && let Some(n) = v.as_str().and_then(|s| s.parse::<f64>().ok())
        {
            *v = n.into();
        }
    }
    ports(svc, path, cx)?;
    volumes(svc, path, cx)?;
    list_to_map(svc, "networks", path, cx, |_| Value::Null)?;
    list_to_map(svc, "depends_on", path, cx, |_| {
        mapping(vec![("condition", Some("service_started".into()))])
    })?;
    Ok(())
}

/// A command is a string or a list of strings: `[sleep, 10]`'s `10` becomes `"10"`.
fn command(value: Option<&mut Value>, path: &str, cx: &Context) -> Result<()> {
    match value {
        None | Some(Value::Null | Value::String(_)) => Ok(()),
        Some(Value::Sequence(items)) => {
            for (i, item) in items.iter_mut().enumerate() {
                let text = scalar(item)
                    .ok_or_else(|| cx.invalid(&format!("{path}[{i}]"), "expected a string"))?;
                *item = text.into();
            }
            Ok(())
        }
        Some(_) => Err(cx.invalid(path, "expected a string or a list of strings")),
    }
}

/// `["A=1", "B"]` or `{A: 1, B: null}` → `{A: "1", B: null}`.
pub fn to_map(map: &mut Mapping, key: &str, path: &str, cx: &Context) -> Result<()> {
    let p = format!("{path}.{key}");
    let Some(value) = map.get_mut(key) else {
        return Ok(());
    };
    let mut out = Mapping::new();
    match value {
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                let text = scalar(item).ok_or_else(|| {
                    cx.invalid(&format!("{p}[{i}]"), "expected a string KEY=VALUE")
                })?;
                match text.split_once('=') {
                    Some((k, v)) => out.insert(k.into(), v.into()),
                    None => out.insert(text.into(), Value::Null),
                };
            }
        }
        Value::Mapping(entries) => {
            for (k, v) in entries.iter() {
                let v = match v {
                    Value::Null => Value::Null,
                    other => scalar(other)
                        .ok_or_else(|| {
                            cx.invalid(
                                &format!("{p}.{}", key_text(k)),
                                "expected a string, number or boolean",
                            )
                        })?
                        .into(),
                };
                out.insert(key_text(k).into(), v);
            }
        }
        Value::Null => {}
        _ => return Err(cx.invalid(&p, "expected a list of KEY=VALUE or a mapping")),
    }
    *value = Value::Mapping(out);
    Ok(())
}

/// A single string (or number) → a one-item list of strings.
fn to_list(map: &mut Mapping, key: &str, path: &str, cx: &Context) -> Result<()> {
    let Some(value) = map.get_mut(key) else {
        return Ok(());
    };
    let items = match &mut *value {
        Value::Sequence(items) => std::mem::take(items),
        Value::Null => Vec::new(),
        other => vec![(*other).clone()],
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let text = scalar(item)
            .ok_or_else(|| cx.invalid(&format!("{path}.{key}[{i}]"), "expected a string"))?;
        out.push(Value::from(text));
    }
    *value = Value::Sequence(out);
    Ok(())
}

/// `[a, b]` → `{a: DEFAULT, b: DEFAULT}` (networks, depends_on); a mapping stays.
fn list_to_map(
    map: &mut Mapping,
    key: &str,
    path: &str,
    cx: &Context,
    default: impl Fn(&str) -> Value,
) -> Result<()> {
    let Some(value) = map.get_mut(key) else {
        return Ok(());
    };
    if let Value::Sequence(items) = value {
        let mut out = Mapping::new();
        for (i, item) in items.iter().enumerate() {
            let name = item
                .as_str()
                .ok_or_else(|| cx.invalid(&format!("{path}.{key}[{i}]"), "expected a name"))?;
            out.insert(name.into(), default(name));
        }
        *value = Value::Mapping(out);
    }
    Ok(())
}

fn ports(svc: &mut Mapping, path: &str, cx: &Context) -> Result<()> {
    let Some(Value::Sequence(items)) = svc.get_mut("ports") else {
        return Ok(());
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}.ports[{i}]");
        match item {
            Value::Mapping(long) => {
                let mut long = long.clone();
                if let Some(v) = long.get_mut("published").filter(|v| v.is_number()) {
                    *v = scalar(v).unwrap_or_default().into();
                }
                out.push(Value::Mapping(long));
            }
            other => {
                let text = scalar(other)
                    .ok_or_else(|| cx.invalid(&p, "expected a port string or mapping"))?;
                out.extend(short::port(&text).map_err(|m| cx.invalid(&p, m))?);
            }
        }
    }
    *items = out;
    Ok(())
}

fn volumes(svc: &mut Mapping, path: &str, cx: &Context) -> Result<()> {
    let Some(Value::Sequence(items)) = svc.get_mut("volumes") else {
        return Ok(());
    };
    for (i, item) in items.iter_mut().enumerate() {
        let p = format!("{path}.volumes[{i}]");
        match item {
            Value::String(text) => {
                *item = short::volume(text, cx.project_dir).map_err(|m| cx.invalid(&p, m))?
            }
            Value::Mapping(long) => {
                if long.get("type").and_then(Value::as_str) == Some("bind")
                    && let Some(source) = long.get("source").and_then(Value::as_str)
                {
                    let source = absolute(source, cx.project_dir);
                    long.insert("source".into(), source.into());
                }
            }
            _ => return Err(cx.invalid(&p, "expected SOURCE:TARGET[:MODE] or a mapping")),
        }
    }
    Ok(())
}

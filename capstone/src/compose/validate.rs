//! Checks on the merged project that no single file can make: every service has an image or
//! a build, names only networks, volumes and services that exist, and `depends_on` has no
//! cycle (start order must be a topological order, so a cycle could never start). Messages
//! follow Docker Compose v2's ("service "web" refers to undefined network back") and add the
//! files and the key path. [`start_order`] is the order that the check guarantees exists.

use super::error::{ComposeError, Result};
use super::spec::ComposeFile;
use crate::model::clock;
use std::collections::BTreeMap;

/// Validates a merged model; `files` names the files it came from.
pub fn validate(model: &ComposeFile, files: &str) -> Result<()> {
    let fail =
        |path: String, what: String| Err(ComposeError::Project(format!("{files}: {path}: {what}")));
    for (name, service) in &model.services {
        let at = |key: &str| format!("services.{name}.{key}");
        if service.image.is_none() && service.build.is_none() {
            return fail(
                format!("services.{name}"),
                format!(
                    "service {name:?} has neither an image nor a build context specified: add image: or build:"
                ),
            );
        }
        for network in service.networks.keys() {
            if !model.networks.contains_key(network) {
                return fail(
                    at("networks"),
                    format!(
                        "service {name:?} refers to undefined network {network}: declare it under the top-level networks:"
                    ),
                );
            }
        }
        for volume in &service.volumes {
            if let (Some(source), "volume") = (&volume.source, volume.kind.as_str())
                && !model.volumes.contains_key(source)
            {
                return fail(
                    at("volumes"),
                    format!(
                        "service {name:?} refers to undefined volume {source}: declare it under the top-level volumes:"
                    ),
                );
            }
        }
        if let Some(restart) = &service.restart {
            let ok = matches!(
                restart.as_str(),
                "no" | "always" | "unless-stopped" | "on-failure"
            ) || restart
                .strip_prefix("on-failure:")
                .is_some_and(|n| n.parse::<u32>().is_ok());
            if !ok {
                return fail(
                    at("restart"),
                    format!(
                        "{restart:?} is not a restart policy: use no, always, on-failure[:N] or unless-stopped"
                    ),
                );
            }
        }
        let healthcheck = service.healthcheck.as_ref();
        let durations = [
            ("stop_grace_period", service.stop_grace_period.as_ref()),
            (
                "healthcheck.interval",
                healthcheck.and_then(|h| h.interval.as_ref()),
            ),
            (
                "healthcheck.timeout",
                healthcheck.and_then(|h| h.timeout.as_ref()),
            ),
            (
                "healthcheck.start_period",
                healthcheck.and_then(|h| h.start_period.as_ref()),
            ),
            (
                "healthcheck.start_interval",
                healthcheck.and_then(|h| h.start_interval.as_ref()),
            ),
        ];
        for (key, value) in durations {
            if let Some(value) = value.filter(|v| clock::parse_go_duration(v).is_none()) {
                return fail(
                    at(key),
                    format!(
                        "{value:?} is not a duration: write it as Go does, e.g. 2s, 1m30s or 500ms"
                    ),
                );
            }
        }
        for (dependency, how) in &service.depends_on {
            if how.required && !model.services.contains_key(dependency) {
                return fail(
                    at("depends_on"),
                    format!("service {name:?} depends on undefined service {dependency:?}"),
                );
            }
        }
    }
    if let Some(cycle) = dependency_cycle(model) {
        return fail(
            "depends_on".into(),
            format!("dependency cycle detected: {}", cycle.join(" -> ")),
        );
    }
    Ok(())
}

/// The order `up` starts services in: waves, each depending only on earlier waves (Kahn's
/// algorithm on `depends_on`); `down` stops them in reverse. Call after [`validate`], which
/// rules out cycles (a service on a cycle would be left out).
pub fn start_order(model: &ComposeFile) -> Vec<Vec<String>> {
    let mut done: Vec<&str> = Vec::new();
    let mut waves = Vec::new();
    loop {
        let wave: Vec<String> = model
            .services
            .iter()
            .filter(|(name, _)| !done.contains(&name.as_str()))
            .filter(|(_, s)| {
                s.depends_on
                    .keys()
                    .all(|d| done.contains(&d.as_str()) || !model.services.contains_key(d))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if wave.is_empty() {
            return waves;
        }
        done.extend(
            model
                .services
                .keys()
                .filter(|n| wave.contains(n))
                .map(String::as_str),
        );
        waves.push(wave);
    }
}

/// The first `depends_on` cycle found by a depth-first search, as `a -> b -> a`.
fn dependency_cycle(model: &ComposeFile) -> Option<Vec<String>> {
    fn visit<'a>(
        name: &'a str,
        model: &'a ComposeFile,
        state: &mut BTreeMap<&'a str, bool>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match state.get(name) {
            Some(true) => return None, // finished earlier
            Some(false) => {
                let start = stack.iter().position(|n| *n == name).unwrap_or(0);
                let mut cycle: Vec<String> = stack[start..].iter().map(|s| s.to_string()).collect();
                cycle.push(name.to_string());
                return Some(cycle);
            }
            None => {}
        }
        state.insert(name, false);
        stack.push(name);
        if let Some(service) = model.services.get(name) {
            for dependency in service.depends_on.keys() {
                if let Some(cycle) = visit(dependency, model, state, stack) {
                    return Some(cycle);
                }
            }
        }
        stack.pop();
        state.insert(name, true);
        None
    }
    let mut state = BTreeMap::new();
    model
        .services
        .keys()
        .find_map(|name| visit(name, model, &mut state, &mut Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> ComposeFile {
        yaml_serde::from_str(text).unwrap()
    }

    #[test]
    fn a_cycle_is_named_in_order() {
        let m = model(
            "services: {a: {image: x, depends_on: {b: {condition: service_started}}}, b: {image: x, depends_on: {a: {condition: service_healthy}}}}",
        );
        let e = validate(&m, "f.yaml").unwrap_err().to_string();
        assert_eq!(
            e,
            "f.yaml: depends_on: dependency cycle detected: a -> b -> a"
        );
    }

    #[test]
    fn services_start_in_waves_after_their_dependencies() {
        let m = model(
            "services: {front: {image: x, depends_on: {back: {condition: service_started}}}, \
             back: {image: x, depends_on: {db: {condition: service_healthy}}}, db: {image: x}, \
             cache: {image: x}}",
        );
        assert_eq!(
            start_order(&m),
            [vec!["cache", "db"], vec!["back"], vec!["front"]]
        );
    }

    #[test]
    fn a_duration_without_a_unit_is_refused_naming_its_key() {
        let m = model("services: {a: {image: x, healthcheck: {interval: 2}}}");
        let e = validate(&m, "f").unwrap_err().to_string();
        assert!(
            e.starts_with("f: services.a.healthcheck.interval: \"2\" is not a duration"),
            "{e}"
        );
    }

    #[test]
    fn undefined_networks_and_missing_images_are_errors() {
        let m = model("services: {a: {image: x, networks: {back: null}}}");
        assert!(
            validate(&m, "f")
                .unwrap_err()
                .to_string()
                .contains("undefined network back")
        );
        let m = model("services: {a: {restart: always}}");
        assert!(
            validate(&m, "f")
                .unwrap_err()
                .to_string()
                .contains("neither an image nor a build")
        );
    }
}

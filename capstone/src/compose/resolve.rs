//! What Docker Compose works out once the files are merged: the project's name, the services
//! that the enabled profiles leave active, `env_file` contents and variables pulled into
//! `environment`, the implicit `default` network, and the real names of networks and volumes.

use super::error::{ComposeError, Result};
use super::interpolate::{Vars, read_env_file};
use super::spec::{ComposeFile, Network, Volume};
use std::path::Path;

/// Docker Compose's project name: `-p`, else `$COMPOSE_PROJECT_NAME`, else `name:`, else the
/// project directory's name lower-cased with everything but `a-z0-9_-` removed.
pub fn project_name(
    flag: Option<&str>,
    vars: &Vars,
    model: &ComposeFile,
    dir: &Path,
) -> Result<String> {
    let given = flag
        .map(String::from)
        .or_else(|| vars.get("COMPOSE_PROJECT_NAME").cloned())
        .or(model.name.clone());
    let valid = |n: &str| {
        n.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    };
    if let Some(name) = given.filter(|n| !n.is_empty()) {
        return match valid(&name) {
            true => Ok(name),
            false => Err(ComposeError::Project(format!(
                "invalid project name {name:?}: it must contain only lower-case letters, digits, dashes and underscores, and start with a letter or digit"
            ))),
        };
    }
    let base = dir
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name: String = base
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    let name = name.trim_start_matches(['_', '-']).to_string();
    match name.is_empty() {
        false => Ok(name),
        true => Err(ComposeError::Project(format!(
            "cannot make a project name from the directory {}: use -p NAME or name: in the file",
            dir.display()
        ))),
    }
}

/// What Docker Compose fills in: profiles, `env_file` values, the default network and the
/// real names of networks and volumes (`<project>_<key>`).
pub fn resolve(
    model: &mut ComposeFile,
    project: &str,
    vars: &Vars,
    profiles: &[String],
) -> Result<()> {
    let mut enabled: Vec<String> = profiles.to_vec();
    if let Some(list) = vars.get("COMPOSE_PROFILES") {
        enabled.extend(list.split(',').filter(|p| !p.is_empty()).map(String::from));
    }
    model.services.retain(|_, s| {
        s.profiles.is_empty()
            || s.profiles
                .iter()
                .any(|p| enabled.contains(p) || enabled.iter().any(|e| e == "*"))
    });
    let mut uses_default = false;
    for service in model.services.values_mut() {
        let mut environment = std::collections::BTreeMap::new();
        for file in &service.env_file {
            let values = read_env_file(Path::new(file))?;
            environment.extend(values.into_iter().map(|(k, v)| (k, Some(v))));
        }
        for (k, v) in std::mem::take(&mut service.environment) {
            let v = v.or_else(|| vars.get(&k).cloned());
            environment.insert(k, v);
        }
        service.environment = environment;
        if service.networks.is_empty() && service.network_mode.is_none() {
            service.networks.insert("default".into(), None);
        }
        uses_default |= service.networks.contains_key("default");
    }
    if uses_default {
        model.networks.entry("default".into()).or_insert(None);
    }
    for (key, network) in model.networks.iter_mut() {
        let n = network.get_or_insert_with(Network::default);
        if n.name.is_none() {
            n.name = Some(if n.external == Some(true) {
                key.clone()
            } else {
                format!("{project}_{key}")
            });
        }
    }
    for (key, volume) in model.volumes.iter_mut() {
        let v = volume.get_or_insert_with(Volume::default);
        if v.name.is_none() {
            v.name = Some(if v.external == Some(true) {
                key.clone()
            } else {
                format!("{project}_{key}")
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(flag: Option<&str>, file: Option<&str>, dir: &str) -> Result<String> {
        let model = ComposeFile {
            name: file.map(String::from),
            ..Default::default()
        };
        project_name(flag, &Vars::new(), &model, Path::new(dir))
    }

    #[test]
    fn the_flag_beats_the_file_which_beats_the_directory() {
        assert_eq!(name(Some("p"), Some("f"), "/x/d").unwrap(), "p");
        assert_eq!(name(None, Some("f"), "/x/d").unwrap(), "f");
        assert_eq!(name(None, None, "/x/My App.v2").unwrap(), "myappv2");
        assert_eq!(name(None, None, "/x/_Leafy-2").unwrap(), "leafy-2");
    }

    #[test]
    fn a_given_name_is_checked_not_rewritten() {
        let e = name(Some("My App"), None, "/x/d").unwrap_err().to_string();
        assert!(e.starts_with("invalid project name \"My App\""), "{e}");
        assert!(name(None, None, "/x/...").is_err());
    }
}

//! Parsing Docker's `-v SOURCE:DESTINATION[:MODE]` and `--mount type=…,source=…,target=…`
//! into [`Spec`]s. Only what can be known on the host is checked here — absolute paths, that a
//! bind's host path exists, the mode, the volume name — and it runs before `create` writes
//! anything, so bad input leaves nothing behind. Where the destination really leads inside
//! the image is only known later, inside the container (`mechanisms::volumes::resolve`).

use crate::error::VolumeError as Error;
use std::path::{Component, Path, PathBuf};

/// Where a mount's content comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A host path (`-v /srv/www:/usr/share/www`).
    Host(PathBuf),
    /// A named volume (`-v pgdata:/var/lib/postgresql`).
    Named(String),
    /// A new volume with a random name (`-v /var/cache`, or an image's `VOLUME`).
    Anonymous,
}

/// One parsed `-v` or `--mount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// What is mounted.
    pub source: Source,
    /// The cleaned absolute path inside the container.
    pub destination: String,
    /// The mode as given (`ro`, `rw,nocopy`, … or empty), shown by `inspect`.
    pub mode: String,
    /// Writable.
    pub rw: bool,
    /// Fill a new volume from the image (Docker's default; off with `nocopy`).
    pub copy_up: bool,
}

/// Parses every `-v` and `--mount` of a `create` and refuses two mounts on one destination.
pub fn parse_all(volumes: &[String], mounts: &[String]) -> Result<Vec<Spec>, Error> {
    let mut specs = Vec::new();
    for v in volumes {
        specs.push(parse_volume(v)?);
    }
    for m in mounts {
        specs.push(parse_mount(m)?);
    }
    for (i, s) in specs.iter().enumerate() {
        if specs[..i]
            .iter()
            .any(|earlier| earlier.destination == s.destination)
        {
            return Err(spec_error(&s.destination, "duplicate mount point"));
        }
    }
    Ok(specs)
}

/// `-v`: `DEST` (anonymous), `SOURCE:DEST` or `SOURCE:DEST:MODE`; a source starting with `/`
/// is a host path, anything else a volume name.
pub fn parse_volume(value: &str) -> Result<Spec, Error> {
    let parts: Vec<&str> = value.split(':').collect();
    if parts.iter().any(|p| p.is_empty()) || parts.len() > 3 {
        return Err(spec_error(value, "expected [SOURCE:]DESTINATION[:MODE]"));
    }
    let (source, destination, mode) = match parts[..] {
        [dest] => (Source::Anonymous, dest, ""),
        [src, dest] => (source_of(src)?, dest, ""),
        [src, dest, mode] => (source_of(src)?, dest, mode),
        _ => unreachable!("checked above"),
    };
    let (rw, copy_up) = parse_mode(mode)?;
    Ok(Spec {
        copy_up,
        destination: clean_destination(value, destination)?,
        source,
        mode: mode.into(),
        rw,
    })
}

/// `--mount type=bind|volume,source=…,target=…[,readonly][,volume-nocopy]` (`src`, `dst`,
/// `destination` and `ro` are accepted as Docker accepts them).
pub fn parse_mount(value: &str) -> Result<Spec, Error> {
    let (mut kind, mut source, mut target) = ("volume", None, None);
    let (mut rw, mut copy_up) = (true, true);
    for field in value.split(',') {
        let (key, val) = field.split_once('=').unwrap_or((field, ""));
        let flag = || match val {
            "" | "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(spec_error(value, format!("{key} takes true or false"))),
        };
        match key {
            "type" => kind = val,
            "source" | "src" => source = Some(val),
            "target" | "destination" | "dst" => target = Some(val),
            "readonly" | "ro" => rw = !flag()?,
            "volume-nocopy" => copy_up = !flag()?,
            _ => return Err(spec_error(value, format!("unknown field {key:?}"))),
        }
    }
    let target = target.ok_or_else(|| spec_error(value, "target is required"))?;
    let source = match (kind, source) {
        ("bind", Some(src)) if src.starts_with('/') => host_source(src)?,
        ("bind", _) => return Err(spec_error(value, "a bind mount needs an absolute source")),
        ("volume", None | Some("")) => Source::Anonymous,
        ("volume", Some(name)) => {
            check_name(name)?;
            Source::Named(name.into())
        }
        _ => return Err(spec_error(value, "type must be bind or volume")),
    };
    Ok(Spec {
        destination: clean_destination(value, target)?,
        source,
        mode: String::new(),
        rw,
        copy_up,
    })
}

/// Docker's rule for local volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`. A name is also a
/// directory name under `<root>/volumes`, so this keeps `/` and `..` out.
pub fn check_name(name: &str) -> Result<(), Error> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if first_ok && rest_ok && name.len() >= 2 {
        Ok(())
    } else {
        Err(Error::Name { name: name.into() })
    }
}

fn source_of(src: &str) -> Result<Source, Error> {
    if src.starts_with('/') {
        host_source(src)
    } else {
        check_name(src)?;
        Ok(Source::Named(src.into()))
    }
}

/// A bind's host path must exist: unlike Docker's `-v`, which silently creates a missing
/// directory (a well-known trap when the path has a typo), we refuse, as `--mount` does.
fn host_source(src: &str) -> Result<Source, Error> {
    let path = PathBuf::from(src);
    match std::fs::metadata(&path) {
        Ok(_) => Ok(Source::Host(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::SourceMissing { path }),
        Err(source) => Err(Error::BindSource { path, source }),
    }
}

/// `ro`, `rw` and `nocopy`, comma-separated; returns (writable, copy up).
fn parse_mode(mode: &str) -> Result<(bool, bool), Error> {
    let (mut rw, mut copy_up) = (None, true);
    for word in mode.split(',').filter(|w| !w.is_empty()) {
        match (word, rw) {
            ("ro", None) => rw = Some(false),
            ("rw", None) => rw = Some(true),
            ("nocopy", _) if copy_up => copy_up = false,
            _ => return Err(Error::Mode { mode: mode.into() }),
        }
    }
    Ok((rw.unwrap_or(true), copy_up))
}

/// Checks and cleans a destination: it must be absolute and not `/`; `.`, `..` and doubled slashes are cleaned
/// lexically (`..` cannot climb above `/`), as Docker's `filepath.Clean` does.
pub fn clean_destination(spec: &str, dest: &str) -> Result<String, Error> {
    if !dest.starts_with('/') {
        return Err(spec_error(
            spec,
            format!("the destination {dest:?} must be an absolute path inside the container"),
        ));
    }
    let mut parts: Vec<&str> = Vec::new();
    for c in Path::new(dest).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str().unwrap_or_default()),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    if parts.is_empty() {
        return Err(spec_error(spec, "the destination cannot be `/`"));
    }
    Ok(format!("/{}", parts.join("/")))
}

fn spec_error(spec: &str, why: impl Into<String>) -> Error {
    Error::Spec {
        spec: spec.into(),
        why: why.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_of_dash_v_parse_as_docker_reads_them() {
        let anon = parse_volume("/cache").unwrap();
        assert_eq!(
            (anon.source, anon.destination.as_str()),
            (Source::Anonymous, "/cache")
        );
        let named = parse_volume("data:/var/lib/db/:ro").unwrap();
        assert_eq!(named.source, Source::Named("data".into()));
        assert_eq!(
            (named.destination.as_str(), named.rw),
            ("/var/lib/db", false)
        );
        let bind = parse_volume("/tmp:/a/../host").unwrap();
        assert_eq!(bind.source, Source::Host("/tmp".into()));
        assert_eq!((bind.destination.as_str(), bind.rw), ("/host", true));
    }

    #[test]
    fn bad_values_are_refused_with_what_was_wrong() {
        assert!(matches!(parse_volume("./data:/x"), Err(Error::Name { .. })));
        assert!(matches!(
            parse_volume("/tmp:/x:rx"),
            Err(Error::Mode { .. })
        ));
        assert!(matches!(
            parse_volume("/tmp:/x:ro,rw"),
            Err(Error::Mode { .. })
        ));
        assert!(matches!(
            parse_volume("/no/such/dir/here:/x"),
            Err(Error::SourceMissing { .. })
        ));
        assert!(matches!(
            parse_volume("data:relative"),
            Err(Error::Spec { .. })
        ));
        assert!(matches!(parse_volume("data:/"), Err(Error::Spec { .. })));
        assert!(matches!(parse_volume("a:b:c:d"), Err(Error::Spec { .. })));
        let two = [String::from("a1:/x"), String::from("b1:/x/")];
        assert!(matches!(parse_all(&two, &[]), Err(Error::Spec { .. })));
    }

    #[test]
    fn dash_dash_mount_fields_map_to_the_same_specs() {
        let m = parse_mount("type=bind,src=/tmp,dst=/t,readonly").unwrap();
        assert_eq!((m.source, m.rw), (Source::Host("/tmp".into()), false));
        let v = parse_mount("type=volume,target=/v,volume-nocopy").unwrap();
        assert_eq!((v.source, v.copy_up), (Source::Anonymous, false));
        assert!(parse_mount("type=tmpfs,target=/t").is_err());
        assert!(parse_mount("source=vol").is_err());
    }
}

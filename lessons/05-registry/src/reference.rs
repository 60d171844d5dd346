//! Image references, parsed exactly as Docker parses them.
//!
//! `alpine` is short for `docker.io/library/alpine:latest`. The grammar is the one in
//! distribution's `reference` package (the code behind `docker pull`):
//!
//! ```text
//! reference  := name [ ":" tag ] [ "@" digest ]
//! name       := [ domain "/" ] path
//! domain     := host [ ":" port ]          host: DNS labels, "localhost" or an IP
//! path       := component ( "/" component )*
//! component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
//! tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
//! digest     := algorithm ":" hex           sha256 → exactly 64 lower-case hex digits
//! ```
//!
//! The first `/`-separated part is a registry host only when it looks like one (it contains a
//! `.` or a `:`, or is `localhost`); otherwise the whole name is a Docker Hub repository.

use std::fmt;

/// Docker Hub's registry name, as it appears in normalized references.
pub const DOCKER_HUB: &str = "docker.io";
/// The host that actually serves Docker Hub's `/v2/` API (`docker.io` is only a name).
pub const DOCKER_HUB_API_HOST: &str = "registry-1.docker.io";
/// Longest repository path (`library/alpine`; the registry not counted) that Docker accepts.
pub const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// A parsed, normalized image reference: which registry, which repository, which version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Registry host and optional port: `docker.io`, `127.0.0.1:5000`, `ghcr.io`.
    pub registry: String,
    /// Repository path inside the registry: `library/alpine`, `ns/team/app`.
    pub repository: String,
    /// Tag, `latest` when neither a tag nor a digest was given.
    pub tag: Option<String>,
    /// Content digest (`sha256:…`) pinning the exact manifest, if given.
    pub digest: Option<String>,
}

/// Why a string is not a valid image reference (the reasons Docker gives).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReferenceError {
    /// Nothing to parse.
    #[error("invalid reference format: repository name must have at least one component")]
    Empty,
    /// Upper-case letters in the repository path (the registry host may have them).
    #[error("invalid reference format: repository name must be lowercase: {input:?}")]
    Uppercase {
        /// The whole reference as typed.
        input: String,
    },
    /// A 64-hex-digit name, which Docker reserves for image ids.
    #[error(
        "invalid repository name ({input}), cannot specify 64-byte hexadecimal strings: use `name@sha256:{input}` to pull by digest"
    )]
    LooksLikeImageId {
        /// The whole reference as typed.
        input: String,
    },
    /// The repository path (registry not included) is longer than 255 characters.
    #[error(
        "invalid reference format: repository name must not be more than 255 characters ({len})"
    )]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// A path component breaks the `[a-z0-9]+(separator[a-z0-9]+)*` rule.
    #[error(
        "invalid reference format: path component {component:?} in {input:?} must be lower-case letters and digits, joined by one '.', one or two '_', or '-'s"
    )]
    BadComponent {
        /// The offending component (may be empty: `a//b`).
        component: String,
        /// The whole reference as typed.
        input: String,
    },
    /// The registry part is not a host name, IP address or host:port.
    #[error("invalid reference format: registry {domain:?} is not a valid host[:port]")]
    BadDomain {
        /// The registry part.
        domain: String,
    },
    /// The tag breaks `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    #[error(
        "invalid tag format: {tag:?} must start with a letter, digit or '_', continue with letters, digits, '_', '.' or '-', and be at most 128 characters"
    )]
    BadTag {
        /// The offending tag.
        tag: String,
    },
    /// The digest is not `algorithm:hex` (sha256 needs 64 lower-case hex digits).
    #[error(
        "invalid digest format: {digest:?} must be sha256: followed by 64 lower-case hex digits"
    )]
    BadDigest {
        /// The offending digest.
        digest: String,
    },
}

impl Reference {
    /// Parses `s` as `docker pull` would, filling in `docker.io`, `library/` and `latest`.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        if s.is_empty() {
            return Err(ReferenceError::Empty);
        }
        if s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(ReferenceError::LooksLikeImageId { input: s.into() });
        }
        // Split from the right: the digest after '@', then a tag after the last ':' that
        // comes after the last '/' (a ':' before it belongs to a registry port).
        let (rest, digest) = match s.rsplit_once('@') {
            Some((rest, digest)) => (rest, Some(validate_digest(digest)?)),
            None => (s, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(validate_tag(&rest[last_slash + i + 1..])?),
            ),
            None => (rest, None),
        };
        if name.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let (registry, repository) = split_registry(name);
        // Docker limits the repository path *after* normalisation (`library/` included, the
        // registry not): `docker pull` takes 247 `a`s and refuses 248. Checking the name as
        // typed let `a`×250 parse but not its printed form, breaking the `reference` fuzz target's
        // round trip.
        if repository.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(ReferenceError::TooLong {
                len: repository.len(),
            });
        }
        validate_domain(&registry)?;
        if repository.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(ReferenceError::Uppercase { input: s.into() });
        }
        for component in repository.split('/') {
            if !is_path_component(component) {
                return Err(ReferenceError::BadComponent {
                    component: component.into(),
                    input: s.into(),
                });
            }
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// What to ask the registry's manifest endpoint for: the digest if pinned, else the tag.
    pub fn target(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The short form Docker prints (`alpine:latest`, `ns/app:1`, `127.0.0.1:5000/app:1`).
    /// `library/` is dropped only from an official image's one-component name, as
    /// distribution's `FamiliarName` does: `library/a/b` stays, or it would read as `a/b`
    /// (found by the `reference` fuzz target's round trip).
    pub fn familiar(&self) -> String {
        let full = self.to_string();
        let Some(short) = full.strip_prefix("docker.io/") else {
            return full;
        };
        match short.strip_prefix("library/") {
            Some(rest) if !self.repository["library/".len()..].contains('/') => rest.to_string(),
            _ => short.to_string(),
        }
    }

    /// This reference with another repository/tag on another registry (for `push`/`tag`).
    pub fn with_tag(&self, tag: &str) -> Reference {
        Reference {
            tag: Some(tag.into()),
            digest: None,
            ..self.clone()
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Reference::parse(s)
    }
}

/// Docker's rule for "is the first part a registry?": it has a '.' or ':', or is `localhost`,
/// or has an upper-case letter (repositories cannot). `index.docker.io` is Docker Hub's old name.
fn split_registry(name: &str) -> (String, String) {
    let (registry, repository) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => (DOCKER_HUB.to_string(), name.to_string()),
    };
    let registry = if registry == "index.docker.io" {
        DOCKER_HUB.to_string()
    } else {
        registry
    };
    if registry == DOCKER_HUB && !repository.contains('/') {
        return (registry, format!("library/{repository}"));
    }
    (registry, repository)
}

/// `[a-z0-9]+` runs joined by one `.`, one or two `_`, or any number of `-`.
pub fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn validate_domain(domain: &str) -> Result<(), ReferenceError> {
    let bad = || ReferenceError::BadDomain {
        domain: domain.into(),
    };
    // An IPv6 literal in brackets, optionally with a port: [::1]:5000
    if let Some(rest) = domain.strip_prefix('[') {
        let (ip, after) = rest.split_once(']').ok_or_else(bad)?;
        ip.parse::<std::net::Ipv6Addr>().map_err(|_| bad())?;
        return match after.strip_prefix(':') {
            None if after.is_empty() => Ok(()),
            Some(port) if is_port(port) => Ok(()),
            _ => Err(bad()),
        };
    }
    let (host, port) = match domain.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (domain, None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if !host.split('.').all(label_ok) || port.is_some_and(|p| !is_port(p)) {
        return Err(bad());
    }
    Ok(())
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}` (so never `/`, never `..`).
pub fn validate_tag(tag: &str) -> Result<String, ReferenceError> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let b = tag.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b[1..].iter().all(|&x| word(x) || x == b'.' || x == b'-');
    if ok {
        Ok(tag.into())
    } else {
        Err(ReferenceError::BadTag { tag: tag.into() })
    }
}

/// Checks `sha256:<64 lower-case hex>`; other algorithms (`sha512:…`) need their own length.
pub fn validate_digest(digest: &str) -> Result<String, ReferenceError> {
    let bad = || ReferenceError::BadDigest {
        digest: digest.into(),
    };
    let (algorithm, hex) = digest.split_once(':').ok_or_else(bad)?;
    let hex_ok = |len: usize| {
        hex.len() == len
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match algorithm {
        "sha256" if hex_ok(64) => Ok(digest.into()),
        "sha512" if hex_ok(128) => Ok(digest.into()),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(s: &str) -> String {
        Reference::parse(s).unwrap().to_string()
    }

    #[test]
    fn familiar_keeps_library_when_more_components_follow() {
        // Found by the `reference` fuzz target: `library/alary/al` printed as `alary/al`.
        let r = Reference::parse("library/alary/al:ne").unwrap();
        assert_eq!(r.familiar(), "library/alary/al:ne");
        assert_eq!(Reference::parse(&r.familiar()), Ok(r));
        assert_eq!(
            Reference::parse("alpine").unwrap().familiar(),
            "alpine:latest"
        );
    }

    #[test]
    fn the_length_limit_counts_the_repository_path_as_docker_does() {
        let a = |n: usize| "a".repeat(n);
        // `library/` + 247 = 255: accepted, and so is its printed form.
        let r = Reference::parse(&a(247)).unwrap();
        assert_eq!(Reference::parse(&r.to_string()), Ok(r));
        assert!(matches!(
            Reference::parse(&a(248)),
            Err(ReferenceError::TooLong { len: 256 })
        ));
        // The registry does not count.
        assert!(Reference::parse(&format!("{}.io/{}", a(200), a(250))).is_ok());
    }

    #[test]
    fn short_names_expand_like_docker() {
        assert_eq!(full("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(full("alpine:3.20"), "docker.io/library/alpine:3.20");
        assert_eq!(full("library/alpine"), "docker.io/library/alpine:latest");
        assert_eq!(full("bitnami/redis:7"), "docker.io/bitnami/redis:7");
        assert_eq!(
            full("index.docker.io/alpine"),
            "docker.io/library/alpine:latest"
        );
        assert_eq!(full("docker.io/alpine"), "docker.io/library/alpine:latest");
    }

    #[test]
    fn first_part_is_a_registry_only_when_it_looks_like_a_host() {
        let r = Reference::parse("127.0.0.1:5000/ns/app:v1").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("127.0.0.1:5000", "ns/app")
        );
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(full("localhost/app"), "localhost/app:latest");
        assert_eq!(full("ghcr.io/o/p"), "ghcr.io/o/p:latest");
        assert_eq!(full("[::1]:5000/app"), "[::1]:5000/app:latest");
        // "myhost" has no '.' or ':', so it is a Docker Hub namespace
        assert_eq!(full("myhost/app"), "docker.io/myhost/app:latest");
        // a port alone, no tag: the ':' belongs to the host
        assert_eq!(full("localhost:5000/app"), "localhost:5000/app:latest");
    }

    #[test]
    fn digests_pin_and_drop_the_default_tag() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("alpine@{d}")).unwrap();
        assert_eq!(r.tag, None);
        assert_eq!(r.target(), d);
        let r = Reference::parse(&format!("alpine:3@{d}")).unwrap();
        assert_eq!(r.tag.as_deref(), Some("3"));
        assert_eq!(r.target(), d);
        assert_eq!(r.familiar(), format!("alpine:3@{d}"));
    }

    #[test]
    fn separators_follow_the_grammar() {
        for ok in ["a.b", "a_b", "a__b", "a---b", "a1-2.3_4"] {
            assert!(Reference::parse(ok).is_ok(), "{ok} should parse");
        }
        for bad in ["a..b", "a___b", "-a", "a-", "a_.b", "a//b", ".a"] {
            assert!(Reference::parse(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn familiar_form_hides_docker_hub_defaults() {
        assert_eq!(
            Reference::parse("alpine").unwrap().familiar(),
            "alpine:latest"
        );
        assert_eq!(Reference::parse("ns/app:1").unwrap().familiar(), "ns/app:1");
        assert_eq!(
            Reference::parse("h.io/a").unwrap().familiar(),
            "h.io/a:latest"
        );
    }
}

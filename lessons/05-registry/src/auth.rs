//! Authentication as Docker Hub does it: a challenge, a token, and stored credentials.
//!
//! A registry that wants credentials answers `401 Unauthorized` with a header such as
//!
//! ```text
//! WWW-Authenticate: Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"
//! ```
//!
//! The client then asks the *realm* (a separate token server) for a token for that service and
//! scope — anonymously, or with `Authorization: Basic` if the user logged in — and repeats the
//! request with `Authorization: Bearer <token>`. The token is reused until it expires
//! (`expires_in`, 60 s when absent, per the distribution token spec). A registry may instead
//! ask for `Basic` credentials directly (htpasswd).

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What a `WWW-Authenticate` header asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Bearer realm=…,service=…,scope=…`: get a token from `realm`.
    Bearer {
        /// URL of the token server.
        realm: String,
        /// Name of the registry service the token is for.
        service: Option<String>,
        /// Access asked for, e.g. `repository:library/alpine:pull`.
        scope: Option<String>,
    },
    /// `Basic realm=…`: send user and password with every request.
    Basic,
}

impl Challenge {
    /// Parses the value of a `WWW-Authenticate` header (RFC 7235 auth-params, quoted values).
    pub fn parse(header: &str) -> Option<Challenge> {
        let (scheme, params) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Challenge::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let params = parse_params(params);
        Some(Challenge::Bearer {
            realm: params.get("realm")?.clone(),
            service: params.get("service").cloned(),
            scope: params.get("scope").cloned(),
        })
    }
}

/// Splits `a="x",b="y, z",c=w` into a map, honouring quotes (scopes contain commas).
fn parse_params(s: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = s.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.insert(key, value.to_string());
        rest = after.trim_start_matches([',', ' ']);
    }
    out
}

/// A bearer token and when to stop using it.
#[derive(Debug, Clone)]
pub struct Token {
    /// The opaque token (a JWT for Docker Hub and docker-registry).
    pub value: String,
    /// After this instant, ask the realm for a new one.
    pub expires: Instant,
}

impl Token {
    /// Still usable for a request starting now (with a few seconds to spare).
    pub fn is_fresh(&self) -> bool {
        Instant::now() + Duration::from_secs(5) < self.expires
    }
}

/// The token server's answer (`token` per the spec; OAuth servers send `access_token`).
#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

/// Asks `realm` for a token (GET with `service` and `scope` query parameters), anonymously or
/// with the user's Basic credentials, as the distribution token spec describes.
pub fn fetch_token(
    agent: &ureq::Agent,
    realm: &str,
    service: Option<&str>,
    scope: Option<&str>,
    login: Option<&Login>,
) -> Result<Token, Error> {
    let mut url = realm.to_string();
    let mut sep = if realm.contains('?') { '&' } else { '?' };
    for (key, value) in [("service", service), ("scope", scope)] {
        if let Some(value) = value {
            url.push_str(&format!("{sep}{key}={}", percent_encode(value)));
            sep = '&';
        }
    }
    let mut request = agent.get(&url);
    if let Some(login) = login {
        request = request.header("Authorization", login.basic_header());
    }
    let mut response = request
        .call()
        .map_err(|source| Error::connect(&url, source))?;
    let status = response.status().as_u16();
    if status == 401 || status == 403 {
        return Err(Error::LoginRejected {
            realm: realm.into(),
            status,
        });
    }
    if status != 200 {
        return Err(Error::Status {
            status,
            url,
            detail: "from the token server".into(),
        });
    }
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|source| Error::connect(&url, source))?;
    let parsed: TokenResponse = serde_json::from_str(&body).map_err(|source| Error::Json {
        what: url.clone(),
        source,
    })?;
    let value = parsed
        .token
        .or(parsed.access_token)
        .ok_or_else(|| Error::Status {
            status,
            url: url.clone(),
            detail: "token server answered without a token".into(),
        })?;
    Ok(Token {
        value,
        expires: Instant::now() + Duration::from_secs(parsed.expires_in.unwrap_or(60)),
    })
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The claims of a JWT, for showing what a token grants (`access`, `exp`). Not verified: only
/// the registry, which trusts the issuer's certificate, can check the signature.
pub fn jwt_claims(token: &str) -> Option<serde_json::Value> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?).ok()
}

/// A user name and password (or personal access token) for one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// User name.
    pub username: String,
    /// Password or access token.
    pub password: String,
}

impl Login {
    /// `Basic base64(user:password)`, the RFC 7617 header value.
    pub fn basic_header(&self) -> String {
        // exercise 05.3 basic-login: begin
        format!(
            "Basic {}",
            BASE64.encode(format!("{}:{}", self.username, self.password))
        )
        // exercise 05.3: end
    }
}

/// The credentials file, in the shape of Docker's `~/.docker/config.json`:
/// `{"auths": {"registry": {"auth": base64("user:password")}}}`, kept mode 0600.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CredentialStore {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct AuthEntry {
    auth: String,
}

impl CredentialStore {
    /// The default file: `$LAB_AUTH_FILE`, else `$HOME/.config/container-lab/auth.json`.
    pub fn default_path() -> PathBuf {
        if let Some(path) = std::env::var_os("LAB_AUTH_FILE") {
            return path.into();
        }
        let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
        Path::new(&home).join(".config/container-lab/auth.json")
    }

    /// Reads the file; a missing file is an empty store.
    pub fn load(path: &Path) -> Result<CredentialStore, Error> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| Error::Json {
                what: path.display().to_string(),
                source,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(CredentialStore::default()),
            Err(source) => Err(Error::Io {
                path: path.into(),
                source,
            }),
        }
    }

    /// The login saved for `registry`, if any.
    pub fn get(&self, registry: &str) -> Option<Login> {
        let decoded = BASE64.decode(&self.auths.get(registry)?.auth).ok()?;
        let (user, pass) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
        Some(Login {
            username: user.into(),
            password: pass.into(),
        })
    }

    /// Saves `login` for `registry` (what `docker login` does).
    pub fn set(&mut self, registry: &str, login: &Login) {
        let auth = BASE64.encode(format!("{}:{}", login.username, login.password));
        self.auths.insert(registry.into(), AuthEntry { auth });
    }

    /// Forgets `registry`; true if there was something to forget (what `docker logout` does).
    pub fn remove(&mut self, registry: &str) -> bool {
        self.auths.remove(registry).is_some()
    }

    /// Writes the file atomically with mode 0600 (open(2) `O_CREAT` mode, then rename(2)), so
    /// the password is never readable by other users, not even for a moment.
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let io = |source| Error::Io {
            path: path.into(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io)?;
        let json = serde_json::to_vec_pretty(self).expect("credentials serialize");
        file.write_all(&json)
            .and_then(|()| file.sync_all())
            .map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_challenge_parses() {
        let h = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#;
        assert_eq!(
            Challenge::parse(h),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull,push".into()),
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(Challenge::parse("Negotiate"), None);
    }

    #[test]
    fn credentials_file_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/auth.json");
        let mut store = CredentialStore::default();
        let login = Login {
            username: "student".into(),
            password: "p:a:ss".into(),
        };
        store.set("127.0.0.1:5000", &login);
        store.save(&path).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let loaded = CredentialStore::load(&path).unwrap();
        assert_eq!(loaded.get("127.0.0.1:5000"), Some(login));
        assert_eq!(loaded.get("docker.io"), None);
    }
}

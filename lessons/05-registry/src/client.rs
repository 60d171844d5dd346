//! The HTTP side of the distribution protocol: one `send` that handles auth, redirects and retries.
//!
//! Every registry request goes through [`Client::send`], which
//! 1. adds `Authorization` if the registry asked for it before (a cached token, or Basic);
//! 2. on `401`, reads the `WWW-Authenticate` challenge, gets a token, and repeats once;
//! 3. follows redirects itself — blobs are often served by a CDN on another host, and the
//!    registry token must never be sent there;
//! 4. retries `429` and `5xx` with exponential backoff (honouring `Retry-After`).

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ureq::SendBody;
use ureq::http::{self, Response};

use crate::auth::{Challenge, CredentialStore, Login, Token, fetch_token};
use crate::config::{Config, Endpoint};
use crate::error::Error;

/// A registry client: connection pool, configuration, credentials and cached tokens.
pub struct Client {
    agent: ureq::Agent,
    token_agent: ureq::Agent,
    config: Config,
    credentials: CredentialStore,
    challenges: Mutex<HashMap<String, Challenge>>,
    tokens: Mutex<HashMap<String, Token>>,
    token_fetches: AtomicUsize,
    /// How many times a `429`/`5xx` answer is retried before giving up.
    pub retries: u32,
    /// First backoff delay; doubled on every retry.
    pub backoff: Duration,
}

/// A request body: nothing, bytes we can resend, or a stream of known length sent once.
pub enum Body<'a> {
    /// No body (GET, HEAD, DELETE, empty POST).
    Empty,
    /// A small body (a manifest): can be resent after a 401 or a 5xx.
    Bytes(&'a [u8]),
    /// A large body (a blob) streamed from a reader, with its length.
    Stream(&'a mut dyn Read, u64),
}

/// What `GET /v2/` said about a registry.
#[derive(Debug, Clone)]
pub struct Ping {
    /// 200 (open) or 401 (credentials needed).
    pub status: u16,
    /// The `WWW-Authenticate` challenge, if any.
    pub challenge: Option<Challenge>,
    /// The `Docker-Distribution-API-Version` header (`registry/2.0`).
    pub api_version: Option<String>,
}

impl Client {
    /// A client with the given mirrors/insecure settings and saved logins.
    pub fn new(config: Config, credentials: CredentialStore) -> Client {
        let agent = ureq::Agent::config_builder()
            .max_redirects(0) // we follow redirects ourselves (see `send`)
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .user_agent(concat!(
                "container-lab-registry/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .into();
        // Token servers are ordinary web services: let ureq follow their redirects.
        let token_agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Client {
            agent,
            token_agent,
            config,
            credentials,
            challenges: Mutex::default(),
            tokens: Mutex::default(),
            token_fetches: AtomicUsize::new(0),
            retries: 4,
            backoff: Duration::from_millis(250),
        }
    }

    /// A client with the user's settings: mirrors from `$LAB_REGISTRY_CONFIG` (default
    /// `~/.config/container-lab/registries.json`, optional) and logins from
    /// [`CredentialStore::default_path`].
    pub fn from_user_files() -> Result<Client, Error> {
        let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
        let path = std::env::var_os("LAB_REGISTRY_CONFIG")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(&home).join(".config/container-lab/registries.json")
            });
        let config = if path.exists() {
            Config::load(&path)?
        } else {
            Config::default()
        };
        let credentials = CredentialStore::load(&CredentialStore::default_path())?;
        Ok(Client::new(config, credentials))
    }

    /// A client with no mirrors and no saved logins.
    pub fn anonymous() -> Client {
        Client::new(Config::default(), CredentialStore::default())
    }

    /// The mirrors/insecure configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// How many tokens were fetched from token servers so far (a reused token is not counted).
    pub fn token_fetches(&self) -> usize {
        self.token_fetches.load(Ordering::Relaxed)
    }

    /// Uses `login` for `registry` in this client (without saving it to disk).
    pub fn set_login(&mut self, registry: &str, login: &Login) {
        self.credentials.set(registry, login);
    }

    /// `GET /v2/`: is this a registry, and does it want credentials?
    pub fn ping(&self, endpoint: &Endpoint) -> Result<Ping, Error> {
        let url = format!("{}/v2/", endpoint.base);
        let response = self.send_once("GET", &url, &[], None, Body::Empty)?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let challenge = header("www-authenticate").and_then(|h| Challenge::parse(&h));
        if let Some(challenge) = &challenge {
            self.challenges
                .lock()
                .unwrap()
                .insert(endpoint.base.clone(), challenge.clone());
        }
        Ok(Ping {
            status: response.status().as_u16(),
            challenge,
            api_version: header("docker-distribution-api-version"),
        })
    }

    /// Sends one registry request (`url` starts with `endpoint.base`) with auth, redirects and
    /// retries. `scope` is the token scope it needs (`repository:NAME:pull`). The response is
    /// returned whatever its final status: callers decide what a 404 means.
    pub fn send(
        &self,
        endpoint: &Endpoint,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        mut body: Body<'_>,
        scope: &str,
    ) -> Result<Response<ureq::Body>, Error> {
        let mut url = url.to_string();
        let mut method = method.to_string();
        let (mut answered_challenge, mut redirects, mut attempt) = (false, 0, 0);
        loop {
            // Credentials go only to the registry's own host, never to a redirect target.
            let authorization = if origin(&url) == origin(&endpoint.base) {
                self.authorization(endpoint, scope)?
            } else {
                None
            };
            let replayable = !matches!(body, Body::Stream(..));
            let this_body = match &mut body {
                Body::Empty => Body::Empty,
                Body::Bytes(b) => Body::Bytes(b),
                Body::Stream(r, len) => Body::Stream(&mut **r, *len),
            };
            let response =
                self.send_once(&method, &url, headers, authorization.as_deref(), this_body)?;
            let status = response.status().as_u16();
            match status {
                401 if !answered_challenge && replayable => {
                    // exercise 05.1 answer-challenge: begin
                    answered_challenge = true;
                    let header = response
                        .headers()
                        .get("www-authenticate")
                        .and_then(|v| v.to_str().ok());
                    let Some(challenge) = header.and_then(Challenge::parse) else {
                        return Ok(response);
                    };
                    self.challenges
                        .lock()
                        .unwrap()
                        .insert(endpoint.base.clone(), challenge);
                    // exercise 05.1: end
                }
                301 | 302 | 303 | 307 | 308 if redirects < 5 => {
                    redirects += 1;
                    url = resolve_location(&url, &response)?;
                    if status == 303 {
                        method = "GET".into();
                    }
                }
                429 | 500..=599 if attempt < self.retries && replayable => {
                    let wait = retry_after(&response).unwrap_or(self.backoff * 2u32.pow(attempt));
                    attempt += 1;
                    // Backoff between retries is the one sleep that belongs here: the server
                    // asked us to slow down.
                    std::thread::sleep(wait.min(Duration::from_secs(30)));
                }
                _ => return Ok(response),
            }
        }
    }

    /// The `Authorization` value for a request to `endpoint` needing `scope`, if the registry
    /// asked for one (after [`Client::ping`] or a `401`): a cached fresh token, a new token
    /// from the realm, or Basic credentials.
    pub fn authorization(&self, endpoint: &Endpoint, scope: &str) -> Result<Option<String>, Error> {
        let challenge = self.challenges.lock().unwrap().get(&endpoint.base).cloned();
        let login = self.credentials.get(&login_name(endpoint));
        match challenge {
            None => Ok(None),
            Some(Challenge::Basic) => Ok(login.map(|l| l.basic_header())),
            Some(Challenge::Bearer { realm, service, .. }) => {
                // exercise 05.2 bearer-token: begin
                let key = format!("{realm} {} {scope}", service.as_deref().unwrap_or(""));
                let mut tokens = self.tokens.lock().unwrap();
                if let Some(token) = tokens.get(&key).filter(|t| t.is_fresh()) {
                    return Ok(Some(format!("Bearer {}", token.value)));
                }
                let token = fetch_token(
                    &self.token_agent,
                    &realm,
                    service.as_deref(),
                    Some(scope),
                    login.as_ref(),
                )?;
                self.token_fetches.fetch_add(1, Ordering::Relaxed);
                let value = format!("Bearer {}", token.value);
                tokens.insert(key, token);
                Ok(Some(value))
                // exercise 05.2: end
            }
        }
    }

    /// One HTTP exchange, no auth logic: the building block `send` loops over.
    fn send_once(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        authorization: Option<&str>,
        body: Body<'_>,
    ) -> Result<Response<ureq::Body>, Error> {
        let mut builder = http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        if let Some(authorization) = authorization {
            builder = builder.header("Authorization", authorization);
        }
        let bad = |e: http::Error| Error::Invalid(format!("bad request to {url}: {e}"));
        let sent = match body {
            Body::Empty => self.agent.run(builder.body(()).map_err(bad)?),
            Body::Bytes(mut bytes) => {
                builder = builder.header("Content-Length", bytes.len());
                self.agent.run(
                    builder
                        .body(SendBody::from_reader(&mut bytes))
                        .map_err(bad)?,
                )
            }
            Body::Stream(reader, len) => {
                builder = builder.header("Content-Length", len);
                self.agent
                    .run(builder.body(SendBody::from_reader(reader)).map_err(bad)?)
            }
        };
        sent.map_err(|source| Error::connect(url, source))
    }
}

/// The name a login for `endpoint` is saved under: the registry's (`docker.io`,
/// `127.0.0.1:5000`), but a mirror's own `host:port` — a mirror is another server, and Docker
/// Hub's password must never be sent to it.
pub fn login_name(endpoint: &Endpoint) -> String {
    if !endpoint.mirror {
        return endpoint.registry.clone();
    }
    let without_scheme = endpoint
        .base
        .split_once("://")
        .map_or(endpoint.base.as_str(), |(_, rest)| rest);
    without_scheme
        .split('/')
        .next()
        .unwrap_or(without_scheme)
        .to_string()
}

/// The absolute URL a redirect points to (`Location` may be relative to the current URL).
fn resolve_location(current: &str, response: &Response<ureq::Body>) -> Result<String, Error> {
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::Status {
            status: response.status().as_u16(),
            url: current.into(),
            detail: "redirect without a Location header".into(),
        })?;
    Ok(absolute_url(current, location))
}

/// `scheme://host:port` of a URL: credentials may go only where this equals the registry's.
pub fn origin(url: &str) -> &str {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    url[scheme_end..]
        .find('/')
        .map_or(url, |i| &url[..scheme_end + i])
}

/// Makes `location` absolute against `current` (`/path` keeps scheme and host).
pub fn absolute_url(current: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_string();
    }
    let scheme_end = current.find("://").map_or(0, |i| i + 3);
    let host_end = current[scheme_end..]
        .find('/')
        .map_or(current.len(), |i| scheme_end + i);
    format!(
        "{}/{}",
        &current[..host_end],
        location.trim_start_matches('/')
    )
}

fn retry_after(response: &Response<ureq::Body>) -> Option<Duration> {
    let seconds: u64 = response
        .headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// Reads the body of an error response for a message (the registry's `{"errors":[…]}` JSON).
pub fn error_detail(response: &mut Response<ureq::Body>) -> String {
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024)
        .read_to_string()
        .unwrap_or_default();
    text.trim().chars().take(300).collect()
}

/// Turns a non-success response into the error that tells the user what to do.
pub fn status_error(
    endpoint: &Endpoint,
    mut response: Response<ureq::Body>,
    url: &str,
    what: &str,
    action: &str,
) -> Error {
    let status = response.status().as_u16();
    let url = url.to_string();
    match status {
        401 => Error::Unauthorized {
            registry: login_name(endpoint),
            url,
        },
        403 => Error::Denied {
            url,
            action: action.into(),
        },
        404 => Error::NotFound {
            what: what.into(),
            url,
        },
        429 => Error::RateLimited {
            registry: endpoint.registry.clone(),
        },
        _ => Error::Status {
            status,
            url,
            detail: error_detail(&mut response),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_compares_whole_host_and_port() {
        assert_eq!(
            origin("http://127.0.0.1:4000/v2/x"),
            "http://127.0.0.1:4000"
        );
        assert_ne!(
            origin("http://127.0.0.1:40001/cdn"),
            origin("http://127.0.0.1:4000")
        );
        assert_eq!(
            absolute_url("http://h:1/v2/a/blobs/x", "/v2/u?s=1"),
            "http://h:1/v2/u?s=1"
        );
        assert_eq!(
            absolute_url("http://h:1/v2/", "https://cdn/x"),
            "https://cdn/x"
        );
    }

    #[test]
    fn a_mirror_gets_its_own_login_never_docker_hubs() {
        let mirror = Endpoint {
            registry: "docker.io".into(),
            base: "http://10.0.0.2:5000/".into(),
            mirror: true,
        };
        assert_eq!(login_name(&mirror), "10.0.0.2:5000");
        let hub = Endpoint {
            base: "https://registry-1.docker.io".into(),
            mirror: false,
            ..mirror
        };
        assert_eq!(login_name(&hub), "docker.io");
    }
}

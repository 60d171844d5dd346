//! Checking a user name and password against a registry *before* saving them, as `docker
//! login` does: the same `/v2/` request a pull starts with, first anonymously (the ping, which
//! tells the auth scheme), then with the credentials — Basic, or a token request made with
//! them (the distribution spec's token authentication).

use crate::auth::Login;
use crate::client::{Body, Client};
use crate::config::Config;
use crate::error::Error;
use crate::reference::Reference;

/// Asks `registry` (a host, e.g. `127.0.0.1:5000` or `docker.io`) whether `login` is good, over
/// HTTP(S) with the `config`'s TLS and address rules. An open registry (no challenge) accepts
/// anyone; a 401 or 403 is [`Error::LoginRejected`].
pub fn check(config: Config, registry: &str, login: &Login) -> Result<(), Error> {
    let mut client = Client::new(config, Default::default());
    client.set_login(registry, login);
    let probe = Reference::parse(&format!("{registry}/login-check"))?;
    // Mirrors come first: the last endpoint is the registry itself.
    let endpoint = client
        .config()
        .endpoints(&probe)
        .pop()
        .expect("a reference has at least one endpoint");
    if client.ping(&endpoint)?.challenge.is_none() {
        return Ok(());
    }
    let url = format!("{}/v2/", endpoint.base);
    let response = client.send(
        &endpoint,
        "GET",
        &url,
        &[],
        Body::Empty,
        "registry:catalog:*",
    )?;
    match response.status().as_u16() {
        200 => Ok(()),
        status @ (401 | 403) => Err(Error::LoginRejected {
            realm: registry.into(),
            status,
        }),
        status => Err(Error::Status {
            status,
            url,
            detail: "while checking the login".into(),
        }),
    }
}

//! Step 2: ping a registry and get a token — Docker Hub's auth dance.
//!
//! Run: `cargo run -p registry --bin 02-ping-token -- 127.0.0.1:5000/lab/busybox`
//! Look for: `GET /v2/` answering 401 with a `WWW-Authenticate: Bearer realm=…,service=…`
//! challenge; the token the realm hands out for `repository:NAME:pull`; the claims inside it
//! (who issued it, for which service, which actions, when it expires); and that a second request
//! reuses it. Spec: distribution's "token authentication specification".

use anyhow::Context;
use registry::auth::{Challenge, jwt_claims};
use registry::{Client, Reference};

fn main() -> anyhow::Result<()> {
    let name = std::env::args()
        .nth(1)
        .context("usage: 02-ping-token REGISTRY/REPOSITORY")?;
    let reference = Reference::parse(&name)?;
    let client = Client::from_user_files()?;
    let endpoint = client
        .config()
        .endpoints(&reference)
        .pop()
        .expect("an endpoint");
    // ANCHOR: ping
    let ping = client
        .ping(&endpoint)
        .with_context(|| format!("pinging {}", endpoint.base))?;
    // ANCHOR_END: ping
    println!(
        "GET {}/v2/ → {} (API version {:?})",
        endpoint.base, ping.status, ping.api_version
    );
    match &ping.challenge {
        None => println!("no challenge: this registry is open to anyone"),
        Some(Challenge::Basic) => {
            println!("challenge: Basic — send user:password with every request")
        }
        Some(Challenge::Bearer { realm, service, .. }) => {
            println!(
                "challenge: Bearer realm={realm} service={}",
                service.as_deref().unwrap_or("-")
            );
        }
    }
    // ANCHOR: token
    let scope = format!("repository:{}:pull", reference.repository);
    let authorization = client.authorization(&endpoint, &scope)?;
    // ANCHOR_END: token
    match authorization.as_deref() {
        Some(bearer) if bearer.starts_with("Bearer ") => {
            let token = &bearer["Bearer ".len()..];
            println!(
                "token for {scope}: {}…({} bytes)",
                &token[..token.len().min(24)],
                token.len()
            );
            if let Some(claims) = jwt_claims(token) {
                println!("claims: {}", serde_json::to_string_pretty(&claims)?);
            }
            client.authorization(&endpoint, &scope)?;
            println!(
                "asked again: {} token(s) fetched in total (the second was reused)",
                client.token_fetches()
            );
        }
        Some(_) => println!("Basic credentials will be sent"),
        None => println!("no Authorization header needed"),
    }
    Ok(())
}

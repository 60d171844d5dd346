//! Authentication against the real `docker-registry`: htpasswd Basic and Docker Hub's token flow.

mod common;

use common::*;
use harness::registry::{Auth, Registry};
use images::store::Store;
use registry::auth::{Challenge, Login};
use registry::pull::{PullOptions, pull};

fn options() -> PullOptions {
    PullOptions {
        progress: false,
        ..PullOptions::default()
    }
}

fn token_registry() -> Registry {
    Registry::start(Auth::Token {
        user: "student".into(),
        password: "s3cret".into(),
    })
}

#[test]
fn ping_reveals_the_bearer_challenge_of_a_token_registry() {
    let registry = token_registry();
    let client = client();
    let endpoint = &client
        .config()
        .endpoints(&reference(&registry.host(), "lab/x"))[0];

    let ping = client.ping(endpoint).unwrap();

    assert_eq!(ping.status, 401);
    assert_eq!(ping.api_version.as_deref(), Some("registry/2.0"));
    let Some(Challenge::Bearer { realm, service, .. }) = ping.challenge else {
        panic!("{ping:?}")
    };
    assert_eq!(realm, registry.issuer.as_ref().unwrap().realm());
    assert_eq!(service.as_deref(), Some("lab-registry"));
}

#[test]
fn anonymous_token_pulls_and_is_reused_for_every_request() {
    let registry = token_registry();
    push_busybox(&registry, "lab/busybox:v1");
    let issued_for_push = registry.issuer.as_ref().unwrap().issued();
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();
    let client = client();

    let pulled = pull(
        &client,
        &store,
        &reference(&registry.host(), "lab/busybox:v1"),
        &options(),
    )
    .unwrap();

    assert_eq!(pulled.downloaded, 3);
    assert_eq!(
        client.token_fetches(),
        1,
        "one token for the manifest and all three blobs"
    );
    assert_eq!(
        registry.issuer.as_ref().unwrap().issued(),
        issued_for_push + 1
    );
}

#[test]
fn expired_token_is_replaced() {
    let registry = token_registry();
    push_busybox(&registry, "lab/busybox:v1");
    // Tokens that are already "expired" by our 5-second safety margin.
    registry
        .issuer
        .as_ref()
        .unwrap()
        .expires_in
        .store(1, std::sync::atomic::Ordering::Relaxed);
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();
    let client = client();

    pull(
        &client,
        &store,
        &reference(&registry.host(), "lab/busybox:v1"),
        &options(),
    )
    .unwrap();

    assert!(
        client.token_fetches() > 1,
        "a short-lived token is not reused"
    );
}

#[test]
fn wrong_password_is_refused_by_the_token_server() {
    let registry = token_registry();
    push_busybox(&registry, "lab/busybox:v1");
    let mut client = client();
    client.set_login(
        &registry.host(),
        &Login {
            username: "student".into(),
            password: "wrong".into(),
        },
    );
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();

    let err = pull(
        &client,
        &store,
        &reference(&registry.host(), "lab/busybox:v1"),
        &options(),
    )
    .unwrap_err();

    assert!(
        matches!(err, registry::Error::LoginRejected { status: 401, .. }),
        "{err}"
    );
    insta::assert_snapshot!(err.to_string().replace(&registry.issuer.as_ref().unwrap().realm(), "REALM"), @"the registry refused the login (HTTP 401 from REALM): check the user name and password");
}

#[test]
fn basic_auth_registry_needs_a_login() {
    let registry = Registry::start(Auth::Basic {
        user: "student".into(),
        password: "s3cret".into(),
    });
    push_busybox(&registry, "lab/busybox:v1");
    let store_dir = tempfile::tempdir().unwrap();
    let store = Store::open(store_dir.path()).unwrap();
    let name = reference(&registry.host(), "lab/busybox:v1");

    let err = pull(&client(), &store, &name, &options()).unwrap_err();
    assert!(matches!(err, registry::Error::Unauthorized { .. }), "{err}");
    assert!(
        err.to_string().contains("--bin login --"),
        "says how to log in: {err}"
    );

    let mut client = client();
    client.set_login(
        &registry.host(),
        &Login {
            username: "student".into(),
            password: "s3cret".into(),
        },
    );
    let pulled = pull(&client, &store, &name, &options()).unwrap();
    assert_eq!(pulled.downloaded, 3);
    assert_eq!(
        client.token_fetches(),
        0,
        "Basic auth needs no token server"
    );
}

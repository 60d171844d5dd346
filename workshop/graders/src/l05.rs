//! Graders for lesson 05 (registry), the token dance: a pretend registry (see
//! [`crate::fake_registry`]) answers `401` with `WWW-Authenticate: Bearer realm=…,service=…,
//! scope=…` for a random service and repository; its token server hands out a random token
//! only for exactly that service and scope (and, for 05.3, only to a random user's Basic
//! login). The checks read what the server saw on the wire.

use crate::fake_registry::{Answer, FakeRegistry, Seen, in_private_netns};
use crate::kernel;
use crate::report::Report;
use base64::Engine;
use registry::Client;
use registry::auth::Login;
use registry::client::Body;
use registry::config::Endpoint;

/// One repository the pretend registry guards, with its own scope and token.
#[derive(Clone)]
struct Repo {
    name: String,
    token: String,
    content: String,
}

impl Repo {
    fn random() -> Repo {
        Repo {
            name: format!("kit/{}", kernel::random_name("repo")),
            token: kernel::random_name("token"),
            content: kernel::random_name("manifest"),
        }
    }
    fn scope(&self) -> String {
        format!("repository:{}:pull", self.name)
    }
    fn path(&self) -> String {
        format!("/v2/{}/manifests/latest", self.name)
    }
}

/// The registry's rules: a manifest needs `Bearer <its repo's token>`; `/token` gives that
/// token for `service` and the repo's scope, to `basic` if set (else to anyone).
fn answer(seen: &Seen, base: &str, service: &str, repos: &[Repo], basic: Option<&str>) -> Answer {
    if let Some(query) = seen.url.strip_prefix("/token?") {
        let asks =
            |key: &str, value: &str| query.split('&').any(|kv| kv == format!("{key}={value}"));
        if basic.is_some_and(|b| seen.authorization.as_deref() != Some(b)) {
            return Answer::new(401, "wrong login");
        }
        return match repos.iter().find(|r| asks("scope", &r.scope())) {
            Some(repo) if asks("service", service) => Answer::new(
                200,
                format!("{{\"token\":\"{}\",\"expires_in\":300}}", repo.token),
            ),
            _ => Answer::new(400, "unknown service or scope"),
        };
    }
    let Some(repo) = repos.iter().find(|r| seen.url == r.path()) else {
        return Answer::new(404, "no such manifest");
    };
    if seen.authorization.as_deref() == Some(&format!("Bearer {}", repo.token)) {
        return Answer::new(200, repo.content.clone());
    }
    let challenge = format!(
        "Bearer realm=\"{base}/token\",service=\"{service}\",scope=\"{}\"",
        repo.scope()
    );
    Answer::new(401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}")
        .header("WWW-Authenticate", &challenge)
}

/// What one `Client::send` of a repo's manifest came back with: status and body, or the error.
fn fetch(client: &Client, endpoint: &Endpoint, repo: &Repo) -> Result<(u16, String), String> {
    let url = format!("{}{}", endpoint.base, repo.path());
    let mut response = client
        .send(endpoint, "GET", &url, &[], Body::Empty, &repo.scope())
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    Ok((status, body))
}

/// Starts the pretend registry in its own network namespace and runs `grade` against it.
fn with_registry(
    r: &mut Report,
    repos: Vec<Repo>,
    basic: Option<String>,
    grade: impl FnOnce(&mut Report, &FakeRegistry, &Endpoint) + Send,
) -> anyhow::Result<()> {
    let service = kernel::random_name("service");
    in_private_netns(|| {
        let server = FakeRegistry::start(move |seen, base| {
            answer(seen, base, &service, &repos, basic.as_deref())
        })?;
        let endpoint = Endpoint {
            registry: server.base.trim_start_matches("http://").to_string(),
            base: server.base.clone(),
            mirror: false,
        };
        grade(r, &server, &endpoint);
        anyhow::Ok(())
    })?
}

/// Checks that `repo`'s manifest came back whole after the dance.
fn check_fetched(r: &mut Report, got: &Result<(u16, String), String>, repo: &Repo) -> bool {
    let ok = matches!(got, Ok((200, body)) if *body == repo.content);
    r.check(
        format!(
            "GET {} answers 200 with its content after the token dance",
            repo.path()
        ),
        format!("{got:?}"),
        ok,
    )
}

/// 05.1: one `send` must turn the registry's 401 into a token request and a retry.
pub fn answer_challenge(r: &mut Report) -> anyhow::Result<()> {
    let repo = Repo::random();
    with_registry(r, vec![repo.clone()], None, |r, server, endpoint| {
        let got = fetch(&Client::anonymous(), endpoint, &repo);
        if !check_fetched(r, &got, &repo) {
            r.advise("the 401 came back to the caller: remember the challenge and go round the loop once more", 1);
        }
        let tries: Vec<_> = server
            .requests_to(&repo.path())
            .into_iter()
            .map(|s| s.authorization)
            .collect();
        let bearer = format!("Bearer {}", repo.token);
        r.check(
            "the request was sent again with the token (Authorization on each try)",
            format!("{tries:?}"),
            tries.len() == 2 && tries[1].as_deref() == Some(bearer.as_str()),
        );
    })
}

/// 05.2: the token is asked for with the challenge's realm, service and this request's scope,
/// cached per scope, and sent as `Bearer`.
pub fn bearer_token(r: &mut Report) -> anyhow::Result<()> {
    let (first, second) = (Repo::random(), Repo::random());
    let repos = vec![first.clone(), second.clone()];
    with_registry(r, repos, None, |r, server, endpoint| {
        let client = Client::anonymous();
        let got = fetch(&client, endpoint, &first);
        if !check_fetched(r, &got, &first) {
            r.advise("no valid token was sent: ask the realm with fetch_token for this scope and send \"Bearer <token>\"", 1);
        }
        let again = fetch(&client, endpoint, &first);
        check_fetched(r, &again, &first);
        let other = fetch(&client, endpoint, &second);
        check_fetched(r, &other, &second);
        let asked: Vec<String> = server
            .requests_to("/token")
            .into_iter()
            .map(|s| s.url)
            .collect();
        let once_per_scope = asked.len() == 2
            && asked[0].contains(&first.scope())
            && asked[1].contains(&second.scope());
        if !r.check(
            "the token server was asked once per scope (the second fetch reused the cached token)",
            format!("{asked:?}"),
            once_per_scope,
        ) {
            r.advise("keep each token in self.tokens under realm, service and scope; reuse it while is_fresh()", 2);
        }
    })
}

/// 05.3: a token server that wants the user's login gets `Authorization: Basic` with
/// base64("user:password") (RFC 7617).
pub fn basic_login(r: &mut Report) -> anyhow::Result<()> {
    let repo = Repo::random();
    let login = Login {
        username: kernel::random_name("student"),
        // A colon in the password: only the first colon separates user from password.
        password: format!("{}:{}", kernel::random_name("pw"), fastrand::u32(..)),
    };
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", login.username, login.password))
    );
    let basic = Some(expected.clone());
    with_registry(r, vec![repo.clone()], basic, |r, server, endpoint| {
        let mut client = Client::anonymous();
        client.set_login(&endpoint.registry, &login);
        let got = fetch(&client, endpoint, &repo);
        let sent: Vec<_> = server
            .requests_to("/token")
            .into_iter()
            .map(|s| s.authorization)
            .collect();
        if !r.check(
            format!(
                "the token server got the login of {} as Basic credentials",
                login.username
            ),
            format!("{sent:?}"),
            sent.iter().any(|a| a.as_deref() == Some(expected.as_str())),
        ) {
            r.advise(
                "the header is \"Basic \" followed by base64 of user, a colon and password",
                1,
            );
        }
        check_fetched(r, &got, &repo);
    })
}

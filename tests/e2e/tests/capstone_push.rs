//! `push`, `login` and `logout` against the harness's real `docker-registry` (no auth, htpasswd
//! Basic auth, and Docker Hub's token flow), checked with `skopeo` (software we did not write)
//! and by pulling back into a second, empty engine. Also the card's command end to end: an image
//! pushed as `library/alpine:latest` to a classroom registry, and `run alpine sh -c …` fetching
//! it through `CAPSTONE_REGISTRY_MIRROR`.

mod capstone_support;

use capstone_support::{Engine, Run};
use harness::registry::{Auth, Registry};

const USER: &str = "student";
const PASSWORD: &str = "s3cret:with:colons";

fn basic() -> Auth {
    Auth::Basic {
        user: USER.into(),
        password: PASSWORD.into(),
    }
}

/// `capstone login` as the test user.
fn login(engine: &Engine, server: &str, password: &str) -> Run {
    engine.login(server, USER, password)
}

/// The manifest digest the registry serves for `reference`, as skopeo sees it.
fn skopeo_digest(reference: &str, creds: Option<String>) -> String {
    let mut cmd = std::process::Command::new("skopeo");
    cmd.args(["inspect", "--tls-verify=false"]);
    if let Some(creds) = creds {
        cmd.args(["--creds", &creds]);
    }
    let out = harness::registry::run(cmd.arg(format!("docker://{reference}")));
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    json["Digest"].as_str().unwrap().to_string()
}

/// An engine with busybox tagged as `HOST/REPO` (ready to push).
fn engine_with(reference: &str) -> Engine {
    let engine = Engine::with_busybox();
    engine.ok(&["tag", "busybox", reference]);
    engine
}

#[test]
fn push_uploads_layers_then_the_manifest_and_a_second_push_skips_them() {
    let registry = Registry::start(Auth::None);
    let reference = format!("{}/lab/busybox:v1", registry.host());
    let engine = engine_with(&reference);
    let out = engine.ok(&["push", &reference]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "The push refers to repository [{}/lab/busybox]",
            registry.host()
        )
    );
    assert!(lines[1].ends_with(": Pushed"), "{out}");
    let last = lines.last().unwrap();
    assert!(last.starts_with("v1: digest: sha256:"), "{out}");
    // The digest we printed is the one the registry serves, and the size is the manifest's.
    let served = skopeo_digest(&reference, None);
    assert!(last.contains(&format!("digest: {served} size: ")), "{out}");
    let image = engine.inspect(&reference);
    assert_eq!(
        std::fs::metadata(registry.blob_data_path(&served))
            .unwrap()
            .len(),
        last.rsplit(' ').next().unwrap().parse::<u64>().unwrap()
    );
    assert!(
        registry
            .blob_data_path(image["Id"].as_str().unwrap())
            .exists(),
        "the config blob was pushed too"
    );

    let again = engine.ok(&["push", &reference]);
    assert!(again.contains(": Layer already exists"), "{again}");
    assert!(!again.contains(": Pushed"), "{again}");

    let other = Engine::new();
    other.ok(&["pull", &reference]);
    assert_eq!(
        other.ok(&["run", "--rm", &reference, "echo", "round trip"]),
        "round trip\n"
    );
}

#[test]
fn push_of_a_name_with_no_image_here_says_so() {
    let registry = Registry::start(Auth::None);
    let engine = Engine::with_busybox();
    let run = engine.run(&["push", &format!("{}/nothing:here", registry.host())]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("an image does not exist locally with the tag"),
        "{}",
        run.stderr
    );
    assert!(
        !registry
            .storage()
            .join("docker/registry/v2/repositories/nothing")
            .exists()
    );
}

#[test]
fn basic_auth_push_needs_a_login_that_the_registry_accepted() {
    let registry = Registry::start(basic());
    let host = registry.host();
    let reference = format!("{host}/lab/private:1");
    let engine = engine_with(&reference);
    let config = engine.root.path().join("config.json");

    let refused = engine.run(&["push", &reference]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains(&format!("run `capstone login {host}`")),
        "{}",
        refused.stderr
    );

    let wrong = login(&engine, &host, "wrong");
    assert_eq!(wrong.code, 1, "{wrong:?}");
    assert!(
        wrong.stderr.contains("refused the login"),
        "{}",
        wrong.stderr
    );
    assert!(!config.exists(), "a refused login is not saved");

    let good = login(&engine, &host, PASSWORD);
    assert_eq!(good.code, 0, "{good:?}");
    assert_eq!(good.stdout, "Login Succeeded\n");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&config).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    let expected = harness::registry::run(
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s '{USER}:{PASSWORD}' | base64")),
    );
    assert_eq!(
        saved["auths"][&host]["auth"].as_str().unwrap(),
        String::from_utf8_lossy(&expected).trim()
    );

    let pushed = engine.ok(&["push", &reference]);
    let served = skopeo_digest(&reference, registry.creds());
    assert!(
        pushed.contains(&format!("1: digest: {served} ")),
        "{pushed}"
    );

    // The saved login serves pull too: a second store with the same credentials file.
    let other = Engine::new();
    std::fs::copy(&config, other.root.path().join("config.json")).unwrap();
    other.ok(&["pull", &reference]);

    assert_eq!(
        engine.ok(&["logout", &host]),
        format!("Removing login credentials for {host}\n")
    );
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    assert!(saved["auths"].get(&host).is_none(), "{saved}");
    assert_eq!(engine.run(&["push", &reference]).code, 1);
    assert_eq!(
        engine.ok(&["logout", &host]),
        format!("Not logged in to {host}\n")
    );
}

#[test]
fn token_auth_login_gets_a_token_and_push_uses_it() {
    let registry = Registry::start(Auth::Token {
        user: USER.into(),
        password: PASSWORD.into(),
    });
    let host = registry.host();
    let reference = format!("{host}/lab/tokened:1");
    let engine = engine_with(&reference);

    // Anonymous tokens may only pull: the push is refused with the login hint.
    let refused = engine.run(&["push", &reference]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("capstone login"),
        "{}",
        refused.stderr
    );

    let wrong = login(&engine, &host, "nope");
    assert_eq!(wrong.code, 1, "{wrong:?}");
    let issued_before = registry.issuer.as_ref().unwrap().issued();
    let good = login(&engine, &host, PASSWORD);
    assert_eq!(good.code, 0, "{good:?}");
    assert!(
        registry.issuer.as_ref().unwrap().issued() > issued_before,
        "login asked the token server"
    );
    let out = engine.ok(&["push", &reference]);
    assert!(out.contains("1: digest: sha256:"), "{out}");
    assert!(!skopeo_digest(&reference, registry.creds()).is_empty());
}

#[test]
fn login_without_a_password_on_a_pipe_does_not_hang_or_save() {
    let registry = Registry::start(basic());
    let engine = Engine::new();
    // stdin is /dev/null, not a terminal: there is nobody to ask.
    let run = engine.run(&["login", "-u", USER, &registry.host()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("not a terminal"), "{}", run.stderr);
    assert!(!engine.root.path().join("config.json").exists());
}

#[test]
fn card_command_runs_alpine_pushed_to_a_classroom_mirror() {
    // The student's `run` works in the student engine's network namespace: the classroom
    // mirror listens there, and the teacher pushes from there too.
    let student = Engine::new();
    let registry = student.in_netns(|| Registry::start(Auth::None));
    let teacher = engine_with(&format!("{}/library/alpine:latest", registry.host()));
    student.in_netns(|| teacher.ok(&["push", &format!("{}/library/alpine", registry.host())]));

    let out = student
        .command(&[
            "run",
            "--rm",
            "alpine",
            "sh",
            "-c",
            "echo $((6 * 7)) from alpine",
        ])
        .env(
            "CAPSTONE_REGISTRY_MIRROR",
            format!("http://{}", registry.host()),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "42 from alpine\n");
    assert!(stderr.contains("Pulling alpine:latest"), "{stderr}");
    let images = student.ok(&["images"]);
    assert!(images.lines().any(|l| l.starts_with("alpine ")), "{images}");
}

#[test]
fn a_password_protected_mirror_gets_its_own_login_never_docker_hubs() {
    let student = Engine::new();
    let registry = student.in_netns(|| Registry::start(basic()));
    let host = registry.host();
    let teacher = engine_with(&format!("{host}/library/alpine:latest"));
    student.in_netns(|| {
        assert_eq!(login(&teacher, &host, PASSWORD).code, 0);
        teacher.ok(&["push", &format!("{host}/library/alpine")]);
    });
    let mirror = format!("http://{host}");
    let run_alpine = || {
        student
            .command(&["run", "--rm", "alpine", "echo", "through the mirror"])
            .env("CAPSTONE_REGISTRY_MIRROR", &mirror)
            .output()
            .unwrap()
    };

    // A Docker Hub login (here with the mirror's very password) is not sent to the mirror.
    let auth = harness::registry::run(
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s '{USER}:{PASSWORD}' | base64")),
    );
    let hub_only = format!(
        r#"{{"auths": {{"docker.io": {{"auth": "{}"}}}}}}"#,
        String::from_utf8_lossy(&auth).trim()
    );
    std::fs::write(student.root.path().join("config.json"), hub_only).unwrap();
    let refused = run_alpine();
    assert_ne!(
        refused.status.code(),
        Some(0),
        "the mirror wanted its own login"
    );

    // Logged in to the mirror itself, the same command works.
    student.in_netns(|| assert_eq!(login(&student, &host, PASSWORD).code, 0));
    let out = run_alpine();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "through the mirror\n");
}

//! The verbs of the e2e scenarios that move images and files, driven by the real `docker` CLI
//! against `capstone daemon`: `build` (legacy builder: a tar context, a COPY and a RUN), `push`
//! to the harness's registry and `pull` back by digest, `save` | `load`, `cp` both ways,
//! `export`, `diff`, `stats --no-stream`, `update --memory`, the prunes, and
//! `run --network NET --network-alias`.
//! Effects are checked where they land: the cgroup's files, the archive's listing (GNU tar),
//! the registry (skopeo), and what the containers themselves see.

mod capstone_support;
mod daemon_support;

use capstone_support::{Engine, cgroup_dirs, cgroup_file, eventually};
use daemon_support::Daemon;
use harness::registry::{Auth, Registry};
use std::process::Command;

/// `docker ARGS` with the legacy builder (no buildx on these machines; BuildKit is not served).
fn docker_build(daemon: &Daemon, args: &[&str]) -> capstone_support::Run {
    let out = daemon
        .docker(args)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("run docker build");
    capstone_support::Run::from(out)
}

/// The names in a tar archive, as GNU tar lists them.
fn tar_names(path: &std::path::Path) -> Vec<String> {
    let out = Command::new("tar").arg("-tf").arg(path).output().unwrap();
    assert!(out.status.success(), "tar -tf {}", path.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim_start_matches("./").to_string())
        .collect()
}

#[test]
fn docker_build_runs_copy_and_run_steps_and_the_image_runs() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let context = tempfile::tempdir().unwrap();
    std::fs::write(context.path().join("hello.txt"), "hello from the context\n").unwrap();
    std::fs::write(
        context.path().join("Dockerfile"),
        "FROM busybox\nCOPY hello.txt /hello.txt\n\
         RUN echo step-output && cp /hello.txt /made && echo \"built by RUN\" >> /made\nCMD [\"cat\", \"/made\"]\n",
    )
    .unwrap();
    let dir = context.path().to_str().unwrap();
    let build = docker_build(
        &daemon,
        &["build", "-t", "lab/app:v1", "-t", "lab/app:v2", dir],
    );
    assert_eq!(build.code, 0, "{build:?}\n{}", daemon.log());
    // Every `-t` tags the one image (`?t=…&t=…`).
    assert_eq!(
        daemon.ok(&["inspect", "-f", "{{.Id}}", "lab/app:v1"]),
        daemon.ok(&["inspect", "-f", "{{.Id}}", "lab/app:v2"])
    );
    assert!(
        build.stdout.contains("Successfully tagged lab/app:v1"),
        "{build:?}"
    );
    // The steps and the RUN's own output came through the stream as the build ran.
    assert!(
        build.stdout.contains("STEP 3/4: RUN echo step-output"),
        "{build:?}"
    );
    assert!(
        build.stdout.lines().any(|l| l == "step-output"),
        "{build:?}"
    );
    let run = daemon.ok(&["run", "--rm", "lab/app:v1"]);
    assert_eq!(run, "hello from the context\nbuilt by RUN\n");
    // `-q` prints the id from the stream's `aux` message: the image's id, as inspect has it.
    let quiet = docker_build(&daemon, &["build", "-q", dir]);
    assert_eq!(quiet.code, 0, "{quiet:?}");
    let id = daemon.ok(&["inspect", "-f", "{{.Id}}", "lab/app:v1"]);
    assert_eq!(quiet.stdout.trim(), id.trim());
    // The capstone CLI on the same root sees the image.
    assert!(engine.ok(&["images"]).contains("lab/app"));
    // A failing RUN fails the build with the engine's message and tags nothing.
    std::fs::write(
        context.path().join("Dockerfile"),
        "FROM busybox\nRUN exit 7\n",
    )
    .unwrap();
    let failed = docker_build(&daemon, &["build", "-t", "lab/broken", dir]);
    assert_ne!(failed.code, 0, "{failed:?}");
    assert!(failed.stderr.contains("exit"), "{failed:?}");
    assert!(daemon.run(&["inspect", "lab/broken"]).code != 0);
}

#[test]
fn docker_push_then_pull_by_digest_brings_the_same_image_back() {
    let engine = Engine::with_busybox();
    let registry = engine.in_netns(|| Registry::start(Auth::None));
    let daemon = Daemon::start(&engine);
    let reference = format!("{}/lab/busybox:v1", registry.host());
    daemon.ok(&["tag", "busybox", &reference]);
    let push = daemon.ok(&["push", &reference]);
    assert!(
        push.contains(&format!(
            "The push refers to repository [{}/lab/busybox]",
            registry.host()
        )),
        "{push}"
    );
    assert!(push.contains(": Pushed"), "{push}");
    let digest = push
        .split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap_or_else(|| panic!("no digest in {push}"))
        .to_string();
    // The registry serves that manifest (asked with skopeo, from inside the namespace).
    let served = engine.in_netns(|| {
        let out = harness::registry::run(
            Command::new("skopeo")
                .args(["inspect", "--tls-verify=false"])
                .arg(format!("docker://{reference}")),
        );
        serde_json::from_slice::<serde_json::Value>(&out).unwrap()["Digest"]
            .as_str()
            .unwrap()
            .to_string()
    });
    assert_eq!(served, digest);
    daemon.ok(&["rmi", &reference]);
    let by_digest = format!("{}/lab/busybox@{digest}", registry.host());
    daemon.ok(&["pull", &by_digest]);
    assert_eq!(
        daemon.ok(&["run", "--rm", &by_digest, "echo", "back"]),
        "back\n"
    );
}

#[test]
fn docker_compose_build_goes_through_the_daemons_builder_with_its_build_args() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let app = tempfile::tempdir().unwrap();
    std::fs::write(
        app.path().join("docker-compose.yml"),
        "version: \"3.8\"\nservices:\n  app:\n    image: lab/composed:v1\n    build:\n      \
         context: .\n      args:\n        GREETING: hi\n",
    )
    .unwrap();
    std::fs::write(
        app.path().join("Dockerfile"),
        "FROM busybox\nARG GREETING\nRUN echo \"$GREETING from compose\" > /greeting\n\
         CMD [\"cat\", \"/greeting\"]\n",
    )
    .unwrap();
    let build = Command::new("docker-compose")
        .args(["-p", "dcb", "build"])
        .current_dir(app.path())
        .env(
            "DOCKER_HOST",
            format!("unix://{}", daemon.socket().display()),
        )
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let build = capstone_support::Run::from(build);
    assert_eq!(build.code, 0, "{build:?}\n{}", daemon.log());
    assert_eq!(
        daemon.ok(&["run", "--rm", "lab/composed:v1"]),
        "hi from compose\n"
    );
}

#[test]
fn docker_login_checks_the_registry_and_push_and_pull_carry_the_clients_login() {
    let engine = Engine::with_busybox();
    let (user, password) = ("student", "s3cret:with:colons");
    let registry = engine.in_netns(|| {
        Registry::start(Auth::Basic {
            user: user.into(),
            password: password.into(),
        })
    });
    let daemon = Daemon::start(&engine);
    let host = registry.host();
    let wrong = daemon.run(&["login", "-u", user, "-p", "wrong", &host]);
    assert_ne!(wrong.code, 0, "{wrong:?}");
    let login = daemon.ok(&["login", "-u", user, "-p", password, &host]);
    assert!(login.contains("Login Succeeded"), "{login}");
    // The client keeps the login; the daemon saved none of its own.
    assert!(!engine.root.path().join("config.json").exists());
    let reference = format!("{host}/lab/private:v1");
    daemon.ok(&["tag", "busybox", &reference]);
    let push = daemon.ok(&["push", &reference]);
    assert!(push.contains(": Pushed"), "{push}");
    daemon.ok(&["rmi", &reference]);
    daemon.ok(&["pull", &reference]);
    daemon.ok(&["logout", &host]);
    daemon.ok(&["rmi", &reference]);
    let anonymous = daemon.run(&["pull", &reference]);
    assert_ne!(anonymous.code, 0, "without the login: {anonymous:?}");
}

#[test]
fn docker_save_then_load_restores_a_removed_image() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("busybox.tar");
    daemon.ok(&["save", "-o", archive.to_str().unwrap(), "busybox"]);
    let names = tar_names(&archive);
    assert!(names.iter().any(|n| n == "manifest.json"), "{names:?}");
    daemon.ok(&["rmi", "busybox"]);
    assert_eq!(daemon.ok(&["images", "-q"]), "");
    let load = daemon.ok(&["load", "-i", archive.to_str().unwrap()]);
    assert!(load.contains("Loaded image: busybox:latest"), "{load}");
    assert_eq!(daemon.ok(&["run", "--rm", "busybox", "echo", "ok"]), "ok\n");
    let garbage = dir.path().join("garbage.tar");
    std::fs::write(&garbage, "not an archive").unwrap();
    let bad = daemon.run(&["load", "-i", garbage.to_str().unwrap()]);
    assert_ne!(bad.code, 0, "{bad:?}");
}

#[test]
fn docker_save_of_two_names_then_load_restores_both() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("two.tar");
    daemon.ok(&["tag", "busybox", "lab/one:v1"]);
    daemon.ok(&["tag", "busybox", "lab/two:v2"]);
    let path = archive.to_str().unwrap();
    daemon.ok(&["save", "-o", path, "lab/one:v1", "lab/two:v2"]);
    daemon.ok(&["rmi", "lab/one:v1", "lab/two:v2", "busybox"]);
    assert_eq!(daemon.ok(&["images", "-q"]), "");
    let load = daemon.ok(&["load", "-i", path]);
    for name in ["lab/one:v1", "lab/two:v2"] {
        assert!(load.contains(&format!("Loaded image: {name}")), "{load}");
        assert_eq!(daemon.ok(&["run", "--rm", name, "echo", "ok"]), "ok\n");
    }
}

/// The permission bits of a host path.
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn docker_cp_copies_a_file_and_a_directory_in_and_back_out() {
    use std::os::unix::fs::PermissionsExt;
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let id = daemon.ok(&["run", "-d", "busybox", "sleep", "1000"]);
    let id = id.trim();
    let host = tempfile::tempdir().unwrap();
    let file = host.path().join("notes.txt");
    std::fs::write(&file, "copied in\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let tree = host.path().join("tree");
    std::fs::create_dir_all(tree.join("inner")).unwrap();
    std::fs::write(tree.join("inner/deep.sh"), "echo deep\n").unwrap();
    let script = tree.join("inner/deep.sh");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();

    daemon.ok(&["cp", file.to_str().unwrap(), &format!("{id}:/tmp/")]);
    daemon.ok(&["cp", tree.to_str().unwrap(), &format!("{id}:/tmp/copied")]);
    // What the container's own processes see.
    let seen = daemon.ok(&[
        "exec",
        id,
        "sh",
        "-c",
        "cat /tmp/notes.txt; stat -c %a /tmp/notes.txt /tmp/copied/inner/deep.sh; \
         sh /tmp/copied/inner/deep.sh",
    ]);
    assert_eq!(seen, "copied in\n640\n755\ndeep\n");

    let back = host.path().join("back");
    std::fs::create_dir(&back).unwrap();
    daemon.ok(&[
        "cp",
        &format!("{id}:/tmp/notes.txt"),
        back.to_str().unwrap(),
    ]);
    daemon.ok(&["cp", &format!("{id}:/tmp/copied"), back.to_str().unwrap()]);
    let notes = back.join("notes.txt");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "copied in\n");
    assert_eq!(mode_of(&notes), 0o640);
    let deep = back.join("copied/inner/deep.sh");
    assert_eq!(std::fs::read_to_string(&deep).unwrap(), "echo deep\n");
    assert_eq!(mode_of(&deep), 0o755);

    // A missing path fails with moby's 404 message, and creates nothing.
    let missing = daemon.run(&["cp", &format!("{id}:/nope"), back.to_str().unwrap()]);
    assert_ne!(missing.code, 0, "{missing:?}");
    let expected = format!("Could not find the file /nope in container {id}");
    assert!(missing.stderr.contains(&expected), "{missing:?}");
    assert!(!back.join("nope").exists());
    // The archive's owners stay; `-a` (`copyUIDGID`) gives the copy to the container's user.
    let owned = host.path().join("owned");
    std::fs::write(&owned, "owned\n").unwrap();
    std::os::unix::fs::chown(&owned, Some(1234), Some(4321)).unwrap();
    let nobody = daemon.ok(&["run", "-d", "-u", "nobody", "busybox", "sleep", "1000"]);
    let nobody = nobody.trim();
    daemon.ok(&[
        "cp",
        "-a",
        owned.to_str().unwrap(),
        &format!("{nobody}:/tmp/a"),
    ]);
    daemon.ok(&[
        "cp",
        owned.to_str().unwrap(),
        &format!("{nobody}:/tmp/kept"),
    ]);
    let owners = daemon.ok(&["exec", nobody, "stat", "-c", "%u:%g", "/tmp/a", "/tmp/kept"]);
    assert_eq!(owners, "65534:65534\n1234:4321\n");
    // A container not started yet: its root is mounted for the copy only.
    let created = daemon.ok(&["create", "busybox", "cat", "/tmp/notes.txt"]);
    let created = created.trim();
    daemon.ok(&["cp", file.to_str().unwrap(), &format!("{created}:/tmp/")]);
    assert_eq!(daemon.ok(&["start", "-a", created]), "copied in\n");
    let into_missing = daemon.run(&["cp", file.to_str().unwrap(), &format!("{id}:/no/such")]);
    assert_ne!(into_missing.code, 0, "{into_missing:?}");
    let expected = format!("Could not find the file /no in container {id}");
    assert!(into_missing.stderr.contains(&expected), "{into_missing:?}");
}

/// `docker cp - C:DIR` with `archive` on stdin: the CLI sends it as it is
/// (`PUT …/archive?path=DIR`).
fn cp_archive_into(
    daemon: &Daemon,
    archive: &std::path::Path,
    dest: &str,
) -> capstone_support::Run {
    let copy = daemon
        .docker(&["cp", "-", dest])
        .stdin(std::fs::File::open(archive).unwrap())
        .output()
        .unwrap();
    capstone_support::Run::from(copy)
}

#[test]
fn a_hostile_tar_copied_into_a_container_never_writes_outside_its_root() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let id = daemon.ok(&["run", "-d", "busybox", "sleep", "1000"]);
    let id = id.trim();
    for kind in ["dotdot", "absolute", "symlink"] {
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("escaped");
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("hostile.tar");
        let made = Command::new("python3")
            .args(["-c", HOSTILE_TAR])
            .arg(&archive)
            .arg(kind)
            .arg(&target)
            .status()
            .unwrap();
        assert!(made.success());
        let copy = cp_archive_into(&daemon, &archive, &format!("{id}:/tmp"));
        assert_eq!(
            std::fs::read_dir(outside.path()).unwrap().count(),
            0,
            "{kind}: {copy:?}"
        );
        // Refused with a reason, or written inside the container's own root.
        if copy.code == 0 {
            let found = daemon.ok(&["exec", id, "find", "/", "-xdev", "-name", "escaped"]);
            assert!(!found.trim().is_empty(), "{kind}: copied, but where?");
        } else {
            assert!(
                copy.stderr.contains("Error response from daemon"),
                "{copy:?}"
            );
        }
    }
    // A `.wh.` name is refused, not read as a layer's deletion marker.
    daemon.ok(&["exec", id, "touch", "/tmp/kept"]);
    let marker = tempfile::tempdir().unwrap();
    std::fs::write(marker.path().join(".wh.kept"), "").unwrap();
    let archive = marker.path().join("marker.tar");
    let tar = Command::new("tar")
        .arg("-cf")
        .arg(&archive)
        .arg("-C")
        .arg(marker.path())
        .arg(".wh.kept")
        .status()
        .unwrap();
    assert!(tar.success());
    let copy = cp_archive_into(&daemon, &archive, &format!("{id}:/tmp"));
    assert!(copy.code != 0 && copy.stderr.contains(".wh."), "{copy:?}");
    daemon.ok(&["exec", id, "test", "-f", "/tmp/kept"]);
}

/// Bytes from `docker stats`' human figure (`1.5MiB`, `812KiB`, `64MiB`).
fn bytes(figure: &str) -> f64 {
    let split = figure
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(figure.len());
    let (number, unit) = figure.split_at(split);
    let scale = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        other => panic!("unit {other:?} in {figure:?}"),
    };
    number.parse::<f64>().unwrap() * scale
}

/// The cgroup's memory in use less the page cache the kernel can drop, as Docker counts it.
fn cgroup_memory(id: &str) -> f64 {
    let usage = std::fs::read_to_string(cgroup_file(
        id,
        &["memory.usage_in_bytes", "memory.current"],
    ))
    .unwrap();
    let stat = std::fs::read_to_string(cgroup_file(id, &["memory.stat"])).unwrap();
    let inactive = stat
        .lines()
        .find_map(|l| {
            l.strip_prefix("total_inactive_file ")
                .or(l.strip_prefix("inactive_file "))
        })
        .map_or(0.0, |v| v.trim().parse::<f64>().unwrap());
    usage.trim().parse::<f64>().unwrap() - inactive
}

#[test]
fn diff_export_stats_and_update_on_a_running_container() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let id = daemon.ok(&[
        "run",
        "-d",
        "-m",
        "64m",
        "busybox",
        "sh",
        "-c",
        // 16 MiB in tmpfs: memory the cgroup is charged for and cannot drop (shmem), so the
        // figure is far above the few hundred KiB cgroup v1 may charge ahead per CPU.
        "head -c 16m /dev/zero > /dev/shm/fill; echo new > /added; echo more >> /etc/passwd; \
         touch /ready; sleep 1000",
    ]);
    let id = id.trim().to_string();
    let diff = eventually("the container's changes", || {
        let diff = daemon.ok(&["diff", &id]);
        diff.lines().any(|l| l == "A /ready").then_some(diff)
    });
    assert!(diff.lines().any(|l| l == "A /added"), "{diff}");
    assert!(diff.lines().any(|l| l == "C /etc/passwd"), "{diff}");
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("fs.tar");
    daemon.ok(&["export", "-o", export.to_str().unwrap(), &id]);
    let names = tar_names(&export);
    for wanted in ["added", "etc/passwd", "bin/busybox"] {
        assert!(names.iter().any(|n| n == wanted), "{wanted} in {names:?}");
    }
    let stats = daemon.ok(&["stats", "--no-stream", "--format", "{{.MemUsage}}", &id]);
    let (used, limit) = stats.trim().split_once(" / ").unwrap();
    assert_eq!(bytes(limit), (64u64 << 20) as f64, "{stats}");
    let kernel = cgroup_memory(&id);
    let shown = bytes(used);
    assert!(shown >= 16.0 * 1024.0 * 1024.0, "docker stats shows {used}");
    assert!(
        (shown - kernel).abs() <= kernel * 0.25 + 64.0 * 1024.0,
        "docker stats shows {used}, the cgroup holds {kernel} bytes"
    );
    daemon.ok(&["update", "--memory", "128m", &id]);
    let limit_file = cgroup_file(&id, &["memory.limit_in_bytes", "memory.max"]);
    assert_eq!(
        std::fs::read_to_string(limit_file).unwrap().trim(),
        (128u64 << 20).to_string()
    );
    assert!(!cgroup_dirs(&id).is_empty());
    let bad = daemon.run(&["update", "--memory", "128m", "nosuch"]);
    assert_ne!(bad.code, 0, "{bad:?}");
}

#[test]
fn prunes_remove_only_what_nothing_uses() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let stopped = daemon.ok(&["create", "busybox", "true"]);
    let running = daemon.ok(&["run", "-d", "-v", "kept:/data", "busybox", "sleep", "1000"]);
    let pruned = daemon.ok(&["container", "prune", "-f"]);
    assert!(pruned.contains(stopped.trim()), "{pruned}");
    let left = daemon.ok(&["ps", "-aq", "--no-trunc"]);
    assert_eq!(left.trim(), running.trim());
    daemon.ok(&["network", "create", "spare"]);
    let pruned = daemon.ok(&["network", "prune", "-f"]);
    assert!(pruned.lines().any(|l| l == "spare"), "{pruned}");
    let nets = daemon.ok(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(
        !nets.lines().any(|n| n == "spare") && nets.contains("bridge"),
        "{nets}"
    );
    daemon.ok(&["volume", "create", "spare"]);
    let pruned = daemon.ok(&["volume", "prune", "-f"]);
    assert!(pruned.lines().any(|l| l == "spare"), "{pruned}");
    let volumes = daemon.ok(&["volume", "ls", "-q"]);
    assert_eq!(volumes.trim(), "kept", "a volume in use stays");
}

#[test]
fn docker_commit_and_import_make_images_of_a_containers_changes() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    // `/big` makes the export larger than a plain request body may be (16 MiB).
    let script = "echo made > /made; rm /etc/group; head -c 17000000 /dev/zero > /big; \
                  touch /ready; sleep 1000";
    let id = daemon.ok(&["run", "-d", "busybox", "sh", "-c", script]);
    let id = id.trim();
    eventually("the container's changes", || {
        (daemon.run(&["exec", id, "test", "-e", "/ready"]).code == 0).then_some(())
    });
    let args = ["commit", "-a", "A. Student", "-m", "with /made", id];
    let committed = daemon.ok(&[&args[..], &["lab/committed:v1"]].concat());
    // The id it prints is the image's, as inspect has it.
    let inspected = daemon.ok(&["inspect", "-f", "{{.Id}}", "lab/committed:v1"]);
    assert_eq!(committed.trim(), inspected.trim());
    let made = daemon.ok(&["run", "--rm", "lab/committed:v1", "cat", "/made"]);
    assert_eq!(made, "made\n");
    let group = daemon.run(&[
        "run",
        "--rm",
        "lab/committed:v1",
        "test",
        "-e",
        "/etc/group",
    ]);
    assert_eq!(group.code, 1, "the deletion is in the image too: {group:?}");
    let author = daemon.ok(&["inspect", "-f", "{{.Author}}", "lab/committed:v1"]);
    assert_eq!(author.trim(), "A. Student");
    let history = daemon.ok(&["history", "--format", "{{.Comment}}", "lab/committed:v1"]);
    assert_eq!(history.lines().next(), Some("with /made"), "{history}");
    // --change would be applied to the config by Docker: refused here, not ignored.
    let change = daemon.run(&["commit", "-c", "ENV A=1", id, "lab/changed"]);
    assert_ne!(change.code, 0, "{change:?}");
    assert!(change.stderr.contains("--change"), "{change:?}");
    assert_ne!(daemon.run(&["inspect", "lab/changed"]).code, 0);

    // `docker import` of the container's export: the tarball is the request's body, an
    // archive upload like a build context's.
    let dir = tempfile::tempdir().unwrap();
    let tarball = dir.path().join("export.tar");
    let tarball = tarball.to_str().unwrap();
    daemon.ok(&["export", "-o", tarball, id]);
    let change = r#"CMD ["cat", "/made"]"#;
    let imported = daemon.ok(&["import", "-c", change, tarball, "lab/imported:v1"]);
    let inspected = daemon.ok(&["inspect", "-f", "{{.Id}}", "lab/imported:v1"]);
    assert_eq!(imported.trim(), inspected.trim());
    assert_eq!(daemon.ok(&["run", "--rm", "lab/imported:v1"]), "made\n");
    let from_url = daemon.run(&["import", "http://127.0.0.1:9/rootfs.tar", "lab/fetched"]);
    assert_ne!(from_url.code, 0, "{from_url:?}");
    assert!(
        from_url.stderr.contains("download the tarball"),
        "{from_url:?}"
    );
}

#[test]
fn docker_run_flags_reach_the_container_through_the_api() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    // Each flag's effect, as the container sees it: one line each.
    let script = "grep foo /etc/hosts; grep nameserver /etc/resolv.conf; touch /t/x && \
                  df -k /t | tail -1; ulimit -n; df -k /dev/shm | tail -1";
    let out = daemon.ok(&[
        "run",
        "--rm",
        "--add-host",
        "foo:10.1.2.3",
        "--dns",
        "10.9.9.9",
        "--tmpfs",
        "/t:size=1m",
        "--ulimit",
        "nofile=100:100",
        "--shm-size",
        "2m",
        "busybox",
        "sh",
        "-c",
        script,
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(
        lines[0].starts_with("10.1.2.3") && lines[0].ends_with("foo"),
        "{out}"
    );
    assert_eq!(lines[1], "nameserver 10.9.9.9", "{out}");
    assert!(
        lines[2].contains(" 1024 ") && lines[2].ends_with("/t"),
        "{out}"
    );
    assert_eq!(lines[3], "100", "{out}");
    assert!(
        lines[4].contains(" 2048 ") && lines[4].ends_with("/dev/shm"),
        "{out}"
    );
    let id = daemon.ok(&["create", "--stop-signal", "SIGUSR1", "busybox", "true"]);
    let signal = daemon.ok(&["inspect", "-f", "{{.Config.StopSignal}}", id.trim()]);
    assert_eq!(signal.trim(), "SIGUSR1");
    // What capstone cannot do is refused, not silently left out: Docker's exit code 125.
    let refused = daemon.run(&["run", "--rm", "--pid", "host", "busybox", "true"]);
    assert_eq!(refused.code, 125, "{refused:?}");
    assert!(refused.stderr.contains("HostConfig.PidMode"), "{refused:?}");
}

/// The lines of a prune report under `title` (Docker's: a title, a line each, a blank line).
fn listed_under(report: &str, title: &str) -> Vec<String> {
    let lines = report.lines().skip_while(|l| *l != title).skip(1);
    lines
        .take_while(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn system_prune_and_builder_prune_drop_the_build_cache_through_the_api() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let context = tempfile::tempdir().unwrap();
    std::fs::write(
        context.path().join("Dockerfile"),
        "FROM busybox\nRUN echo one > /one\nRUN echo two > /two\n",
    )
    .unwrap();
    let dir = context.path().to_str().unwrap();
    let build = || docker_build(&daemon, &["build", "-t", "lab/cached", dir]);
    assert_eq!(build().code, 0, "{}", daemon.log());
    // `docker system prune` calls POST /build/prune last: without it, the whole command fails.
    // The first RUN's image is untagged, so the image sweep takes it, and its cache entry with
    // it; the second RUN's image is lab/cached, which stays, and so does its entry.
    let pruned = daemon.ok(&["system", "prune", "-f"]);
    let dropped = listed_under(&pruned, "Deleted build cache objects:");
    assert_eq!(dropped.len(), 1, "{pruned}");
    let rebuilt = build();
    assert!(
        rebuilt.stdout.contains("STEP 2/3: RUN echo one"),
        "{rebuilt:?}"
    );
    assert_eq!(
        rebuilt.stdout.matches("--> CACHED").count(),
        0,
        "{rebuilt:?}"
    );
    let again = build();
    assert_eq!(again.stdout.matches("--> CACHED").count(), 2, "{again:?}");
    // `builder prune -a`: every entry, though their images still exist — the rebuild's two
    // steps and the first build's last (its image untagged by the rebuild, not yet swept);
    // the next build runs every step.
    let pruned = daemon.ok(&["builder", "prune", "-a", "-f"]);
    assert_eq!(
        listed_under(&pruned, "Deleted build cache objects:").len(),
        3,
        "{pruned}"
    );
    let after = build();
    assert_eq!(after.stdout.matches("--> CACHED").count(), 0, "{after:?}");
}

#[test]
fn run_with_a_network_alias_is_reachable_by_that_name() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    daemon.ok(&["network", "create", "appnet"]);
    daemon.ok(&[
        "run",
        "-d",
        "--name",
        "server",
        "--network",
        "appnet",
        "--network-alias",
        "web",
        "busybox",
        "sleep",
        "1000",
    ]);
    let ping = daemon.ok(&[
        "run",
        "--rm",
        "--network",
        "appnet",
        "busybox",
        "ping",
        "-c",
        "1",
        "-W",
        "5",
        "web",
    ]);
    assert!(ping.contains("1 packets received"), "{ping}");
}

/// `GET /containers/ID/stats` on the socket: the first `count` JSON documents of the stream,
/// then the connection is dropped (a client that goes away mid-stream).
fn stats_documents(socket: &std::path::Path, id: &str, count: usize) -> Vec<serde_json::Value> {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(socket).unwrap();
    write!(
        stream,
        "GET /v1.41/containers/{id}/stats HTTP/1.1\r\nHost: d\r\n\r\n"
    )
    .unwrap();
    // Chunked: size lines in hex, then each document on a line of its own.
    BufReader::new(stream)
        .lines()
        .map(Result::unwrap)
        .filter(|line| line.starts_with('{'))
        .take(count)
        .map(|line| serde_json::from_str(&line).unwrap())
        .collect()
}

#[test]
fn stats_stream_carries_counters_from_which_the_cli_computes_cpu() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    let id = daemon.ok(&["run", "-d", "busybox", "sh", "-c", "while :; do :; done"]);
    let id = id.trim();
    let docs = stats_documents(&daemon.socket(), id, 2);
    let (first, second) = (&docs[0], &docs[1]);
    // Each document's `precpu_stats` is the one before's `cpu_stats`: cumulative counters.
    assert_eq!(second["precpu_stats"], first["cpu_stats"], "{docs:?}");
    let total =
        |doc: &serde_json::Value, key: &str| doc[key]["cpu_usage"]["total_usage"].as_f64().unwrap();
    let system =
        |doc: &serde_json::Value, key: &str| doc[key]["system_cpu_usage"].as_f64().unwrap();
    let cpus = second["cpu_stats"]["online_cpus"].as_f64().unwrap();
    let percent = (total(second, "cpu_stats") - total(second, "precpu_stats"))
        / (system(second, "cpu_stats") - system(second, "precpu_stats"))
        * cpus
        * 100.0;
    assert!(
        percent > 10.0,
        "a spinning shell shows {percent}% CPU: {second}"
    );
    // The daemon lives on after the client vanished, and the CLI computes the same way.
    let cli = daemon.ok(&["stats", "--no-stream", "--format", "{{.CPUPerc}}", id]);
    let cli: f64 = cli.trim().trim_end_matches('%').parse().unwrap();
    assert!(cli > 10.0, "docker stats shows {cli}%");
}

/// Python's tarfile writes what GNU tar would refuse to: a build context with a Dockerfile
/// and one hostile entry aimed at `target` (`kind`: a `..` path, an absolute path, or a
/// symlink to `target`'s directory with a file "inside" it).
const HOSTILE_TAR: &str = r#"
import io, os, sys, tarfile
context, kind, target = sys.argv[1:4]
with tarfile.open(context, "w") as tar:
    def add(name, data):
        info = tarfile.TarInfo(name); info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    add("Dockerfile", b"FROM busybox\nCOPY . /ctx\n")
    if kind == "dotdot":
        add("../" * 12 + target.lstrip("/"), b"dotdot")
    elif kind == "absolute":
        add(target, b"absolute")
    else:
        link = tarfile.TarInfo("out"); link.type = tarfile.SYMTYPE
        link.linkname = os.path.dirname(target)
        tar.addfile(link)
        add("out/" + os.path.basename(target), b"through a symlink")
"#;

#[test]
fn a_hostile_build_context_never_writes_outside_the_scratch_directory() {
    let engine = Engine::with_busybox();
    let daemon = Daemon::start(&engine);
    for kind in ["dotdot", "absolute", "symlink"] {
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("escaped");
        let dir = tempfile::tempdir().unwrap();
        let context = dir.path().join("context.tar");
        let made = Command::new("python3")
            .args(["-c", HOSTILE_TAR])
            .arg(&context)
            .arg(kind)
            .arg(&target)
            .status()
            .unwrap();
        assert!(made.success());
        let build = daemon
            .docker(&["build", "-t", "lab/hostile", "-"])
            .env("DOCKER_BUILDKIT", "0")
            .stdin(std::fs::File::open(&context).unwrap())
            .output()
            .unwrap();
        let build = capstone_support::Run::from(build);
        assert_eq!(
            std::fs::read_dir(outside.path()).unwrap().count(),
            0,
            "{kind}: {build:?}"
        );
        // Refused with the reason, or built without the entry: never written outside.
        assert!(
            build.code == 0 || build.stderr.contains("outside"),
            "{kind}: {build:?}"
        );
    }
}

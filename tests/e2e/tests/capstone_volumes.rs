//! Volumes and bind mounts: `-v`, `--mount`, image `VOLUME`, copy-up, and the `volume` verbs.
//! Each test has its own engine (its own `--root`); host directories are temporary; and every
//! test checks that nothing it mounted is visible in the host's mount table.

mod capstone_support;

use capstone_support::{Engine, busybox_tarball, host_mounts};
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A temporary host directory, removed when dropped.
fn host_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("capstone-vol-")
        .tempdir()
        .unwrap()
}

/// Imports busybox plus `entries` of `extra` (appended with GNU tar, owned by `uid:gid`) as
/// image `name`: how a crafted image is made without trusting our own image code.
fn import_with(engine: &Engine, name: &str, extra: &Path, entries: &[&str], uid: u32, gid: u32) {
    let work = host_dir();
    let tar = work.path().join("image.tar");
    std::fs::copy(busybox_tarball().path(), &tar).unwrap();
    let status = Command::new("tar")
        .args([
            "--numeric-owner",
            &format!("--owner={uid}"),
            &format!("--group={gid}"),
        ])
        .arg("-C")
        .arg(extra)
        .arg("-rf")
        .arg(&tar)
        .args(entries)
        .status()
        .unwrap();
    assert!(status.success(), "tar -r failed");
    engine.ok(&[
        "import",
        "--change",
        r#"CMD ["sh"]"#,
        tar.to_str().unwrap(),
        name,
    ]);
}

/// A volume's content directory on the host.
fn volume_data(engine: &Engine, name: &str) -> PathBuf {
    engine.root.path().join("volumes").join(name).join("_data")
}

/// The container mounts live only in the containers' own mount namespaces.
fn assert_not_mounted_on_host(paths: &[&Path]) {
    let table = host_mounts();
    for p in paths {
        let p = p.to_str().unwrap();
        assert!(!table.contains(p), "{p} appears in the host's mount table");
    }
}

fn volume_names(engine: &Engine) -> Vec<String> {
    engine
        .ok(&["volume", "ls", "-q"])
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn a_named_volume_keeps_its_data_after_rm_for_the_next_container() {
    let engine = Engine::with_busybox();
    engine.ok(&[
        "run",
        "--rm",
        "-v",
        "notes:/notes",
        "busybox",
        "sh",
        "-c",
        "echo kept > /notes/a",
    ]);
    assert_eq!(volume_names(&engine), ["notes"], "made on first use");
    let out = engine.ok(&[
        "run",
        "--rm",
        "-v",
        "notes:/elsewhere",
        "busybox",
        "cat",
        "/elsewhere/a",
    ]);
    assert_eq!(out, "kept\n");
    assert_eq!(
        std::fs::read_to_string(volume_data(&engine, "notes").join("a")).unwrap(),
        "kept\n"
    );
    assert_not_mounted_on_host(&[engine.root.path()]);
}

#[test]
fn a_bind_mount_shows_host_files_and_writes_reach_the_host() {
    let engine = Engine::with_busybox();
    let host = host_dir();
    std::fs::write(host.path().join("from-host"), "hello from the host\n").unwrap();
    let single = host.path().join("single.txt");
    std::fs::write(&single, "one file\n").unwrap();
    let dir_bind = format!("{}:/srv/h", host.path().display());
    let file_bind = format!("{}:/etc/single.txt:ro", single.display());
    let out = engine.ok(&[
        "run",
        "--rm",
        "-v",
        &dir_bind,
        "-v",
        &file_bind,
        "busybox",
        "sh",
        "-c",
        "cat /srv/h/from-host /etc/single.txt && echo from the container > /srv/h/back",
    ]);
    assert_eq!(out, "hello from the host\none file\n");
    assert_eq!(
        std::fs::read_to_string(host.path().join("back")).unwrap(),
        "from the container\n"
    );
    assert_not_mounted_on_host(&[host.path()]);
}

#[test]
fn a_read_only_bind_refuses_writes_with_erofs_and_the_host_file_is_untouched() {
    let engine = Engine::with_busybox();
    let host = host_dir();
    std::fs::write(host.path().join("f"), "original\n").unwrap();
    let bind = format!("{}:/h:ro", host.path().display());
    let run = engine.run(&[
        "run",
        "--rm",
        "-v",
        &bind,
        "busybox",
        "sh",
        "-c",
        "echo changed > /h/f",
    ]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("Read-only file system"),
        "EROFS: {run:?}"
    );
    assert_eq!(
        std::fs::read_to_string(host.path().join("f")).unwrap(),
        "original\n"
    );
    // Only the mount is read-only: the container's own root is still writable.
    engine.ok(&[
        "run",
        "--rm",
        "-v",
        &bind,
        "busybox",
        "touch",
        "/root-is-writable",
    ]);
    let mount = format!(
        "type=bind,source={},target=/m,readonly",
        host.path().display()
    );
    let run = engine.run(&["run", "--rm", "--mount", &mount, "busybox", "touch", "/m/x"]);
    assert!(
        run.stderr.contains("Read-only file system"),
        "--mount readonly: {run:?}"
    );
    assert_not_mounted_on_host(&[host.path()]);
}

#[test]
fn volumes_stay_writable_under_a_read_only_root() {
    let engine = Engine::with_busybox();
    let script = "echo ok > /data/f && ! touch /not-here 2>/dev/null && cat /data/f";
    let out = engine.ok(&[
        "run",
        "--rm",
        "--read-only",
        "-v",
        "rw:/data",
        "busybox",
        "sh",
        "-c",
        script,
    ]);
    assert_eq!(out, "ok\n");
}

#[test]
fn a_symlink_in_the_image_cannot_send_a_mount_outside_the_root_filesystem() {
    let engine = Engine::with_busybox();
    // What the image's symlinks name: a real directory on the host.
    let outside = host_dir();
    let extra = host_dir();
    symlink(outside.path(), extra.path().join("abs")).unwrap();
    let climbing = format!("../../../../../../../..{}", outside.path().display());
    symlink(&climbing, extra.path().join("rel")).unwrap();
    import_with(&engine, "hostile", extra.path(), &["./abs", "./rel"], 0, 0);

    engine.ok(&[
        "run",
        "--rm",
        "-v",
        "trap:/abs",
        "hostile",
        "sh",
        "-c",
        "echo inside > /abs/written",
    ]);
    let bind_source = host_dir();
    std::fs::write(bind_source.path().join("mine"), "bound\n").unwrap();
    let bind = format!("{}:/rel", bind_source.path().display());
    let out = engine.ok(&[
        "run",
        "--rm",
        "-v",
        &bind,
        "hostile",
        "sh",
        "-c",
        "cat /rel/mine; touch /rel/new",
    ]);

    assert_eq!(
        out, "bound\n",
        "the bind is seen through the symlink, inside the container"
    );
    assert!(
        volume_data(&engine, "trap").join("written").exists(),
        "the write went to the volume"
    );
    assert!(bind_source.path().join("new").exists());
    let escaped: Vec<_> = std::fs::read_dir(outside.path()).unwrap().collect();
    assert!(
        escaped.is_empty(),
        "the host directory was written through: {escaped:?}"
    );
    assert_not_mounted_on_host(&[outside.path(), bind_source.path()]);
}

#[test]
fn a_new_volume_is_filled_from_the_image_keeping_owners_and_modes_once() {
    let engine = Engine::with_busybox();
    let extra = host_dir();
    let seed = extra.path().join("seed");
    std::fs::create_dir_all(seed.join("sub")).unwrap();
    std::fs::write(seed.join("conf"), "from the image\n").unwrap();
    std::fs::set_permissions(seed.join("conf"), std::fs::Permissions::from_mode(0o640)).unwrap();
    std::fs::set_permissions(&seed, std::fs::Permissions::from_mode(0o750)).unwrap();
    symlink("conf", seed.join("link")).unwrap();
    import_with(&engine, "seeded", extra.path(), &["./seed"], 1234, 5678);

    let out = engine.ok(&[
        "run",
        "--rm",
        "-v",
        "cu:/seed",
        "seeded",
        "cat",
        "/seed/link",
    ]);
    assert_eq!(out, "from the image\n");
    let data = volume_data(&engine, "cu");
    let conf = std::fs::metadata(data.join("conf")).unwrap();
    assert_eq!(
        (conf.uid(), conf.gid(), conf.mode() & 0o7777),
        (1234, 5678, 0o640)
    );
    let root = std::fs::metadata(&data).unwrap();
    assert_eq!(
        (root.uid(), root.gid(), root.mode() & 0o7777),
        (1234, 5678, 0o750)
    );
    assert_eq!(
        std::fs::read_link(data.join("link")).unwrap(),
        Path::new("conf")
    );
    assert!(data.join("sub").is_dir());

    // Not new any more: what the container wrote stays, the image's file is not copied again.
    engine.ok(&[
        "run",
        "--rm",
        "-v",
        "cu:/seed",
        "seeded",
        "sh",
        "-c",
        "echo mine > /seed/conf",
    ]);
    let out = engine.ok(&[
        "run",
        "--rm",
        "-v",
        "cu:/seed",
        "seeded",
        "cat",
        "/seed/conf",
    ]);
    assert_eq!(out, "mine\n");
    // `nocopy` leaves a new volume empty.
    engine.ok(&["run", "--rm", "-v", "bare:/seed:nocopy", "seeded", "true"]);
    assert_eq!(
        std::fs::read_dir(volume_data(&engine, "bare"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn an_image_volume_becomes_an_anonymous_volume_that_rm_v_removes() {
    let engine = Engine::with_busybox();
    let ctx = host_dir();
    std::fs::write(
        ctx.path().join("Dockerfile"),
        "FROM busybox\nRUN mkdir /data && echo from-image > /data/seed\nVOLUME /data\n",
    )
    .unwrap();
    engine.ok(&["build", "-q", "-t", "withvol", ctx.path().to_str().unwrap()]);

    let kept = engine
        .ok(&["create", "withvol", "cat", "/data/seed"])
        .trim()
        .to_string();
    let removed = engine
        .ok(&["create", "-v", "named:/other", "withvol", "true"])
        .trim()
        .to_string();
    assert_eq!(
        engine.ok(&["start", "-a", &kept]),
        "from-image\n",
        "copied up"
    );
    let mounts = engine.inspect(&kept)["Mounts"].clone();
    assert_eq!(mounts.as_array().unwrap().len(), 1, "{mounts}");
    assert_eq!(mounts[0]["Type"], "volume");
    assert_eq!(mounts[0]["Destination"], "/data");
    let anonymous = mounts[0]["Name"].as_str().unwrap().to_string();
    assert_eq!(anonymous.len(), 64, "a random 64-hex name: {anonymous}");
    let removed_anon = engine.inspect(&removed)["Mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Destination"] == "/data")
        .unwrap()["Name"]
        .as_str()
        .unwrap()
        .to_string();

    engine.ok(&["rm", &kept]);
    engine.ok(&["rm", "-v", &removed]);
    let names = volume_names(&engine);
    assert!(
        names.contains(&anonymous),
        "rm without -v keeps it: {names:?}"
    );
    assert!(
        !names.contains(&removed_anon),
        "rm -v removes it: {names:?}"
    );
    assert!(
        names.contains(&"named".to_string()),
        "named volumes stay: {names:?}"
    );

    // A -v on the image's VOLUME path replaces the anonymous volume.
    let covered = engine
        .ok(&["create", "-v", "over:/data", "withvol"])
        .trim()
        .to_string();
    let mounts = engine.inspect(&covered)["Mounts"].clone();
    assert_eq!(mounts.as_array().unwrap().len(), 1);
    assert_eq!(mounts[0]["Name"], "over");
}

#[test]
fn a_dash_dash_rm_container_takes_its_anonymous_volumes_along() {
    let engine = Engine::with_busybox();
    engine.ok(&[
        "run",
        "--rm",
        "-v",
        "/scratch",
        "-v",
        "stays:/stays",
        "busybox",
        "touch",
        "/scratch/x",
    ]);
    assert_eq!(volume_names(&engine), ["stays"]);
}

#[test]
fn removing_a_volume_in_use_is_refused_and_its_data_is_intact() {
    let engine = Engine::with_busybox();
    let id = engine
        .ok(&[
            "create",
            "-v",
            "busy:/data",
            "busybox",
            "sh",
            "-c",
            "echo precious > /data/p",
        ])
        .trim()
        .to_string();
    engine.ok(&["start", "-a", &id]);
    let run = engine.run(&["volume", "rm", "busy"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("remove busy: volume is in use - [{id}]")),
        "Docker's message, with the container's id: {run:?}"
    );
    assert_eq!(
        std::fs::read_to_string(volume_data(&engine, "busy").join("p")).unwrap(),
        "precious\n"
    );
    let running = engine.detached(&["-v", "live:/x", "busybox", "sleep", "1000"]);
    assert_eq!(
        engine.run(&["volume", "rm", "live"]).code,
        1,
        "running user too"
    );
    let users = engine.ok(&["ps", "-aq", "--filter", "volume=busy"]);
    assert_eq!(
        users,
        format!("{}\n", &id[..12]),
        "ps --filter volume= finds who uses it"
    );
    engine.ok(&["rm", "-f", &running]);
    engine.ok(&["rm", &id]);
    assert_eq!(engine.ok(&["volume", "rm", "busy", "live"]), "busy\nlive\n");
    assert!(volume_names(&engine).is_empty());
    assert!(!engine.root.path().join("volumes/busy").exists());
}

#[test]
fn bad_volume_flags_are_clear_errors_that_leave_nothing_behind() {
    let engine = Engine::with_busybox();
    let mut messages = Vec::new();
    for spec in [
        "/nonexistent/capstone-vol-test:/x",
        "./relative:/x",
        "/tmp:/x:rx",
        "data:relative",
        "ok1:/x:ro,rw",
    ] {
        let run = engine.run(&["run", "--rm", "-v", spec, "busybox", "true"]);
        assert_eq!(run.code, 125, "{spec}: {run:?}");
        messages.push(format!("-v {spec}\n{}", run.stderr.trim_end()));
    }
    insta::assert_snapshot!(messages.join("\n\n"));
    assert_eq!(engine.ok(&["ps", "-aq"]), "", "no container made");
    assert!(volume_names(&engine).is_empty(), "no volume made");
}

#[test]
fn a_mount_that_cannot_be_made_fails_the_start_with_the_reason() {
    let engine = Engine::with_busybox();
    let host = host_dir();
    let file = host.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let bind = format!("{}:/etc", file.display()); // a file over the image's directory
    let run = engine.run(&["run", "--rm", "-v", "/anon", "-v", &bind, "busybox", "true"]);
    assert_eq!(run.code, 125, "{run:?}");
    assert!(run.stderr.contains("/etc"), "{run:?}");
    assert_eq!(engine.ok(&["ps", "-aq"]), "", "--rm removed it");
    assert!(volume_names(&engine).is_empty(), "and its anonymous volume");

    // A bind source that disappears between create and start.
    let gone = host_dir();
    let bind = format!("{}:/gone", gone.path().display());
    let id = engine
        .ok(&["create", "-v", &bind, "busybox", "true"])
        .trim()
        .to_string();
    std::fs::remove_dir(gone.path()).unwrap();
    let run = engine.run(&["start", "-a", &id]);
    assert_eq!(run.code, 125, "{run:?}");
    assert!(
        run.stderr.contains("bind source path does not exist"),
        "{run:?}"
    );
    assert_not_mounted_on_host(&[host.path()]);
}

#[test]
fn volume_verbs_create_list_inspect_and_prune_as_docker_does() {
    let engine = Engine::with_busybox();
    assert_eq!(
        engine.ok(&["volume", "create", "--label", "team=lab", "alpha"]),
        "alpha\n"
    );
    assert_eq!(
        engine.ok(&["volume", "create", "alpha"]),
        "alpha\n",
        "idempotent"
    );
    engine.ok(&["volume", "create", "beta"]);
    insta::assert_snapshot!(engine.ok(&["volume", "ls"]));

    let list: Vec<serde_json::Value> =
        serde_json::from_str(&engine.ok(&["volume", "inspect", "alpha"])).unwrap();
    let v = &list[0];
    assert_eq!(v["Name"], "alpha");
    assert_eq!(v["Driver"], "local");
    assert_eq!(v["Scope"], "local");
    assert_eq!(v["Labels"]["team"], "lab");
    assert_eq!(
        v["Mountpoint"],
        volume_data(&engine, "alpha").to_str().unwrap()
    );
    assert!(v["CreatedAt"].as_str().unwrap().starts_with("20"));
    assert_eq!(
        engine.inspect("alpha")["Mountpoint"],
        v["Mountpoint"],
        "plain inspect finds volumes too"
    );
    let typed = engine.ok(&["inspect", "--type", "volume", "alpha"]);
    assert!(typed.contains("\"Scope\": \"local\""), "{typed}");
    let run = engine.run(&["volume", "inspect", "ghost"]);
    assert_eq!(
        (run.code, run.stderr.trim_end()),
        (1, "capstone: no such volume: ghost")
    );

    let random = engine.ok(&["volume", "create"]).trim().to_string();
    assert_eq!(random.len(), 64);
    let user = engine.ok(&["create", "-v", "beta:/b", "-v", "/anon-used", "busybox"]);
    let unused_anon = engine
        .ok(&["create", "-v", "/anon", "busybox"])
        .trim()
        .to_string();
    let unused_anon_name = engine.inspect(&unused_anon)["Mounts"][0]["Name"]
        .as_str()
        .unwrap()
        .to_string();
    engine.ok(&["rm", &unused_anon]);

    let dangling = engine.ok(&["volume", "ls", "-q", "--filter", "dangling=true"]);
    assert!(
        dangling.contains(&unused_anon_name) && !dangling.contains("beta"),
        "{dangling}"
    );
    let labelled = engine.ok(&[
        "volume",
        "ls",
        "-q",
        "-f",
        "label=team=lab",
        "-f",
        "name=alp",
    ]);
    assert_eq!(labelled, "alpha\n");
    assert_eq!(
        engine.run(&["volume", "ls", "-f", "size=1"]).code,
        1,
        "unknown filter"
    );

    assert_eq!(
        engine.run(&["volume", "prune"]).code,
        1,
        "refused without -f"
    );
    let out = engine.ok(&["volume", "prune", "-f"]);
    assert!(
        out.starts_with(&format!("Deleted Volumes:\n{unused_anon_name}\n\n")),
        "{out}"
    );
    assert_eq!(volume_names(&engine).len(), 4, "named and used ones stay");
    engine.ok(&["volume", "prune", "-a", "-f"]);
    let left = volume_names(&engine);
    assert_eq!(left.len(), 2, "only the in-use ones stay: {left:?}");
    assert!(left.contains(&"beta".to_string()));
    engine.ok(&["rm", "-v", user.trim()]);
}

#[test]
fn inspect_shows_mounts_and_binds_with_docker_fields() {
    let engine = Engine::with_busybox();
    let host = host_dir();
    let bind = format!("{}:/h:ro", host.path().display());
    let id = engine
        .ok(&["create", "-v", &bind, "-v", "named:/n", "busybox"])
        .trim()
        .to_string();
    let c = engine.inspect(&id);
    assert_eq!(
        c["HostConfig"]["Binds"],
        serde_json::json!([bind, "named:/n"])
    );
    let mounts = c["Mounts"].as_array().unwrap();
    let b = &mounts[0];
    assert_eq!(
        (
            &b["Type"],
            &b["Source"],
            &b["Destination"],
            &b["Mode"],
            &b["RW"],
            &b["Propagation"]
        ),
        (
            &"bind".into(),
            &host.path().to_str().unwrap().into(),
            &"/h".into(),
            &"ro".into(),
            &false.into(),
            &"rprivate".into()
        )
    );
    let n = &mounts[1];
    assert_eq!(
        (&n["Type"], &n["Name"], &n["Driver"], &n["RW"]),
        (
            &"volume".into(),
            &"named".into(),
            &"local".into(),
            &true.into()
        )
    );
    assert_eq!(n["Source"], volume_data(&engine, "named").to_str().unwrap());
}

#[test]
fn system_df_counts_volumes_and_system_prune_keeps_them_without_dash_dash_volumes() {
    let engine = Engine::with_busybox();
    engine.ok(&[
        "run",
        "-v",
        "named:/n",
        "-v",
        "/anon",
        "busybox",
        "sh",
        "-c",
        "echo data > /n/f",
    ]);
    let df = engine.ok(&["system", "df"]);
    let row = df
        .lines()
        .find(|l| l.starts_with("Local Volumes"))
        .expect(&df);
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cells[2..4],
        ["2", "2"],
        "two volumes, both used by the stopped container: {df}"
    );

    engine.ok(&["system", "prune", "-f"]);
    assert_eq!(
        volume_names(&engine).len(),
        2,
        "volumes are kept without --volumes"
    );
    engine.ok(&["system", "prune", "-f", "--volumes"]);
    assert_eq!(
        volume_names(&engine),
        ["named"],
        "only the anonymous one goes"
    );
}

#[test]
fn containers_racing_for_a_new_volume_share_one() {
    let engine = Engine::with_busybox();
    let children: Vec<_> = (0..4)
        .map(|_| {
            engine
                .command(&["create", "-v", "shared:/s", "busybox", "true"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(volume_names(&engine), ["shared"]);
    let left: Vec<_> = std::fs::read_dir(engine.root.path().join("volumes"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["shared"], "no temporary directory left");
}

#[test]
fn containers_starting_at_once_fill_a_new_volume_once_and_all_start() {
    let engine = Engine::with_busybox();
    let extra = host_dir();
    let seed = extra.path().join("seed");
    std::fs::create_dir_all(&seed).unwrap();
    for i in 0..200 {
        std::fs::write(seed.join(format!("f{i}")), "x".repeat(4096)).unwrap();
    }
    std::fs::write(seed.join("conf"), "from the image\n").unwrap();
    import_with(&engine, "seeded", extra.path(), &["./seed"], 0, 0);
    let ids: Vec<String> = (0..4)
        .map(|_| {
            let out = engine.ok(&[
                "create",
                "-v",
                "together:/seed",
                "seeded",
                "cat",
                "/seed/conf",
            ]);
            out.trim().to_string()
        })
        .collect();
    // All four copy-ups race for the empty volume; the flock on it makes them take turns.
    let starts: Vec<_> = ids
        .iter()
        .map(|id| {
            engine
                .command(&["start", "-a", id])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for start in starts {
        let out = start.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "from the image\n");
    }
    assert_eq!(
        std::fs::read_dir(volume_data(&engine, "together"))
            .unwrap()
            .count(),
        201
    );
}

//! The lesson's two images, made from files already on this machine and pushed to the
//! cluster's registry (there is no Docker Hub here, and a classroom should not need it):
//!
//! - `busybox`: lesson 01's busybox root filesystem (one static binary and its applets);
//! - `etcd`: the same, plus Debian's `etcd` and `etcdctl` (package `etcd-server`,
//!   `etcd-client`) and the C library they link against, found with ldd(1).
//!
//! Each is packed with tar(1), turned into an image with `docker import` on one server, and
//! `docker push`ed; the other servers pull it when the swarm schedules a task on them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::server::Server;
use crate::{Error, Result, checked, registry};

/// The busybox image in the cluster's registry.
pub fn busybox() -> String {
    registry::reference("busybox:latest")
}

/// The etcd image (busybox + etcd + etcdctl) in the cluster's registry.
pub fn etcd() -> String {
    registry::reference("etcd:latest")
}

/// Debian's etcd programs copied into the etcd image.
const ETCD_PROGRAMS: [&str; 2] = ["/usr/bin/etcd", "/usr/bin/etcdctl"];

/// Makes both images on `server` and pushes them to the cluster's registry.
pub fn push_all(server: &Server) -> Result<()> {
    let rootfs = namespaces::rootfs::busybox_rootfs()?;
    let work = tempfile::Builder::new()
        .prefix("lab09-images-")
        .tempdir()
        .map_err(io("creating a directory for the image archives"))?;
    import_and_push(
        server,
        &rootfs,
        &work.path().join("busybox.tar"),
        &busybox(),
    )?;
    let stage = work.path().join("etcd-root");
    copy_tree(&rootfs, &stage)?;
    for program in ETCD_PROGRAMS {
        if !Path::new(program).exists() {
            return Err(Error::Io {
                what: format!(
                    "{program} is missing: install etcd-server and etcd-client (scripts/setup-host.sh)"
                ),
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        run(Command::new("cp").arg(program).arg(stage.join("bin")))?;
        for library in shared_libraries(program)? {
            // cp --parents keeps the directory the dynamic loader looks in (/lib/x86_64-…).
            run(Command::new("cp")
                .args(["--parents", "-L"])
                .arg(&library)
                .arg(&stage))?;
        }
    }
    import_and_push(server, &stage, &work.path().join("etcd.tar"), &etcd())
}

/// `tar -C ROOT -cf ARCHIVE .`, `docker import ARCHIVE REF` and `docker push REF` on `server`.
fn import_and_push(server: &Server, root: &Path, archive: &Path, reference: &str) -> Result<()> {
    run(Command::new("tar")
        .arg("-C")
        .arg(root)
        .arg("-cf")
        .arg(archive)
        .arg("."))?;
    let archive = archive.to_str().ok_or_else(|| Error::Parse {
        what: "the archive path".into(),
        detail: "not UTF-8".into(),
    })?;
    server.docker_ok(&["import", "--change", r#"CMD ["sh"]"#, archive, reference])?;
    server.docker_ok(&["push", "--quiet", reference])?;
    Ok(())
}

/// The absolute paths ldd(1) prints for `program`'s libraries and dynamic loader.
fn shared_libraries(program: &str) -> Result<Vec<PathBuf>> {
    let out = run(Command::new("ldd").arg(program))?;
    Ok(out
        .split_whitespace()
        .filter(|word| word.starts_with('/'))
        .map(PathBuf::from)
        .collect())
}

/// `cp -a FROM/. TO`: a copy keeping symlinks, modes and owners.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(io("creating the etcd image's root"))?;
    run(Command::new("cp").arg("-a").arg(from.join(".")).arg(to)).map(drop)
}

fn run(cmd: &mut Command) -> Result<String> {
    let line = format!("{cmd:?}");
    checked(&line, cmd.output())
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.to_string();
    move |source| Error::Io { what, source }
}

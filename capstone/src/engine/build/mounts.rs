//! `RUN --mount=…` (BuildKit's Dockerfile syntax): file systems lent to one `RUN` step and never
//! part of its layer.
//!
//! - `type=cache,target=/root/.cache[,id=…][,mode=…][,uid=…][,gid=…][,sharing=locked]`: a
//!   directory kept across builds in `<root>/build-mounts/cache/` (keyed by `id`, the target by
//!   default) — what makes a re-run package install fast. Its content is not in the cache key:
//!   it is a cache. `sharing=locked` lets one step at a time use it (flock(2) on a lock file
//!   beside it), for tools like apt that cannot share their cache.
//! - `type=bind,source=path,target=/src[,from=stage]`: a file or directory of the build context
//!   (or of an earlier stage or an image), read-only.
//! - `type=tmpfs,target=/scratch`: an empty tmpfs(5).
//! - `type=secret,id=token[,target=…][,required]`: a file given with `capstone build --secret
//!   id=token,src=FILE` (or `,env=VAR`), read-only at `/run/secrets/<id>` by default; it is
//!   never in a layer, the history or the cache key.
//!
//! How: each is mounted (mount(2): `MS_BIND`, or a tmpfs) onto the merged overlay before the
//! step's container is cloned, which then inherits it (as [`super::etc_files`] does). The
//! mount point is found inside the root with `openat2(RESOLVE_IN_ROOT)` (the engine's
//! `volumes::resolve`), so an image's symlink cannot send it onto the host. Afterwards every
//! mount under the overlay is detached; a mount-point *file* the step had to create is taken
//! out of the layer, a directory stays (as Docker 20.10's BuildKit leaves it).

use crate::mechanisms::volumes::resolve;
use crate::{Error, Result};
use nix::mount::{MntFlags, MsFlags, mount, umount2};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// What kind of file system a `--mount` lends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A persistent cache directory.
    Cache,
    /// A path of the build context, read-only.
    Bind,
    /// An empty tmpfs.
    Tmpfs,
    /// A secret file given on the command line.
    Secret,
}

/// One `--mount=` of a `RUN`, as written (values not expanded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunMount {
    /// `type=` (default `bind`).
    pub kind: Kind,
    /// `target=` (also `dst=`, `destination=`); for a secret, `/run/secrets/<id>` by default.
    pub target: String,
    /// `source=` (`src=`): for a bind, the path in the context (or in `from`).
    pub source: Option<String>,
    /// `from=`: a bind's stage or image instead of the context.
    pub from: Option<String>,
    /// `id=`: the cache's or the secret's name.
    pub id: Option<String>,
    /// `mode=`, `uid=`, `gid=` of a new cache directory.
    pub owner: (Option<u32>, Option<u32>, Option<u32>),
    /// `required` (secrets): fail when the secret was not given.
    pub required: bool,
    /// `sharing=locked` (caches): one step at a time uses the cache, across builds.
    pub locked: bool,
}

/// Parses the value of one `--mount=` flag (comma-separated `key=value`s).
pub fn parse(spec: &str) -> std::result::Result<RunMount, String> {
    let mut kind = Kind::Bind;
    let (mut target, mut source, mut id, mut from) = (None, None, None, None);
    let mut owner = (None, None, None);
    let mut required = false;
    let mut locked = false;
    for field in spec.split(',').filter(|f| !f.is_empty()) {
        let (key, value) = field.split_once('=').unwrap_or((field, "true"));
        let number = |radix| {
            u32::from_str_radix(value, radix).map_err(|_| format!("{key}={value}: not a number"))
        };
        match key.to_ascii_lowercase().as_str() {
            "type" => {
                kind = match value {
                    "cache" => Kind::Cache,
                    "bind" => Kind::Bind,
                    "tmpfs" => Kind::Tmpfs,
                    "secret" => Kind::Secret,
                    other => return Err(format!("type={other}: use cache, bind, tmpfs or secret")),
                }
            }
            "target" | "dst" | "destination" => target = Some(value.to_string()),
            "source" | "src" => source = Some(value.to_string()),
            "id" => id = Some(value.to_string()),
            "from" => from = Some(value.to_string()),
            "mode" => owner.0 = Some(number(8)?),
            "uid" => owner.1 = Some(number(10)?),
            "gid" => owner.2 = Some(number(10)?),
            "required" => required = value != "false",
            "sharing" => match value {
                "shared" => {}
                "locked" => locked = true,
                "private" => {
                    return Err(
                        "sharing=private is not supported: use shared (the default) or locked"
                            .into(),
                    );
                }
                other => return Err(format!("sharing={other}: use shared or locked")),
            },
            "ro" | "readonly" => {} // binds are read-only
            "rw" | "readwrite" => {
                return Err("rw bind mounts are not supported: copy the files in instead".into());
            }
            other => return Err(format!("unknown --mount option {other:?}")),
        }
    }
    let target = match (target, kind, &id) {
        (Some(t), _, _) => t,
        (None, Kind::Secret, Some(id)) => format!("/run/secrets/{id}"),
        _ => return Err("--mount needs target=/path".into()),
    };
    if kind == Kind::Secret && id.is_none() {
        return Err("a secret mount needs id=NAME (given with --secret id=NAME,src=FILE)".into());
    }
    Ok(RunMount {
        kind,
        target,
        source,
        from,
        id,
        owner,
        required,
        locked,
    })
}

/// A mount made ready on the host: what to mount at `target` inside the step's root.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The target inside the image (absolute).
    pub target: String,
    /// The host file or directory to bind, read-only or not; `None` for a tmpfs.
    pub host: Option<(PathBuf, bool)>,
}

/// The host directory of cache `id` under `dir` (`<root>/build-mounts/cache`), created on
/// first use with the mount's mode and owner (0755 root by default).
pub fn cache_dir(
    dir: &Path,
    id: &str,
    owner: (Option<u32>, Option<u32>, Option<u32>),
) -> Result<PathBuf> {
    let path = dir.join(images::digest::Digest::of(id.as_bytes()).hex());
    if !path.is_dir() {
        std::fs::create_dir_all(&path).map_err(Error::io("create cache mount", &path))?;
        let mode = owner.0.unwrap_or(0o755);
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode))
            .map_err(Error::io("chmod cache mount", &path))?;
        std::os::unix::fs::chown(&path, owner.1.or(Some(0)), owner.2.or(Some(0)))
            .map_err(Error::io("chown cache mount", &path))?;
    }
    Ok(path)
}

/// Takes flock(2) `LOCK_EX` on each of `cache_dirs`' lock files (`<dir>.lock`), waiting for
/// any other build's step that holds it; released when the returned locks are dropped.
pub fn lock_caches(cache_dirs: &[PathBuf]) -> Result<Vec<nix::fcntl::Flock<std::fs::File>>> {
    let mut held = Vec::new();
    for dir in cache_dirs {
        let path = dir.with_extension("lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(Error::io("open cache lock", &path))?;
        let lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, errno)| Error::sys(format!("flock {}", path.display()))(errno))?;
        held.push(lock);
    }
    Ok(held)
}

/// The mounts lent to one step; every mount under the overlay is detached when dropped.
#[derive(Debug)]
pub struct Attached {
    merged: PathBuf,
    /// Whether anything was mounted (else there is nothing to detach).
    active: bool,
    /// Mount-point files this step created (relative to the root), to take out of the layer.
    created_files: Vec<PathBuf>,
}

/// Mounts `mounts` into the overlay mounted at `merged` (call it after
/// [`super::etc_files::lend`], and release it after that is given back: dropping this detaches
/// every mount under `merged`).
pub fn attach(merged: &Path, mounts: &[Prepared]) -> Result<Attached> {
    let mut attached = Attached {
        merged: merged.to_path_buf(),
        active: !mounts.is_empty(),
        created_files: Vec::new(),
    };
    if mounts.is_empty() {
        return Ok(attached);
    }
    let root: OwnedFd = nix::fcntl::open(
        merged,
        nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .map_err(Error::sys(format!("open {}", merged.display())))?;
    for m in mounts {
        let as_dir = m.host.as_ref().is_none_or(|(host, _)| host.is_dir());
        let target = resolve::prepare(&root, &m.target, as_dir).map_err(|why| Error::Start {
            id: "of this RUN step".into(),
            why: format!("--mount target {}: {why}", m.target),
        })?;
        if !target.existed && !as_dir {
            attached.created_files.push(target.path.to_path_buf());
        }
        let on = resolve::fd_path(&target.fd);
        let what = format!("mount onto {}", m.target);
        match &m.host {
            None => mount(
                Some("tmpfs"),
                &on,
                Some("tmpfs"),
                MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
                None::<&str>,
            )
            .map_err(Error::sys(what))?,
            Some((host, readonly)) => {
                mount(
                    Some(host),
                    &on,
                    None::<&str>,
                    MsFlags::MS_BIND,
                    None::<&str>,
                )
                .map_err(Error::sys(what.clone()))?;
                if *readonly {
                    // A bind mount is made read-only by remounting it (mount(2), MS_REMOUNT).
                    let flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
                    let mounted = merged.join(target.path.to_path_buf());
                    mount(None::<&str>, &mounted, None::<&str>, flags, None::<&str>)
                        .map_err(Error::sys(what))?;
                }
            }
        }
    }
    Ok(attached)
}

impl Attached {
    /// Detaches the mounts; returns the mount-point files to take out of the upper dir.
    pub fn release(mut self) -> Vec<PathBuf> {
        std::mem::take(&mut self.created_files)
    } // dropped here: detached
}

impl Drop for Attached {
    fn drop(&mut self) {
        if self.active {
            detach_all_under(&self.merged);
        }
    }
}

/// Detaches every mount strictly under `dir`, deepest first, by the path the kernel reports in
/// /proc/self/mountinfo (proc(5)) — never a path a step could have turned into a symlink.
/// MNT_DETACH (umount2(2)) never fails on EBUSY: a mount still in use goes when its last user
/// does.
pub fn detach_all_under(dir: &Path) {
    let prefix = format!("{}/", dir.display());
    let table = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut points: Vec<String> = table
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| p.replace("\\040", " "))
        .filter(|p| p.starts_with(&prefix))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for point in points {
        let _ = umount2(
            point.as_str(),
            MntFlags::MNT_DETACH | MntFlags::UMOUNT_NOFOLLOW,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_specs_parse_as_buildkit_writes_them() {
        let m = parse("type=cache,target=/root/.cache,id=pip,mode=0700,uid=1000").unwrap();
        assert_eq!((m.kind, m.locked), (Kind::Cache, false));
        assert!(parse("type=cache,target=/c,sharing=locked").unwrap().locked);
        assert!(parse("type=cache,target=/c,sharing=private").is_err());
        assert_eq!(m.target, "/root/.cache");
        assert_eq!(m.owner, (Some(0o700), Some(1000), None));
        let m = parse("source=src,target=/src").unwrap();
        assert_eq!((m.kind, m.source.as_deref()), (Kind::Bind, Some("src")));
        let m = parse("type=bind,from=build,source=/out,target=/in").unwrap();
        assert_eq!(m.from.as_deref(), Some("build"));
        let m = parse("type=secret,id=token,required").unwrap();
        assert_eq!(
            (m.target.as_str(), m.required),
            ("/run/secrets/token", true)
        );
        assert!(parse("type=cache").unwrap_err().contains("target"));
        assert!(
            parse("type=ssh,target=/x")
                .unwrap_err()
                .contains("use cache")
        );
        assert!(parse("type=bind,target=/x,rw").is_err());
    }
}

//! From an image config to the process a container runs (what `docker run IMAGE [CMD…]` does
//! with `Entrypoint`, `Cmd`, `Env`, `WorkingDir` and `User`; OCI image-spec `config.md`).
//!
//! - the command is `Entrypoint` followed by `Cmd` — or by the user's arguments, which replace
//!   `Cmd` (never `Entrypoint`);
//! - `User` may be a name or a number, with an optional `:group`; names are looked up in the
//!   *image's* `/etc/passwd` and `/etc/group`, read inside the root file system with
//!   `openat2(RESOLVE_IN_ROOT)` — an image whose `/etc/passwd` is a symlink to the host's
//!   must not make us read the host's.

use std::io::Read;
use std::path::{Path, PathBuf};

use oci_spec::image::ImageConfiguration;

use crate::Error;
use crate::import::DEFAULT_PATH;
use crate::safe_path::{EntryPath, open_file_in_root};

/// The process to start in a container made from an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// argv: entrypoint + command.
    pub args: Vec<String>,
    /// Environment, `KEY=value`.
    pub env: Vec<String>,
    /// Working directory inside the container.
    pub cwd: PathBuf,
    /// User ID to run as.
    pub uid: u32,
    /// Group ID to run as.
    pub gid: u32,
}

/// Works out the process for `config`, with `rootfs` the image's merged root file system
/// (needed only to look up user and group names) and `args` the user's command, if any.
pub fn process(
    config: &ImageConfiguration,
    rootfs: &Path,
    args: &[String],
) -> Result<Process, Error> {
    let c = config.config().clone().unwrap_or_default();
    let mut argv: Vec<String> = c.entrypoint().clone().unwrap_or_default();
    if args.is_empty() {
        argv.extend(c.cmd().clone().unwrap_or_default());
    } else {
        argv.extend(args.iter().cloned());
    }
    if argv.is_empty() {
        return Err(Error::bad(
            "image config",
            "has no Entrypoint or Cmd: give a command to run",
        ));
    }
    let mut env = c.env().clone().unwrap_or_default();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH.to_string());
    }
    let cwd = match c.working_dir().as_deref() {
        None | Some("") => PathBuf::from("/"),
        Some(d) => PathBuf::from(d),
    };
    let (uid, gid) = resolve_user(rootfs, c.user().as_deref().unwrap_or(""))?;
    Ok(Process {
        args: argv,
        env,
        cwd,
        uid,
        gid,
    })
}

/// Resolves `user[:group]` (names or numbers) against the image's own account files.
pub fn resolve_user(rootfs: &Path, spec: &str) -> Result<(u32, u32), Error> {
    if spec.is_empty() {
        return Ok((0, 0));
    }
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let passwd = read_in_root(rootfs, "etc/passwd");
    // passwd(5): name:password:uid:gid:gecos:home:shell
    let entry = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() >= 4 && (f[0] == user || f[2] == user));
    let uid = match (user.parse::<u32>(), &entry) {
        (Ok(n), _) => n,
        (Err(_), Some(f)) => f[2]
            .parse()
            .map_err(|_| Error::bad("/etc/passwd", format!("bad uid for {user}")))?,
        (Err(_), None) => {
            return Err(Error::bad(
                format!("User {spec:?}"),
                format!("no user {user:?} in the image's /etc/passwd: use a numeric uid"),
            ));
        }
    };
    let gid = match group {
        None => entry.and_then(|f| f[3].parse().ok()).unwrap_or(0),
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                // group(5): name:password:gid:members
                let groups = read_in_root(rootfs, "etc/group");
                groups
                    .lines()
                    .map(|l| l.split(':').collect::<Vec<_>>())
                    .find(|f| f.len() >= 3 && f[0] == g)
                    .and_then(|f| f[2].parse().ok())
                    .ok_or_else(|| {
                        Error::bad(
                            format!("User {spec:?}"),
                            format!("no group {g:?} in the image's /etc/group"),
                        )
                    })?
            }
        },
    };
    Ok((uid, gid))
}

/// A small text file of the image, read inside the root; empty if absent.
fn read_in_root(rootfs: &Path, rel: &str) -> String {
    let mut s = String::new();
    if let Ok(mut f) = EntryPath::parse(Path::new(rel)).and_then(|p| open_file_in_root(rootfs, &p))
    {
        let _ = f.by_ref().take(1 << 20).read_to_string(&mut s);
    }
    s
}

//! From an image config to the process a container runs (what `docker run IMAGE [CMD…]` does
//! with `Entrypoint`, `Cmd`, `Env`, `WorkingDir` and `User`; OCI image-spec `config.md`).
//!
//! - the command is `Entrypoint` followed by `Cmd` — or by the user's arguments, which replace
//!   `Cmd` (never `Entrypoint`); `--entrypoint` replaces the entrypoint and drops `Cmd`;
//! - `-e`, `-w` and `-u` override `Env` (key by key), `WorkingDir` and `User` ([`Overrides`]);
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

/// An image's process settings — `Entrypoint`, `Cmd`, `Env`, `WorkingDir`, `User` as written
/// in its config — possibly changed by a user's flags ([`Settings::with`]). What `docker
/// inspect` shows as a container's `Config`, and what `docker commit` writes back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `Entrypoint`: the fixed front of the command.
    pub entrypoint: Vec<String>,
    /// `Cmd`: the default arguments (or the whole command when there is no entrypoint).
    pub cmd: Vec<String>,
    /// `Env`, `KEY=value`.
    pub env: Vec<String>,
    /// `WorkingDir` (empty: `/`).
    pub working_dir: String,
    /// `User`: `name`, `uid`, with an optional `:group` (empty: root).
    pub user: String,
}

/// What a user's `docker run` flags change in the image's settings.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--entrypoint` (`Some(vec![])` for `--entrypoint ""`): replaces the image's entrypoint
    /// *and* drops its `Cmd`, as Docker does.
    pub entrypoint: Option<Vec<String>>,
    /// The arguments after the image name: replace `Cmd` (never `Entrypoint`).
    pub command: Vec<String>,
    /// `-e KEY=value`: on top of the image's `Env`, replacing the same key.
    pub env: Vec<String>,
    /// `-w`.
    pub working_dir: Option<String>,
    /// `-u`.
    pub user: Option<String>,
}

impl Settings {
    /// The image's own settings; `PATH` is added to the environment if it has none.
    pub fn of(config: &ImageConfiguration) -> Settings {
        let c = config.config().clone().unwrap_or_default();
        let mut env = c.env().clone().unwrap_or_default();
        if !env.iter().any(|e| e.starts_with("PATH=")) {
            env.insert(0, DEFAULT_PATH.to_string());
        }
        Settings {
            entrypoint: c.entrypoint().clone().unwrap_or_default(),
            cmd: c.cmd().clone().unwrap_or_default(),
            env,
            working_dir: c.working_dir().clone().unwrap_or_default(),
            user: c.user().clone().unwrap_or_default(),
        }
    }

    /// Applies Docker's rules for `run`'s flags (see [`Overrides`]). A working directory must
    /// be absolute.
    pub fn with(mut self, o: &Overrides) -> Result<Settings, Error> {
        if let Some(entrypoint) = &o.entrypoint {
            self.entrypoint = entrypoint.clone();
            self.cmd.clear();
        }
        if !o.command.is_empty() {
            self.cmd = o.command.clone();
        }
        for pair in &o.env {
            let key = pair.split('=').next().unwrap_or_default();
            self.env.retain(|e| e.split('=').next() != Some(key));
            self.env.push(pair.clone());
        }
        if let Some(dir) = &o.working_dir {
            self.working_dir = dir.clone();
        }
        if !self.working_dir.is_empty() && !self.working_dir.starts_with('/') {
            return Err(Error::bad(
                format!("working directory {:?}", self.working_dir),
                "it must be an absolute path",
            ));
        }
        if let Some(user) = &o.user {
            self.user = user.clone();
        }
        Ok(self)
    }

    /// The command: `Entrypoint` followed by `Cmd`.
    pub fn args(&self) -> Vec<String> {
        self.entrypoint.iter().chain(&self.cmd).cloned().collect()
    }

    /// The working directory to start in: `WorkingDir`, or `/`.
    pub fn cwd(&self) -> PathBuf {
        match self.working_dir.as_str() {
            "" => PathBuf::from("/"),
            dir => PathBuf::from(dir),
        }
    }

    /// The process these settings describe, with `User` looked up in `rootfs`'s own account
    /// files; an error if there is no command at all.
    pub fn process(&self, rootfs: &Path) -> Result<Process, Error> {
        let args = self.args();
        if args.is_empty() {
            return Err(Error::bad(
                "image config",
                "has no Entrypoint or Cmd: give a command to run",
            ));
        }
        let (uid, gid) = resolve_user(rootfs, &self.user)?;
        Ok(Process {
            args,
            env: self.env.clone(),
            cwd: self.cwd(),
            uid,
            gid,
        })
    }
}

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
    let overrides = Overrides {
        command: args.to_vec(),
        ..Overrides::default()
    };
    Settings::of(config).with(&overrides)?.process(rootfs)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> Settings {
        Settings {
            entrypoint: vec!["/entry".into()],
            cmd: vec!["default".into()],
            env: vec!["PATH=/bin".into(), "A=image".into()],
            working_dir: "/app".into(),
            user: "student".into(),
        }
    }

    #[test]
    fn a_command_replaces_cmd_and_keeps_the_entrypoint() {
        let o = Overrides {
            command: vec!["mine".into()],
            ..Overrides::default()
        };
        assert_eq!(image().with(&o).unwrap().args(), ["/entry", "mine"]);
    }

    #[test]
    fn an_entrypoint_flag_drops_the_images_cmd() {
        let o = Overrides {
            entrypoint: Some(vec!["/other".into()]),
            ..Overrides::default()
        };
        assert_eq!(image().with(&o).unwrap().args(), ["/other"]);
        let none = Overrides {
            entrypoint: Some(vec![]),
            command: vec!["sh".into()],
            ..Overrides::default()
        };
        assert_eq!(image().with(&none).unwrap().args(), ["sh"]);
    }

    #[test]
    fn env_flags_replace_the_same_key_and_add_new_ones() {
        let o = Overrides {
            env: vec!["A=flag".into(), "B=new".into()],
            ..Overrides::default()
        };
        assert_eq!(
            image().with(&o).unwrap().env,
            ["PATH=/bin", "A=flag", "B=new"]
        );
    }

    #[test]
    fn a_relative_working_directory_is_refused() {
        let o = Overrides {
            working_dir: Some("rel".into()),
            ..Overrides::default()
        };
        let err = image().with(&o).unwrap_err().to_string();
        assert!(err.contains("absolute"), "{err}");
        let empty = Overrides {
            working_dir: Some(String::new()),
            ..Overrides::default()
        };
        assert_eq!(image().with(&empty).unwrap().cwd(), Path::new("/"));
    }
}

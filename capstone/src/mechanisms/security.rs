//! Docker's confinement of a container's processes, from lesson 07: capabilities
//! (capabilities(7)), `no_new_privs` (prctl(2)), Docker's default seccomp profile (seccomp(2)),
//! masked and read-only paths under `/proc` and `/sys`, and no descriptor of the engine left
//! open at execve(2). This module turns a container's flags (`--cap-add`, `--cap-drop`,
//! `--privileged`, `--security-opt`) into lesson 07's [`Confinement`], which the container's
//! process applies to itself just before execve (see `mechanisms::runtime`).

use crate::model::container::HostConfig;
use crate::{Error, Result};
use confinement::seccomp::{Filter, SeccompOption};
use confinement::{Confinement, Flags};
use std::path::{Path, PathBuf};

/// The name of a container's copy of its `--security-opt seccomp=FILE` profile, in its
/// directory: the file the user named may change or go; the container keeps what was checked.
pub const PROFILE_COPY: &str = "seccomp.json";

/// `--security-opt` values, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityOpts {
    /// `seccomp=…`: the default profile, `unconfined`, or a profile file.
    pub seccomp: Option<SeccompOption>,
    /// `no-new-privileges` (or `=true`).
    pub no_new_privileges: bool,
}

/// Parses Docker's `--security-opt` values (`KEY=VALUE`, or the old `KEY:VALUE`). AppArmor
/// and SELinux labels are refused: this engine has neither.
pub fn parse_security_opts(values: &[String]) -> Result<SecurityOpts> {
    let mut opts = SecurityOpts {
        seccomp: None,
        no_new_privileges: false,
    };
    for value in values {
        let (key, arg) = value
            .split_once('=')
            .or_else(|| value.split_once(':'))
            .unwrap_or((value.as_str(), ""));
        match (key, arg) {
            ("seccomp", arg) => opts.seccomp = Some(SeccompOption::parse(arg)),
            ("no-new-privileges", "" | "true") => opts.no_new_privileges = true,
            ("no-new-privileges", "false") => opts.no_new_privileges = false,
            _ => {
                return Err(Error::invalid(
                    "--security-opt",
                    value.as_str(),
                    "supported: seccomp=unconfined|default|PROFILE.json, no-new-privileges[=true|false] (no AppArmor or SELinux here)",
                ));
            }
        }
    }
    Ok(opts)
}

/// Checks the flags at `create`, before anything is written: the capabilities must exist and
/// a profile file must load and compile for this machine (its mistakes named by JSON path).
/// Docker's own profile is known to compile, so it is left to the start.
pub fn check(host: &HostConfig) -> Result<()> {
    let mut flags = flags(host, None)?;
    if !matches!(flags.seccomp, Some(SeccompOption::File(_))) {
        flags.seccomp = Some(SeccompOption::Unconfined);
    }
    Confinement::from_flags(&flags).map_err(confinement_error)?;
    Ok(())
}

/// The confinement of a container's processes: what `docker run` with these flags gives.
/// `dir` is the container's directory, where a profile file was copied at create. Call it
/// before clone(2): it reads files and compiles the seccomp filter.
///
/// Compiling Docker's profile with libseccomp takes tens of milliseconds — longer than the
/// rest of a container's start — and gives the same program every time for the same profile,
/// capability set and kernel. So the program is kept in `cache` (under the runroot, lost at
/// reboot like a kernel upgrade's effects), keyed by a sha256 of exactly those inputs and
/// the compiler's version and settings, as crun keeps its compiled filters.
pub fn confinement_for(
    host: &HostConfig,
    dir: &Path,
    cache: &Path,
    uid: u32,
    gid: u32,
) -> Result<Confinement> {
    let flags = flags(host, Some(dir))?;
    // As moby decides: a profile given applies even with --privileged; otherwise a
    // privileged container runs unfiltered.
    let wanted = match (&flags.seccomp, flags.privileged) {
        (Some(option), _) => option.clone(),
        (None, true) => SeccompOption::Unconfined,
        (None, false) => SeccompOption::Default,
    };
    let without_filter = Flags {
        seccomp: Some(SeccompOption::Unconfined),
        ..flags
    };
    let mut confinement = Confinement::from_flags(&without_filter).map_err(confinement_error)?;
    confinement.seccomp = cached_filter(&wanted, &confinement.capabilities, cache)?;
    confinement.uid = uid;
    confinement.gid = gid;
    // `--group-add`, resolved at create.
    confinement.groups = (host.run_flags.group_ids.iter())
        .map(|g| nix::unistd::Gid::from_raw(*g))
        .collect();
    // Made now, before any clone(2): the container's process execs its command through it.
    confinement::dmz::sealed().map_err(confinement_error)?;
    Ok(confinement)
}

/// The compiled filter for `option` and `caps`, from `cache` or compiled (and kept) now.
fn cached_filter(
    option: &SeccompOption,
    caps: &caps::CapsHashSet,
    cache: &Path,
) -> Result<Option<Filter>> {
    let profile = match option {
        SeccompOption::Unconfined => return Ok(None),
        SeccompOption::Default => confinement::seccomp::profile::DOCKER_DEFAULT
            .as_bytes()
            .to_vec(),
        SeccompOption::File(path) => std::fs::read(path).map_err(Error::io("read", path))?,
    };
    let mut names: Vec<String> = caps.iter().map(|c| c.to_string()).collect();
    names.sort();
    let kernel = nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    let key = images::digest::Digest::of(
        &[
            profile.as_slice(),
            names.join(",").as_bytes(),
            kernel.as_bytes(),
            std::env::consts::ARCH.as_bytes(),
            confinement::seccomp::compile::compiler_id().as_bytes(),
        ]
        .join(&0u8),
    );
    let path = cache.join(format!("{}.bpf", key.hex()));
    if let Ok(bytes) = std::fs::read(&path)
        && !bytes.is_empty()
        && bytes.len() % 8 == 0
    {
        return Ok(Some(Filter::from_bytes(&bytes)));
    }
    let filter = option.filter(caps).map_err(confinement_error)?;
    if let Some(filter) = &filter {
        // Best effort: a cache that cannot be written only costs the next start a compile.
        let _ = std::fs::create_dir_all(cache).and_then(|()| {
            images::store::write_atomic(&path, &filter.to_bytes()).map_err(std::io::Error::other)
        });
    }
    Ok(filter)
}

/// Docker's default confinement for a process running as `uid`:`gid` (build's `RUN`).
pub fn default_confinement(cache: &Path, uid: u32, gid: u32) -> Result<Confinement> {
    confinement_for(&HostConfig::default(), Path::new("/"), cache, uid, gid)
}

/// Where compiled seccomp filters are kept: `<runroot>/seccomp` (see [`confinement_for`]).
pub fn filter_cache(paths: &crate::store::Paths) -> PathBuf {
    paths.runroot.join("seccomp")
}

/// The profile file named by `--security-opt seccomp=FILE`, if any, to copy at create.
pub fn profile_file(host: &HostConfig) -> Result<Option<PathBuf>> {
    Ok(match parse_security_opts(&host.security_opt)?.seccomp {
        Some(SeccompOption::File(path)) => Some(path),
        _ => None,
    })
}

/// Lesson 07's flags for `host`; with `dir`, a profile file is read from its copy there.
fn flags(host: &HostConfig, dir: Option<&Path>) -> Result<Flags> {
    let opts = parse_security_opts(&host.security_opt)?;
    let seccomp = match (opts.seccomp, dir) {
        (Some(SeccompOption::File(_)), Some(dir)) => {
            Some(SeccompOption::File(dir.join(PROFILE_COPY)))
        }
        (other, _) => other,
    };
    Ok(Flags {
        cap_add: host.cap_add.clone(),
        cap_drop: host.cap_drop.clone(),
        privileged: host.privileged,
        seccomp,
        no_new_privileges: opts.no_new_privileges,
    })
}

fn confinement_error(e: confinement::Error) -> Error {
    Error::Confinement(e.to_string())
}

/// `info`'s `SecurityOptions`, in Docker's form: what every container gets unless told
/// otherwise: Docker's default seccomp profile, which dockerd names `default`.
pub const INFO_OPTIONS: [&str; 1] = ["name=seccomp,profile=default"];

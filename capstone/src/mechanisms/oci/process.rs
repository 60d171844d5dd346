//! The spec's `process` and `linux` sections in lesson 01's and lesson 07's terms: a
//! [`ContainerSpec`] (command, environment, user, hostname, namespaces) and a
//! [`Confinement`] (capabilities, seccomp, no_new_privs, masked and read-only paths), plus
//! the rlimits (setrlimit(2)) the process sets on itself before the user switch.

use super::bundle::Bundle;
use anyhow::{Context, Result, bail};
use confinement::Confinement;
use namespaces::Namespace;
use namespaces::container::ContainerSpec;
use oci_spec::runtime::{LinuxNamespaceType, Process, Spec};
use std::path::PathBuf;

/// The namespaces to create, and the existing ones to join (a `path`, as podman gives for the
/// network namespace it made).
#[derive(Debug, Default, Clone)]
pub struct NamespacePlan {
    /// Made new at clone(2).
    pub create: Vec<Namespace>,
    /// Joined with setns(2) by the runtime before clone(2), so the child is born in them.
    pub join: Vec<(Namespace, PathBuf)>,
}

/// Sorts `linux.namespaces` into new ones and ones to join; user and time namespaces are
/// refused by [`super::bundle::load`] or ignored.
pub fn namespace_plan(spec: &Spec) -> Result<NamespacePlan> {
    let mut plan = NamespacePlan::default();
    let list = spec.linux().as_ref().and_then(|l| l.namespaces().clone());
    for ns in list.unwrap_or_default() {
        let kind = match ns.typ() {
            LinuxNamespaceType::Mount => Namespace::Mount,
            LinuxNamespaceType::Uts => Namespace::Uts,
            LinuxNamespaceType::Ipc => Namespace::Ipc,
            LinuxNamespaceType::Pid => Namespace::Pid,
            LinuxNamespaceType::Network => Namespace::Net,
            LinuxNamespaceType::Cgroup => Namespace::Cgroup,
            other => bail!("field `linux.namespaces`: {other:?} is not supported"),
        };
        match ns.path() {
            Some(path) if kind == Namespace::Mount || kind == Namespace::Pid => {
                bail!(
                    "field `linux.namespaces`: joining an existing {kind:?} namespace ({}) is not supported",
                    path.display()
                )
            }
            Some(path) => plan.join.push((kind, path.clone())),
            None => plan.create.push(kind),
        }
    }
    Ok(plan)
}

/// The spec's process as lesson 01's [`ContainerSpec`]. Stdio stays the caller's (runc passes
/// it through untouched); the console is set by the caller when `process.terminal` is true.
pub fn container_spec(bundle: &Bundle, plan: &NamespacePlan) -> Result<ContainerSpec> {
    let process = process_of(&bundle.spec)?;
    let args = process.args().clone().unwrap_or_default();
    let mut spec = ContainerSpec::new(&bundle.rootfs, args);
    spec.env = process.env().clone().unwrap_or_default();
    // No hostname in the spec: the new UTS namespace keeps the copy of ours, as with runc
    // (lesson 01 always sets one, so set ours).
    spec.hostname = match bundle.spec.hostname() {
        Some(name) if !name.is_empty() => name.clone(),
        _ => nix::unistd::gethostname()?.to_string_lossy().into_owned(),
    };
    spec.cwd = process.cwd().clone();
    spec.namespaces = plan.create.clone();
    spec.readonly_rootfs = bundle
        .spec
        .root()
        .as_ref()
        .is_some_and(|r| r.readonly() == Some(true));
    spec.tmpfs_on_tmp = false; // /tmp is the bundle's, unless a mount says otherwise
    spec.uid = process.user().uid();
    spec.gid = process.user().gid();
    spec.cgroupns_after_release = true; // the runtime puts it in its cgroup while held
    Ok(spec)
}

/// `process`, which [`super::bundle::load`] has checked is there.
pub fn process_of(spec: &Spec) -> Result<&Process> {
    spec.process()
        .as_ref()
        .context("field `process` is missing")
}

/// Lesson 07's confinement for the spec: the bounding set as the capabilities (cut to what
/// this host can grant), `linux.seccomp` compiled by lesson 07, `noNewPrivileges`,
/// `linux.maskedPaths` and `linux.readonlyPaths`. Compiles the filter and seals lesson 07's
/// dmz: call before clone(2).
/// `process` is the spec's own, or the one `exec` was given.
pub fn confinement(process: &Process, spec: &Spec) -> Result<Confinement> {
    let grantable = confinement::capabilities::grantable()?;
    let mut capabilities = caps::CapsHashSet::new();
    let bounding = process
        .capabilities()
        .as_ref()
        .and_then(|c| c.bounding().clone());
    for cap in bounding.unwrap_or_default() {
        let name = serde_json::to_value(cap)?;
        let name = name.as_str().unwrap_or_default();
        let cap: caps::Capability = name.parse().map_err(|_| {
            anyhow::anyhow!("field `process.capabilities.bounding`: unknown capability {name}")
        })?;
        if grantable.contains(&cap) {
            capabilities.insert(cap);
        }
    }
    let linux = spec.linux().clone().unwrap_or_default();
    let seccomp = match linux.seccomp() {
        Some(seccomp) => {
            let json = serde_json::to_string(seccomp)?;
            let profile = confinement::seccomp::profile::Profile::parse(&json, "linux.seccomp")?;
            Some(confinement::seccomp::compile::compile(
                &profile,
                "linux.seccomp",
                &capabilities,
            )?)
        }
        None => None,
    };
    // Lesson 07's dmz, sealed now, before any clone(2): the container's process (and every
    // `exec`) runs its command through it — see `hooks::RuntimeHooks::exec_through`.
    confinement::dmz::sealed()?;
    Ok(Confinement {
        capabilities,
        no_new_privs: process.no_new_privileges().unwrap_or(false),
        seccomp,
        masked_paths: linux.masked_paths().clone().unwrap_or_default(),
        readonly_paths: linux.readonly_paths().clone().unwrap_or_default(),
        uid: process.user().uid(),
        gid: process.user().gid(),
        // `process.user.additionalGids`: the supplementary groups, set with setgroups(2).
        groups: (process.user().additional_gids().clone().unwrap_or_default())
            .into_iter()
            .map(nix::unistd::Gid::from_raw)
            .collect(),
    })
}

/// `process.rlimits` as (resource, soft, hard) for setrlimit(2).
pub fn rlimits(spec: &Spec) -> Result<Vec<(libc::__rlimit_resource_t, u64, u64)>> {
    let mut out = Vec::new();
    for limit in process_of(spec)?.rlimits().clone().unwrap_or_default() {
        let name = serde_json::to_value(limit.typ())?;
        let name = name.as_str().unwrap_or_default().to_string();
        let resource = match name.as_str() {
            "RLIMIT_CPU" => libc::RLIMIT_CPU,
            "RLIMIT_FSIZE" => libc::RLIMIT_FSIZE,
            "RLIMIT_DATA" => libc::RLIMIT_DATA,
            "RLIMIT_STACK" => libc::RLIMIT_STACK,
            "RLIMIT_CORE" => libc::RLIMIT_CORE,
            "RLIMIT_RSS" => libc::RLIMIT_RSS,
            "RLIMIT_NPROC" => libc::RLIMIT_NPROC,
            "RLIMIT_NOFILE" => libc::RLIMIT_NOFILE,
            "RLIMIT_MEMLOCK" => libc::RLIMIT_MEMLOCK,
            "RLIMIT_AS" => libc::RLIMIT_AS,
            "RLIMIT_LOCKS" => libc::RLIMIT_LOCKS,
            "RLIMIT_SIGPENDING" => libc::RLIMIT_SIGPENDING,
            "RLIMIT_MSGQUEUE" => libc::RLIMIT_MSGQUEUE,
            "RLIMIT_NICE" => libc::RLIMIT_NICE,
            "RLIMIT_RTPRIO" => libc::RLIMIT_RTPRIO,
            "RLIMIT_RTTIME" => libc::RLIMIT_RTTIME,
            _ => bail!("field `process.rlimits`: unknown type {name}"),
        };
        out.push((resource, limit.soft(), limit.hard()));
    }
    Ok(out)
}

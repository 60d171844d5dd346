//! A profile turned into a filter for this machine, with libseccomp (the C library runc,
//! crun and youki use, through the `libseccomp` crate): it knows every architecture's system
//! call numbers, orders the checks, and emits the BPF program. As moby does, rules apply
//! only when their `includes` hold and their `excludes` do not: a container given
//! `CAP_SYS_ADMIN` gets `mount`, `unshare`, `setns`… back, one given `CAP_SYS_TIME` gets
//! `clock_settime`.

use super::filter::Filter;
use super::profile::{Action, Arg, Condition, Op, Profile, parse_kernel_version};
use crate::{Error, Result};
use caps::CapsHashSet;
use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use std::io::{Read, Seek};
use std::path::PathBuf;
use std::str::FromStr;

/// This machine's architecture as libseccomp and the profile's `archMap` name it.
#[cfg(target_arch = "x86_64")]
pub const NATIVE_ARCH: &str = "SCMP_ARCH_X86_64";
/// This machine's architecture as Go (and so the profile's `includes.arches`) names it.
#[cfg(target_arch = "x86_64")]
pub const NATIVE_GO_ARCH: &str = "amd64";
/// This machine's architecture as libseccomp and the profile's `archMap` name it.
#[cfg(target_arch = "aarch64")]
pub const NATIVE_ARCH: &str = "SCMP_ARCH_AARCH64";
/// This machine's architecture as Go (and so the profile's `includes.arches`) names it.
#[cfg(target_arch = "aarch64")]
pub const NATIVE_GO_ARCH: &str = "arm64";

/// Docker's `--security-opt seccomp=…`: the default profile, none, or a profile file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeccompOption {
    /// Docker's default profile (also what `--security-opt seccomp=default` asks for).
    Default,
    /// No filter at all (`seccomp=unconfined`, and `--privileged`).
    Unconfined,
    /// A profile file (`seccomp=PROFILE.json`).
    File(PathBuf),
}

impl SeccompOption {
    /// Reads the value after `seccomp=`.
    pub fn parse(value: &str) -> SeccompOption {
        match value {
            "unconfined" => SeccompOption::Unconfined,
            "" | "default" | "builtin" => SeccompOption::Default,
            path => SeccompOption::File(PathBuf::from(path)),
        }
    }

    /// The filter for a container whose bounding set is `caps`; `None` when unconfined.
    /// Call it before clone(2): it reads files and allocates.
    pub fn filter(&self, caps: &CapsHashSet) -> Result<Option<Filter>> {
        let (profile, name) = match self {
            SeccompOption::Unconfined => return Ok(None),
            SeccompOption::Default => (Profile::docker_default()?, "built-in default".into()),
            SeccompOption::File(path) => (Profile::from_file(path)?, path.display().to_string()),
        };
        compile(&profile, &name, caps).map(Some)
    }
}

/// libseccomp's `SCMP_FLTATR_CTL_OPTIMIZE` level [`compile`] asks for: 2, a binary tree of
/// system call numbers instead of a chain (seccomp_attr_set(3)).
pub const OPTIMIZE_LEVEL: u32 = 2;

/// What decides the program [`compile`] emits besides its inputs: the libseccomp version and
/// [`OPTIMIZE_LEVEL`]. A cache of compiled filters keys on it, so that a new library or level
/// never serves an old program.
pub fn compiler_id() -> String {
    let version = libseccomp::ScmpVersion::current()
        .map(|v| format!("{}.{}.{}", v.major, v.minor, v.micro))
        .unwrap_or_else(|_| "unknown".into());
    format!("libseccomp {version}, optimize {OPTIMIZE_LEVEL}")
}

// ANCHOR: compile
/// Compiles `profile` for this machine and a container whose bounding set is `caps`.
/// Refuses a profile whose architecture list leaves this machine out, rather than let
/// this machine's system calls through unfiltered.
pub fn compile(profile: &Profile, source_name: &str, caps: &CapsHashSet) -> Result<Filter> {
    compile_at(OPTIMIZE_LEVEL, profile, source_name, caps)
}

/// [`compile`] at another libseccomp optimisation level: 1 for the chain libseccomp emits by
/// default (the benchmark `cargo bench -p confinement` installs both).
pub fn compile_at(
    level: u32,
    profile: &Profile,
    source_name: &str,
    caps: &CapsHashSet,
) -> Result<Filter> {
    let lib = |what: &str| {
        let what = what.to_string();
        move |source| Error::Seccomp { what, source }
    };
    let default_errno = profile.default_errno_ret.unwrap_or(libc::EPERM as u32);
    let default = action(profile.default_action, default_errno);
    let mut ctx = ScmpFilterContext::new(default).map_err(lib("create a filter"))?;
    // libseccomp's default output is one long chain of comparisons, one per system call. When a
    // filter is installed, the kernel runs it once for every system call number of this
    // architecture and its 32-bit one, to learn which calls it can allow without running it again
    // (seccomp_cache_prepare in kernel/seccomp.c): a chain of 1 001 instructions made that
    // 0.73 ms of every container's start here. Level 2 sorts the calls into a binary tree
    // (seccomp_attr_set(3), SCMP_FLTATR_CTL_OPTIMIZE): a longer program, installed in
    // 0.24 ms (`cargo bench -p confinement`).
    ctx.set_ctl_optimize(level)
        .map_err(lib("set the optimisation level"))?;
    let unusable = |why: String| Error::Unusable {
        source_name: source_name.into(),
        why,
    };
    for name in architectures(profile, source_name)? {
        let arch = ScmpArch::from_str(&name)
            .map_err(|_| unusable(format!("libseccomp knows no architecture {name}")))?;
        if !ctx
            .is_arch_present(arch)
            .map_err(lib("look up an architecture"))?
        {
            // One filter covers architectures of one byte order (libseccomp's db.c), so
            // SCMP_ARCH_S390X cannot join a filter for SCMP_ARCH_X86_64.
            ctx.add_arch(arch).map_err(|e| {
                unusable(format!(
                    "architecture {name} cannot share a filter with {NATIVE_ARCH} ({e}): \
                     list this machine's architectures only"
                ))
            })?;
        }
    }
    let kernel = running_kernel();
    let mut unknown = Vec::new();
    for (i, rule) in profile.syscalls.iter().enumerate() {
        if !applies(&rule.includes, &rule.excludes, caps, kernel) {
            continue;
        }
        // A rule's own errno, or EPERM: `defaultErrnoRet` is the default action's only, as in
        // runc (Debian's runc 1.1.5 answers EPERM there).
        let errno = rule.errno_ret.unwrap_or(libc::EPERM as u32);
        let rule_action = action(rule.action, errno);
        if rule_action == default {
            continue; // libseccomp refuses a rule that says what the default says
        }
        for name in rule.syscall_names() {
            let Ok(syscall) = ScmpSyscall::from_name(name) else {
                unknown.push(name.to_string());
                continue;
            };
            for conditions in argument_groups(&rule.args) {
                // libseccomp refuses, for one, a second rule for a call with another action
                // where it must rewrite the call (x86's socket(2) is socketcall(2)).
                ctx.add_rule_conditional(rule_action, syscall, &conditions)
                    .map_err(|e| {
                        unusable(format!(
                            "at syscalls[{i}]: libseccomp refused the rule for {name}: {e}"
                        ))
                    })?;
            }
        }
    }
    let mut filter = Filter::from_bytes(&export(&ctx)?);
    filter.unknown_syscalls = unknown;
    Ok(filter)
}
// ANCHOR_END: compile

/// The architectures to filter: this machine's and its companions from `archMap` (or the
/// plain `architectures` list); with neither, this machine's alone.
fn architectures(profile: &Profile, source_name: &str) -> Result<Vec<String>> {
    let refuse = |listed: String| Error::Unusable {
        source_name: source_name.into(),
        why: format!(
            "it names the architectures {listed} but not this machine's ({NATIVE_ARCH}): \
             add {NATIVE_ARCH} to its archMap, or run with --security-opt seccomp=unconfined"
        ),
    };
    if !profile.arch_map.is_empty() {
        let Some(entry) = profile
            .arch_map
            .iter()
            .find(|a| a.architecture == NATIVE_ARCH)
        else {
            let listed = profile.arch_map.iter().map(|a| a.architecture.as_str());
            return Err(refuse(listed.collect::<Vec<_>>().join(", ")));
        };
        let mut arches = vec![entry.architecture.clone()];
        arches.extend(entry.sub_architectures.iter().cloned());
        return Ok(arches);
    }
    if !profile.architectures.is_empty() && !profile.architectures.iter().any(|a| a == NATIVE_ARCH)
    {
        return Err(refuse(profile.architectures.join(", ")));
    }
    if profile.architectures.is_empty() {
        return Ok(vec![NATIVE_ARCH.into()]);
    }
    Ok(profile.architectures.clone())
}

/// moby's rule selection: every `includes` must hold, no `excludes` may. Capabilities are
/// looked up in the container's bounding set, architectures by Go's name for this machine.
fn applies(
    includes: &Condition,
    excludes: &Condition,
    caps: &CapsHashSet,
    kernel: (u32, u32),
) -> bool {
    let has_cap = |name: &String| {
        caps::Capability::from_str(&caps::to_canonical(name)).is_ok_and(|c| caps.contains(&c))
    };
    let at_least = |v: &Option<String>| {
        v.as_deref()
            .and_then(parse_kernel_version)
            .map(|min| kernel >= min)
    };
    let arch = |list: &[String]| list.iter().any(|a| a == NATIVE_GO_ARCH);
    if !includes.caps.iter().all(has_cap)
        || (!includes.arches.is_empty() && !arch(&includes.arches))
        || at_least(&includes.min_kernel) == Some(false)
    {
        return false;
    }
    !(excludes.caps.iter().any(has_cap)
        || arch(&excludes.arches)
        || at_least(&excludes.min_kernel) == Some(true))
}

fn action(action: Action, errno: u32) -> ScmpAction {
    match action {
        Action::Allow => ScmpAction::Allow,
        Action::Errno => ScmpAction::Errno(errno as i32),
        Action::KillThread => ScmpAction::KillThread,
        Action::KillProcess => ScmpAction::KillProcess,
        Action::Trap => ScmpAction::Trap,
        Action::Log => ScmpAction::Log,
        Action::Trace => ScmpAction::Trace(errno as u16),
        Action::Notify => ScmpAction::Notify, // refused by Profile::parse before we get here
    }
}

/// The argument conditions as libseccomp rules. libseccomp takes one comparison per argument
/// in a rule, so several on the same argument become one rule each (as runc does).
fn argument_groups(args: &[Arg]) -> Vec<Vec<ScmpArgCompare>> {
    let compare = |a: &Arg| {
        let op = match a.op {
            Op::NotEqual => ScmpCompareOp::NotEqual,
            Op::Less => ScmpCompareOp::Less,
            Op::LessOrEqual => ScmpCompareOp::LessOrEqual,
            Op::Equal => ScmpCompareOp::Equal,
            Op::GreaterOrEqual => ScmpCompareOp::GreaterEqual,
            Op::Greater => ScmpCompareOp::Greater,
            Op::MaskedEqual => ScmpCompareOp::MaskedEqual(a.value),
        };
        let datum = if a.op == Op::MaskedEqual {
            a.value_two
        } else {
            a.value
        };
        ScmpArgCompare::new(a.index, op, datum)
    };
    let mut indices: Vec<u32> = args.iter().map(|a| a.index).collect();
    indices.sort_unstable();
    let repeated = indices.windows(2).any(|w| w[0] == w[1]);
    if repeated {
        args.iter().map(|a| vec![compare(a)]).collect()
    } else {
        vec![args.iter().map(compare).collect()]
    }
}

/// The BPF program, exported by libseccomp into an anonymous temporary file and read back.
fn export(ctx: &ScmpFilterContext) -> Result<Vec<u8>> {
    let mut file = tempfile::tempfile().map_err(crate::error::io("a temporary file"))?;
    ctx.export_bpf(&mut file).map_err(|source| Error::Seccomp {
        what: "export the BPF program".into(),
        source,
    })?;
    let mut bytes = Vec::new();
    file.rewind()
        .and_then(|_| file.read_to_end(&mut bytes))
        .map_err(crate::error::io("the exported filter"))?;
    Ok(bytes)
}

/// The running kernel's `(version, major revision)` from uname(2), e.g. `(6, 1)`.
pub fn running_kernel() -> (u32, u32) {
    nix::sys::utsname::uname()
        .ok()
        .and_then(|u| parse_kernel_version(&u.release().to_string_lossy()))
        .unwrap_or((0, 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capabilities::DEFAULT_CAPABILITIES;

    fn default_caps() -> CapsHashSet {
        DEFAULT_CAPABILITIES.into_iter().collect()
    }

    #[test]
    fn includes_caps_grant_relaxations_and_excludes_take_them_away() {
        let p = Profile::docker_default().unwrap();
        let clone3 = p.syscalls.iter().find(|r| r.names == ["clone3"]).unwrap();
        let admin = p
            .syscalls
            .iter()
            .find(|r| r.names.contains(&"unshare".into()))
            .unwrap();
        let mut caps = default_caps();
        let k = running_kernel();
        assert!(applies(&clone3.includes, &clone3.excludes, &caps, k));
        assert!(!applies(&admin.includes, &admin.excludes, &caps, k));
        caps.insert(caps::Capability::CAP_SYS_ADMIN);
        assert!(!applies(&clone3.includes, &clone3.excludes, &caps, k));
        assert!(applies(&admin.includes, &admin.excludes, &caps, k));
    }

    #[test]
    fn a_profile_without_this_architecture_is_refused() {
        let text = r#"{"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_S390X","subArchitectures":["SCMP_ARCH_S390"]}],"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}"#;
        let p = Profile::parse(text, "s390.json").unwrap();
        let err = compile(&p, "s390.json", &default_caps())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("names the architectures SCMP_ARCH_S390X but not this machine's"),
            "{err}"
        );
        // Found by the `runtime_config_structured` fuzz target: libseccomp's refusal did
        // not say which profile, nor that the byte orders differ.
        let mixed = r#"{"defaultAction":"SCMP_ACT_TRACE","architectures":["SCMP_ARCH_S390X","SCMP_ARCH_X86_64"]}"#;
        let p = Profile::parse(mixed, "mixed.json").unwrap();
        let err = compile(&p, "mixed.json", &default_caps())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("seccomp profile mixed.json: architecture SCMP_ARCH_S390X cannot share a filter with"),
            "{err}"
        );
        let same_order = r#"{"defaultAction":"SCMP_ACT_TRACE","architectures":["SCMP_ARCH_AARCH64","SCMP_ARCH_X86_64","SCMP_ARCH_X86"]}"#;
        let p = Profile::parse(same_order, "same.json").unwrap();
        compile(&p, "same.json", &default_caps())
            .expect("little-endian architectures share a filter");
        let flat = r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_AARCH64_NOPE"],"syscalls":[]}"#;
        let p = Profile::parse(flat, "flat.json").unwrap();
        assert!(compile(&p, "flat.json", &default_caps()).is_err());
    }

    #[test]
    fn a_rule_libseccomp_refuses_is_named_with_its_profile() {
        // Found by the `runtime_config_structured` fuzz target: libseccomp's refusal did
        // not say which profile, nor which rule.
        let twice = r#"{"defaultAction":"SCMP_ACT_KILL_PROCESS","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
            "syscalls":[{"names":["socket"],"action":"SCMP_ACT_TRACE"},{"names":["socket"],"action":"SCMP_ACT_ALLOW"}]}"#;
        let p = Profile::parse(twice, "twice.json").unwrap();
        let err = compile(&p, "twice.json", &default_caps())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "seccomp profile twice.json: at syscalls[1]: libseccomp refused the rule for socket"
            ),
            "{err}"
        );
    }

    #[test]
    fn the_default_profile_compiles_to_a_program() {
        let f = SeccompOption::Default
            .filter(&default_caps())
            .unwrap()
            .unwrap();
        assert!(f.instructions().len() > 100, "{}", f.instructions().len());
        assert_eq!(
            SeccompOption::parse("unconfined")
                .filter(&default_caps())
                .unwrap(),
            None
        );
    }
}

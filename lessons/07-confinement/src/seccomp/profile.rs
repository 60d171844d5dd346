//! Docker's seccomp profile format: moby's `profiles/seccomp` JSON, which extends the OCI
//! runtime spec's `linux.seccomp` with `archMap` and conditional rules (`includes`/`excludes`
//! by capability, architecture and kernel version). The lesson ships Docker's default
//! profile (`profiles/docker-default.json`, Apache-2.0, from moby); a custom file given with
//! `--security-opt seccomp=PROFILE.json` is read the same way.
//!
//! A mistake is reported with its JSON path (`syscalls[12].args[0].op`), found with
//! `serde_path_to_error`, and unknown fields are refused, so a typo never silently turns a
//! rule off.

use crate::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// Docker's default profile, as moby ships it.
pub const DOCKER_DEFAULT: &str = include_str!("../../profiles/docker-default.json");

/// A whole profile (moby `seccomp.Seccomp`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    /// What happens to a system call no rule matches, e.g. `SCMP_ACT_ERRNO`.
    pub default_action: Action,
    /// The errno for a default action of `SCMP_ACT_ERRNO` (Docker: 1, `EPERM`).
    pub default_errno_ret: Option<u32>,
    /// The OCI form: a flat list of architectures (use this or `archMap`, not both).
    #[serde(default, deserialize_with = "null_is_empty")]
    pub architectures: Vec<String>,
    /// Docker's form: each main architecture with the ones its processes may also use
    /// (x86-64 programs can make 32-bit x86 and x32 system calls).
    #[serde(default, deserialize_with = "null_is_empty")]
    pub arch_map: Vec<ArchMap>,
    /// The rules, in order.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub syscalls: Vec<Rule>,
    /// seccomp(2) flags such as `SECCOMP_FILTER_FLAG_LOG` (accepted, not used by this lesson).
    #[serde(default, deserialize_with = "null_is_empty")]
    pub flags: Vec<String>,
    /// A socket for `SCMP_ACT_NOTIFY` (user-space supervision): not supported here.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub listener_path: String,
    /// Data sent to that socket.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub listener_metadata: String,
}

/// One entry of `archMap`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArchMap {
    /// libseccomp's name, e.g. `SCMP_ARCH_X86_64`.
    pub architecture: String,
    /// Also filtered when the main one is: e.g. `SCMP_ARCH_X86`, `SCMP_ARCH_X32`.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub sub_architectures: Vec<String>,
}

/// A rule: these system calls get this action, if the arguments match and the conditions hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// The system calls, by name (e.g. `mount`).
    #[serde(default, deserialize_with = "null_is_empty")]
    pub names: Vec<String>,
    /// The old single-name form (use `name` or `names`, not both).
    #[serde(default, deserialize_with = "null_is_empty")]
    pub name: String,
    /// What happens when the rule matches.
    pub action: Action,
    /// The errno for `SCMP_ACT_ERRNO` (default: `EPERM`; `defaultErrnoRet` is the default action's only).
    pub errno_ret: Option<u32>,
    /// Conditions on the arguments; all must hold.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub args: Vec<Arg>,
    /// For people.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub comment: String,
    /// The rule is used only if all of these hold.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub includes: Condition,
    /// The rule is left out if any of these holds.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub excludes: Condition,
}

/// A condition on one argument: `args[index] op value` (`MASKED_EQ`: `args[index] & value == valueTwo`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Arg {
    /// Which argument, 0 to 5.
    pub index: u32,
    /// The value to compare with (the mask, for `SCMP_CMP_MASKED_EQ`).
    pub value: u64,
    /// The expected value after masking, for `SCMP_CMP_MASKED_EQ`.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub value_two: u64,
    /// The comparison.
    pub op: Op,
}

/// `includes`/`excludes`: capabilities the container has (in its bounding set), Go
/// architecture names (`amd64`, `arm64`, …), and a minimum kernel version (`"4.8"`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    /// Capability names, e.g. `CAP_SYS_ADMIN`.
    #[serde(default, deserialize_with = "null_is_empty")]
    pub caps: Vec<String>,
    /// Architecture names as Go spells them (`amd64`, `x86`, `arm64`, …).
    #[serde(default, deserialize_with = "null_is_empty")]
    pub arches: Vec<String>,
    /// `"<kernel>.<major>"`, e.g. `"4.8"`.
    pub min_kernel: Option<String>,
}

/// The kernel's MAX_ERRNO (seccomp(2): SECCOMP_RET_ERRNO's data is capped there). libseccomp
/// refuses it and anything above when the filter is made, so a filter's errno is below it.
const MAX_ERRNO: u32 = 4095;
const ERRNO_RANGE: &str = "SCMP_ACT_ERRNO returns an errno, 0 to 4094 (libseccomp refuses the kernel's MAX_ERRNO, 4095, and above)";

/// Whether an errno a rule would return (EPERM when none is given) is one libseccomp takes.
fn is_errno(errno_ret: Option<u32>) -> bool {
    errno_ret.is_none_or(|errno| errno < MAX_ERRNO)
}

/// Go writes an empty list as `null` (moby's own profile does): read it as empty.
fn null_is_empty<'de, D, T>(deserializer: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

impl Condition {
    /// True when nothing is asked.
    pub fn is_empty(&self) -> bool {
        self.caps.is_empty() && self.arches.is_empty() && self.min_kernel.is_none()
    }
}

/// The actions (seccomp(2) `SECCOMP_RET_*`, in libseccomp's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Action {
    /// Let the call run.
    #[serde(rename = "SCMP_ACT_ALLOW")]
    Allow,
    /// Fail it with an errno (`errnoRet`).
    #[serde(rename = "SCMP_ACT_ERRNO")]
    Errno,
    /// Kill the thread (the original `SECCOMP_RET_KILL`).
    #[serde(rename = "SCMP_ACT_KILL", alias = "SCMP_ACT_KILL_THREAD")]
    KillThread,
    /// Kill the whole process.
    #[serde(rename = "SCMP_ACT_KILL_PROCESS")]
    KillProcess,
    /// Send SIGSYS.
    #[serde(rename = "SCMP_ACT_TRAP")]
    Trap,
    /// Let it run, and log it.
    #[serde(rename = "SCMP_ACT_LOG")]
    Log,
    /// Hand it to a ptrace(2) tracer (`errnoRet` is the message).
    #[serde(rename = "SCMP_ACT_TRACE")]
    Trace,
    /// Ask a user-space supervisor (needs `listenerPath`).
    #[serde(rename = "SCMP_ACT_NOTIFY")]
    Notify,
}

/// The argument comparisons (libseccomp's `SCMP_CMP_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[allow(missing_docs)] // each is its name
pub enum Op {
    #[serde(rename = "SCMP_CMP_NE")]
    NotEqual,
    #[serde(rename = "SCMP_CMP_LT")]
    Less,
    #[serde(rename = "SCMP_CMP_LE")]
    LessOrEqual,
    #[serde(rename = "SCMP_CMP_EQ")]
    Equal,
    #[serde(rename = "SCMP_CMP_GE")]
    GreaterOrEqual,
    #[serde(rename = "SCMP_CMP_GT")]
    Greater,
    #[serde(rename = "SCMP_CMP_MASKED_EQ")]
    MaskedEqual,
}

// ANCHOR: parse
impl Profile {
    /// Docker's default profile.
    pub fn docker_default() -> Result<Profile> {
        Profile::parse(DOCKER_DEFAULT, "built-in default")
    }

    /// Reads a profile file, as `--security-opt seccomp=PROFILE.json` names it.
    pub fn from_file(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path).map_err(crate::error::io(path))?;
        Profile::parse(&text, &path.display().to_string())
    }

    /// Parses a profile; `source_name` says where it came from in errors. A mistake is
    /// reported with the JSON path where it is.
    pub fn parse(text: &str, source_name: &str) -> Result<Profile> {
        let mut json = serde_json::Deserializer::from_str(text);
        let profile: Profile = serde_path_to_error::deserialize(&mut json).map_err(|e| {
            let path = e.path().to_string();
            Error::Profile {
                source_name: source_name.into(),
                path: if path == "." { "the top".into() } else { path },
                why: e.into_inner().to_string(),
            }
        })?;
        profile.check(source_name)?;
        Ok(profile)
    }
    // ANCHOR_END: parse

    /// The rules that serde cannot check on its own, each reported with its path.
    fn check(&self, source_name: &str) -> Result<()> {
        let wrong = |path: String, why: &str| Error::Profile {
            source_name: source_name.into(),
            path,
            why: why.into(),
        };
        if !self.architectures.is_empty() && !self.arch_map.is_empty() {
            return Err(wrong(
                "archMap".into(),
                "both `architectures` and `archMap` are given: keep one",
            ));
        }
        if !self.listener_path.is_empty() || self.default_action == Action::Notify {
            return Err(wrong(
                "listenerPath".into(),
                "SCMP_ACT_NOTIFY (a user-space supervisor) is not supported by this kit",
            ));
        }
        if self.default_action == Action::Errno && !is_errno(self.default_errno_ret) {
            return Err(wrong("defaultErrnoRet".into(), ERRNO_RANGE));
        }
        for (i, rule) in self.syscalls.iter().enumerate() {
            if rule.action == Action::Errno && !is_errno(rule.errno_ret) {
                return Err(wrong(format!("syscalls[{i}].errnoRet"), ERRNO_RANGE));
            }
            if !rule.name.is_empty() && !rule.names.is_empty() {
                return Err(wrong(
                    format!("syscalls[{i}].name"),
                    "both `name` and `names` are given: use `names`",
                ));
            }
            if rule.name.is_empty() && rule.names.is_empty() {
                return Err(wrong(
                    format!("syscalls[{i}].names"),
                    "the rule names no system call",
                ));
            }
            if rule.action == Action::Notify {
                return Err(wrong(
                    format!("syscalls[{i}].action"),
                    "SCMP_ACT_NOTIFY (a user-space supervisor) is not supported by this kit",
                ));
            }
            for (j, arg) in rule.args.iter().enumerate() {
                if arg.index > 5 {
                    return Err(wrong(
                        format!("syscalls[{i}].args[{j}].index"),
                        "a system call has arguments 0 to 5",
                    ));
                }
            }
            for (which, cond) in [("includes", &rule.includes), ("excludes", &rule.excludes)] {
                if let Some(v) = &cond.min_kernel
                    && parse_kernel_version(v).is_none()
                {
                    return Err(wrong(
                        format!("syscalls[{i}].{which}.minKernel"),
                        "expected \"<kernel>.<major>\", e.g. \"4.8\"",
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Rule {
    /// The system calls this rule names, whichever form it used.
    pub fn syscall_names(&self) -> Vec<&str> {
        if self.name.is_empty() {
            self.names.iter().map(String::as_str).collect()
        } else {
            vec![self.name.as_str()]
        }
    }
}

/// `"4.8"` (or a release such as `"6.1.0-13-amd64"`) → `(4, 8)`; minor revisions and
/// suffixes are ignored, as moby does.
pub fn parse_kernel_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split(['.', '-', '+']);
    let kernel = parts.next()?.parse().ok()?;
    let major = parts.next()?.parse().ok()?;
    Some((kernel, major))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockers_default_profile_parses() {
        let p = Profile::docker_default().unwrap();
        assert_eq!(p.default_action, Action::Errno);
        assert_eq!(p.default_errno_ret, Some(1));
        assert!(
            p.arch_map
                .iter()
                .any(|a| a.architecture == "SCMP_ARCH_X86_64")
        );
        assert!(p.syscalls.len() > 20);
    }

    #[test]
    fn a_mistake_is_reported_with_its_json_path() {
        let text = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
            {"names":["read"],"action":"SCMP_ACT_ALLOW"},
            {"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQUALS"}]}]}"#;
        let err = Profile::parse(text, "p.json").unwrap_err().to_string();
        assert!(err.starts_with("seccomp profile p.json: at syscalls[1].args[0].op: unknown variant `SCMP_CMP_EQUALS`"), "{err}");
        let typo = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"namse":["read"],"action":"SCMP_ACT_ALLOW"}]}"#;
        let err = Profile::parse(typo, "p.json").unwrap_err().to_string();
        assert!(
            err.contains("at syscalls[0].namse: unknown field `namse`"),
            "{err}"
        );
        let kernel = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"four"}}]}"#;
        let err = Profile::parse(kernel, "p.json").unwrap_err().to_string();
        assert!(
            err.contains("at syscalls[0].includes.minKernel: expected"),
            "{err}"
        );
    }

    #[test]
    fn an_errno_beyond_max_errno_is_refused_where_it_is_given() {
        // Found by the `runtime_config_structured` fuzz target: libseccomp refused the filter
        // ("Could not create new filter") without saying which field was at fault.
        let default = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":218979080}"#;
        let err = Profile::parse(default, "p.json").unwrap_err().to_string();
        assert!(
            err.contains("at defaultErrnoRet: SCMP_ACT_ERRNO returns an errno"),
            "{err}"
        );
        let rule = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":4094},
            {"names":["write"],"action":"SCMP_ACT_ERRNO","errnoRet":4095}]}"#;
        let err = Profile::parse(rule, "p.json").unwrap_err().to_string();
        assert!(err.contains("at syscalls[1].errnoRet:"), "{err}");
        let unused = r#"{"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":70000}"#;
        assert!(Profile::parse(unused, "p.json").is_ok());
    }

    #[test]
    fn kernel_versions_compare_by_kernel_and_major() {
        assert_eq!(parse_kernel_version("4.8"), Some((4, 8)));
        assert_eq!(parse_kernel_version("6.18.44-fc-v1272"), Some((6, 18)));
        assert_eq!(parse_kernel_version("six"), None);
    }
}

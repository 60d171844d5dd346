//! The structure-aware input of the `runtime_config_structured` fuzz target: a runtime
//! `config.json` (runtime-spec `config.md`) built from libFuzzer's bytes by the `arbitrary`
//! crate, so every input is well-formed JSON in the spec's shape and the fuzzer spends its
//! time on the *values* the kit's checks read — namespaces, capabilities, rlimits, mount
//! options, the cgroup path and limits, the seccomp profile — not on spelling the schema one
//! byte at a time, which is what the byte-level `runtime_config` target does.
//!
//! Wherever the kit (or `oci-spec`) matches a field by name, the input picks a [`Word`]: one
//! of the names it knows, or any string at all, so both the known branches and the refusals
//! are a mutation away.

use arbitrary::Arbitrary;
use serde_json::{Value, json};

mod names;
use names::*;

/// A string for a field matched by name: one of a table of known names, or anything.
#[derive(Arbitrary, Debug)]
pub enum Word {
    /// The table's entry at this index (modulo its length).
    Known(u8),
    /// Any string: usually refused, by `oci-spec`'s enums or by the kit.
    Any(String),
}

impl Word {
    fn pick(&self, table: &[&str]) -> String {
        match self {
            Word::Known(i) => table[usize::from(*i) % table.len()].to_string(),
            Word::Any(text) => text.clone(),
        }
    }
}

/// The parts of a `config.json` that `capstone-runtime` reads before it touches the kernel.
#[derive(Arbitrary, Debug)]
pub struct ConfigShape {
    args: Vec<String>,
    env: Vec<String>,
    cwd: Word,
    uid: u32,
    gid: u32,
    additional_gids: Option<Vec<u32>>,
    hostname: Option<String>,
    readonly_root: Option<bool>,
    no_new_privileges: Option<bool>,
    bounding: Option<Vec<Word>>,
    rlimits: Option<Vec<(Word, u64, u64)>>,
    namespaces: Option<Vec<(Word, Option<Word>)>>,
    mount_options: Option<Vec<Vec<Word>>>,
    cgroups_path: Option<Word>,
    resources: Option<ResourcesShape>,
    seccomp: Option<SeccompShape>,
    masked_paths: Option<Vec<String>>,
    readonly_paths: Option<Vec<String>>,
}

/// `linux.resources`: the limits lesson 02 writes.
#[derive(Arbitrary, Debug)]
pub struct ResourcesShape {
    memory: Option<(Option<i64>, Option<i64>)>,
    cpu: Option<(Option<i64>, Option<u64>, Option<u64>)>,
    pids: Option<i64>,
}

/// `linux.seccomp`, which lesson 07 parses as a Docker profile and compiles with libseccomp.
#[derive(Arbitrary, Debug)]
pub struct SeccompShape {
    default_action: Word,
    default_errno_ret: Option<u32>,
    architectures: Option<Vec<Word>>,
    flags: Option<Vec<Word>>,
    syscalls: Option<Vec<SyscallShape>>,
}

/// One rule of `linux.seccomp.syscalls`.
#[derive(Arbitrary, Debug)]
pub struct SyscallShape {
    names: Vec<Word>,
    action: Word,
    errno_ret: Option<u32>,
    args: Option<Vec<ArgShape>>,
}

/// One comparison of a rule's `args`: `index`, `value`, `valueTwo`, `op`.
#[derive(Arbitrary, Debug)]
pub struct ArgShape {
    index: u32,
    value: u64,
    value_two: Option<u64>,
    op: Word,
}

/// The words of `list`, each picked from `table`.
fn words(list: &[Word], table: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.pick(table)).collect()
}

impl ConfigShape {
    /// The `config.json` this shape stands for: the fields it leaves out (`None`) are left
    /// out of the JSON too, as a runtime's caller may leave them out.
    pub fn to_json(&self) -> Value {
        let mut user = json!({ "uid": self.uid, "gid": self.gid });
        if let Some(gids) = &self.additional_gids {
            user["additionalGids"] = json!(gids);
        }
        let mut process = json!({
            "args": self.args, "env": self.env, "cwd": self.cwd.pick(CWDS), "user": user,
        });
        if let Some(flag) = self.no_new_privileges {
            process["noNewPrivileges"] = json!(flag);
        }
        if let Some(bounding) = &self.bounding {
            process["capabilities"] = json!({ "bounding": words(bounding, CAPABILITIES) });
        }
        if let Some(rlimits) = &self.rlimits {
            let list: Vec<Value> = rlimits
                .iter()
                .map(|(kind, soft, hard)| {
                    json!({ "type": kind.pick(RLIMITS), "soft": soft, "hard": hard })
                })
                .collect();
            process["rlimits"] = json!(list);
        }
        let mut config = json!({
            "ociVersion": "1.0.2", "process": process, "root": { "path": "rootfs" },
            "linux": self.linux(),
        });
        if let Some(readonly) = self.readonly_root {
            config["root"]["readonly"] = json!(readonly);
        }
        if let Some(hostname) = &self.hostname {
            config["hostname"] = json!(hostname);
        }
        if let Some(mounts) = &self.mount_options {
            let list: Vec<Value> = mounts
                .iter()
                .map(|options| {
                    json!({ "destination": "/mnt", "type": "tmpfs", "source": "tmpfs",
                            "options": words(options, MOUNT_OPTIONS) })
                })
                .collect();
            config["mounts"] = json!(list);
        }
        config
    }

    fn linux(&self) -> Value {
        let mut linux = json!({});
        if let Some(namespaces) = &self.namespaces {
            let list: Vec<Value> = namespaces
                .iter()
                .map(|(kind, path)| {
                    let mut ns = json!({ "type": kind.pick(NAMESPACES) });
                    if let Some(path) = path {
                        ns["path"] = json!(path.pick(NAMESPACE_PATHS));
                    }
                    ns
                })
                .collect();
            linux["namespaces"] = json!(list);
        }
        if let Some(path) = &self.cgroups_path {
            linux["cgroupsPath"] = json!(path.pick(CGROUPS_PATHS));
        }
        if let Some(resources) = &self.resources {
            linux["resources"] = resources.to_json();
        }
        if let Some(seccomp) = &self.seccomp {
            linux["seccomp"] = seccomp.to_json();
        }
        if let Some(paths) = &self.masked_paths {
            linux["maskedPaths"] = json!(paths);
        }
        if let Some(paths) = &self.readonly_paths {
            linux["readonlyPaths"] = json!(paths);
        }
        linux
    }
}

impl ResourcesShape {
    fn to_json(&self) -> Value {
        let mut resources = json!({});
        if let Some((limit, swap)) = self.memory {
            resources["memory"] = json!({ "limit": limit, "swap": swap });
        }
        if let Some((quota, period, shares)) = self.cpu {
            resources["cpu"] = json!({ "quota": quota, "period": period, "shares": shares });
        }
        if let Some(limit) = self.pids {
            resources["pids"] = json!({ "limit": limit });
        }
        resources
    }
}

impl SeccompShape {
    fn to_json(&self) -> Value {
        let mut seccomp = json!({ "defaultAction": self.default_action.pick(ACTIONS) });
        if let Some(errno) = self.default_errno_ret {
            seccomp["defaultErrnoRet"] = json!(errno);
        }
        if let Some(arches) = &self.architectures {
            seccomp["architectures"] = json!(words(arches, ARCHITECTURES));
        }
        if let Some(flags) = &self.flags {
            seccomp["flags"] = json!(words(flags, SECCOMP_FLAGS));
        }
        if let Some(rules) = &self.syscalls {
            let list: Vec<Value> = rules.iter().map(SyscallShape::to_json).collect();
            seccomp["syscalls"] = json!(list);
        }
        seccomp
    }
}

impl SyscallShape {
    fn to_json(&self) -> Value {
        let mut rule = json!({
            "names": words(&self.names, SYSCALLS), "action": self.action.pick(ACTIONS),
        });
        if let Some(errno) = self.errno_ret {
            rule["errnoRet"] = json!(errno);
        }
        if let Some(args) = &self.args {
            let list: Vec<Value> = args
                .iter()
                .map(
                    |ArgShape {
                         index,
                         value,
                         value_two,
                         op,
                     }| {
                        let mut arg =
                            json!({ "index": index, "value": value, "op": op.pick(OPERATORS) });
                        if let Some(two) = value_two {
                            arg["valueTwo"] = json!(two);
                        }
                        arg
                    },
                )
                .collect();
            rule["args"] = json!(list);
        }
        rule
    }
}

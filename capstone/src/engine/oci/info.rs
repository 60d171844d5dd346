//! What the runtime offers (`features`, runtime-spec `features.md`: callers such as
//! containerd ask before using an option) and a starting `config.json` (`spec`).

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::path::Path;

/// The `features` document: spec versions, hooks, mount options, namespaces, cgroup
/// versions (no systemd), and seccomp — what this runtime implements, no more.
pub fn features() -> Value {
    json!({
        "ociVersionMin": "1.0.0",
        "ociVersionMax": super::OCI_VERSION,
        "hooks": ["prestart", "createRuntime", "poststart", "poststop"],
        "mountOptions": ["bind", "rbind", "ro", "rw", "nosuid", "suid", "nodev", "dev",
            "noexec", "exec", "relatime", "noatime", "strictatime",
            "private", "rprivate", "slave", "rslave", "shared", "rshared"],
        "linux": {
            "namespaces": ["cgroup", "ipc", "mount", "network", "pid", "uts"],
            "capabilities": caps::all().iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            "cgroup": {"v1": true, "v2": true, "systemd": false, "systemdUser": false},
            "seccomp": {
                "enabled": true,
                "actions": ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL",
                    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                    "SCMP_ACT_TRACE", "SCMP_ACT_LOG"],
                "operators": ["SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE",
                    "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE"]
            },
            "apparmor": {"enabled": false},
            "selinux": {"enabled": false}
        },
        "annotations": {"org.opencontainers.runtime-spec.features": "capstone-runtime"}
    })
}

/// `spec`: writes the `oci-spec` crate's default `config.json` (a `sh` in `rootfs`, with
/// runc's default namespaces, capabilities and mounts) into `bundle`; never over one that
/// exists.
pub fn write_default_spec(bundle: &Path) -> Result<()> {
    let path = bundle.join("config.json");
    if path.exists() {
        bail!("File {} exists. Remove it first", path.display());
    }
    let spec = oci_spec::runtime::Spec::default();
    let text = serde_json::to_string_pretty(&spec)?;
    std::fs::write(&path, text).with_context(|| format!("write {}", path.display()))
}

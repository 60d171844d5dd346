//! The spec's lifecycle hooks (runtime-spec `config.md`, "POSIX-platform Hooks"): programs
//! the runtime runs at fixed points, in its own namespaces, with the container's state JSON on
//! their standard input. dockerd uses one (`prestart`, its `libnetwork-setkey`) to plug the
//! network into the container's namespace while the process is still held back.

use anyhow::{Context, Result, bail};
use oci_spec::runtime::{Hook, Spec};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// After the namespaces exist, before the process is released (deprecated but used by
    /// dockerd); run together with `createRuntime`.
    Prestart,
    /// Same moment as `prestart`.
    CreateRuntime,
    /// After `start` released the process.
    Poststart,
    /// After the container is deleted; failures are only reported.
    Poststop,
}

/// The hooks of `stage` in `spec`.
#[allow(deprecated)] // `prestart` is deprecated in the spec, yet dockerd still uses it
fn hooks_of(spec: &Spec, stage: Stage) -> Vec<Hook> {
    let Some(hooks) = spec.hooks() else {
        return Vec::new();
    };
    let list = match stage {
        Stage::Prestart => hooks.prestart(),
        Stage::CreateRuntime => hooks.create_runtime(),
        Stage::Poststart => hooks.poststart(),
        Stage::Poststop => hooks.poststop(),
    };
    list.clone().unwrap_or_default()
}

/// Runs every hook of `stage`, in order, each given `state` (the state JSON) on stdin; the
/// first that fails or outlives its `timeout` stops the rest.
pub fn run(spec: &Spec, stage: Stage, state: &[u8]) -> Result<()> {
    for hook in hooks_of(spec, stage) {
        run_one(&hook, state)
            .with_context(|| format!("{stage:?} hook {}", hook.path().display()))?;
    }
    Ok(())
}

fn run_one(hook: &Hook, state: &[u8]) -> Result<()> {
    let args = hook.args().clone().unwrap_or_default();
    let mut command = Command::new(hook.path());
    if let Some((first, rest)) = args.split_first() {
        command.arg0(first).args(rest);
    }
    command.env_clear();
    for pair in hook.env().clone().unwrap_or_default() {
        if let Some((key, value)) = pair.split_once('=') {
            command.env(key, value);
        }
    }
    let mut child = command.stdin(Stdio::piped()).spawn().context("start it")?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(state); // a hook may ignore its input and close early
    }
    let pid = child.id() as i32;
    let timeout = hook.timeout().map(|s| Duration::from_secs(s.max(1) as u64));
    if let Some(start) = crate::mechanisms::process::start_time(pid)
        && !crate::mechanisms::process::wait_for_exit(pid, start, timeout)
    {
        let _ = child.kill();
        let _ = child.wait();
        bail!("timed out after {}s", timeout.unwrap_or_default().as_secs());
    }
    let status = child.wait().context("wait for it")?;
    if !status.success() {
        bail!("failed: {status}");
    }
    Ok(())
}

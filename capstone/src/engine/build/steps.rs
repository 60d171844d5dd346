//! What each instruction does to the image. Config-only instructions change the config and
//! add an `empty_layer` history entry; `RUN`, `COPY`, `ADD` (and a `WORKDIR` that has to create
//! its directory) add a layer. History's `created_by` follows the classic Docker builder's
//! wording (`/bin/sh -c #(nop)  ENV …`), which is also what `docker history` shows.

use super::dockerfile::{Command, Instruction, Step};
use super::executor::StageRun;
use super::snapshot::Snapshot;
use super::words;
use crate::{Error, Result};
use serde_json::{Value, json};

pub(super) const NOP: &str = "/bin/sh -c #(nop) ";

impl StageRun<'_, '_> {
    /// Executes one instruction (or takes its result from the cache).
    pub fn step(&mut self, step: &Step) -> Result<()> {
        match &step.instruction {
            Instruction::Run {
                command,
                network,
                heredocs,
                mounts,
            } => self.run(step, command, network.as_deref(), heredocs, mounts),
            Instruction::Copy(args) => self.copy(step, args, false),
            Instruction::Add(args) => self.copy(step, args, true),
            Instruction::Workdir(path) => self.workdir(step, path),
            Instruction::Volume(list) => self.volume(step, list),
            Instruction::Arg(decls) => {
                let mut shown = Vec::new();
                for (name, default) in decls {
                    let value = match (self.b.build_args.get(name), default) {
                        (Some(v), _) => Some(v.clone()),
                        (None, Some(d)) => Some(self.expand(step, d)?),
                        (None, None) => self.b.plan.meta_args.get(name).cloned(),
                    };
                    shown.push(match &default {
                        Some(d) => format!("{name}={d}"),
                        None => name.clone(),
                    });
                    // An ARG without any value is declared but unset (`${X:-d}` sees it unset).
                    if let Some(v) = value {
                        self.args.insert(name.clone(), v);
                    }
                }
                self.meta(&format!("ARG {}", shown.join(" ")), |_| Ok(()))
            }
            other => {
                let (text, change) = self.config_change(step, other)?;
                self.meta(&text, change)
            }
        }
    }

    /// A config-only step: `change` edits the next snapshot.
    fn meta(&mut self, text: &str, change: impl FnOnce(&mut Snapshot) -> Result<()>) -> Result<()> {
        let created_by = format!("{NOP} {text}");
        self.cached(&created_by, &created_by, None, |_, next| {
            change(next)?;
            Ok(None)
        })
    }

    /// The history text and config edit of a config-only instruction.
    #[allow(clippy::type_complexity)]
    fn config_change(
        &mut self,
        step: &Step,
        instruction: &Instruction,
    ) -> Result<(String, Box<dyn FnOnce(&mut Snapshot) -> Result<()>>)> {
        let shell = self.shell();
        Ok(match instruction {
            Instruction::Env(pairs) => {
                let mut set = Vec::new();
                for (k, v) in pairs {
                    set.push((self.expand(step, k)?, self.expand(step, v)?));
                }
                let text = set
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>();
                (
                    format!(" ENV {}", text.join(" ")),
                    Box::new(move |s: &mut Snapshot| {
                        let mut env = s.list("Env");
                        for (k, v) in set {
                            let prefix = format!("{k}=");
                            env.retain(|e| !e.starts_with(&prefix));
                            env.push(format!("{k}={v}"));
                        }
                        s.config_mut().set("Env", json!(env));
                        Ok(())
                    }),
                )
            }
            Instruction::Label(pairs) => {
                let mut set = Vec::new();
                for (k, v) in pairs {
                    set.push((self.expand(step, k)?, self.expand(step, v)?));
                }
                let text: Vec<String> = set.iter().map(|(k, v)| format!("{k}={v}")).collect();
                (
                    format!("LABEL {}", text.join(" ")),
                    Box::new(move |s: &mut Snapshot| {
                        map_insert(s, "Labels", set.into_iter().map(|(k, v)| (k, json!(v))));
                        Ok(())
                    }),
                )
            }
            Instruction::User(user) => {
                let user = self.expand(step, user)?;
                (format!("USER {user}"), set_field("User", json!(user)))
            }
            Instruction::StopSignal(sig) => {
                let sig = self.expand(step, sig)?;
                (
                    format!("STOPSIGNAL {sig}"),
                    set_field("StopSignal", json!(sig)),
                )
            }
            Instruction::Expose(text) => {
                let ports = words::expand_words(text, &|n| self.lookup(n), self.b.file.escape)
                    .map_err(|why| Error::dockerfile(step.line, why))?;
                let mut keys = Vec::new();
                for p in &ports {
                    keys.extend(expose_keys(p).ok_or_else(|| {
                        Error::dockerfile(
                            step.line,
                            format!("EXPOSE {p}: not a port like 80, 53/udp or 8000-8002"),
                        )
                    })?);
                }
                (
                    format!("EXPOSE {}", keys.join(" ")),
                    Box::new(move |s: &mut Snapshot| {
                        map_insert(s, "ExposedPorts", keys.into_iter().map(|k| (k, json!({}))));
                        Ok(())
                    }),
                )
            }
            Instruction::Cmd(command) => {
                self.cmd_set = true;
                let argv = to_argv(command, &shell);
                (
                    format!("CMD {}", json!(argv)),
                    set_field("Cmd", json!(argv)),
                )
            }
            Instruction::Entrypoint(command) => {
                let argv = match to_argv(command, &shell) {
                    a if a.is_empty() => Value::Null,
                    a => json!(a),
                };
                // Docker: an ENTRYPOINT resets a CMD inherited from the base image.
                let keep_cmd = self.cmd_set;
                (
                    format!("ENTRYPOINT {argv}"),
                    Box::new(move |s: &mut Snapshot| {
                        s.config_mut().set("Entrypoint", argv);
                        if !keep_cmd {
                            s.config_mut().set("Cmd", Value::Null);
                        }
                        Ok(())
                    }),
                )
            }
            Instruction::Shell(argv) => (
                format!("SHELL {}", json!(argv)),
                set_field("Shell", json!(argv)),
            ),
            Instruction::Healthcheck(h) => {
                let mut check = json!({ "Test": h.test });
                for (k, n) in &h.durations {
                    check[k] = json!(n);
                }
                if let Some(r) = h.retries {
                    check["Retries"] = json!(r);
                }
                (
                    format!("HEALTHCHECK {}", check),
                    set_field("Healthcheck", check),
                )
            }
            Instruction::Onbuild(trigger) => {
                let trigger = trigger.clone();
                (
                    format!("ONBUILD {trigger}"),
                    Box::new(move |s: &mut Snapshot| {
                        let mut list = s.list("OnBuild");
                        list.push(trigger);
                        s.config_mut().set("OnBuild", json!(list));
                        Ok(())
                    }),
                )
            }
            Instruction::Maintainer(name) => {
                let name = name.clone();
                (
                    format!("MAINTAINER {name}"),
                    Box::new(move |s: &mut Snapshot| {
                        s.config_mut().set_author(&name);
                        Ok(())
                    }),
                )
            }
            Instruction::Run { .. }
            | Instruction::Copy(_)
            | Instruction::Add(_)
            | Instruction::Workdir(_)
            | Instruction::Volume(_)
            | Instruction::Arg(_) => unreachable!("handled by step()"),
        })
    }

    /// The stage's `SHELL` (default `/bin/sh -c`).
    pub(super) fn shell(&self) -> Vec<String> {
        match self.snap.list("Shell") {
            s if s.is_empty() => vec!["/bin/sh".into(), "-c".into()],
            s => s,
        }
    }
}

pub(super) fn step_error(step: &Step, why: String) -> Error {
    Error::BuildStep {
        line: step.line,
        instruction: step.text.clone(),
        why,
    }
}

/// Shell form → the shell's argv + the text; exec form as it is.
pub(super) fn to_argv(command: &Command, shell: &[String]) -> Vec<String> {
    match command {
        Command::Exec(argv) => argv.clone(),
        Command::Shell(text) => shell.iter().cloned().chain([text.clone()]).collect(),
    }
}

#[allow(clippy::type_complexity)]
fn set_field(name: &'static str, value: Value) -> Box<dyn FnOnce(&mut Snapshot) -> Result<()>> {
    Box::new(move |s: &mut Snapshot| {
        s.config_mut().set(name, value);
        Ok(())
    })
}

/// Inserts `items` into the config's map field `name` (`Labels`, `ExposedPorts`, `Volumes`).
pub(super) fn map_insert(
    s: &mut Snapshot,
    name: &str,
    items: impl Iterator<Item = (String, Value)>,
) {
    for (k, v) in items {
        s.config_mut().insert_into(name, &k, v);
    }
}

/// `80` → `80/tcp`; `8000-8001/udp` → both ports.
fn expose_keys(port: &str) -> Option<Vec<String>> {
    let (ports, proto) = port.split_once('/').unwrap_or((port, "tcp"));
    let proto = proto.to_ascii_lowercase();
    if !["tcp", "udp", "sctp"].contains(&proto.as_str()) {
        return None;
    }
    let (lo, hi) = ports.split_once('-').unwrap_or((ports, ports));
    let (lo, hi): (u16, u16) = (lo.parse().ok()?, hi.parse().ok()?);
    (lo <= hi).then(|| (lo..=hi).map(|p| format!("{p}/{proto}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expose_adds_tcp_and_expands_ranges() {
        assert_eq!(expose_keys("80"), Some(vec!["80/tcp".to_string()]));
        assert_eq!(expose_keys("53/UDP"), Some(vec!["53/udp".to_string()]));
        assert_eq!(
            expose_keys("8000-8001"),
            Some(vec!["8000/tcp".to_string(), "8001/tcp".to_string()])
        );
        assert_eq!(expose_keys("http"), None);
        assert_eq!(expose_keys("80/icmp"), None);
    }

    #[test]
    fn shell_form_goes_through_the_shell_and_exec_form_does_not() {
        let sh = ["/bin/sh".to_string(), "-c".to_string()];
        assert_eq!(
            to_argv(&Command::Shell("echo $A".into()), &sh),
            ["/bin/sh", "-c", "echo $A"]
        );
        assert_eq!(
            to_argv(&Command::Exec(vec!["echo".into(), "$A".into()]), &sh),
            ["echo", "$A"]
        );
    }
}

//! What each instruction does to the image. Config-only instructions change the config and
//! add an `empty_layer` history entry; `RUN`, `COPY`, `ADD` (and a `WORKDIR` that has to create
//! its directory) add a layer. History's `created_by` follows the classic Docker builder's
//! wording (`/bin/sh -c #(nop)  ENV …`), which is also what `docker history` shows.

use super::context::SourceRoot;
use super::copy::{CopyPlan, copy_into_layer, image_relative};
use super::dockerfile::{Command, CopyArgs, Instruction, Step};
use super::error::{BuildError, Result};
use super::executor::StageRun;
use super::run::{RunSpec, Scratch, run_step};
use super::snapshot::{Snapshot, write_layer};
use super::stages::{Base, resolve};
use super::words;
use images::digest::Hasher;
use overlay::lowers::LowerStack;
use serde_json::{Value, json};

const NOP: &str = "/bin/sh -c #(nop) ";

impl StageRun<'_, '_> {
    /// Executes one instruction (or takes its result from the cache).
    pub fn step(&mut self, step: &Step) -> Result<()> {
        match &step.instruction {
            Instruction::Run { command, network } => self.run(step, command, network.as_deref()),
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
                        s.process().insert("Env".into(), json!(env));
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
                    .map_err(|why| BuildError::syntax(step.line, why))?;
                let mut keys = Vec::new();
                for p in &ports {
                    keys.extend(expose_keys(p).ok_or_else(|| {
                        BuildError::syntax(
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
                        s.process().insert("Entrypoint".into(), argv);
                        if !keep_cmd {
                            s.process().insert("Cmd".into(), Value::Null);
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
                        s.process().insert("OnBuild".into(), json!(list));
                        Ok(())
                    }),
                )
            }
            Instruction::Maintainer(name) => {
                let name = name.clone();
                (
                    format!("MAINTAINER {name}"),
                    Box::new(move |s: &mut Snapshot| {
                        s.config["author"] = json!(name);
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
    fn shell(&self) -> Vec<String> {
        match self.snap.list("Shell") {
            s if s.is_empty() => vec!["/bin/sh".into(), "-c".into()],
            s => s,
        }
    }

    /// `WORKDIR`: relative paths build on the previous one; the directory is created (as a
    /// layer) when the image does not have it yet.
    fn workdir(&mut self, step: &Step, path: &str) -> Result<()> {
        let path = self.expand(step, path)?;
        let joined = if path.starts_with('/') {
            path
        } else {
            format!("{}/{path}", self.snap.field("WorkingDir"))
        };
        let clean = format!("/{}", image_relative(&joined).display());
        let created_by = format!("{NOP} WORKDIR {clean}");
        let lowers = self.lowers()?;
        let exists = LowerStack::new(lowers.iter())
            .lookup(&image_relative(&clean))?
            .is_some();
        let scratch_dir = self.b.scratch_dir.clone();
        self.cached(&created_by, &created_by, None, |run, next| {
            next.process().insert("WorkingDir".into(), json!(clean));
            if exists || clean == "/" {
                return Ok(None);
            }
            let scratch = Scratch::new(&scratch_dir)?;
            let layer = scratch.sub("layer")?;
            mkdirs(
                &layer,
                &image_relative(&clean),
                &LowerStack::new(lowers.iter()),
            )
            .map_err(|why| step_error(step, why))?;
            Ok(Some(write_layer(&run.b.store, &layer)?))
        })
    }

    /// `VOLUME`: recorded in the config; missing directories are created in a layer (as
    /// buildah and the classic Docker builder do), so the mount point exists.
    fn volume(&mut self, step: &Step, list: &[String]) -> Result<()> {
        let mut paths = Vec::new();
        for v in list {
            paths.push(self.expand(step, v)?);
        }
        if paths.iter().any(String::is_empty) {
            return Err(BuildError::syntax(
                step.line,
                "VOLUME specified can not be an empty string",
            ));
        }
        let created_by = format!("{NOP} VOLUME [{}]", paths.join(" "));
        let lowers = self.lowers()?;
        let stack = LowerStack::new(lowers.iter());
        let mut missing = Vec::new();
        for p in &paths {
            if stack.lookup(&image_relative(p))?.is_none() {
                missing.push(image_relative(p));
            }
        }
        let scratch_dir = self.b.scratch_dir.clone();
        self.cached(&created_by, &created_by, None, |run, next| {
            map_insert(next, "Volumes", paths.into_iter().map(|k| (k, json!({}))));
            if missing.is_empty() {
                return Ok(None);
            }
            let scratch = Scratch::new(&scratch_dir)?;
            let layer = scratch.sub("layer")?;
            for dir in &missing {
                mkdirs(&layer, dir, &stack).map_err(|why| step_error(step, why))?;
            }
            Ok(Some(write_layer(&run.b.store, &layer)?))
        })
    }

    /// `RUN`: in a container on an overlay of the image; the upper dir becomes the layer.
    fn run(&mut self, step: &Step, command: &Command, network: Option<&str>) -> Result<()> {
        let argv = to_argv(command, &self.shell());
        let args = self.arg_pairs();
        let mut created_by = String::new();
        if !args.is_empty() {
            // Docker's form: `|N K=V … cmd`, so build args are part of the step's identity.
            created_by = format!(
                "|{} {} ",
                args.len(),
                args.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        created_by.push_str(&argv.join(" "));
        let host_network = self.b.host_network || network == Some("host");
        if let Some(n) = network.filter(|n| !["default", "none", "host"].contains(n)) {
            return Err(BuildError::syntax(
                step.line,
                format!("RUN --network={n}: use default, none or host"),
            ));
        }
        let key_text = format!("{created_by}\nnetwork={host_network}");
        let lowers = self.lowers()?;
        if lowers.is_empty() {
            return Err(step_error(step, "there is no shell or program to run in an empty image (FROM scratch): copy one in first".into()));
        }
        let mut env = self.snap.list("Env");
        for (k, v) in &args {
            if !env.iter().any(|e| e.starts_with(&format!("{k}="))) {
                env.push(format!("{k}={v}"));
            }
        }
        if !env.iter().any(|e| e.starts_with("PATH=")) {
            env.insert(0, images::import::DEFAULT_PATH.into());
        }
        let spec = RunSpec {
            lowers,
            args: argv,
            env,
            cwd: self.snap.field("WorkingDir"),
            user: self.snap.field("User"),
            host_network,
        };
        let scratch_dir = self.b.scratch_dir.clone();
        self.cached(&key_text, &created_by, None, |run, _| {
            let scratch = Scratch::new(&scratch_dir)?;
            let code = run_step(&spec, &scratch)?;
            if code != 0 {
                return Err(BuildError::RunFailed {
                    line: step.line,
                    instruction: step.text.clone(),
                    code,
                });
            }
            Ok(Some(write_layer(&run.b.store, &scratch.sub("upper")?)?))
        })?;
        Ok(())
    }

    /// `COPY`/`ADD`: sources resolved in the context (or a stage), hashed by content, and
    /// copied into a fresh layer directory.
    fn copy(&mut self, step: &Step, args: &CopyArgs, is_add: bool) -> Result<()> {
        let keyword = if is_add { "ADD" } else { "COPY" };
        let mut paths = Vec::new();
        for p in &args.paths {
            paths.push(self.expand(step, p)?);
        }
        let dest_raw = paths.pop().expect("parser checked two paths");
        if let Some(url) = paths.iter().find(|p| p.contains("://")) {
            return Err(step_error(
                step,
                format!(
                    "{url}: ADD of URLs is not supported: download the file into the build context and ADD or COPY it from there"
                ),
            ));
        }
        let workdir = self.snap.field("WorkingDir");
        let dest = if dest_raw.starts_with('/') {
            dest_raw.clone()
        } else {
            format!(
                "{}/{dest_raw}",
                if workdir.is_empty() { "/" } else { &workdir }
            )
        };
        let root = self.source_root(step, args.from.as_deref())?;
        let mut sources = Vec::new();
        for p in &paths {
            sources.extend(root.resolve(p).map_err(|why| step_error(step, why))?);
        }
        let mut hasher = Hasher::new();
        for rel in &sources {
            root.hash_into(rel, &mut hasher)?;
        }
        let content = hasher.digest();
        let chmod = match &args.chmod {
            Some(m) => Some(u32::from_str_radix(m, 8).map_err(|_| {
                BuildError::syntax(
                    step.line,
                    format!("--chmod={m}: not an octal mode like 755"),
                )
            })?),
            None => None,
        };
        let chown = match &args.chown {
            Some(c) => Some(self.expand(step, c)?),
            None => None,
        };
        let kind = if sources.len() > 1 {
            "multi"
        } else if root.dir.join(&sources[0]).is_dir() {
            "dir"
        } else {
            "file"
        };
        let from = args
            .from
            .as_ref()
            .map(|f| format!("--from={f} "))
            .unwrap_or_default();
        let created_by = format!(
            "{NOP}{keyword} {from}{kind}:{} in {dest_raw} ",
            content.hex()
        );
        let key_text = format!("{created_by}\nchown={chown:?} chmod={chmod:?} dest={dest}");
        let lowers = self.lowers()?;
        let scratch_dir = self.b.scratch_dir.clone();
        self.cached(&key_text, &created_by, Some(&content), |run, _| {
            let owner = match &chown {
                Some(spec) => {
                    Some(resolve_owner(&lowers, spec).map_err(|why| step_error(step, why))?)
                }
                None => None,
            };
            let scratch = Scratch::new(&scratch_dir)?;
            let layer = scratch.sub("layer")?;
            let plan = CopyPlan {
                root: &root,
                sources,
                dest,
                owner,
                chmod,
                extract_tars: is_add,
            };
            copy_into_layer(&plan, &layer, &LowerStack::new(lowers.iter()))
                .map_err(|why| step_error(step, why))?;
            Ok(Some(write_layer(&run.b.store, &layer)?))
        })
    }

    /// Where `COPY --from=…` (or the context, without it) reads.
    fn source_root(&mut self, step: &Step, from: Option<&str>) -> Result<SourceRoot> {
        let Some(from) = from else {
            return Ok(self.b.context.clone());
        };
        let from = self.expand(step, from)?;
        let snap = match resolve(self.b.file, self.index, &from, step.line)? {
            Some(Base::Stage(j)) => self.b.results[j]
                .clone()
                .expect("dependencies are built first"),
            _ => {
                let image = crate::images_ref::find(&self.b.store, &from)
                    .map_err(|e| step_error(step, format!("--from={from}: {e}")))?;
                Snapshot::of(&self.b.store, &image)?
            }
        };
        let Some(image) = snap.image(&self.b.store)? else {
            return Err(step_error(
                step,
                format!("--from={from}: the stage is empty"),
            ));
        };
        if let Some((_, root)) = self.b.flat.get(&image.digest) {
            return Ok(root.clone());
        }
        let scratch = Scratch::new(&self.b.scratch_dir)?;
        let dir = scratch.sub("flat")?.join("rootfs");
        self.b
            .store
            .unpack_flat(&image, &dir, &images::ApplyOptions::default())?;
        let root = SourceRoot::tree(&dir)?;
        self.b
            .flat
            .insert(image.digest.clone(), (scratch, root.clone()));
        Ok(root)
    }
}

fn step_error(step: &Step, why: String) -> BuildError {
    BuildError::Step {
        line: step.line,
        instruction: step.text.clone(),
        why,
    }
}

/// Shell form → the shell's argv + the text; exec form as it is.
fn to_argv(command: &Command, shell: &[String]) -> Vec<String> {
    match command {
        Command::Exec(argv) => argv.clone(),
        Command::Shell(text) => shell.iter().cloned().chain([text.clone()]).collect(),
    }
}

#[allow(clippy::type_complexity)]
fn set_field(name: &'static str, value: Value) -> Box<dyn FnOnce(&mut Snapshot) -> Result<()>> {
    Box::new(move |s: &mut Snapshot| {
        s.process().insert(name.into(), value);
        Ok(())
    })
}

fn map_insert(s: &mut Snapshot, name: &str, items: impl Iterator<Item = (String, Value)>) {
    let p = s.process();
    if !p.get(name).is_some_and(Value::is_object) {
        p.insert(name.into(), json!({}));
    }
    let map = p[name].as_object_mut().expect("object");
    for (k, v) in items {
        map.insert(k, v);
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

/// `--chown=user[:group]`: numbers as they are; names looked up in the image's own
/// `/etc/passwd` and `/etc/group` (read from the topmost layer that resolves them).
fn resolve_owner(
    lowers: &[std::path::PathBuf],
    spec: &str,
) -> std::result::Result<(u32, u32), String> {
    let numeric = |s: &str| s.parse::<u32>().ok();
    if let Some((u, g)) = spec.split_once(':') {
        if let (Some(u), Some(g)) = (numeric(u), numeric(g)) {
            return Ok((u, g));
        }
    } else if let Some(u) = numeric(spec) {
        return Ok((u, u));
    }
    let mut last = String::from("the image has no /etc/passwd");
    for layer in lowers {
        match images::runconfig::resolve_user(layer, spec) {
            Ok(ids) => return Ok(ids),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!("--chown={spec}: {last}"))
}

/// Creates `rel` and its parents in `layer`, copying metadata of those the image has.
fn mkdirs(
    layer: &std::path::Path,
    rel: &std::path::Path,
    lowers: &LowerStack,
) -> std::result::Result<(), String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut partial = std::path::PathBuf::new();
    for part in rel.components() {
        partial.push(part);
        let here = layer.join(&partial);
        if here.is_dir() {
            continue;
        }
        std::fs::create_dir(&here).map_err(|e| format!("create {}: {e}", here.display()))?;
        let (mode, uid, gid) = match lowers.lookup(&partial).map_err(|e| e.to_string())? {
            Some(m) if m.is_dir() => (m.mode() & 0o7777, m.uid(), m.gid()),
            _ => (0o755, 0, 0),
        };
        std::fs::set_permissions(&here, std::fs::Permissions::from_mode(mode))
            .map_err(|e| e.to_string())?;
        std::os::unix::fs::lchown(&here, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

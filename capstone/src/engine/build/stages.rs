//! Which stages to build, and on what. A `FROM` may name an image, `scratch`, or an earlier
//! stage; its text may use the `ARG`s declared before the first `FROM` (and only those).
//! `COPY --from=` names an earlier stage (by name or index) or an image. Building a target
//! needs that stage and, transitively, the stages it starts from or copies from — nothing else
//! is built (what BuildKit does; the classic builder built every stage).

use super::dockerfile::{Dockerfile, Instruction};
use super::words::expand;
use crate::{Error, Result};
use std::collections::BTreeMap;

/// What a stage (or a `COPY --from`) starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// `FROM scratch`: no layers, an empty config.
    Scratch,
    /// An image reference, after `ARG` substitution.
    Image(String),
    /// An earlier stage, by index.
    Stage(usize),
}

/// The build's plan: each stage's base, and which stages the target needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The base of each stage (index as in the Dockerfile).
    pub bases: Vec<Base>,
    /// Whether each stage must be built.
    pub needed: Vec<bool>,
    /// The stage whose result is the image.
    pub target: usize,
    /// The meta `ARG`s' values (defaults, overridden by `--build-arg`).
    pub meta_args: BTreeMap<String, String>,
}

// ANCHOR: plan
/// Works out the plan for building `target` (the last stage if `None`).
pub fn plan(
    file: &Dockerfile,
    build_args: &BTreeMap<String, String>,
    target: Option<&str>,
) -> Result<Plan> {
    let mut meta_args = BTreeMap::new();
    for (name, default) in &file.meta_args {
        if let Some(value) = build_args.get(name).or(default.as_ref()) {
            meta_args.insert(name.clone(), value.clone());
        }
    }
    let lookup = |name: &str| meta_args.get(name).cloned();
    let mut bases = Vec::new();
    for (index, stage) in file.stages.iter().enumerate() {
        let base = expand(&stage.base, &lookup, file.escape)
            .map_err(|why| Error::dockerfile(stage.line, format!("FROM: {why}")))?;
        if base.is_empty() {
            return Err(Error::dockerfile(
                stage.line,
                format!(
                    "FROM {}: the base image name is empty: give its ARG a default or pass --build-arg",
                    stage.base
                ),
            ));
        }
        bases.push(resolve(file, index, &base, stage.line)?.unwrap_or_else(|| {
            if base.eq_ignore_ascii_case("scratch") {
                Base::Scratch
            } else {
                Base::Image(base)
            }
        }));
    }
    let target = match target {
        None => file.stages.len() - 1,
        Some(name) => stage_index(file, name).ok_or_else(|| {
            Error::invalid(
                "--target",
                name,
                format!(
                    "no stage has that name: the Dockerfile's stages are {}",
                    stage_names(file)
                ),
            )
        })?,
    };
    let mut needed = vec![false; file.stages.len()];
    let mut todo = vec![target];
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut needed[i], true) {
            continue;
        }
        if let Base::Stage(j) = bases[i] {
            todo.push(j);
        }
        for step in &file.stages[i].steps {
            if let Instruction::Copy(args) = &step.instruction
                && let Some(from) = &args.from
            {
                let from = expand(from, &lookup, file.escape)
                    .map_err(|why| Error::dockerfile(step.line, why))?;
                if let Some(Base::Stage(j)) = resolve(file, i, &from, step.line)? {
                    todo.push(j);
                }
            }
        }
    }
    Ok(Plan {
        bases,
        needed,
        target,
        meta_args,
    })
}
// ANCHOR_END: plan

/// `name` as a reference from stage `current`: an earlier stage (by name or index), `None`
/// for an image; a later stage, or the stage itself, is an error.
pub fn resolve(file: &Dockerfile, current: usize, name: &str, line: usize) -> Result<Option<Base>> {
    let Some(index) = stage_index(file, name) else {
        if name.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::dockerfile(
                line,
                format!(
                    "undefined stage {name}: there are only {} stages, counted from 0",
                    file.stages.len()
                ),
            ));
        }
        return Ok(None);
    };
    if index >= current {
        return Err(Error::dockerfile(
            line,
            format!("undefined stage {name:?}: a stage can only use stages defined before it"),
        ));
    }
    Ok(Some(Base::Stage(index)))
}

/// The index of the stage called `name` (case-insensitive) or numbered `name`.
pub fn stage_index(file: &Dockerfile, name: &str) -> Option<usize> {
    let lower = name.to_ascii_lowercase();
    if let Some(i) = file
        .stages
        .iter()
        .position(|s| s.name.as_deref() == Some(&lower))
    {
        return Some(i);
    }
    name.parse::<usize>()
        .ok()
        .filter(|&i| i < file.stages.len())
}

fn stage_names(file: &Dockerfile) -> String {
    let names: Vec<String> = file
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| s.name.clone().unwrap_or_else(|| i.to_string()))
        .collect();
    names.join(", ")
}

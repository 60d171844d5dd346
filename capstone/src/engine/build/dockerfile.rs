//! Parsing a Dockerfile: logical lines ([`super::lines`]) become instructions grouped into
//! stages, each `FROM` starting one. Arguments are kept as written (quotes, `$VAR`) because
//! Docker expands variables when a step *runs*, with the `ENV` and `ARG` values in force at
//! that point of the stage; here we only check the shape of each instruction.
//!
//! Reference: the Dockerfile reference (docs.docker.com/reference/dockerfile).

use super::lines::{self, LogicalLine};
use super::words::split_words;
use crate::{Error, Result};

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// The escape character (`\` unless `# escape=` said otherwise).
    pub escape: char,
    /// `ARG`s before the first `FROM`: usable in `FROM` lines (and re-declared inside stages).
    pub meta_args: Vec<(String, Option<String>)>,
    /// The stages, in order.
    pub stages: Vec<Stage>,
}

/// One stage: a `FROM` line and the instructions up to the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Line of the `FROM`.
    pub line: usize,
    /// The base as written (may hold `$VAR`): an image, a previous stage's name, or `scratch`.
    pub base: String,
    /// `AS name`, lower-cased (stage names are case-insensitive).
    pub name: Option<String>,
    /// `--platform=…` as written (only this machine's platform is supported).
    pub platform: Option<String>,
    /// The instructions after the `FROM`.
    pub steps: Vec<Step>,
}

/// One instruction with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 1-based line number.
    pub line: usize,
    /// The logical line as written (for messages and history).
    pub text: String,
    /// What it says.
    pub instruction: Instruction,
}

/// A command in shell form (run by the stage's `SHELL`) or exec form (a JSON array).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `RUN make all`: handed to `/bin/sh -c` (or the `SHELL`).
    Shell(String),
    /// `RUN ["make", "all"]`: executed as is, no shell.
    Exec(Vec<String>),
}

/// The arguments of `COPY` and `ADD`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyArgs {
    /// `--from=stage|index|image`.
    pub from: Option<String>,
    /// `--chown=user[:group]`.
    pub chown: Option<String>,
    /// `--chmod=octal`.
    pub chmod: Option<String>,
    /// `ADD --checksum=sha256:<hex>` of a URL source.
    pub checksum: Option<String>,
    /// Sources then destination, as written (to be expanded).
    pub paths: Vec<String>,
}

/// `HEALTHCHECK`: recorded in the image config, run by whoever runs the image.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Healthcheck {
    /// `["CMD", …]`, `["CMD-SHELL", "…"]`, or `["NONE"]`.
    pub test: Vec<String>,
    /// `--interval`, `--timeout`, `--start-period`, `--start-interval` in nanoseconds.
    pub durations: Vec<(String, u64)>,
    /// `--retries`.
    pub retries: Option<u64>,
}

/// Every instruction the builder knows (`FROM` starts a [`Stage`] instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    /// `RUN [--network=…] cmd`.
    Run {
        /// The command.
        command: Command,
        /// `--network=default|none|host`.
        network: Option<String>,
    },
    /// `CMD`.
    Cmd(Command),
    /// `ENTRYPOINT`.
    Entrypoint(Command),
    /// `SHELL ["exe", "flag"]`.
    Shell(Vec<String>),
    /// `COPY`.
    Copy(CopyArgs),
    /// `ADD`.
    Add(CopyArgs),
    /// `ENV k=v …` (values as written).
    Env(Vec<(String, String)>),
    /// `ARG name[=default] …`.
    Arg(Vec<(String, Option<String>)>),
    /// `LABEL k=v …`.
    Label(Vec<(String, String)>),
    /// `WORKDIR path`.
    Workdir(String),
    /// `USER user[:group]`.
    User(String),
    /// `EXPOSE port[/proto] …` (as written).
    Expose(String),
    /// `VOLUME path …` or a JSON array.
    Volume(Vec<String>),
    /// `STOPSIGNAL sig`.
    StopSignal(String),
    /// `HEALTHCHECK`.
    Healthcheck(Healthcheck),
    /// `ONBUILD instruction`: the trigger's text, checked to parse.
    Onbuild(String),
    /// `MAINTAINER name` (deprecated; sets the config's author).
    Maintainer(String),
}

/// Parses Dockerfile text.
pub fn parse(text: &str) -> Result<Dockerfile> {
    let source = lines::split(text)?;
    let escape = source.escape;
    let mut file = Dockerfile {
        escape,
        meta_args: Vec::new(),
        stages: Vec::new(),
    };
    for logical in &source.lines {
        let (keyword, rest) = split_keyword(logical)?;
        if keyword == "FROM" {
            file.stages.push(parse_from(logical.line, rest)?);
            continue;
        }
        let instruction = parse_instruction(logical.line, &keyword, rest, escape)?;
        match (file.stages.last_mut(), instruction) {
            (Some(stage), instruction) => stage.steps.push(Step {
                line: logical.line,
                text: logical.text.clone(),
                instruction,
            }),
            (None, Instruction::Arg(args)) => file.meta_args.extend(args),
            (None, _) => {
                return Err(Error::dockerfile(
                    logical.line,
                    format!("{keyword} before the first FROM: only ARG may come before FROM"),
                ));
            }
        }
    }
    if file.stages.is_empty() {
        return Err(Error::dockerfile(
            source.lines.last().map_or(1, |l| l.line),
            "the Dockerfile has no FROM instruction: start it with `FROM image` (or `FROM scratch`)",
        ));
    }
    Ok(file)
}

/// Parses one instruction line on its own (an `ONBUILD` trigger when it fires).
pub fn parse_step(line: usize, text: &str, escape: char) -> Result<Step> {
    let logical = LogicalLine {
        line,
        text: text.to_string(),
    };
    let (keyword, rest) = split_keyword(&logical)?;
    Ok(Step {
        line,
        text: text.to_string(),
        instruction: parse_instruction(line, &keyword, rest, escape)?,
    })
}

fn split_keyword(logical: &LogicalLine) -> Result<(String, &str)> {
    let text = logical.text.as_str();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    let keyword = text[..end].to_ascii_uppercase();
    let rest = text[end..].trim();
    if rest.is_empty() && keyword != "HEALTHCHECK" {
        return Err(Error::dockerfile(
            logical.line,
            format!("{keyword} requires at least one argument"),
        ));
    }
    Ok((keyword, rest))
}

/// `FROM [--platform=p] image [AS name]`.
fn parse_from(line: usize, rest: &str) -> Result<Stage> {
    let (flags, words) = take_flags(line, split_words(rest, '\\'), &["platform"])?;
    let platform = flags.into_iter().next().map(|(_, v)| v);
    let (base, name) = match words.as_slice() {
        [base] => (base.clone(), None),
        [base, kw, name] if kw.eq_ignore_ascii_case("as") => {
            let name = name.to_ascii_lowercase();
            let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !valid {
                return Err(Error::dockerfile(
                    line,
                    format!(
                        "invalid stage name {name:?}: use letters, digits, '_', '.', '-', starting with a letter"
                    ),
                ));
            }
            (base.clone(), Some(name))
        }
        _ => {
            return Err(Error::dockerfile(
                line,
                "FROM takes an image and an optional `AS name`: `FROM busybox AS build`",
            ));
        }
    };
    Ok(Stage {
        line,
        base,
        name,
        platform,
        steps: Vec::new(),
    })
}

fn parse_instruction(line: usize, keyword: &str, rest: &str, escape: char) -> Result<Instruction> {
    let words = || split_words(rest, escape);
    Ok(match keyword {
        "RUN" => {
            let (flags, _) = take_flags(line, words(), &["network"])?;
            let flag_text_len = flag_prefix_len(rest);
            Instruction::Run {
                command: command(&rest[flag_text_len..]),
                network: flags.into_iter().next().map(|(_, v)| v),
            }
        }
        "CMD" => Instruction::Cmd(command(rest)),
        "ENTRYPOINT" => Instruction::Entrypoint(command(rest)),
        "SHELL" => match command(rest) {
            Command::Exec(args) if !args.is_empty() => Instruction::Shell(args),
            _ => {
                return Err(Error::dockerfile(
                    line,
                    "SHELL must be a JSON array: SHELL [\"/bin/sh\", \"-c\"]",
                ));
            }
        },
        "COPY" | "ADD" => {
            let allowed: &[&str] = if keyword == "COPY" {
                &["from", "chown", "chmod", "link"]
            } else {
                &["chown", "chmod", "link", "checksum"]
            };
            let (flags, words) = take_flags(line, words(), allowed)?;
            let mut args = CopyArgs::default();
            for (name, value) in flags {
                match name.as_str() {
                    "from" => args.from = Some(value),
                    "chown" => args.chown = Some(value),
                    "chmod" => args.chmod = Some(value),
                    "checksum" => args.checksum = Some(value),
                    _ => {}
                }
            }
            let rest = rest[flag_prefix_len(rest)..].trim();
            args.paths = match command(rest) {
                Command::Exec(list) => list,
                Command::Shell(_) => words,
            };
            if args.paths.len() < 2 {
                return Err(Error::dockerfile(
                    line,
                    format!(
                        "{keyword} requires at least a source and a destination: `{keyword} src dest`"
                    ),
                ));
            }
            if keyword == "COPY" {
                Instruction::Copy(args)
            } else {
                Instruction::Add(args)
            }
        }
        "ENV" | "LABEL" => {
            let pairs = key_values(line, keyword, rest, escape)?;
            if keyword == "ENV" {
                Instruction::Env(pairs)
            } else {
                Instruction::Label(pairs)
            }
        }
        "ARG" => Instruction::Arg(
            words()
                .into_iter()
                .map(|w| match w.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (w, None),
                })
                .collect(),
        ),
        "WORKDIR" => Instruction::Workdir(rest.to_string()),
        "USER" => Instruction::User(rest.to_string()),
        "EXPOSE" => Instruction::Expose(rest.to_string()),
        "VOLUME" => Instruction::Volume(match command(rest) {
            Command::Exec(list) => list,
            Command::Shell(_) => words(),
        }),
        "STOPSIGNAL" => Instruction::StopSignal(rest.to_string()),
        "HEALTHCHECK" => Instruction::Healthcheck(super::health::parse(line, rest, escape)?),
        "MAINTAINER" => Instruction::Maintainer(rest.to_string()),
        "ONBUILD" => {
            let inner = rest.split_whitespace().next().unwrap_or("");
            if ["ONBUILD", "FROM", "MAINTAINER"].contains(&inner.to_ascii_uppercase().as_str()) {
                return Err(Error::dockerfile(
                    line,
                    format!("{inner} isn't allowed as an ONBUILD trigger"),
                ));
            }
            parse_step(line, rest, escape)?; // the trigger must parse now, not when it fires
            Instruction::Onbuild(rest.to_string())
        }
        other => {
            return Err(Error::dockerfile(
                line,
                format!(
                    "unknown instruction: {other}: expected FROM, RUN, COPY, ADD, ENV, ARG, WORKDIR, USER, EXPOSE, CMD, ENTRYPOINT, LABEL, VOLUME, STOPSIGNAL, SHELL, HEALTHCHECK or ONBUILD"
                ),
            ));
        }
    })
}

/// Exec form if the text is a JSON array of strings, else shell form (Docker's fallback).
pub fn command(text: &str) -> Command {
    let text = text.trim();
    if text.starts_with('[')
        && let Ok(list) = serde_json::from_str::<Vec<String>>(text)
    {
        return Command::Exec(list);
    }
    Command::Shell(text.to_string())
}

/// `--name=value` flags, in order.
type Flags = Vec<(String, String)>;

/// Takes leading `--name=value` flags off `words`, refusing any not in `allowed`.
fn take_flags(line: usize, words: Vec<String>, allowed: &[&str]) -> Result<(Flags, Vec<String>)> {
    let mut flags = Vec::new();
    let mut iter = words.into_iter().peekable();
    while let Some(flag) = iter.next_if(|w| w.starts_with("--")) {
        let (name, value) = flag[2..].split_once('=').unwrap_or((&flag[2..], "true"));
        if !allowed.contains(&name) {
            return Err(Error::dockerfile(
                line,
                format!(
                    "unknown flag: --{name} (this instruction accepts: {})",
                    list_flags(allowed)
                ),
            ));
        }
        flags.push((name.to_string(), value.to_string()));
    }
    Ok((flags, iter.collect()))
}

fn list_flags(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        return "none".into();
    }
    allowed
        .iter()
        .map(|f| format!("--{f}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Length of the leading `--flag=value ` words of `text`.
fn flag_prefix_len(text: &str) -> usize {
    let mut pos = 0;
    loop {
        let rest = &text[pos..];
        let trimmed = rest.trim_start();
        if !trimmed.starts_with("--") {
            return pos + (rest.len() - trimmed.len());
        }
        let word_end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        pos += rest.len() - trimmed.len() + word_end;
    }
}

/// `k=v k2="v 2"` pairs, or the legacy `ENV key value with spaces` form.
fn key_values(
    line: usize,
    keyword: &str,
    rest: &str,
    escape: char,
) -> Result<Vec<(String, String)>> {
    let words = split_words(rest, escape);
    if !words[0].contains('=') {
        if keyword == "LABEL" || words.len() < 2 {
            return Err(Error::dockerfile(
                line,
                format!("{keyword} needs key=value pairs: `{keyword} key=value`"),
            ));
        }
        // Legacy `ENV key value`: everything after the first word is the value.
        let value = rest[words[0].len()..].trim().to_string();
        return Ok(vec![(words[0].clone(), value)]);
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => Err(Error::dockerfile(
                line,
                format!("{keyword}: {w:?} is not key=value: quote values with spaces"),
            )),
        })
        .collect()
}

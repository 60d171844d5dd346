//! The bodies of the capstone's fuzz targets (`capstone/fuzz/fuzz_targets/*.rs`, run with
//! `cargo fuzz`, libFuzzer underneath). Not a layer: like a test, it reaches the parsers of
//! every layer (the builder's in `engine`, `compose`, the CLI's `--format`). Each function
//! takes the raw bytes libFuzzer made up and panics when a property breaks;
//! `tests/fuzz_corpora.rs` feeds them every committed corpus file, so a plain `cargo test`
//! replays what the fuzzers found.

use std::path::Path;

use arbitrary::Arbitrary;

use crate::cli::format::Format;
use crate::compose::interpolate::{Place, Vars, interpolate};
use crate::compose::{Options, load};
use crate::engine::build::context::Ignore;
use crate::engine::build::dockerfile::{Instruction, parse, parse_step};
use crate::engine::build::glob::has_glob;
use crate::engine::build::words::{expand, expand_words, split_words};
use crate::mechanisms::oci::{bundle, cgroup, mounts, process};

mod config_shape;
pub use config_shape::ConfigShape;

/// A Dockerfile: parsing never panics, and every instruction (heredocs aside: they live on the
/// lines after their instruction) parses on its own, from the text kept for it, to the same
/// step — the way an `ONBUILD` trigger is parsed again when it fires. (There is no Dockerfile
/// printer, so there is no print → parse round trip.) Each instruction's words are also
/// expanded with variables set, which must not panic.
pub fn dockerfile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = parse(text) else { return };
    for stage in &file.stages {
        let _ = expand(&stage.base, &lookup, file.escape);
        for step in &stage.steps {
            if !has_heredocs(&step.instruction) {
                let again = parse_step(step.line, &step.text, file.escape).unwrap_or_else(|e| {
                    panic!("{:?} parsed in the file, not alone: {e}", step.text)
                });
                assert_eq!(again, *step, "{:?} parses differently alone", step.text);
            }
            let _ = expand_words(&step.text, &lookup, file.escape);
        }
    }
}

/// The variables the expansions see: names of even length are set (to `<NAME>`), odd unset.
fn lookup(name: &str) -> Option<String> {
    name.len().is_multiple_of(2).then(|| format!("<{name}>"))
}

fn has_heredocs(instruction: &Instruction) -> bool {
    match instruction {
        Instruction::Run { heredocs, .. } => !heredocs.is_empty(),
        Instruction::Copy(args) | Instruction::Add(args) => !args.heredocs.is_empty(),
        _ => false,
    }
}

/// Variable expansion as the builder does it (`$A`, `${A:-x}`, `${A:+x}`, quotes, escapes):
/// never panics, and a word without `$`, quotes or escapes expands to itself.
pub fn expansion(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for escape in ['\\', '`'] {
        let _ = expand_words(text, &lookup, escape);
        for word in split_words(text, escape) {
            let plain = !word.contains(['$', '"', '\'', escape]);
            let expanded = expand(&word, &lookup, escape);
            if plain {
                assert_eq!(
                    expanded.as_deref(),
                    Ok(word.as_str()),
                    "a plain word changed"
                );
            }
        }
    }
}

/// `.dockerignore`: the patterns, then a line `--`, then paths to check. Matching never
/// panics and stays fast (libFuzzer reports a slow input as a timeout); a pattern with no glob
/// characters excludes the path it names and everything below it.
pub fn dockerignore(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (patterns, paths) = text.split_once("\n--\n").unwrap_or((&text, ""));
    let ignore = Ignore::parse(patterns);
    for path in paths.lines().take(16) {
        let _ = ignore.excluded(Path::new(path));
    }
    for line in patterns.lines().take(16) {
        let literal = line.trim().trim_matches('/');
        let plain = !literal.is_empty()
            && !has_glob(literal)
            && !literal.starts_with(['!', '#'])
            && !literal.contains('\\')
            && literal
                .split('/')
                .all(|p| !p.is_empty() && p != "." && p != "..");
        if plain {
            // The line, not `literal`: parsing trims the line, and `/ x` names ` x`.
            let alone = Ignore::parse(line);
            assert!(
                alone.excluded(Path::new(literal)),
                "{literal:?} not excluded"
            );
            let child = Path::new(literal).join("child");
            assert!(alone.excluded(&child), "{literal:?}/child not excluded");
        }
    }
}

/// A compose file: loading never panics (a bad file is an error naming what is wrong);
/// interpolating its text alone never panics, and `$$` is always a literal `$`.
pub fn compose_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let vars: Vars = [("A", "a"), ("EMPTY", "")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let place = Place {
        file: "fuzz",
        path: "x",
    };
    let _ = interpolate(text, &vars, &place);
    assert_eq!(interpolate("$$", &vars, &place).ok().as_deref(), Some("$"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("compose.yaml");
    std::fs::write(&file, text).expect("write compose file");
    let opts = Options {
        files: vec![file],
        project_name: Some("fuzz".into()),
        project_directory: Some(dir.path().to_path_buf()),
        ..Options::default()
    };
    let _ = load(&opts, &vars);
}

/// `--format` templates (Go's text/template over Docker's fields): parsing and running one
/// over a typical `ps` row never panics, strict or not, table or not. gotmpl catches a panic
/// of a template function and turns it into an error, so an error that says a function
/// panicked fails here too.
pub fn format_template(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let row = serde_json::json!({
        "ID": "0123456789ab", "Names": "web", "Image": "busybox", "Status": "Up 1 second",
        "Labels": "a=b,c=d", "Ports": "", "State": { "Health": { "Status": "healthy" } },
        "Mounts": ["/a", "/b"], "Size": 12, "Config": { "Env": ["A=1"], "Cmd": null },
    });
    for strict in [true, false] {
        if let Ok(Some(format)) = Format::parse("ps", Some(text), strict)
            && let Err(e) = format.render(std::slice::from_ref(&row), &[("ID", "CONTAINER ID")])
        {
            assert!(!e.to_string().contains("panicked"), "{e}");
        }
    }
}

/// An OCI runtime `config.json` (runtime-spec `config.md`), read as `capstone-runtime create`
/// reads it: [`bundle::load`] from a bundle directory with a `rootfs`, then every conversion
/// that does not touch the kernel — the namespace plan, lesson 01's spec, lesson 07's
/// confinement (the seccomp filter compiled, not loaded), rlimits, mount options, the cgroup
/// name and limits. Nothing panics, and whatever is refused names the field at fault.
pub fn runtime_config(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir(dir.path().join("rootfs")).expect("make rootfs");
    std::fs::write(dir.path().join("config.json"), data).expect("write config.json");
    let bundle = match bundle::load(dir.path()) {
        Ok(bundle) => bundle,
        Err(e) => return assert_names_a_field(&e, data),
    };
    let spec = &bundle.spec;
    let _ = (bundle::annotations(spec), bundle::namespace_types(spec));
    let converted = (|| -> anyhow::Result<()> {
        let plan = process::namespace_plan(spec)?;
        process::container_spec(&bundle, &plan)?;
        process::confinement(process::process_of(spec)?, spec)?;
        process::rlimits(spec)?;
        for mount in spec.mounts().as_deref().unwrap_or_default() {
            let _ = mounts::parse_options(mount.options().as_deref().unwrap_or_default());
        }
        cgroup::name_of(&bundle::cgroups_path(spec, "fuzz"))?;
        let resources = spec.linux().as_ref().and_then(|l| l.resources().clone());
        let _ = resources.as_ref().map(cgroup::limits);
        Ok(())
    })();
    if let Err(e) = converted {
        assert_names_a_field(&e, data);
    }
}

/// [`runtime_config`], structure-aware: libFuzzer's bytes become a [`ConfigShape`] (through
/// the `arbitrary` crate, as `fuzz_target!` makes a typed input), which is printed as a
/// `config.json` and checked exactly as the byte-level target checks one. Every input is
/// well-formed JSON in the spec's shape, so the fuzzer explores the values the checks read.
pub fn runtime_config_structured(data: &[u8]) {
    let Ok(shape) = ConfigShape::arbitrary_take_rest(arbitrary::Unstructured::new(data)) else {
        return;
    };
    let json = serde_json::to_vec(&shape.to_json()).expect("a JSON value prints");
    runtime_config(&json);
}

/// The names a refusal may point at: a JSON path (`field `…``) or the section it came from.
const FIELD_MARKERS: [&str; 3] = ["field `", "linux.seccomp", "cgroupsPath"];

fn assert_names_a_field(error: &anyhow::Error, data: &[u8]) {
    let message = format!("{error:#}");
    assert!(
        FIELD_MARKERS.iter().any(|m| message.contains(m)),
        "refused without naming a field: {message}\n(input: {:?})",
        String::from_utf8_lossy(data)
    );
}

//! The capstone's layers, checked: each module under `src/` may name only modules of its own
//! layer or of the layers below it (`model` ← `store` ← `mechanisms` ← `engine` ← `compose` ← `api` ← `cli` ←
//! `runtime_cli`; compose and api (the Engine API daemon) are front ends that the CLI
//! dispatches to, so they sit just below it, and the OCI runtime's front end sits on top), and
//! within a layer the modules' imports form no cycle. The test reads the source as text — the
//! same picture a student draws by following the `use crate::…` lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. `error` is the crate's one error type, below everything.
const LAYERS: [&str; 9] = [
    "error",
    "model",
    "store",
    "mechanisms",
    "engine",
    "compose",
    "api",
    "cli",
    "runtime_cli",
];

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/engine/build/run.rs` → ("engine", "engine::build::run").
fn module_of(src: &Path, file: &Path) -> (String, String) {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    (parts[0].clone(), parts.join("::"))
}

/// Every `crate::a::b` path named in `text` (comments and doc links included: a doc link that
/// points up a layer is a reading order that points up too).
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let parts: Vec<String> = path
            .split("::")
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect();
        if !parts.is_empty() {
            found.push(parts);
        }
    }
    found
}

fn imports() -> Vec<(String, String, Vec<String>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut all = Vec::new();
    for file in files {
        let (layer, module) = module_of(&src, &file);
        if layer == "lib" || layer == "main" {
            continue; // the crate root declares the layers and re-exports the Engine
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for path in crate_paths(&text) {
            all.push((layer.clone(), module.clone(), path));
        }
    }
    all
}

#[test]
fn no_module_names_a_layer_above_its_own() {
    let mut upward = Vec::new();
    for (layer, module, path) in imports() {
        let Some(here) = rank(&layer) else { continue };
        // `crate::Error`, `crate::Result` are the error layer; `crate::Engine` is the engine's.
        let target = match path[0].as_str() {
            "Error" | "Result" => "error",
            "Engine" => "engine",
            other => other,
        };
        if let Some(there) = rank(target)
            && there > here
        {
            upward.push(format!("{module} -> crate::{}", path.join("::")));
        }
    }
    assert!(
        upward.is_empty(),
        "imports pointing up a layer:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_top_level_modules_of_each_layer_form_no_cycle() {
    // Edges between second-level modules (engine::monitor -> mechanisms::runtime, …).
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, module, path) in imports() {
        let from: Vec<&str> = module.split("::").take(2).collect();
        let to: Vec<&str> = path.iter().map(String::as_str).take(2).collect();
        if rank(to[0]).is_none() || to.len() < 2 || from.len() < 2 {
            continue;
        }
        let (from, to) = (from.join("::"), to.join("::"));
        if from != to {
            edges.entry(from).or_default().insert(to);
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let start = stack.iter().position(|n| n == node).unwrap();
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in edges.keys() {
        let mut stack = Vec::new();
        if let Some(cycle) = visit(node, &edges, &mut state, &mut stack) {
            panic!("an import cycle: {}", cycle.join(" -> "));
        }
    }
}

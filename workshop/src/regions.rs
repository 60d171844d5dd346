//! The marked regions in the lessons' code. An exercise's lines sit between
//!
//! ```text
//!     // exercise 01.3 make-private: begin
//!     …
//!     // exercise 01.3: end
//! ```
//!
//! so the reference solution, the book's quoted code and the exercise are the same lines. A
//! *hole* replaces them with one `todo!("exercise 01.3 make-private: …")`: it still compiles
//! (a `todo!` fits wherever a value or statement does) and panics with the statement when
//! reached.

use anyhow::{Context, bail};
use std::path::Path;

/// Where one region lies in a file: line numbers (0-based) of its two markers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// The `: begin` marker line.
    pub begin: usize,
    /// The `: end` marker line.
    pub end: usize,
}

/// The file's lines, each with its line ending.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// Finds exercise `id`'s region in `text` (the file's contents, for error messages `path`).
pub fn find(text: &str, id: &str, path: &Path) -> anyhow::Result<Region> {
    let begin_prefix = format!("// exercise {id} ");
    let end_marker = format!("// exercise {id}: end");
    let all = lines(text);
    let begins: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].trim().starts_with(&begin_prefix) && all[i].trim().ends_with(": begin"))
        .collect();
    let ends: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].trim() == end_marker)
        .collect();
    match (begins.as_slice(), ends.as_slice()) {
        ([begin], [end]) if begin < end => Ok(Region {
            begin: *begin,
            end: *end,
        }),
        ([], _) | (_, []) => bail!(
            "{} has no complete region for exercise {id}: put back the lines `{begin_prefix}…: begin` and `{end_marker}` (or run `cargo kit solution {id}`)",
            path.display()
        ),
        _ => bail!(
            "{} has more than one region for exercise {id}, or its markers are out of order",
            path.display()
        ),
    }
}

/// The lines between the markers, as they are now.
pub fn body(text: &str, region: Region) -> String {
    lines(text)[region.begin + 1..region.end].concat()
}

/// `text` with the lines between the markers replaced by `new_body` (which should end with
/// a newline).
pub fn replace(text: &str, region: Region, new_body: &str) -> String {
    let all = lines(text);
    let mut out = all[..=region.begin].concat();
    out.push_str(new_body);
    out.push_str(&all[region.end..].concat());
    out
}

/// The indentation of the begin marker, which the hole and stubs use.
pub fn indent(text: &str, region: Region) -> String {
    let line = lines(text)[region.begin];
    line[..line.len() - line.trim_start().len()].to_string()
}

/// The hole for exercise `id`: one `todo!` whose message is the statement (braces doubled and
/// quotes escaped, since `todo!` takes a format string).
pub fn hole(indent: &str, id: &str, title: &str, statement: &str) -> String {
    let message = format!("exercise {id} {title}: {statement}")
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('{', "{{")
        .replace('}', "}}");
    format!("{indent}todo!(\"{message}\");\n")
}

/// Is this region body the (untouched) hole of exercise `id`?
pub fn is_hole(body: &str, id: &str) -> bool {
    body.trim().starts_with(&format!("todo!(\"exercise {id} ")) && body.trim().lines().count() == 1
}

/// Reads a file and finds exercise `id` in it.
pub fn read(path: &Path, id: &str) -> anyhow::Result<(String, Region)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {}", path.display()))?;
    let region = find(&text, id, path)?;
    Ok((text, region))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "fn f() -> u32 {\n    // exercise 09.1 demo: begin\n    1 + 1\n    // exercise 09.1: end\n}\n";

    #[test]
    fn a_hole_replaces_only_the_lines_between_the_markers_and_comes_back_out() {
        let region = find(CODE, "09.1", Path::new("x.rs")).unwrap();
        assert_eq!(body(CODE, region), "    1 + 1\n");
        let holed = replace(
            CODE,
            region,
            &hole(&indent(CODE, region), "09.1", "demo", "say {x} \"hi\""),
        );
        assert!(holed.contains("    todo!(\"exercise 09.1 demo: say {{x}} \\\"hi\\\"\");\n"));
        let region = find(&holed, "09.1", Path::new("x.rs")).unwrap();
        assert!(is_hole(&body(&holed, region), "09.1"));
        assert_eq!(replace(&holed, region, "    1 + 1\n"), CODE);
    }

    #[test]
    fn a_missing_end_marker_is_an_error_that_says_how_to_fix_it() {
        let broken = CODE.replace("// exercise 09.1: end", "");
        let e = find(&broken, "09.1", Path::new("x.rs"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cargo kit solution 09.1"), "{e}");
    }
}

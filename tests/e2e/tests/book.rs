//! The book must not lie about its own structure: every relative link in `book/src` points at a
//! file that exists, and every `#anchor` at a heading in it. (mdBook itself fails the build on
//! a missing `{{#include}}`, but not on a broken link between chapters.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn book_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/src")
}

/// The targets of markdown links `[text](target)` in `text`, skipping code blocks.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            found.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    found
}

/// mdBook's anchor for a heading: lower-case, spaces to dashes, most punctuation dropped.
fn anchors(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| {
            l.trim_start_matches('#')
                .trim()
                .to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect()
}

#[test]
fn every_internal_link_in_the_book_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(book_src()).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for link in links(&text) {
            if link.is_empty() || link.contains("://") || link.starts_with("mailto:") {
                continue; // drafts in SUMMARY.md, and the outside world
            }
            checked += 1;
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                path.clone()
            } else {
                path.with_file_name(file)
            };
            match std::fs::read_to_string(&target) {
                Err(_) => broken.push(format!("{}: {link} (no such file)", path.display())),
                Ok(target_text)
                    if !anchor.is_empty() && !anchors(&target_text).contains(anchor) =>
                {
                    broken.push(format!("{}: {link} (no such heading)", path.display()))
                }
                Ok(_) => {}
            }
        }
    }
    assert!(
        checked > 0,
        "found no links at all: is {} the book?",
        book_src().display()
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_checker_catches_a_broken_link_and_a_missing_heading() {
    assert_eq!(
        links("see [a](b.md#c) and [d](e.md)"),
        vec!["b.md#c", "e.md"]
    );
    assert!(links("```\n[a](b.md)\n```").is_empty());
    let heads = anchors("# Lesson 01: namespaces and pivot_root\n## Step 1: a hostname (UTS)");
    assert!(heads.contains("lesson-01-namespaces-and-pivot_root"));
    assert!(heads.contains("step-1-a-hostname-uts"));
}

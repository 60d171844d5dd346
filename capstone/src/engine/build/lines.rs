//! From Dockerfile text to logical lines, the first stage of Docker's parser: parser
//! directives at the very top (`# escape=` …), comments dropped, and lines ending in the escape
//! character joined to the next. Each logical line remembers where it started, so every later
//! error can name the line the user sees in their editor.

use crate::{Error, Result};

/// One logical line: an instruction with its continuation lines joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicalLine {
    /// 1-based number of the physical line it starts on.
    pub line: usize,
    /// The joined text, without the escape characters that joined it.
    pub text: String,
}

/// A Dockerfile split into logical lines, with the escape character its directives chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `\` (the default) or `` ` `` (`# escape=`` ` ``, handy on Windows paths).
    pub escape: char,
    /// The instructions' lines, in order.
    pub lines: Vec<LogicalLine>,
}

/// Splits `text` into logical lines. Parser directives are read only before the first
/// comment, blank line or instruction, as Docker does; `escape` is the only one that changes
/// parsing (`syntax` and `check` are accepted and ignored).
pub fn split(text: &str) -> Result<Source> {
    let physical: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    let mut seen = Vec::new();
    let mut first = 0;
    for (i, raw) in physical.iter().enumerate() {
        let Some((name, value)) = directive(raw) else {
            break;
        };
        if seen.contains(&name) {
            return Err(Error::dockerfile(
                i + 1,
                format!("only one `{name}` parser directive may be used"),
            ));
        }
        if name == "escape" {
            escape = match value.as_str() {
                "\\" => '\\',
                "`" => '`',
                other => {
                    return Err(Error::dockerfile(
                        i + 1,
                        format!("invalid escape character {other:?}: use \\ or `"),
                    ));
                }
            };
        } else if name != "syntax" && name != "check" {
            break; // an unknown directive is a comment, and ends the directives
        }
        seen.push(name);
        first = i + 1;
    }

    let mut lines = Vec::new();
    let mut current: Option<LogicalLine> = None;
    for (i, raw) in physical.iter().enumerate().skip(first) {
        let trimmed = raw.trim_start();
        // Comments and blank lines are dropped, even in the middle of a continued instruction.
        if trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let (content, continues) = strip_continuation(raw, escape);
        match current.as_mut() {
            Some(open) => open.text.push_str(content),
            None => {
                current = Some(LogicalLine {
                    line: i + 1,
                    text: content.trim_start().to_string(),
                })
            }
        }
        if !continues {
            lines.extend(current.take());
        }
    }
    lines.extend(current.take()); // a final line that ends with the escape character
    for l in &mut lines {
        l.text = l.text.trim_end().to_string();
    }
    Ok(Source { escape, lines })
}

/// `# name=value` at the top of the file: a parser directive (names are case-insensitive).
fn directive(raw: &str) -> Option<(String, String)> {
    let rest = raw.trim_start().strip_prefix('#')?;
    let (name, value) = rest.split_once('=')?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((name.to_ascii_lowercase(), value.trim().to_string()))
}

/// Removes a trailing escape character (and whitespace after it); says whether it was there.
fn strip_continuation(raw: &str, escape: char) -> (&str, bool) {
    let end = raw.trim_end();
    match end.strip_suffix(escape) {
        // An escaped escape (`\\` at the end) is a literal backslash, not a continuation.
        Some(before) if !before.ends_with(escape) => (before, true),
        _ => (raw, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &Source) -> Vec<(usize, &str)> {
        src.lines
            .iter()
            .map(|l| (l.line, l.text.as_str()))
            .collect()
    }

    #[test]
    fn continuation_lines_are_joined_and_keep_the_first_line_number() {
        let src = split("FROM a\nRUN echo one \\\n  two \\\n  three\nCMD x\n").unwrap();
        assert_eq!(
            texts(&src),
            [
                (1, "FROM a"),
                (2, "RUN echo one   two   three"),
                (5, "CMD x")
            ]
        );
    }

    #[test]
    fn comments_and_blank_lines_inside_a_continuation_are_dropped() {
        let src = split("RUN a \\\n# a comment\n\n   b\n").unwrap();
        assert_eq!(texts(&src), [(1, "RUN a    b")]);
    }

    #[test]
    fn escape_directive_switches_to_backtick() {
        let src = split("# escape=`\nFROM a\nRUN dir c:\\ `\n  /w\n").unwrap();
        assert_eq!(src.escape, '`');
        assert_eq!(texts(&src), [(2, "FROM a"), (3, "RUN dir c:\\   /w")]);
    }

    #[test]
    fn directives_after_a_comment_are_plain_comments() {
        let src = split("# hello\n# escape=`\nRUN a \\\n b\n").unwrap();
        assert_eq!(src.escape, '\\');
        assert_eq!(texts(&src), [(3, "RUN a  b")]);
    }

    #[test]
    fn a_bad_escape_directive_names_its_line() {
        let err = split("# syntax=docker/dockerfile:1\n# escape=x\nFROM a").unwrap_err();
        assert_eq!(
            err.to_string(),
            "dockerfile line 2: invalid escape character \"x\": use \\ or `"
        );
    }

    #[test]
    fn a_repeated_directive_is_an_error() {
        let err = split("# escape=`\n# escape=\\\nFROM a").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}

//! From Dockerfile text to logical lines, the first stage of Docker's parser: parser
//! directives at the very top (`# escape=` …), comments dropped, and lines ending in the escape
//! character joined to the next; after a `RUN`, `COPY` or `ADD` that names heredocs (`<<EOF`),
//! the lines up to each delimiter are taken as they are. Each logical line remembers where it
//! started, so every later error can name the line the user sees in their editor.

use super::heredoc::{self, Heredoc};
use crate::{Error, Result};

/// One logical line: an instruction with its continuation lines joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogicalLine {
    /// 1-based number of the physical line it starts on.
    pub line: usize,
    /// The joined text, without the escape characters that joined it.
    pub text: String,
    /// The heredocs (`<<EOF`) it names, with the lines that followed it ([`super::heredoc`]).
    pub heredocs: Vec<Heredoc>,
}

/// A Dockerfile split into logical lines, with the escape character its directives chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `\` (the default) or `` ` `` (`# escape=`` ` ``, handy on Windows paths).
    pub escape: char,
    /// The instructions' lines, in order.
    pub lines: Vec<LogicalLine>,
    /// `# syntax=…`: the frontend image BuildKit would use; we note it and parse ourselves.
    pub syntax: Option<String>,
}

/// Splits `text` into logical lines. Parser directives are read only before the first
/// comment, blank line or instruction, as Docker does; `escape` is the only one that changes
/// parsing (`syntax` and `check` are accepted and ignored).
pub fn split(text: &str) -> Result<Source> {
    let physical: Vec<&str> = text.lines().collect();
    let mut escape = '\\';
    let mut syntax = None;
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
        } else if name == "syntax" {
            syntax = Some(value.clone());
        } else if name != "check" {
            break; // an unknown directive is a comment, and ends the directives
        }
        seen.push(name);
        first = i + 1;
    }

    let mut lines = Vec::new();
    let mut current: Option<LogicalLine> = None;
    let mut i = first;
    while i < physical.len() {
        let raw = physical[i];
        i += 1;
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
                    line: i,
                    text: content.trim_start().to_string(),
                    heredocs: Vec::new(),
                })
            }
        }
        if !continues && let Some(mut done) = current.take() {
            done.text = done.text.trim_end().to_string();
            // The heredocs' lines come next, taken as they are (comments and all).
            for (name, chomp, expand) in heredoc::markers(&done.text) {
                let (doc, next) = take_heredoc(&physical, i, name, chomp, expand, done.line)?;
                done.heredocs.push(doc);
                i = next;
            }
            lines.push(done);
        }
    }
    if let Some(mut last) = current.take() {
        // A final line that ends with the escape character.
        last.text = last.text.trim_end().to_string();
        lines.push(last);
    }
    Ok(Source {
        escape,
        lines,
        syntax,
    })
}

/// The heredoc `name` whose first line is `physical[start]` (0-based); returns it and the
/// index after its closing delimiter line.
fn take_heredoc(
    physical: &[&str],
    start: usize,
    name: String,
    chomp: bool,
    expand: bool,
    instruction_line: usize,
) -> Result<(Heredoc, usize)> {
    let mut body = String::new();
    for (j, raw) in physical.iter().enumerate().skip(start) {
        let line = if chomp {
            raw.trim_start_matches('\t')
        } else {
            raw
        };
        if line == name {
            let doc = Heredoc {
                name,
                body,
                expand,
                line: start + 1,
            };
            return Ok((doc, j + 1));
        }
        body.push_str(line);
        body.push('\n');
    }
    Err(Error::dockerfile(
        instruction_line,
        format!("the heredoc <<{name} is never closed: end it with a line holding only {name}"),
    ))
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
    fn a_syntax_directive_is_recorded_to_be_noted() {
        let src = split("# syntax=docker/dockerfile:1.7\nFROM a\n").unwrap();
        assert_eq!(src.syntax.as_deref(), Some("docker/dockerfile:1.7"));
        assert_eq!(split("FROM a\n").unwrap().syntax, None);
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
    fn heredoc_lines_are_taken_as_they_are_up_to_the_delimiter() {
        let src = split("FROM a\nRUN <<EOF\n# not a comment \\\n\necho $HOME\nEOF\nCOPY <<-X <<'Y' /d/\n\tx\n\tX\ny\nY\nCMD z\n").unwrap();
        assert_eq!(
            texts(&src),
            [
                (1, "FROM a"),
                (2, "RUN <<EOF"),
                (7, "COPY <<-X <<'Y' /d/"),
                (12, "CMD z")
            ]
        );
        let run = &src.lines[1].heredocs;
        assert_eq!(run[0].body, "# not a comment \\\n\necho $HOME\n");
        assert_eq!(run[0].line, 3);
        let copy = &src.lines[2].heredocs;
        assert_eq!((copy[0].body.as_str(), copy[0].expand), ("x\n", true));
        assert_eq!(
            (copy[1].body.as_str(), copy[1].expand, copy[1].line),
            ("y\n", false, 10)
        );
    }

    #[test]
    fn an_unclosed_heredoc_names_its_instruction() {
        let err = split("FROM a\nRUN <<EOF\necho hi\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "dockerfile line 2: the heredoc <<EOF is never closed: end it with a line holding only EOF"
        );
    }

    #[test]
    fn a_repeated_directive_is_an_error() {
        let err = split("# escape=`\n# escape=\\\nFROM a").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}

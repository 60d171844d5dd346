//! Variables: `.env` files and `${VAR}` interpolation, as the Compose Specification's
//! "Interpolation" section describes — `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty),
//! `${VAR-default}` (unset), `${VAR:?error}`/`${VAR?error}`, `${VAR:+alt}`/`${VAR+alt}`, and
//! `$$` for a literal `$`. Values are interpolated after YAML parsing, so a variable can never
//! change the file's structure, only its strings.

use super::error::{ComposeError, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// The variables a project sees: the `.env` file's, overridden by the process environment.
pub type Vars = BTreeMap<String, String>;

/// Reads a `.env` file: `KEY=VALUE` lines, `#` comments, an optional `export `, values in
/// single quotes (literal) or double quotes (`\n` escapes), and `KEY` alone for an empty value.
pub fn read_env_file(path: &Path) -> Result<Vars> {
    let text = std::fs::read_to_string(path).map_err(|source| ComposeError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut vars = Vars::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        let key = key.trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(ComposeError::Invalid {
                file: path.display().to_string(),
                path: format!("line {}", n + 1),
                message: format!("{line:?} is not KEY=VALUE"),
            });
        }
        vars.insert(key.to_string(), unquote(value.trim()));
    }
    Ok(vars)
}

fn unquote(value: &str) -> String {
    if value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'') {
        return value[1..value.len() - 1].to_string();
    }
    if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
        return value[1..value.len() - 1]
            .replace("\\n", "\n")
            .replace("\\\"", "\"");
    }
    // An unquoted value ends at ` #` (an inline comment).
    match value.find(" #") {
        Some(i) => value[..i].trim_end().to_string(),
        None => value.to_string(),
    }
}

/// Where a value sits, for error messages and the unset-variable warning.
pub struct Place<'a> {
    /// The file.
    pub file: &'a str,
    /// The key path of the value.
    pub path: &'a str,
}

/// Replaces the variables in `text`. An unset variable without a default becomes the empty
/// string with a warning on stderr, as Docker Compose does.
pub fn interpolate(text: &str, vars: &Vars, place: &Place) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let end = closing_brace(body).ok_or_else(|| ComposeError::Invalid {
                file: place.file.to_string(),
                path: place.path.to_string(),
                message: format!("invalid interpolation format in {text:?}: a `${{` has no `}}`; write `$$` for a literal `$`"),
            })?;
            out.push_str(&expand(&body[..end], vars, place)?);
            rest = &body[end + 1..];
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if len == 0 {
                out.push('$'); // a lone `$` stays, as in Docker Compose
            } else {
                out.push_str(&lookup(&after[..len], vars, place));
            }
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// The index of the `}` closing `body`'s expression, skipping nested `${…}` in defaults.
fn closing_brace(body: &str) -> Option<usize> {
    let mut depth = 0;
    for (i, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn lookup(name: &str, vars: &Vars, place: &Place) -> String {
    match vars.get(name) {
        Some(value) => value.clone(),
        None => {
            eprintln!(
                "warning: {}: {}: the {name:?} variable is not set, defaulting to a blank string",
                place.file, place.path
            );
            String::new()
        }
    }
}

/// One `${…}` expression: a name, then optionally an operator and a word.
fn expand(expr: &str, vars: &Vars, place: &Place) -> Result<String> {
    let name_len = expr
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(expr.len());
    let (name, op) = expr.split_at(name_len);
    let value = vars.get(name);
    let set = value.is_some();
    let nonempty = value.is_some_and(|v| !v.is_empty());
    let word = |w: &str| interpolate(w, vars, place);
    let required = |w: &str, ok: bool| -> Result<String> {
        if ok {
            Ok(value.cloned().unwrap_or_default())
        } else {
            Err(ComposeError::RequiredVariable {
                file: place.file.to_string(),
                path: place.path.to_string(),
                var: name.to_string(),
                message: word(w)?,
            })
        }
    };
    match op {
        _ if name.is_empty() => Err(ComposeError::Invalid {
            file: place.file.to_string(),
            path: place.path.to_string(),
            message: format!(
                "invalid interpolation format \"${{{expr}}}\": a variable name is letters, digits and _"
            ),
        }),
        "" => Ok(lookup(name, vars, place)),
        _ if op.starts_with(":-") => {
            if nonempty {
                Ok(value.cloned().unwrap_or_default())
            } else {
                word(&op[2..])
            }
        }
        _ if op.starts_with('-') => {
            if set {
                Ok(value.cloned().unwrap_or_default())
            } else {
                word(&op[1..])
            }
        }
        _ if op.starts_with(":?") => required(&op[2..], nonempty),
        _ if op.starts_with('?') => required(&op[1..], set),
        _ if op.starts_with(":+") => {
            if nonempty {
                word(&op[2..])
            } else {
                Ok(String::new())
            }
        }
        _ if op.starts_with('+') => {
            if set {
                word(&op[1..])
            } else {
                Ok(String::new())
            }
        }
        _ => Err(ComposeError::Invalid {
            file: place.file.to_string(),
            path: place.path.to_string(),
            message: format!(
                "invalid interpolation format \"${{{expr}}}\": use ${{VAR}}, ${{VAR:-default}}, ${{VAR-default}}, ${{VAR:?error}} or $$ for a literal $"
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<String> {
        let vars: Vars = [("A", "1"), ("EMPTY", "")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let place = Place {
            file: "compose.yaml",
            path: "services.web.image",
        };
        interpolate(text, &vars, &place)
    }

    #[test]
    fn plain_and_braced_variables_are_replaced() {
        assert_eq!(run("x$A-${A}y").unwrap(), "x1-1y");
        assert_eq!(run("$UNSET.").unwrap(), ".");
    }

    #[test]
    fn defaults_distinguish_unset_from_empty() {
        assert_eq!(run("${EMPTY:-d}").unwrap(), "d");
        assert_eq!(run("${EMPTY-d}").unwrap(), "");
        assert_eq!(run("${UNSET-d}").unwrap(), "d");
        assert_eq!(run("${UNSET:-${A}0}").unwrap(), "10");
        assert_eq!(run("${A:+alt}${EMPTY:+alt}").unwrap(), "alt");
    }

    #[test]
    fn double_dollar_is_a_literal_dollar() {
        assert_eq!(run("echo $$HOME $${A}").unwrap(), "echo $HOME ${A}");
    }

    #[test]
    fn a_required_variable_names_the_place_and_the_message() {
        let e = run("${EMPTY:?set EMPTY in .env}").unwrap_err().to_string();
        assert_eq!(
            e,
            "compose.yaml: services.web.image: required variable EMPTY is missing a value: set EMPTY in .env"
        );
        assert_eq!(run("${EMPTY?x}").unwrap(), "");
    }

    #[test]
    fn a_broken_expression_is_an_error() {
        assert!(run("${A").is_err());
        assert!(run("${A*b}").is_err());
    }

    #[test]
    fn env_files_strip_quotes_comments_and_export() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(
            &path,
            "# comment\nexport A=1\nB='$x y'\nC=\"a\\nb\"\nD=v # note\nE\n",
        )
        .unwrap();
        let vars = read_env_file(&path).unwrap();
        assert_eq!(vars["A"], "1");
        assert_eq!(vars["B"], "$x y");
        assert_eq!(vars["C"], "a\nb");
        assert_eq!(vars["D"], "v");
        assert_eq!(vars["E"], "");
    }
}

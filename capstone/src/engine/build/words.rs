//! Words and variables, as Docker's builder treats the arguments of `ENV`, `LABEL`, `COPY`,
//! `WORKDIR`, `FROM` and friends: text is split into words on unquoted whitespace, then each
//! word has its `$VAR` / `${VAR:-default}` / `${VAR:+alt}` expanded and its quotes removed.
//! This is *not* a shell: `RUN`, `CMD` and `ENTRYPOINT` are left alone for `/bin/sh` to
//! expand when the command runs.

/// Splits `text` into words on whitespace outside quotes. Quotes and escapes are kept, so each
/// word can still be [`expand`]ed (which removes them).
pub fn split_words(text: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match quote {
            None if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                continue;
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            Some(q) if c == q => quote = None,
            _ => {}
        }
        word.push(c);
        if c == escape && quote != Some('\'') {
            word.extend(chars.next());
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Expands variables in `word` (looked up with `lookup`; unset ones become empty) and removes
/// quotes and escape characters, as Docker's shell lexer does. Errors are messages for the
/// caller to put a line number on.
pub fn expand(
    word: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    escape: char,
) -> Result<String, String> {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c == escape {
            // Outside quotes the escape character makes the next one literal.
            match chars.get(i) {
                Some(&next) => {
                    out.push(next);
                    i += 1;
                }
                None => out.push(c),
            }
        } else if c == '\'' {
            let end = find(&chars, i, '\'').ok_or("unterminated single quote")?;
            out.extend(&chars[i..end]);
            i = end + 1;
        } else if c == '"' {
            loop {
                let Some(&d) = chars.get(i) else {
                    return Err("unterminated double quote".into());
                };
                i += 1;
                if d == '"' {
                    break;
                } else if d == escape && matches!(chars.get(i), Some('"' | '$')) {
                    out.push(chars[i]);
                    i += 1;
                } else if d == escape && chars.get(i) == Some(&escape) {
                    out.push(escape);
                    i += 1;
                } else if d == '$' {
                    i = variable(&chars, i, lookup, escape, &mut out)?;
                } else {
                    out.push(d);
                }
            }
        } else if c == '$' {
            i = variable(&chars, i, lookup, escape, &mut out)?;
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Splits and expands: the values of a list-taking instruction (`EXPOSE`, `VOLUME`, `COPY`).
pub fn expand_words(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    escape: char,
) -> Result<Vec<String>, String> {
    split_words(text, escape)
        .iter()
        .map(|w| expand(w, lookup, escape))
        .collect()
}

fn find(chars: &[char], from: usize, wanted: char) -> Option<usize> {
    (from..chars.len()).find(|&j| chars[j] == wanted)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Expands the variable after a `$` at `chars[i]`; returns the index after it.
fn variable(
    chars: &[char],
    mut i: usize,
    lookup: &dyn Fn(&str) -> Option<String>,
    escape: char,
    out: &mut String,
) -> Result<usize, String> {
    if chars.get(i) != Some(&'{') {
        let start = i;
        while i < chars.len() && is_name_char(chars[i]) {
            i += 1;
        }
        if start == i {
            out.push('$'); // a lone `$` is literal
        } else {
            let name: String = chars[start..i].iter().collect();
            out.push_str(&lookup(&name).unwrap_or_default());
        }
        return Ok(i);
    }
    // `${…}`: find the matching brace, allowing nested `${…}` in the default word.
    let open = i + 1;
    let mut depth = 1;
    let mut j = open;
    while j < chars.len() {
        match chars[j] {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        j += 1;
    }
    if depth != 0 {
        return Err("missing '}' in variable substitution".into());
    }
    let inner: String = chars[open..j].iter().collect();
    let name_len = inner.chars().take_while(|&c| is_name_char(c)).count();
    let (name, modifier) = inner.split_at(name_len);
    if name.is_empty() {
        return Err(format!(
            "bad substitution ${{{inner}}}: expected a variable name"
        ));
    }
    let value = lookup(name);
    let set_nonempty = value.as_deref().is_some_and(|v| !v.is_empty());
    let word = |w: &str| expand(w, lookup, escape);
    let result = if modifier.is_empty() {
        value.unwrap_or_default()
    } else if let Some(w) = modifier.strip_prefix(":-") {
        if set_nonempty {
            value.unwrap()
        } else {
            word(w)?
        }
    } else if let Some(w) = modifier.strip_prefix(":+") {
        if set_nonempty {
            word(w)?
        } else {
            String::new()
        }
    } else if let Some(w) = modifier.strip_prefix(":?") {
        if set_nonempty {
            value.unwrap()
        } else {
            return Err(format!("{name}: {}", word(w)?));
        }
    } else if let Some(w) = modifier.strip_prefix('-') {
        value.map_or_else(|| word(w), Ok)?
    } else if let Some(w) = modifier.strip_prefix('+') {
        if value.is_some() {
            word(w)?
        } else {
            String::new()
        }
    } else if let Some(w) = modifier.strip_prefix('?') {
        value.ok_or_else(|| format!("{name}: {w}"))?
    } else {
        return Err(format!(
            "unsupported modifier in ${{{inner}}}: use :-, :+, :?, - , + or ?"
        ));
    };
    out.push_str(&result);
    Ok(j + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "NAME" => Some("world".into()),
            "EMPTY" => Some(String::new()),
            "DIR" => Some("/srv/app".into()),
            _ => None,
        }
    }

    fn x(word: &str) -> String {
        expand(word, &env, '\\').unwrap()
    }

    #[test]
    fn plain_and_braced_variables_expand() {
        assert_eq!(x("hello $NAME!"), "hello world!");
        assert_eq!(x("${DIR}/bin"), "/srv/app/bin");
        assert_eq!(x("$UNSET-x"), "-x");
        assert_eq!(x("cost: $"), "cost: $");
    }

    #[test]
    fn default_and_alternative_modifiers_follow_docker() {
        assert_eq!(x("${UNSET:-dflt}"), "dflt");
        assert_eq!(x("${EMPTY:-dflt}"), "dflt");
        assert_eq!(x("${EMPTY-dflt}"), "");
        assert_eq!(x("${NAME:-dflt}"), "world");
        assert_eq!(x("${NAME:+alt}"), "alt");
        assert_eq!(x("${EMPTY:+alt}"), "");
        assert_eq!(x("${UNSET:+alt}"), "");
        assert_eq!(x("${EMPTY+alt}"), "alt");
        assert_eq!(x("${UNSET:-${DIR}/x}"), "/srv/app/x");
    }

    #[test]
    fn required_variable_error_carries_the_message() {
        let err = expand("${UNSET:?set it with --build-arg}", &env, '\\').unwrap_err();
        assert_eq!(err, "UNSET: set it with --build-arg");
    }

    #[test]
    fn single_quotes_are_literal_and_double_quotes_expand() {
        assert_eq!(x("'$NAME'"), "$NAME");
        assert_eq!(x("\"$NAME and \\$NAME\""), "world and $NAME");
        assert_eq!(x("a\\ b"), "a b");
        assert_eq!(x("\\$NAME"), "$NAME");
    }

    #[test]
    fn unterminated_things_are_errors() {
        assert!(expand("\"abc", &env, '\\').is_err());
        assert!(expand("'abc", &env, '\\').is_err());
        assert!(expand("${NAME", &env, '\\').is_err());
        assert!(expand("${:-x}", &env, '\\').is_err());
    }

    #[test]
    fn words_split_on_unquoted_whitespace_only() {
        assert_eq!(
            split_words(r#"a="x y" b=c\ d  'e f'"#, '\\'),
            [r#"a="x y""#, r"b=c\ d", "'e f'"]
        );
        assert_eq!(
            expand_words("80/tcp ${PORT:-8080}", &env, '\\').unwrap(),
            ["80/tcp", "8080"]
        );
    }
}

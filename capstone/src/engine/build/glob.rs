//! Glob matching for `.dockerignore` and `COPY` sources, as Go's `filepath.Match` (one path
//! component: `*`, `?`, `[a-z]`, `[^…]`, `\x`) plus `**` for any number of components, as
//! Docker's `patternmatcher` adds. Both matchers take time proportional to pattern × name: the
//! first version backtracked through every earlier `*` and `**`, and a hostile `.dockerignore`
//! of a hundred bytes kept a build busy for minutes (that input is kept in
//! `capstone/fuzz/regressions/dockerignore/`, which `tests/fuzz_corpora.rs` replays).

/// Whether `pattern` matches the path `parts` or one of its parent directories (`parts[..n]`
/// for some n ≥ 1), as a `.dockerignore` line excludes a directory with all below it. One pass
/// of `match_parts`'s table in which whatever follows the pattern's end is free: asking once
/// per parent cost pattern × path² steps, and a 100-component line the fuzzer made took half a
/// second to match against itself.
pub fn glob_parent_or_self(pattern: &[String], parts: &[String]) -> bool {
    !parts.is_empty() && match_parts(pattern, parts, true)
}

/// Matches path components against pattern components; `**` matches any number of them;
/// with `rest_free`, path components after the pattern's end match too. Dynamic programming
/// over (pattern position, path position), so `**/**/…` costs pattern × path steps rather
/// than trying every way to split the path.
fn match_parts(pattern: &[String], parts: &[String], rest_free: bool) -> bool {
    // matches[j]: pattern[i..] matches parts[j..], filled from the last pattern part back.
    let mut matches: Vec<bool> = (0..=parts.len())
        .map(|j| rest_free || j == parts.len())
        .collect();
    for p in pattern.iter().rev() {
        let mut next = vec![false; parts.len() + 1];
        for j in (0..=parts.len()).rev() {
            next[j] = if p == "**" {
                matches[j] || (j < parts.len() && next[j + 1])
            } else {
                j < parts.len() && glob(p, &parts[j]) && matches[j + 1]
            };
        }
        matches = next;
    }
    matches[0]
}

/// One piece of a glob pattern.
enum Token {
    /// `*`: any run of characters.
    Star,
    /// `?`: any one character.
    Any,
    /// `[a-z]`, `[^…]` or `[!…]`: one character in (or not in) the set.
    Class(bool, Vec<char>),
    /// Anything else, `\x` included: that character.
    Literal(char),
}

fn tokens(pattern: &str) -> Vec<Token> {
    let p: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '*' => out.push(Token::Star),
            '?' => out.push(Token::Any),
            '[' => match p[i..].iter().position(|&c| c == ']') {
                Some(len) => {
                    let set = &p[i + 1..i + len];
                    let (negate, set) = match set.first() {
                        Some('^' | '!') => (true, &set[1..]),
                        _ => (false, set),
                    };
                    out.push(Token::Class(negate, set.to_vec()));
                    i += len;
                }
                None => out.push(Token::Literal('[')),
            },
            '\\' if i + 1 < p.len() => {
                i += 1;
                out.push(Token::Literal(p[i]));
            }
            c => out.push(Token::Literal(c)),
        }
        i += 1;
    }
    out
}

fn in_class(set: &[char], c: char) -> bool {
    let mut i = 0;
    while i < set.len() {
        if i + 2 < set.len() && set[i + 1] == '-' {
            if set[i] <= c && c <= set[i + 2] {
                return true;
            }
            i += 3;
        } else {
            if set[i] == c {
                return true;
            }
            i += 1;
        }
    }
    false
}

/// `*`, `?` and `[a-z]` (or `[^…]`) within one path component, like filepath.Match in Go.
/// Linear in practice: on a mismatch only the last `*` is retried one character further
/// (the classic wildcard matcher), never every earlier one.
pub fn glob(pattern: &str, name: &str) -> bool {
    let tokens = tokens(pattern);
    let n: Vec<char> = name.chars().collect();
    let (mut t, mut i) = (0, 0);
    let mut retry: Option<(usize, usize)> = None; // (token after the last `*`, its name start)
    while i < n.len() {
        let step = match tokens.get(t) {
            Some(Token::Star) => {
                retry = Some((t + 1, i));
                t += 1;
                continue;
            }
            Some(Token::Any) => true,
            Some(Token::Class(negate, set)) => in_class(set, n[i]) != *negate,
            Some(Token::Literal(c)) => *c == n[i],
            None => false,
        };
        if step {
            t += 1;
            i += 1;
        } else if let Some((after_star, start)) = retry {
            t = after_star;
            i = start + 1;
            retry = Some((after_star, start + 1));
        } else {
            return false;
        }
    }
    tokens[t..].iter().all(|token| matches!(token, Token::Star))
}

/// True if `text` has glob characters.
pub fn has_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(path: &str) -> Vec<String> {
        path.split('/').map(str::to_string).collect()
    }

    #[test]
    fn stars_classes_and_escapes_match_as_go_does() {
        assert!(glob("*a*b", "xxaxxb") && !glob("*a*b", "xxbxxa"));
        assert!(glob("a*", "a") && glob("*", "") && !glob("?", ""));
        assert!(glob("[a-c]x[!0-9]", "bxz") && !glob("[a-c]x[!0-9]", "bx5"));
        assert!(glob("[x", "[x") && glob("\\*", "*") && !glob("\\*", "a"));
        // The input that made the backtracking matcher run for minutes: now a clear "no".
        assert!(!glob("*a*a*a*a*a*a*a*a*a*a*a*b", &"a".repeat(40)));
    }

    #[test]
    fn double_star_matches_any_number_of_components() {
        assert!(match_parts(&parts("**/x"), &parts("x"), false));
        assert!(match_parts(&parts("**/x"), &parts("a/b/x"), false));
        assert!(match_parts(&parts("a/**"), &parts("a"), false));
        assert!(!match_parts(&parts("**/x"), &parts("a/b/y"), false));
        let hostile = parts("**/**/**/**/**/**/**/**/x");
        assert!(!match_parts(&hostile, &parts(&"a/".repeat(30)), false));
    }

    #[test]
    fn parent_or_self_is_any_prefix_matching() {
        let cases = [
            ("a", "a/b/c"),
            ("a/b", "a/b/c"),
            ("a/*", "a/b/c"),
            ("**/c", "a/b/c"),
            ("**", "a"),
            ("b", "a/b"),
            ("a/**/d", "a/b/c"),
            ("*/b/c/d", "a/b/c"),
            ("a/b/c", "a/b"),
        ];
        for (pattern, path) in cases {
            let (pattern, path) = (parts(pattern), parts(path));
            let any_prefix = (1..=path.len()).any(|n| match_parts(&pattern, &path[..n], false));
            assert_eq!(
                glob_parent_or_self(&pattern, &path),
                any_prefix,
                "{pattern:?} {path:?}"
            );
        }
        assert!(!glob_parent_or_self(&parts("**"), &[]));
    }
}

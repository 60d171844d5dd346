//! Heredocs in a Dockerfile (BuildKit's Dockerfile syntax, stable since 1.4): the lines after
//! an instruction, up to a line holding only the delimiter, are a document of their own.
//!
//! ```dockerfile
//! RUN <<EOF
//! apk add curl
//! curl --version
//! EOF
//! COPY <<EOF /etc/motd
//! built for ${TARGET}
//! EOF
//! ```
//!
//! Only `RUN`, `COPY` and `ADD` take them. `<<-EOF` strips leading tabs from each line;
//! `<<"EOF"` or `<<'EOF'` (a quoted delimiter) turns off the builder's `$VAR` expansion of a
//! `COPY` document. What a `RUN` does with its documents ([`run_argv`]) follows BuildKit:
//! `RUN <<EOF` alone hands the document to the shell as its script (or, starting with `#!`,
//! runs it as an executable file); any other command line gets the heredocs back, so the
//! shell reads them as its own (`RUN cat <<EOF > /file`).

use super::words;

/// One document: the delimiter names it (and, for `COPY <<EOF /dir/`, the file it makes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter (`EOF`), without quotes.
    pub name: String,
    /// The lines up to the delimiter, each ending in `\n` (tabs stripped for `<<-`).
    pub body: String,
    /// Whether the builder expands `$VAR` in it (an unquoted delimiter).
    pub expand: bool,
    /// The 1-based line number of its first line, for errors inside it.
    pub line: usize,
}

/// The instructions that may carry heredocs.
pub const KEYWORDS: [&str; 3] = ["RUN", "COPY", "ADD"];

/// A `<<NAME`, `<<-NAME`, `<<"NAME"` or `<<'NAME'` word: the delimiter, whether tabs are
/// stripped (`-`), and whether the body is expanded (no quotes).
pub fn marker(word: &str) -> Option<(String, bool, bool)> {
    let rest = word.strip_prefix("<<")?;
    let (chomp, rest) = match rest.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|q| rest.strip_prefix(*q).and_then(|r| r.strip_suffix(*q)));
    let (name, expand) = match unquoted {
        Some(name) => (name, false),
        None => (rest, true),
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    valid.then(|| (name.to_string(), chomp, expand))
}

/// The heredoc markers of an instruction line, in order (none unless it is `RUN`, `COPY` or
/// `ADD`).
pub fn markers(text: &str) -> Vec<(String, bool, bool)> {
    let mut words = text.split_whitespace();
    let keyword = words.next().unwrap_or("").to_ascii_uppercase();
    if !KEYWORDS.contains(&keyword.as_str()) {
        return Vec::new();
    }
    words.filter_map(marker).collect()
}

/// Whether a `RUN` command (after its flags) is a lone heredoc marker: `RUN <<EOF`.
pub fn is_lone_marker(command: &str) -> bool {
    let mut words = command.split_whitespace();
    matches!(
        (words.next().map(marker), words.next()),
        (Some(Some(_)), None)
    )
}

/// Where the script of `RUN <<EOF` with a `#!` line is put (and removed again after the step).
pub const SCRIPT_DIR: &str = ".capstone-heredoc";

/// What a `RUN` with heredocs executes, as BuildKit does: `RUN <<EOF` alone runs the document
/// with the shell (`sh -c BODY`) or, when it starts with `#!`, as an executable file at
/// `/SCRIPT_DIR/NAME` (returned as the second value, with its content); any other command is
/// given to the shell with its documents and delimiters put back after it.
pub fn run_argv(
    command: &str,
    docs: &[Heredoc],
    shell: &[String],
) -> (Vec<String>, Option<(String, String)>) {
    let with_shell = |text: String| shell.iter().cloned().chain([text]).collect();
    if let [doc] = docs
        && is_lone_marker(command)
    {
        if doc.body.starts_with("#!") {
            let path = format!("/{SCRIPT_DIR}/{}", doc.name);
            return (vec![path], Some((doc.name.clone(), doc.body.clone())));
        }
        return (with_shell(doc.body.clone()), None);
    }
    let mut full = command.to_string();
    for doc in docs {
        full.push('\n');
        full.push_str(&doc.body);
        full.push_str(&doc.name);
    }
    (with_shell(full), None)
}

/// A `COPY` document's content: `$VAR` expanded line by line (unless its delimiter was
/// quoted); an error names the line inside the document.
pub fn content(
    doc: &Heredoc,
    lookup: &dyn Fn(&str) -> Option<String>,
    escape: char,
) -> Result<String, (usize, String)> {
    if !doc.expand {
        return Ok(doc.body.clone());
    }
    let mut out = String::new();
    for (n, line) in doc.body.split_inclusive('\n').enumerate() {
        out.push_str(
            &words::expand_variables(line, lookup, escape).map_err(|why| (doc.line + n, why))?,
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(name: &str, body: &str) -> Heredoc {
        Heredoc {
            name: name.into(),
            body: body.into(),
            expand: true,
            line: 3,
        }
    }

    #[test]
    fn markers_are_read_only_where_docker_reads_them() {
        assert_eq!(markers("RUN <<EOF"), [("EOF".into(), false, true)]);
        assert_eq!(
            markers("COPY <<-a <<'b' /dst/"),
            [("a".into(), true, true), ("b".into(), false, false)]
        );
        assert!(markers("ENV A=<<EOF").is_empty());
        assert!(markers("RUN echo '<<EOF'").is_empty());
        assert!(
            markers("RUN cat << EOF").is_empty(),
            "a lone << is the shell's"
        );
    }

    #[test]
    fn run_follows_buildkit() {
        let sh = ["/bin/sh".to_string(), "-c".to_string()];
        let (argv, file) = run_argv("<<EOF", &[doc("EOF", "echo a\necho b\n")], &sh);
        assert_eq!(argv, ["/bin/sh", "-c", "echo a\necho b\n"]);
        assert!(file.is_none());
        let (argv, file) = run_argv("<<X", &[doc("X", "#!/bin/busybox sh\necho a\n")], &sh);
        assert_eq!(argv, ["/.capstone-heredoc/X"]);
        assert_eq!(file.unwrap().1, "#!/bin/busybox sh\necho a\n");
        let (argv, _) = run_argv("cat <<EOF > /f", &[doc("EOF", "hi\n")], &sh);
        assert_eq!(argv, ["/bin/sh", "-c", "cat <<EOF > /f\nhi\nEOF"]);
    }

    #[test]
    fn copy_documents_expand_unless_quoted_and_errors_name_the_inner_line() {
        let lookup = |n: &str| (n == "V").then(|| "1".to_string());
        let d = doc("EOF", "a=$V \"$V\"\nb=${V}\n");
        assert_eq!(content(&d, &lookup, '\\').unwrap(), "a=1 \"1\"\nb=1\n");
        let quoted = Heredoc {
            expand: false,
            ..d.clone()
        };
        assert_eq!(content(&quoted, &lookup, '\\').unwrap(), d.body);
        let bad = doc("EOF", "fine\n${V\n");
        assert_eq!(content(&bad, &lookup, '\\').unwrap_err().0, 4);
    }
}

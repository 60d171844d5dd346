//! Docker's `--format`: a Go `text/template` (the [`gotmpl`] crate implements Go's language)
//! run once per listed object, over the same fields Docker offers (`{{.Names}}`,
//! `{{.State.Health.Status}}`…), with Docker's extra functions (`json`, `join`, `upper`,
//! `lower`, `title`, `split`, `truncate`, `pad`; Go's own `len`, `index`, `println`… come with
//! the crate). As in Docker's CLI (`cli/command/formatter`): `\t` and `\n` typed literally
//! become a tab and a newline, a leading `table` adds a header row and aligns the columns
//! (`table::align`), and `json` alone means `{{json .}}`. Widths and padding are
//! capped ([`super::format_limits`]).

use super::{format_limits, table};
use crate::{Error, Result};
use gotmpl::{MissingKey, Template, TemplateError, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A parsed `--format`.
pub struct Format {
    /// The verb, shown in errors (`template "ps": …`).
    verb: &'static str,
    /// The template as typed, for errors.
    text: String,
    template: Template,
    table: bool,
}

impl Format {
    /// Parses `text` for `verb`. `None` when Docker would print its default table (no
    /// format, or `table` alone). Lists (ps, images…) fail on an unknown field as Docker's
    /// typed contexts do; `inspect` prints `<no value>` for a missing key, as Go does for the
    /// JSON maps it inspects.
    pub fn parse(verb: &'static str, text: Option<&str>, strict: bool) -> Result<Option<Format>> {
        let Some(text) = text else { return Ok(None) };
        let trimmed = text.trim();
        let (table, body) = match trimmed.strip_prefix("table") {
            Some("") => return Ok(None),
            Some(rest) if rest.starts_with(char::is_whitespace) => (true, rest.trim()),
            _ if trimmed == "json" => (false, "{{json .}}"),
            _ => (false, trimmed),
        };
        let body = body.replace("\\t", "\t").replace("\\n", "\n");
        let missing = if strict {
            MissingKey::Error
        } else {
            MissingKey::Invalid
        };
        let template = with_docker_functions(Template::new(verb))
            .missing_key(missing)
            .max_range_iters(format_limits::LIMIT)
            .parse(&body)
            .map_err(|e| template_error(verb, text, &e))?;
        Ok(Some(Format {
            verb,
            text: text.to_string(),
            template,
            table,
        }))
    }

    /// Runs the template over each row (a JSON document of Docker's field names), one line
    /// each; with `table`, first a header row made by running the template over `headers`
    /// (field → column title; fields without one get their name in capitals).
    pub fn render(&self, rows: &[serde_json::Value], headers: &[(&str, &str)]) -> Result<String> {
        let mut out = String::new();
        if self.table {
            let mut titles: BTreeMap<String, serde_json::Value> = BTreeMap::new();
            if let Some(serde_json::Value::Object(first)) = rows.first() {
                for key in first.keys() {
                    titles.insert(key.clone(), key.to_uppercase().into());
                }
            }
            for (field, title) in headers {
                titles.insert(field.to_string(), (*title).into());
            }
            out += &self.execute(&serde_json::to_value(titles).expect("json"))?;
            out.push('\n');
        }
        for row in rows {
            out += &self.execute(row)?;
            out.push('\n');
        }
        Ok(if self.table { table::align(&out) } else { out })
    }

    fn execute(&self, data: &serde_json::Value) -> Result<String> {
        let data = gotmpl::to_value(data).map_err(|e| template_error(self.verb, &self.text, &e))?;
        self.template
            .execute_to_string(&data)
            .map_err(|e| template_error(self.verb, &self.text, &e))
    }
}

fn template_error(verb: &'static str, text: &str, e: &TemplateError) -> Error {
    let why = match e {
        TemplateError::Parse { .. } | TemplateError::Lex { .. } => {
            format!("{e} (see https://docs.docker.com/go/formatting/)")
        }
        // Go names the action that failed and where it is; the crate names only the key or
        // function, so we point at its first use in the template.
        TemplateError::MissingKey { key } => {
            let at = format!(".{key}");
            format!(
                "template: {verb}:{}: executing at <{at}>: no field {key} here (see https://docs.docker.com/go/formatting/ for this command's fields)",
                position(text, &at)
            )
        }
        TemplateError::UndefinedFunction(name) => {
            format!(
                "template: {verb}:{}: function {name:?} not defined",
                position(text, name)
            )
        }
        _ => format!("template: {verb}: executing: {e}"),
    };
    Error::invalid("--format", text, why)
}

/// `line:column` (1-based) of the first `needle` in `text`, as Go's template errors show.
fn position(text: &str, needle: &str) -> String {
    let Some(offset) = text.find(needle) else {
        return "1".into();
    };
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("{line}:{column}")
}

/// Docker's template functions (`cli/templates/templates.go`) on top of Go's built-ins.
fn with_docker_functions(template: Template) -> Template {
    template
        .func("printf", format_limits::printf)
        .func("json", |args| {
            let [v] = one("json", args)?;
            Ok(Value::from(
                serde_json::to_string(&to_json(v)).expect("json"),
            ))
        })
        .func("upper", |args| {
            let [v] = one("upper", args)?;
            Ok(Value::from(v.to_string().to_uppercase()))
        })
        .func("lower", |args| {
            let [v] = one("lower", args)?;
            Ok(Value::from(v.to_string().to_lowercase()))
        })
        .func("title", |args| {
            let [v] = one("title", args)?;
            Ok(Value::from(title(&v.to_string())))
        })
        .func("split", |args| {
            let [s, sep] = two("split", args)?;
            let parts: Vec<Value> = s
                .to_string()
                .split(sep.to_string().as_str())
                .map(Value::from)
                .collect();
            Ok(Value::List(Arc::from(parts)))
        })
        .func("join", |args| {
            let [list, sep] = two("join", args)?;
            let Value::List(items) = list else {
                return Err(TemplateError::Exec(format!("join: {list} is not a list")));
            };
            let items: Vec<String> = items.iter().map(Value::to_string).collect();
            Ok(Value::from(items.join(&sep.to_string())))
        })
        .func("truncate", |args| {
            let [s, n] = two("truncate", args)?;
            let n = usize::try_from(as_int(n)?).unwrap_or(0);
            Ok(Value::from(
                s.to_string().chars().take(n).collect::<String>(),
            ))
        })
        .func("pad", |args| {
            let [s, before, after] = args else {
                return Err(arg_count("pad", 3, args.len()));
            };
            let spaces = |v: &Value| {
                let n = u64::try_from(as_int(v)?).unwrap_or(0);
                format_limits::too_large("pad", n)?;
                Ok::<_, TemplateError>(" ".repeat(n as usize))
            };
            Ok(Value::from(format!(
                "{}{s}{}",
                spaces(before)?,
                spaces(after)?
            )))
        })
}

fn one<'a>(name: &str, args: &'a [Value]) -> gotmpl::Result<[&'a Value; 1]> {
    match args {
        [a] => Ok([a]),
        _ => Err(arg_count(name, 1, args.len())),
    }
}

fn two<'a>(name: &str, args: &'a [Value]) -> gotmpl::Result<[&'a Value; 2]> {
    match args {
        [a, b] => Ok([a, b]),
        _ => Err(arg_count(name, 2, args.len())),
    }
}

fn arg_count(name: &str, expected: usize, got: usize) -> TemplateError {
    TemplateError::ArgCount {
        name: name.into(),
        expected,
        got,
    }
}

fn as_int(v: &Value) -> gotmpl::Result<i64> {
    match v {
        Value::Int(n) => Ok(*n),
        Value::Uint(n) => Ok(i64::try_from(*n).unwrap_or(i64::MAX)),
        _ => Err(TemplateError::TypeMismatch {
            expected: "int",
            got: "other",
        }),
    }
}

/// Go's `strings.Title`: a capital at the start of every word.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if at_start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        at_start = !c.is_alphanumeric();
    }
    out
}

/// A template value back to JSON, for `{{json .X}}` (maps come out with sorted keys, as Go's
/// `json.Marshal` writes maps).
fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Nil | Value::Function(_) => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(n) => (*n).into(),
        Value::Uint(n) => (*n).into(),
        Value::Float(f) => (*f).into(),
        Value::List(items) => items.iter().map(to_json).collect(),
        Value::Map(map) => map
            .iter()
            .map(|(k, v)| (k.to_string(), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        other => other.to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(text: &str, rows: &[serde_json::Value]) -> String {
        Format::parse("ps", Some(text), true)
            .unwrap()
            .unwrap()
            .render(rows, &[("ID", "CONTAINER ID"), ("Names", "NAMES")])
            .unwrap()
    }

    #[test]
    fn fields_and_docker_functions() {
        let row =
            [json!({"ID": "abc", "Names": "web", "Labels": "a=1,b=2", "Ports": ["80", "443"]})];
        assert_eq!(run("{{.Names}}", &row), "web\n");
        assert_eq!(run("{{upper .Names}} {{.ID | title}}", &row), "WEB Abc\n");
        assert_eq!(
            run("{{join (split .Labels \",\") \"|\"}}", &row),
            "a=1|b=2\n"
        );
        assert_eq!(run("{{len .Ports}} {{index .Ports 1}}", &row), "2 443\n");
        assert_eq!(run("{{json .Ports}}", &row), "[\"80\",\"443\"]\n");
        assert_eq!(
            run("{{truncate .ID 2}}|{{pad .ID 1 1}}|", &row),
            "ab| abc |\n"
        );
    }

    #[test]
    fn table_prints_docker_headers_and_aligns() {
        let rows = [
            json!({"ID": "abc", "Names": "web"}),
            json!({"ID": "d", "Names": "db"}),
        ];
        assert_eq!(
            run("table {{.ID}}\\t{{.Names}}", &rows),
            "CONTAINER ID   NAMES\nabc            web\nd              db\n"
        );
        assert!(Format::parse("ps", Some("table"), true).unwrap().is_none());
    }

    #[test]
    fn pad_and_printf_refuse_sizes_above_the_limit() {
        for (text, number) in [
            ("{{pad .ID 0 99999999999}}", "99999999999"),
            ("{{printf \"%.70000e\" 5.0}}", "70000"),
        ] {
            let format = Format::parse("ps", Some(text), true).unwrap().unwrap();
            let e = format.render(&[json!({"ID": "a"})], &[]).unwrap_err();
            assert!(
                e.to_string().contains(&format!("{number} is too large")),
                "{e}"
            );
        }
    }

    #[test]
    fn nested_ranges_stop_at_the_limit() {
        let row = json!({"Ports": (0..200).collect::<Vec<u32>>()});
        let format = Format::parse(
            "ps",
            Some("{{range .Ports}}{{range $.Ports}}.{{end}}{{end}}"),
            true,
        )
        .unwrap()
        .unwrap();
        let e = format.render(&[row], &[]).unwrap_err(); // 40 000 iterations
        assert!(e.to_string().contains("range"), "{e}");
        let row = json!({"Ports": (0..50).collect::<Vec<u32>>()});
        assert_eq!(format.render(&[row], &[]).unwrap().len(), 2500 + 1);
    }

    #[test]
    fn errors_name_the_template_and_position() {
        let Err(e) = Format::parse("ps", Some("{{.Names"), true) else {
            panic!("parsed")
        };
        let text = e.to_string();
        assert!(text.contains("template: ps:1:"), "{text}");
        let format = Format::parse("ps", Some("{{.Nope}}"), true)
            .unwrap()
            .unwrap();
        let e = format.render(&[json!({"ID": "a"})], &[]).unwrap_err();
        assert!(
            e.to_string()
                .contains("template: ps:1:3: executing at <.Nope>"),
            "{e}"
        );
    }
}

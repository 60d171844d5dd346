//! Size limits on what a `--format` template may ask for. A template is input the user (or
//! a script) typed, and two functions could be made to exhaust or crash the process with it:
//!
//! - Go's `printf` (gotmpl's built-in) with a huge width or precision: gotmpl caps both at
//!   65 535, but `%e` then asks Rust's float formatter for one digit more than it can count,
//!   and it panics (found by the `format` fuzz target: `{{printf "%.70000e" 5.0}}`). Go itself
//!   gives up above 1 000 000 (`%!(NOVERB)`).
//! - Docker's `pad` (`strings.Repeat(" ", n)`), which with a count of billions would try to
//!   allocate that many spaces.
//!
//! Both are refused above [`LIMIT`], with an error that says so, before any work is done.
//! So are more than [`LIMIT`] `{{range}}` iterations in one execution (gotmpl allows ten
//! million): ranges nested over the same row multiply (the fuzzer's `{{range .}}{{range .}}…`
//! ran for minutes).

use gotmpl::{Template, TemplateError, Value};
use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// The largest width, precision or padding a template may ask for, and the most `{{range}}`
/// iterations one execution may make.
pub const LIMIT: u64 = 10_000;

/// Go's `printf`, as gotmpl's built-in formats it, once `check_printf` has passed.
pub fn printf(args: &[Value]) -> gotmpl::Result<Value> {
    let Some((format, rest)) = args.split_first() else {
        return Err(TemplateError::ArgCount {
            name: "printf".into(),
            expected: 1,
            got: 0,
        });
    };
    if let Value::String(format) = format {
        check_printf(format, rest)?;
    }
    // The built-in does the formatting: call it from a template of our own, one argument
    // each (`(index .a 0) (index .a 1) …`), with the format and the arguments as its data.
    let data = BTreeMap::from([
        (Arc::from("f"), format.clone()),
        (Arc::from("a"), Value::List(Arc::from(rest))),
    ]);
    let data = Value::Map(Arc::new(data));
    INNER.with(|inner| {
        let mut inner = inner.borrow_mut();
        let template = match inner.entry(rest.len()) {
            Entry::Occupied(parsed) => parsed.into_mut(),
            Entry::Vacant(slot) => {
                let call: String = (0..rest.len())
                    .map(|i| format!(" (index .a {i})"))
                    .collect();
                slot.insert(Template::new("printf").parse(&format!("{{{{printf .f{call}}}}}"))?)
            }
        };
        Ok(Value::from(template.execute_to_string(&data)?))
    })
}

thread_local! {
    /// [`printf`]'s inner templates, parsed once for each number of arguments. Parsed anew at
    /// every call, a `{{range}}` of printf calls spent most of its time in the parser (the
    /// `format` fuzz target's timeout, kept in `capstone/fuzz/regressions/format/`).
    static INNER: RefCell<HashMap<usize, Template>> = RefCell::new(HashMap::new());
}

/// Refuses a `printf` format whose width or precision — written in it (`%.70000e`) or taken
/// from an argument (`%*d`) — is above [`LIMIT`].
fn check_printf(format: &str, args: &[Value]) -> gotmpl::Result<()> {
    let mut chars = format.chars().peekable();
    let mut star = false;
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        // Flags, argument indexes, width and precision, up to the verb (fmt's `%[1]*.2f`).
        while let Some(&c) = chars.peek() {
            if c.is_ascii_digit() {
                let mut n: u64 = 0;
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                    n = n.saturating_mul(10).saturating_add(u64::from(d));
                    chars.next();
                }
                too_large("printf", n)?;
            } else if "+-# .[]*".contains(c) {
                star |= c == '*';
                chars.next();
            } else {
                chars.next(); // the verb
                break;
            }
        }
    }
    // A `*` takes its number from the arguments; which one depends on indexes, so check all.
    if star {
        for arg in args {
            match arg {
                Value::Int(n) => too_large("printf", n.unsigned_abs())?,
                Value::Uint(n) => too_large("printf", *n)?,
                _ => {}
            }
        }
    }
    Ok(())
}

/// An error if `n` is above [`LIMIT`].
pub fn too_large(function: &str, n: u64) -> gotmpl::Result<()> {
    if n > LIMIT {
        return Err(TemplateError::Exec(format!(
            "{function}: {n} is too large: widths, precisions and padding go up to {LIMIT}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> gotmpl::Result<String> {
        Template::new("t")
            .func("printf", printf)
            .parse(text)?
            .execute_to_string(&Value::Nil)
    }

    #[test]
    fn printf_formats_as_the_built_in_does() {
        assert_eq!(
            run(r#"{{printf "%05.1f|%-4s|%x" 3.14159 "ab" 255}}"#).unwrap(),
            "003.1|ab  |ff"
        );
        assert_eq!(run(r#"{{printf "%*d|%%" 4 7}}"#).unwrap(), "   7|%");
        assert_eq!(run(r#"{{printf "plain"}}"#).unwrap(), "plain");
    }

    #[test]
    fn printf_refuses_a_width_or_precision_above_the_limit() {
        // Without the check, this one panics inside the float formatter.
        let e = run(r#"{{printf "%.70000e" 5.0}}"#).unwrap_err();
        assert!(e.to_string().contains("70000 is too large"), "{e}");
        let e = run(r#"{{printf "%99999999999999999999d" 5}}"#).unwrap_err();
        assert!(e.to_string().contains("is too large"), "{e}");
        let e = run(r#"{{printf "%.*e" 65535 5.0}}"#).unwrap_err();
        assert!(e.to_string().contains("65535 is too large"), "{e}");
        assert!(run(r#"{{printf "%.10000e" 5.0}}"#).is_ok());
    }

    #[test]
    fn printf_parses_its_inner_template_once_for_each_number_of_arguments() {
        // (Each test runs on a thread of its own, so the cache starts empty.)
        let calls = r#"{{printf "%d" 1}}{{printf "%d-%d" 1 2}}{{printf "%x" 255}}"#;
        assert_eq!(run(calls).unwrap(), "11-2ff");
        let more = r#"{{printf "%d-%d" 3 4}}{{printf "x"}}{{printf "y"}}"#;
        assert_eq!(run(more).unwrap(), "3-4xy");
        let arities: Vec<usize> = INNER.with(|inner| {
            let mut keys: Vec<usize> = inner.borrow().keys().copied().collect();
            keys.sort();
            keys
        });
        // Six calls of three arities: three templates parsed, not six.
        assert_eq!(arities, [0, 1, 2]);
    }
}

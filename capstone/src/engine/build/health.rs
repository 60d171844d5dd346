//! `HEALTHCHECK [--interval=…] CMD …` / `HEALTHCHECK NONE`: parsed into the form the image
//! config stores (`Healthcheck.Test`, durations in nanoseconds). The builder only records it;
//! whoever runs the image runs the check.

use super::dockerfile::{Command, Healthcheck, command};
use super::words::split_words;
use crate::{Error, Result};

/// Parses the arguments of `HEALTHCHECK`.
pub fn parse(line: usize, rest: &str, escape: char) -> Result<Healthcheck> {
    let mut check = Healthcheck::default();
    let mut text = rest.trim();
    while text.starts_with("--") {
        let end = text.find(char::is_whitespace).unwrap_or(text.len());
        let flag = &split_words(&text[..end], escape)[0];
        let (name, value) = flag[2..].split_once('=').unwrap_or((&flag[2..], ""));
        match name {
            "interval" | "timeout" | "start-period" | "start-interval" => {
                let nanos = duration(value).ok_or_else(|| {
                    Error::dockerfile(
                        line,
                        format!(
                            "HEALTHCHECK --{name}={value}: not a duration like 30s, 1m30s or 500ms"
                        ),
                    )
                })?;
                let key = match name {
                    "interval" => "Interval",
                    "timeout" => "Timeout",
                    "start-period" => "StartPeriod",
                    _ => "StartInterval",
                };
                check.durations.push((key.into(), nanos));
            }
            "retries" => {
                check.retries = Some(value.parse().map_err(|_| {
                    Error::dockerfile(line, format!("HEALTHCHECK --retries={value}: not a number"))
                })?)
            }
            _ => {
                return Err(Error::dockerfile(
                    line,
                    format!(
                        "unknown flag: --{name} (HEALTHCHECK accepts --interval, --timeout, --start-period, --start-interval, --retries)"
                    ),
                ));
            }
        }
        text = text[end..].trim_start();
    }
    let (kind, cmd) = text
        .split_once(char::is_whitespace)
        .map_or((text, ""), |(k, c)| (k, c.trim()));
    check.test = match (kind.to_ascii_uppercase().as_str(), command(cmd)) {
        ("NONE", _) if cmd.is_empty() => vec!["NONE".into()],
        ("CMD", Command::Shell(s)) if !s.is_empty() => vec!["CMD-SHELL".into(), s],
        ("CMD", Command::Exec(args)) if !args.is_empty() => {
            std::iter::once("CMD".to_string()).chain(args).collect()
        }
        _ => {
            return Err(Error::dockerfile(
                line,
                "HEALTHCHECK needs `CMD command` or `NONE`: `HEALTHCHECK --interval=30s CMD wget -q localhost`",
            ));
        }
    };
    Ok(check)
}

/// A Go-style duration (`1h2m3s`, `500ms`, `1.5s`) in nanoseconds, as Docker keeps a
/// healthcheck's durations ([`crate::model::clock::parse_go_duration`]).
pub(crate) fn duration(text: &str) -> Option<u64> {
    let duration = crate::model::clock::parse_go_duration(text)?;
    u64::try_from(duration.as_nanos()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_form_becomes_cmd_shell_with_durations_in_nanoseconds() {
        let h = parse(
            3,
            "--interval=1m30s --retries=4 CMD wget -q localhost",
            '\\',
        )
        .unwrap();
        assert_eq!(h.test, ["CMD-SHELL", "wget -q localhost"]);
        assert_eq!(h.durations, [("Interval".to_string(), 90_000_000_000)]);
        assert_eq!(h.retries, Some(4));
    }

    #[test]
    fn exec_form_and_none() {
        let h = parse(1, r#"CMD ["true", "x"]"#, '\\').unwrap();
        assert_eq!(h.test, ["CMD", "true", "x"]);
        assert_eq!(parse(1, "NONE", '\\').unwrap().test, ["NONE"]);
    }

    #[test]
    fn bad_healthchecks_name_the_line() {
        let e = parse(7, "--interval=soon CMD true", '\\').unwrap_err();
        assert!(
            e.to_string()
                .starts_with("dockerfile line 7: HEALTHCHECK --interval=soon")
        );
        assert!(parse(7, "wget", '\\').is_err());
    }
}

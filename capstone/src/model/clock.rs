//! Time as Docker shows it: RFC 3339 timestamps with nanoseconds in records and logs
//! (`2026-11-23T11:18:33.123456789Z`, from clock_gettime(2) via [`SystemTime`]), and the human
//! durations of `docker ps` (`Up 3 seconds`, `Exited (0) 5 minutes ago`).
//!
//! Converting days to a calendar date is a dozen lines of arithmetic (the proleptic Gregorian
//! calendar, as in Howard Hinnant's `civil_from_days`), so no date crate is needed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Docker's "never" (Go's zero `time.Time`), used for `StartedAt`/`FinishedAt` not yet set.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// The current time as an RFC 3339 UTC timestamp with nanoseconds.
pub fn now() -> String {
    format(SystemTime::now())
}

/// Formats `t` as `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (UTC).
pub fn format(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since.subsec_nanos()
    )
}

/// Parses what [`format()`] writes (fraction optional); `None` for anything else, including
/// [`ZERO_TIME`].
pub fn parse(s: &str) -> Option<SystemTime> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut ymd = date.split('-').map(|p| p.parse::<i64>());
    let (y, m, d) = (ymd.next()?.ok()?, ymd.next()?.ok()?, ymd.next()?.ok()?);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut hms = hms.split(':').map(|p| p.parse::<i64>());
    let (hh, mm, ss) = (hms.next()?.ok()?, hms.next()?.ok()?, hms.next()?.ok()?);
    let nanos: u32 = format!("{frac:0<9}").get(..9)?.parse().ok()?;
    let secs = days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss;
    let secs = u64::try_from(secs).ok().filter(|s| *s > 0)?;
    Some(UNIX_EPOCH + Duration::new(secs, nanos))
}

/// A Go duration (`time.ParseDuration`): numbers, each with a unit (`ns`, `us`/`µs`, `ms`, `s`,
/// `m`, `h`), as in `1m30s`, `500ms`, `1.5h`, or a bare `0`. Compose files, a Dockerfile's
/// `HEALTHCHECK --interval` and `docker logs --since 10m` write durations this way. `None` for
/// anything else, and for a duration longer than Go can hold (an `int64` of nanoseconds, about
/// 292 years), where Go says "invalid duration".
pub fn parse_go_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit_seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        let part = Duration::try_from_secs_f64(number * unit_seconds).ok()?;
        total = total.checked_add(part)?;
        rest = &rest[unit_len..];
    }
    let go_max = Duration::from_nanos(i64::MAX as u64);
    (!text.is_empty() && total <= go_max).then_some(total)
}

/// `seconds` since 1970 as a time: Docker's `--since 1733420000.5` and the Engine API's
/// `since=`/`until=`. Before 1970 counts as 1970; `None` for a time no [`SystemTime`] holds
/// (`1e300`, `inf`).
pub fn from_unix_seconds(seconds: f64) -> Option<SystemTime> {
    let since_epoch = Duration::try_from_secs_f64(seconds.max(0.0)).ok()?;
    UNIX_EPOCH.checked_add(since_epoch)
}

/// How long ago `timestamp` was, if it parses.
pub fn since(timestamp: &str) -> Option<Duration> {
    SystemTime::now().duration_since(parse(timestamp)?).ok()
}

/// Docker's human duration (go-units `HumanDuration`): `Less than a second`, `3 seconds`,
/// `About a minute`, `5 minutes`, `About an hour`, `7 hours`, `3 days`, `2 weeks`, …
pub fn human(d: Duration) -> String {
    let seconds = d.as_secs();
    let minutes = seconds / 60;
    let hours = (d.as_secs_f64() / 3600.0 + 0.5) as u64;
    match () {
        _ if seconds < 1 => "Less than a second".into(),
        _ if seconds == 1 => "1 second".into(),
        _ if seconds < 60 => format!("{seconds} seconds"),
        _ if minutes == 1 => "About a minute".into(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", seconds / 3600 / 24 / 365),
    }
}

/// Year, month, day of the day `z` days after 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days from 1970-01-01 to year-month-day (the inverse of [`civil_from_days`]).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse_with_every_unit() {
        let ms = Duration::from_millis;
        assert_eq!(parse_go_duration("1m30s"), Some(ms(90_000)));
        assert_eq!(parse_go_duration("500ms"), Some(ms(500)));
        assert_eq!(parse_go_duration("1.5h"), Some(ms(5_400_000)));
        assert_eq!(parse_go_duration("2h45m0.5s"), Some(ms(9_900_500)));
        assert_eq!(parse_go_duration("250us"), Some(Duration::from_micros(250)));
        assert_eq!(parse_go_duration("7ns"), Some(Duration::from_nanos(7)));
        assert_eq!(parse_go_duration("0"), Some(Duration::ZERO));
        for bad in ["", "5", "s", "5 s", "1d", "-1s", "1m30", "..s"] {
            assert_eq!(parse_go_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_duration_too_long_for_go_is_refused_not_a_panic() {
        assert!(parse_go_duration("2562047h").is_some(), "292 years fit");
        assert_eq!(parse_go_duration("2562048h"), None);
        assert_eq!(
            parse_go_duration("0444444444444444444444444444444444444s"),
            None
        );
        assert_eq!(parse_go_duration(&format!("{}s", "9".repeat(400))), None);
        assert_eq!(parse_go_duration(&"9999999999h".repeat(3)), None);
    }

    #[test]
    fn unix_seconds_beyond_what_a_clock_holds_are_refused() {
        assert_eq!(
            from_unix_seconds(1.5),
            Some(UNIX_EPOCH + Duration::from_millis(1500))
        );
        assert_eq!(from_unix_seconds(-5.0), Some(UNIX_EPOCH));
        assert_eq!(from_unix_seconds(1e300), None);
        assert_eq!(from_unix_seconds(f64::INFINITY), None);
    }

    #[test]
    fn format_and_parse_round_trip() {
        let t = UNIX_EPOCH + Duration::new(1_795_000_000, 123_456_789);
        let s = format(t);
        assert_eq!(s, "2026-11-18T11:06:40.123456789Z");
        assert_eq!(parse(&s), Some(t));
        assert_eq!(parse(ZERO_TIME), None);
    }

    #[test]
    fn human_durations_read_like_docker() {
        assert_eq!(human(Duration::from_millis(300)), "Less than a second");
        assert_eq!(human(Duration::from_secs(3)), "3 seconds");
        assert_eq!(human(Duration::from_secs(61)), "About a minute");
        assert_eq!(human(Duration::from_secs(3600 * 3)), "3 hours");
        assert_eq!(human(Duration::from_secs(86_400 * 3)), "3 days");
    }
}

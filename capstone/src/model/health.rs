//! Health checks: the image's `HEALTHCHECK` or `run --health-*` (Docker's `Config.Healthcheck`)
//! and what the probes found (`State.Health`), with Docker's rules for turning probe results
//! into `starting`, `healthy` and `unhealthy` (moby's `daemon/health.go`). Pure; the monitor
//! runs the probes (`engine::health`).

use crate::model::clock;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How many results `State.Health.Log` keeps (moby: `maxLogEntries`).
pub const KEPT_RESULTS: usize = 5;
/// How much of a probe's output is kept (moby: `maxOutputLen`).
pub const KEPT_OUTPUT: usize = 4096;

/// Docker's `Config.Healthcheck`: durations in nanoseconds, 0 meaning Docker's default (and
/// left out of the JSON, as Docker's `omitempty` does).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthConfig {
    /// `["CMD-SHELL", "cmd"]`, `["CMD", arg…]`, or `["NONE"]` (checks off).
    #[serde(default)]
    pub test: Vec<String>,
    /// Between probes (default 30 s).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub interval: u64,
    /// A probe running longer fails (default 30 s).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeout: u64,
    /// Failures in this time after the start do not count (default 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_period: u64,
    /// Failures in a row that make it unhealthy (default 3).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u32,
}

impl HealthConfig {
    /// The probe's argv (`CMD-SHELL` runs `/bin/sh -c`), or `None` when checks are off.
    pub fn argv(&self) -> Option<Vec<String>> {
        match self.test.split_first()? {
            (kind, [cmd]) if kind == "CMD-SHELL" => {
                Some(vec!["/bin/sh".into(), "-c".into(), cmd.clone()])
            }
            (kind, args) if kind == "CMD" && !args.is_empty() => Some(args.to_vec()),
            _ => None,
        }
    }

    /// Fills what `self` leaves unset from `under` (the image's check under `run`'s flags,
    /// as Docker merges them).
    pub fn over(mut self, under: &HealthConfig) -> HealthConfig {
        if self.test.is_empty() {
            self.test = under.test.clone();
        }
        let pick = |mine: u64, theirs: u64| if mine == 0 { theirs } else { mine };
        self.interval = pick(self.interval, under.interval);
        self.timeout = pick(self.timeout, under.timeout);
        self.start_period = pick(self.start_period, under.start_period);
        if self.retries == 0 {
            self.retries = under.retries;
        }
        self
    }

    /// The interval, default 30 s.
    pub fn interval(&self) -> Duration {
        nanos_or(self.interval, 30)
    }

    /// The timeout, default 30 s.
    pub fn timeout(&self) -> Duration {
        nanos_or(self.timeout, 30)
    }

    /// The start period, default none.
    pub fn start_period(&self) -> Duration {
        Duration::from_nanos(self.start_period)
    }

    /// The retries, default 3.
    pub fn retries(&self) -> u32 {
        if self.retries == 0 { 3 } else { self.retries }
    }
}

/// Docker's `omitempty` for numbers.
fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

fn nanos_or(nanos: u64, default_secs: u64) -> Duration {
    match nanos {
        0 => Duration::from_secs(default_secs),
        n => Duration::from_nanos(n),
    }
}

/// Docker's `State.Health`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Health {
    /// `starting`, `healthy` or `unhealthy`.
    pub status: String,
    /// Failed probes in a row.
    pub failing_streak: u32,
    /// The last [`KEPT_RESULTS`] probes.
    pub log: Vec<ProbeResult>,
}

/// One probe, as `State.Health.Log` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProbeResult {
    /// When it started (RFC 3339).
    pub start: String,
    /// When it ended.
    pub end: String,
    /// Its exit code; -1 when it timed out or could not run.
    pub exit_code: i32,
    /// Its output (stdout and stderr), at most [`KEPT_OUTPUT`] bytes.
    pub output: String,
}

impl Health {
    /// A container just started: `starting`, nothing probed yet.
    pub fn starting() -> Health {
        Health {
            status: "starting".into(),
            ..Health::default()
        }
    }

    /// Adds a result with Docker's rules: success makes it healthy and clears the streak; a
    /// failure counts (except during the start period while still starting) and `retries`
    /// in a row make it unhealthy. Returns whether the status changed.
    pub fn record(&mut self, mut result: ProbeResult, in_start_period: bool, retries: u32) -> bool {
        let before = self.status.clone();
        if result.exit_code == 0 {
            self.failing_streak = 0;
            self.status = "healthy".into();
        } else if !(in_start_period && self.status == "starting") {
            self.failing_streak += 1;
            if self.failing_streak >= retries {
                self.status = "unhealthy".into();
            }
        }
        if result.output.len() > KEPT_OUTPUT {
            let mut cut = KEPT_OUTPUT;
            while !result.output.is_char_boundary(cut) {
                cut -= 1;
            }
            result.output.truncate(cut);
        }
        self.log.push(result);
        let extra = self.log.len().saturating_sub(KEPT_RESULTS);
        self.log.drain(..extra);
        self.status != before
    }

    /// `ps`'s suffix: ` (healthy)`, ` (unhealthy)`, ` (health: starting)`.
    pub fn ps_suffix(&self) -> String {
        match self.status.as_str() {
            "starting" => " (health: starting)".into(),
            "" => String::new(),
            status => format!(" ({status})"),
        }
    }
}

impl ProbeResult {
    /// A result that ends now.
    pub fn ended_now(start: String, exit_code: i32, output: String) -> ProbeResult {
        ProbeResult {
            start,
            end: clock::now(),
            exit_code,
            output,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(code: i32) -> ProbeResult {
        ProbeResult::ended_now(clock::now(), code, "x".repeat(5000))
    }

    #[test]
    fn failures_in_a_row_make_it_unhealthy_and_a_success_heals() {
        let mut h = Health::starting();
        assert!(
            !h.record(result(1), true, 2),
            "the start period does not count"
        );
        assert_eq!(h.failing_streak, 0);
        assert!(!h.record(result(1), false, 2));
        assert!(h.record(result(1), false, 2));
        assert_eq!((h.status.as_str(), h.failing_streak), ("unhealthy", 2));
        assert!(h.record(result(0), false, 2));
        assert_eq!((h.status.as_str(), h.failing_streak), ("healthy", 0));
        for _ in 0..5 {
            h.record(result(0), false, 2);
        }
        assert_eq!(h.log.len(), KEPT_RESULTS);
        assert_eq!(h.log[0].output.len(), KEPT_OUTPUT);
    }

    #[test]
    fn flags_override_the_images_check_field_by_field() {
        let image = HealthConfig {
            test: vec!["CMD-SHELL".into(), "true".into()],
            interval: 5,
            retries: 7,
            ..HealthConfig::default()
        };
        let flags = HealthConfig {
            interval: 9,
            ..HealthConfig::default()
        };
        let merged = flags.over(&image);
        assert_eq!(merged.argv().unwrap(), ["/bin/sh", "-c", "true"]);
        assert_eq!((merged.interval, merged.retries), (9, 7));
        let off = HealthConfig {
            test: vec!["NONE".into()],
            ..HealthConfig::default()
        };
        assert_eq!(off.over(&image).argv(), None);
    }
}

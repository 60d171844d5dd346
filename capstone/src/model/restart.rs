//! Restart policies (`--restart no|always|on-failure[:N]|unless-stopped`) and Docker's growing
//! back-off between restarts, as moby's `restartmanager` decides them: the first restart waits
//! 100 ms, each next one twice as long (at most a minute), and a run that lasted 10 s or more
//! starts the series again. Pure decisions; the container's monitor acts on them
//! (`engine::restart`).

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The first wait before a restart (moby: `defaultTimeout`).
pub const FIRST_DELAY: Duration = Duration::from_millis(100);
/// The longest wait (moby: `maxRestartTimeout`).
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// A run at least this long resets the back-off to [`FIRST_DELAY`].
pub const RESET_AFTER: Duration = Duration::from_secs(10);

/// Docker's `HostConfig.RestartPolicy`: `{"Name": "on-failure", "MaximumRetryCount": 3}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestartPolicy {
    /// `no` (shown as Docker does, `"no"`), `always`, `on-failure` or `unless-stopped`.
    pub name: String,
    /// `on-failure:N`: at most N restarts (0: no limit).
    pub maximum_retry_count: u32,
}

impl RestartPolicy {
    /// Parses the `--restart` value as Docker's CLI does (`no`, `always`, `unless-stopped`,
    /// `on-failure`, `on-failure:N`); a count is allowed only with `on-failure`.
    pub fn parse(text: &str) -> Result<RestartPolicy> {
        let bad = |why: &str| Error::invalid("--restart", text, why.to_string());
        let (name, count) = match text.split_once(':') {
            Some((name, count)) => (name, Some(count)),
            None => (text, None),
        };
        match (name, count) {
            ("" | "no" | "always" | "unless-stopped", None) => Ok(RestartPolicy {
                name: if name.is_empty() { "no" } else { name }.into(),
                maximum_retry_count: 0,
            }),
            ("on-failure", count) => Ok(RestartPolicy {
                name: name.into(),
                maximum_retry_count: match count {
                    Some(n) => n
                        .parse()
                        .map_err(|_| bad("the retry count must be a whole number ≥ 0"))?,
                    None => 0,
                },
            }),
            ("no" | "always" | "unless-stopped", Some(_)) => Err(bad(
                "maximum retry count can only be used with 'on-failure'",
            )),
            _ => Err(bad(
                "use no, always, on-failure[:max-retries] or unless-stopped",
            )),
        }
    }

    /// Whether any restarting is asked for (Docker treats an empty name as `no`).
    pub fn restarts(&self) -> bool {
        !matches!(self.name.as_str(), "" | "no")
    }

    /// Whether a container that ended with `exit_code` after `restart_count` restarts is
    /// started again. A container stopped by the user (`stop`, `kill`) is not, whatever the
    /// policy (moby cancels its restart manager then).
    pub fn should_restart(
        &self,
        exit_code: i32,
        manually_stopped: bool,
        restart_count: u32,
    ) -> bool {
        if manually_stopped {
            return false;
        }
        match self.name.as_str() {
            "always" | "unless-stopped" => true,
            "on-failure" => {
                exit_code != 0
                    && (self.maximum_retry_count == 0 || restart_count < self.maximum_retry_count)
            }
            _ => false,
        }
    }

    /// Whether `start --all-restartable` (an init system after a reboot) starts a container
    /// that is not running, as dockerd does when it starts: `always` even if the user stopped
    /// it, `unless-stopped` only if not, `on-failure` if it failed with retries left.
    pub fn restarts_at_boot(&self, exit_code: i32, manually_stopped: bool, count: u32) -> bool {
        let stopped = manually_stopped && self.name != "always";
        self.should_restart(exit_code, stopped, count)
    }
}

/// The back-off between restarts of one container, kept by its monitor.
#[derive(Debug, Clone, Copy, Default)]
pub struct Backoff {
    last: Option<Duration>,
}

impl Backoff {
    /// How long to wait before the next restart, after a run that lasted `ran_for`.
    pub fn next(&mut self, ran_for: Duration) -> Duration {
        let delay = match self.last {
            Some(last) if ran_for < RESET_AFTER => (last * 2).min(MAX_DELAY),
            _ => FIRST_DELAY,
        };
        self.last = Some(delay);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dockers_policies() {
        let p = RestartPolicy::parse("on-failure:3").unwrap();
        assert_eq!((p.name.as_str(), p.maximum_retry_count), ("on-failure", 3));
        assert_eq!(RestartPolicy::parse("always").unwrap().name, "always");
        assert_eq!(RestartPolicy::parse("").unwrap().name, "no");
        let err = RestartPolicy::parse("always:2").unwrap_err().to_string();
        assert!(err.contains("only be used with 'on-failure'"), "{err}");
        assert!(RestartPolicy::parse("sometimes").is_err());
        assert!(RestartPolicy::parse("on-failure:x").is_err());
    }

    #[test]
    fn on_failure_counts_and_stop_ends_every_policy() {
        let p = RestartPolicy::parse("on-failure:2").unwrap();
        assert!(p.should_restart(1, false, 1));
        assert!(!p.should_restart(1, false, 2));
        assert!(!p.should_restart(0, false, 0));
        let always = RestartPolicy::parse("always").unwrap();
        assert!(always.should_restart(0, false, 100));
        assert!(!always.should_restart(0, true, 0));
        assert!(always.restarts_at_boot(0, true, 0));
        let unless = RestartPolicy::parse("unless-stopped").unwrap();
        assert!(!unless.restarts_at_boot(0, true, 0));
        assert!(unless.restarts_at_boot(255, false, 0));
    }

    #[test]
    fn backoff_doubles_up_to_a_minute_and_resets_after_a_long_run() {
        let mut b = Backoff::default();
        let short = Duration::from_millis(5);
        let delays: Vec<u128> = (0..4).map(|_| b.next(short).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800]);
        for _ in 0..20 {
            b.next(short);
        }
        assert_eq!(b.next(short), MAX_DELAY);
        assert_eq!(b.next(RESET_AFTER), FIRST_DELAY);
    }
}

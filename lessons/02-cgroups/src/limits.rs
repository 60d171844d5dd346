//! Limits written the way Docker's command line writes them: `--memory 64m`, `--cpus 0.5`,
//! `--pids-limit 100`, `--cpu-shares 512`, turned into the numbers the kernel files take.

use crate::error::{Error, Result};

/// Docker refuses memory limits below 6 MiB: a container's runtime and shell alone need
/// about that much, so anything smaller is a typo (`64` meaning `64m`), not a limit.
pub const MIN_MEMORY_BYTES: u64 = 6 * 1024 * 1024;

/// The CFS period the kernel uses by default, and Docker with `--cpus`: 100 ms.
pub const DEFAULT_CPU_PERIOD_US: u64 = 100_000;

/// The smallest CFS quota the kernel accepts: 1 ms (`cpu.cfs_quota_us`, `cpu.max`).
pub const MIN_CPU_QUOTA_US: u64 = 1_000;

/// How much CPU time a cgroup may use per period: CFS bandwidth control
/// (the kernel's sched-bwc.rst; v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`, v2 `cpu.max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuQuota {
    /// Microseconds of CPU time allowed in each period (over all CPUs together).
    pub quota_us: u64,
    /// Length of a period in microseconds.
    pub period_us: u64,
}

impl CpuQuota {
    /// The quota as a number of CPUs (`quota / period`), as `docker run --cpus` shows it.
    pub fn cpus(&self) -> f64 {
        self.quota_us as f64 / self.period_us as f64
    }
}

/// Every limit this lesson can set; `None` leaves the kernel's default (no limit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// Memory limit in bytes (v1 `memory.limit_in_bytes`, v2 `memory.max`).
    pub memory: Option<u64>,
    /// Memory plus swap in bytes, Docker's `--memory-swap`
    /// (v1 `memory.memsw.limit_in_bytes`, v2 `memory.swap.max` = this minus `memory`).
    pub memory_swap: Option<u64>,
    /// CPU bandwidth (`--cpus`).
    pub cpu_quota: Option<CpuQuota>,
    /// Relative CPU weight, Docker's `--cpu-shares` (2..=262144, default 1024;
    /// v1 `cpu.shares`, v2 `cpu.weight` after conversion).
    pub cpu_shares: Option<u64>,
    /// Maximum number of processes and threads (`pids.max`).
    pub pids: Option<u64>,
}

/// Parses a size like Docker's `--memory`: a number (decimals allowed) and an optional unit
/// `b`, `k`, `m`, `g`, `t` (also `kb`, `kib`, … ; powers of 1024, case ignored).
/// Sizes under 6 MiB are refused, as Docker does.
pub fn parse_memory(text: &str) -> Result<u64> {
    let bytes = parse_size(text, "memory limit")?;
    if bytes < MIN_MEMORY_BYTES {
        return Err(Error::InvalidLimit {
            what: "memory limit",
            value: text.into(),
            reason: format!(
                "{bytes} bytes is below the 6m minimum (did you forget the unit, as in 64m?)"
            ),
        });
    }
    Ok(bytes)
}

/// Parses a size in [`parse_memory`]'s units, with no minimum (Docker's `--shm-size`,
/// `--log-opt max-size`, a tmpfs's size); `what` names it in an error.
pub fn parse_size(text: &str, what: &'static str) -> Result<u64> {
    let invalid = |reason: String| Error::InvalidLimit {
        what,
        value: text.into(),
        reason,
    };
    let trimmed = text.trim().to_ascii_lowercase();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let multiplier: u64 = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        other => {
            return Err(invalid(format!(
                "unknown unit `{other}`: use b, k, m, g or t, like 64m"
            )));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| invalid("expected a number with an optional unit, like 64m or 1.5g".into()))?;
    let bytes = value * multiplier as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(invalid("too large".into()));
    }
    Ok(bytes as u64)
}

/// Parses Docker's `--cpus` (a decimal number of CPUs) into a quota over the default
/// 100 ms period: `0.5` → 50 ms of CPU time every 100 ms.
/// `host_cpus` is the upper bound, as Docker checks it (read it with `nproc`/sysconf(3)).
pub fn parse_cpus(text: &str, host_cpus: usize) -> Result<CpuQuota> {
    let invalid = |reason: String| Error::InvalidLimit {
        what: "--cpus",
        value: text.into(),
        reason,
    };
    let cpus: f64 = text
        .trim()
        .parse()
        .map_err(|_| invalid("expected a decimal number of CPUs, like 0.5 or 2".into()))?;
    if !cpus.is_finite() || cpus <= 0.0 {
        return Err(invalid("must be more than 0".into()));
    }
    if cpus > host_cpus as f64 {
        return Err(invalid(format!("this machine has only {host_cpus} CPUs")));
    }
    let quota_us = (cpus * DEFAULT_CPU_PERIOD_US as f64).round() as u64;
    if quota_us < MIN_CPU_QUOTA_US {
        return Err(invalid(format!(
            "gives a quota of {quota_us}µs per 100ms period, below the kernel's 1ms minimum (use at least 0.01)"
        )));
    }
    Ok(CpuQuota {
        quota_us,
        period_us: DEFAULT_CPU_PERIOD_US,
    })
}

/// Parses Docker's `--pids-limit`: a positive count, or `-1`/`max` for no limit (`None`).
pub fn parse_pids(text: &str) -> Result<Option<u64>> {
    let invalid = |reason: &str| Error::InvalidLimit {
        what: "pids limit",
        value: text.into(),
        reason: reason.into(),
    };
    match text.trim() {
        "-1" | "max" => Ok(None),
        number => match number.parse::<u64>() {
            Ok(0) => Err(invalid(
                "0 would forbid even the first process: use at least 1, or -1 for no limit",
            )),
            Ok(n) => Ok(Some(n)),
            Err(_) => Err(invalid(
                "expected a whole number of processes, or -1 for no limit",
            )),
        },
    }
}

/// Checks Docker's `--cpu-shares` range (2..=262144, what v1 `cpu.shares` accepts).
pub fn check_cpu_shares(shares: u64) -> Result<u64> {
    if (2..=262_144).contains(&shares) {
        Ok(shares)
    } else {
        Err(Error::InvalidLimit {
            what: "--cpu-shares",
            value: shares.to_string(),
            reason: "must be between 2 and 262144 (1024 is the default weight)".into(),
        })
    }
}

/// Converts v1 `cpu.shares` (2..262144) to v2 `cpu.weight` (1..10000) the way runc and crun
/// do, so the default 1024 shares map to weight 39 and the ranges' ends meet.
pub fn shares_to_weight(shares: u64) -> u64 {
    1 + ((shares.clamp(2, 262_144) - 2) * 9_999) / 262_142
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_parse_like_docker() {
        assert_eq!(parse_memory("64m").unwrap(), 64 << 20);
        assert_eq!(parse_memory("1g").unwrap(), 1 << 30);
        assert_eq!(parse_memory("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse_memory("8192k").unwrap(), 8 << 20);
        assert_eq!(parse_memory("104857600").unwrap(), 100 << 20);
        assert_eq!(parse_memory(" 10MiB ").unwrap(), 10 << 20);
    }

    #[test]
    fn memory_garbage_is_rejected_with_the_value() {
        for bad in ["", "m", "64x", "-1m", "lots", "1.2.3m", "64 megs"] {
            let err = parse_memory(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("`{bad}`")), "{err}");
        }
        let err = parse_memory("64").unwrap_err().to_string();
        assert!(err.contains("below the 6m minimum"), "{err}");
    }

    #[test]
    fn cpus_become_a_quota_over_100ms() {
        assert_eq!(
            parse_cpus("0.5", 2).unwrap(),
            CpuQuota {
                quota_us: 50_000,
                period_us: 100_000
            }
        );
        assert_eq!(parse_cpus("2", 2).unwrap().quota_us, 200_000);
        assert_eq!(parse_cpus("0.01", 1).unwrap().quota_us, 1_000);
        assert!((parse_cpus("0.2", 1).unwrap().cpus() - 0.2).abs() < 1e-9);
    }

    #[test]
    fn cpus_out_of_range_are_rejected() {
        assert!(
            parse_cpus("0.001", 2)
                .unwrap_err()
                .to_string()
                .contains("1ms minimum")
        );
        assert!(
            parse_cpus("0", 2)
                .unwrap_err()
                .to_string()
                .contains("more than 0")
        );
        assert!(
            parse_cpus("3", 2)
                .unwrap_err()
                .to_string()
                .contains("only 2 CPUs")
        );
        assert!(
            parse_cpus("half", 2)
                .unwrap_err()
                .to_string()
                .contains("`half`")
        );
    }

    #[test]
    fn pids_limits_parse() {
        assert_eq!(parse_pids("100").unwrap(), Some(100));
        assert_eq!(parse_pids("-1").unwrap(), None);
        assert!(parse_pids("0").is_err());
        assert!(parse_pids("ten").is_err());
    }

    #[test]
    fn shares_map_onto_weights_like_runc() {
        assert_eq!(shares_to_weight(2), 1);
        assert_eq!(shares_to_weight(262_144), 10_000);
        assert_eq!(shares_to_weight(1024), 39);
        assert!(check_cpu_shares(1).is_err());
    }
}

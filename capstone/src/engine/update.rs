//! `update`: new limits and a new restart policy for an existing container, running or not.
//! For a live container the limits are written into its cgroup's files at once (lesson 02,
//! cgroups(7): v1 `memory.limit_in_bytes`, `cpu.cfs_quota_us`, `pids.max`; v2 `memory.max`,
//! `cpu.max`, `pids.max`), then into its record, which the next start reads. A new restart
//! policy takes effect at the next exit: the monitor reads the record then.

use crate::engine::Engine;
use crate::mechanisms::cgroup;
use crate::model::restart::RestartPolicy;
use crate::{Error, Result, store};
use cgroups::{CpuQuota, Resources};

/// Docker's `update` flags (each `None` when not given).
#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    /// `--memory`, e.g. `128m`.
    pub memory: Option<String>,
    /// `--cpus`, e.g. `0.5`.
    pub cpus: Option<String>,
    /// `--pids-limit` (`-1`: unlimited).
    pub pids_limit: Option<String>,
    /// `--restart`.
    pub restart: Option<String>,
}

/// `--memory`, `--cpus` and `--pids-limit` in Docker's units, parsed with lesson 02's parsers:
/// bytes, CPUs × 10⁹, a count (0: no limit). `None` where the flag was not given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Bytes.
    pub memory: Option<u64>,
    /// Docker's `NanoCpus`.
    pub nano_cpus: Option<u64>,
    /// Processes; 0 for `-1` (unlimited).
    pub pids_limit: Option<u64>,
}

impl Limits {
    /// Parses the three flags as given (used by `create` and `update`).
    pub fn parse(memory: Option<&str>, cpus: Option<&str>, pids: Option<&str>) -> Result<Limits> {
        // (Only `--cpus` needs the host's CPU count, which costs reading cgroup files.)
        let host_cpus = || std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Limits {
            memory: memory.map(cgroups::limits::parse_memory).transpose()?,
            nano_cpus: cpus
                .map(|c| cgroups::limits::parse_cpus(c, host_cpus()))
                .transpose()?
                .map(|q| q.quota_us * 10_000),
            pids_limit: pids
                .map(cgroups::limits::parse_pids)
                .transpose()?
                .map(|p| p.unwrap_or(0)),
        })
    }

    /// The limits to write into a live cgroup. A limit cannot be lifted from a live container
    /// here (lesson 02 writes numbers only): that is refused, naming the flag.
    fn resources(&self) -> Result<Resources> {
        let lifted = |flag: &'static str, value: Option<u64>| match value {
            Some(0) => Err(Error::invalid(
                flag,
                "unlimited",
                "a running container's limit can be changed but not removed: stop it first",
            )),
            other => Ok(other),
        };
        Ok(Resources {
            memory: lifted("--memory", self.memory)?,
            cpu_quota: lifted("--cpus", self.nano_cpus)?.map(|n| CpuQuota {
                quota_us: n / 10_000,
                period_us: 100_000,
            }),
            pids: lifted("--pids-limit", self.pids_limit)?,
            ..Resources::default()
        })
    }
}

impl Engine {
    /// `update`: checks every flag first (bad input changes nothing), writes the limits into a
    /// live container's cgroup, then records limits and policy.
    pub fn update(&self, query: &str, opts: &UpdateOptions) -> Result<()> {
        let limits = Limits::parse(
            opts.memory.as_deref(),
            opts.cpus.as_deref(),
            opts.pids_limit.as_deref(),
        )?;
        let policy = opts
            .restart
            .as_deref()
            .map(RestartPolicy::parse)
            .transpose()?;
        let record = self.reconciled(query)?;
        if record.host_config.auto_remove && policy.as_ref().is_some_and(|p| p.restarts()) {
            return Err(Error::invalid(
                "--restart",
                opts.restart.clone().unwrap_or_default(),
                "the container was created with --rm: it cannot have a restart policy",
            ));
        }
        if record.is_active()
            && let Some(cg) = cgroup::open(&record)
        {
            cg.apply(&limits.resources()?)?;
        }
        store::containers::update(&self.paths, &record.id, |c| {
            let h = &mut c.host_config;
            h.memory = limits.memory.unwrap_or(h.memory);
            h.nano_cpus = limits.nano_cpus.unwrap_or(h.nano_cpus);
            h.pids_limit = limits.pids_limit.unwrap_or(h.pids_limit);
            if let Some(policy) = policy {
                h.restart_policy = policy;
            }
        })?;
        super::events::container(&self.paths, &record, "update", &[]);
        Ok(())
    }
}

//! The book's data: start-up timings from hyperfine's and criterion's own result files, memory
//! rows from the `memory` benchmark, and the machine they were measured on (with its load
//! average, since figures taken on a busy machine are slower). Markdown tables for the chapter
//! are made here too; charts are in [`crate::svg`].

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

use crate::procmem::Footprint;

/// The load average (1, 5 and 15 minutes) from `/proc/loadavg` (proc(5)).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Load {
    /// Runnable and uninterruptible tasks, averaged over 1 minute.
    pub one: f64,
    /// … over 5 minutes.
    pub five: f64,
    /// … over 15 minutes.
    pub fifteen: f64,
}

/// Parses the first three fields of `/proc/loadavg` (`0.52 0.61 0.70 1/345 12345`).
pub fn parse_loadavg(text: &str) -> Option<Load> {
    let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some(Load {
        one: fields.next()??,
        five: fields.next()??,
        fifteen: fields.next()??,
    })
}

/// The load average now.
pub fn load_now() -> Option<Load> {
    parse_loadavg(&std::fs::read_to_string("/proc/loadavg").ok()?)
}

/// Which side of the comparison a figure belongs to (and its colour in the charts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Built from this kit (the lessons' libraries, the capstone).
    Ours,
    /// Another container runtime or tool (runc, crun, podman, unshare).
    Peer,
    /// A virtual machine.
    Vm,
}

impl Kind {
    /// From the name of a raw result file: `hyperfine-ours.json` → `Ours`.
    pub fn from_file_stem(stem: &str) -> Option<Kind> {
        match stem.rsplit('-').next()? {
            "ours" => Some(Kind::Ours),
            "peers" => Some(Kind::Peer),
            "vm" => Some(Kind::Vm),
            _ => None,
        }
    }
}

/// One timed operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// What was timed, as the book names it.
    pub name: String,
    /// Ours, a peer's, or a VM.
    pub kind: Kind,
    /// Median, milliseconds.
    pub median_ms: f64,
    /// Low end of the spread, ms (hyperfine: fastest run; criterion: 95 % CI of the median).
    pub low_ms: f64,
    /// High end of the spread, ms (hyperfine: slowest run; criterion: 95 % CI of the median).
    pub high_ms: f64,
    /// How many times it ran.
    pub runs: u64,
    /// The tool that measured it.
    pub how: String,
    /// The load average before and after the measurement, when known.
    pub load: Option<(Load, Load)>,
}

/// Reads hyperfine's `--export-json` output: one [`Timing`] per command (its `--command-name`).
pub fn from_hyperfine(json: &Value, kind: Kind, load: Option<(Load, Load)>) -> Vec<Timing> {
    let results = json["results"].as_array().cloned().unwrap_or_default();
    results
        .iter()
        .filter_map(|r| {
            let ms = |key: &str| r[key].as_f64().map(|s| s * 1000.0);
            Some(Timing {
                name: r["command"].as_str()?.to_string(),
                kind,
                median_ms: ms("median")?,
                low_ms: ms("min")?,
                high_ms: ms("max")?,
                runs: r["times"].as_array().map_or(0, |t| t.len() as u64),
                how: "hyperfine".into(),
                load,
            })
        })
        .collect()
}

/// Reads one criterion benchmark's `new/` directory (`benchmark.json`, `estimates.json`,
/// `sample.json`): the median and its 95 % confidence interval, in ms.
pub fn from_criterion_dir(dir: &Path, kind: Kind) -> Option<Timing> {
    let read = |name: &str| -> Option<Value> {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).ok()?).ok()
    };
    let bench = read("benchmark.json")?;
    let estimates = read("estimates.json")?;
    let sample = read("sample.json");
    let median = &estimates["median"];
    let ms = |v: &Value| v.as_f64().map(|ns| ns / 1e6);
    Some(Timing {
        name: bench["full_id"].as_str()?.to_string(),
        kind,
        median_ms: ms(&median["point_estimate"])?,
        low_ms: ms(&median["confidence_interval"]["lower_bound"])?,
        high_ms: ms(&median["confidence_interval"]["upper_bound"])?,
        runs: sample
            .and_then(|s| {
                s["iters"]
                    .as_array()
                    .map(|i| i.iter().filter_map(Value::as_f64).sum::<f64>() as u64)
            })
            .unwrap_or(0),
        how: "criterion".into(),
        load: None,
    })
}

/// Every benchmark under a criterion output directory (`target/criterion`), sorted by name.
/// VM boots (ids starting `vm boot`) are [`Kind::Vm`], the rest [`Kind::Ours`].
pub fn from_criterion(root: &Path) -> Vec<Timing> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|n| n == "new") {
                if let Some(mut t) = from_criterion_dir(&path, Kind::Ours) {
                    if t.name.starts_with("vm boot") {
                        t.kind = Kind::Vm;
                    }
                    found.push(t);
                }
            } else if path
                .file_name()
                .is_none_or(|n| n != "report" && n != "base")
            {
                dirs.push(path);
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Memory of `instances` idle containers or VMs, all added up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryRow {
    /// What ran, as the book names it.
    pub what: String,
    /// Container or VM.
    pub kind: Kind,
    /// How many ran at once.
    pub instances: u32,
    /// The workload's own processes (the container's, or QEMU).
    pub workload: Footprint,
    /// The monitors that hold the containers (none for a VM: QEMU is its own).
    pub monitor: Footprint,
    /// How it was measured.
    pub how: String,
}

impl MemoryRow {
    /// Workload plus monitors.
    pub fn total(&self) -> Footprint {
        self.workload + self.monitor
    }
}

/// What the `memory` benchmark writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryReport {
    /// The rows, containers then VMs.
    pub rows: Vec<MemoryRow>,
    /// Why a part was not measured (no QEMU, no kernel…), in plain words.
    pub skipped: Vec<String>,
    /// Load average before and after.
    pub load: Option<(Load, Load)>,
}

/// The machine the figures were measured on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineInfo {
    /// When the report was made (UTC).
    pub date: String,
    /// `uname -r`.
    pub kernel: String,
    /// The CPU's model name.
    pub cpu: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// RAM, MiB.
    pub memory_mib: u64,
    /// `qemu-system-x86_64 --version`, first line.
    pub qemu: String,
    /// The VM accelerator used.
    pub accel: String,
}

/// Everything the chapter shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Where it was measured.
    pub machine: MachineInfo,
    /// Whole runs of a container or VM, compared (hyperfine).
    pub startup: Vec<Timing>,
    /// The pieces of a start and the VM boot (criterion).
    pub steps: Vec<Timing>,
    /// Idle memory and density.
    pub memory: Vec<MemoryRow>,
    /// What was not measured, and why.
    pub gaps: Vec<String>,
}

/// A duration for people: `850 µs`, `6.6 ms`, `4.31 s`.
pub fn human_ms(ms: f64) -> String {
    if ms < 1.0 {
        format!("{:.0} µs", ms * 1000.0)
    } else if ms < 10.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

fn load_cell(load: Option<(Load, Load)>) -> String {
    load.map_or("—".into(), |(a, b)| {
        format!("{:.2} → {:.2}", a.one, b.one)
    })
}

/// A markdown table of timings: name, median, spread, runs, tool, 1-minute load.
pub fn timings_table(timings: &[Timing]) -> String {
    let mut out = String::from(
        "| what | median | spread | runs | measured with | load (1 min) before → after |\n|---|---:|---|---:|---|---|\n",
    );
    for t in timings {
        let spread = if t.how == "criterion" {
            "95% CI"
        } else {
            "min–max"
        };
        out.push_str(&format!(
            "| {} | {} | {}–{} ({spread}) | {} | {} | {} |\n",
            t.name.replace('|', "\\|"),
            human_ms(t.median_ms),
            human_ms(t.low_ms),
            human_ms(t.high_ms),
            t.runs,
            t.how,
            load_cell(t.load),
        ));
    }
    out
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// A markdown table of memory rows: totals (RSS, PSS), PSS per instance, processes.
pub fn memory_table(rows: &[MemoryRow]) -> String {
    let mut out = String::from(
        "| what | instances | RSS total (MiB) | PSS total (MiB) | PSS per instance (MiB) | of which monitor (PSS MiB) | processes |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let total = r.total();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            r.what,
            r.instances,
            mib(total.rss_kib),
            mib(total.pss_kib),
            mib(total.pss_kib / u64::from(r.instances.max(1))),
            mib(r.monitor.pss_kib),
            total.processes,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loadavg_gives_three_averages() {
        let load = parse_loadavg("10.52 9.61 7.70 12/845 12345\n").unwrap();
        assert_eq!((load.one, load.five, load.fifteen), (10.52, 9.61, 7.70));
        assert_eq!(parse_loadavg("oops"), None);
    }

    #[test]
    fn hyperfine_results_become_timings_in_ms() {
        let json: Value = serde_json::from_str(
            r#"{"results":[{"command":"crun run","mean":0.0071,"median":0.0066,"min":0.0052,"max":0.0120,"times":[0.0052,0.0066,0.012]}]}"#,
        )
        .unwrap();
        let t = &from_hyperfine(&json, Kind::Peer, None)[0];
        assert_eq!(t.name, "crun run");
        assert!((t.median_ms - 6.6).abs() < 1e-9 && (t.high_ms - 12.0).abs() < 1e-9);
        assert_eq!((t.runs, t.kind), (3, Kind::Peer));
    }

    #[test]
    fn criterion_dirs_give_median_and_interval() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("vm boot/microvm (TCG)/new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(
            new.join("benchmark.json"),
            r#"{"full_id":"vm boot/microvm (TCG)"}"#,
        )
        .unwrap();
        std::fs::write(
            new.join("estimates.json"),
            r#"{"median":{"point_estimate":4.2e9,"confidence_interval":{"lower_bound":4.1e9,"upper_bound":4.3e9}}}"#,
        )
        .unwrap();
        std::fs::write(new.join("sample.json"), r#"{"iters":[1.0,1.0,1.0]}"#).unwrap();
        // criterion's own copy of the previous run must not count twice
        std::fs::create_dir_all(dir.path().join("vm boot/microvm (TCG)/base")).unwrap();
        let found = from_criterion(dir.path());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, Kind::Vm);
        assert_eq!((found[0].median_ms, found[0].runs), (4200.0, 3));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_ms(0.85), "850 µs");
        assert_eq!(human_ms(6.6), "6.60 ms");
        assert_eq!(human_ms(116.0), "116.0 ms");
        assert_eq!(human_ms(4310.0), "4.31 s");
    }

    #[test]
    fn tables_show_spread_kind_and_load() {
        let load = Load {
            one: 0.4,
            five: 0.5,
            fifteen: 0.6,
        };
        let t = Timing {
            name: "a|b".into(),
            kind: Kind::Ours,
            median_ms: 2.0,
            low_ms: 1.0,
            high_ms: 3.0,
            runs: 10,
            how: "hyperfine".into(),
            load: Some((load, load)),
        };
        let table = timings_table(&[t]);
        assert!(
            table.contains(
                "| a\\|b | 2.00 ms | 1.00 ms–3.00 ms (min–max) | 10 | hyperfine | 0.40 → 0.40 |"
            ),
            "{table}"
        );
        let row = MemoryRow {
            what: "busybox sleep".into(),
            kind: Kind::Ours,
            instances: 4,
            workload: Footprint {
                rss_kib: 4096,
                pss_kib: 1024,
                processes: 4,
            },
            monitor: Footprint {
                rss_kib: 4096,
                pss_kib: 2048,
                processes: 4,
            },
            how: "smaps_rollup".into(),
        };
        assert!(memory_table(&[row]).contains("| busybox sleep | 4 | 8.0 | 3.0 | 0.8 | 2.0 | 8 |"));
    }
}

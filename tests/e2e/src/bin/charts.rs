//! Turns the raw measurements of `scripts/bench/compare.sh` into the book's data: one
//! `results.json`, markdown tables the chapter includes, and SVG charts.
//!
//! Run:  cargo run -p e2e --bin charts -- --raw target/kit/bench \
//!           --criterion $CARGO_TARGET_DIR/criterion --out book/src/containers-vs-vms
//! Reads from the raw dir: `hyperfine-{ours,peers,vm}.json` with `load-{…}.txt` (the load
//! average before and after, two `/proc/loadavg` lines), `memory.json`, and `gaps.txt` (what
//! the script could not measure, one line each). Missing files are reported as gaps.

use anyhow::Context;
use clap::Parser;
use e2e::report::{self, Kind, Load, MachineInfo, MemoryReport, Results, Timing};
use e2e::svg::{Bar, Chart, Scale, render};
use std::path::{Path, PathBuf};

#[derive(Parser)]
struct Args {
    /// The raw results directory the comparison script wrote.
    #[arg(long)]
    raw: PathBuf,
    /// criterion's output directory (`$CARGO_TARGET_DIR/criterion`), if the benchmarks ran.
    #[arg(long)]
    criterion: Option<PathBuf>,
    /// Where to write results.json, the tables and the charts.
    #[arg(long)]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut gaps: Vec<String> = std::fs::read_to_string(args.raw.join("gaps.txt"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();

    let mut startup = Vec::new();
    for stem in ["hyperfine-ours", "hyperfine-peers", "hyperfine-vm"] {
        let path = args.raw.join(format!("{stem}.json"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            gaps.push(format!(
                "{}: not found (that part of the comparison did not run)",
                path.display()
            ));
            continue;
        };
        let json =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let kind = Kind::from_file_stem(stem).expect("known stem");
        startup.extend(report::from_hyperfine(
            &json,
            kind,
            load_pair(&args.raw, stem),
        ));
    }
    let mut steps = args
        .criterion
        .as_deref()
        .map(report::from_criterion)
        .unwrap_or_default();
    // criterion does not record the load average; the script writes it around the benchmarks.
    let criterion_load = load_pair(&args.raw, "hyperfine-criterion");
    steps.iter_mut().for_each(|t| t.load = criterion_load);
    if steps.is_empty() {
        gaps.push(
            "criterion benchmarks: no results (run `cargo bench -p namespaces --bench start` and `cargo bench -p e2e`)".into(),
        );
    }
    let memory: Option<MemoryReport> = std::fs::read_to_string(args.raw.join("memory.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let memory = memory.unwrap_or_else(|| {
        gaps.push("memory: no memory.json (run `cargo bench -p e2e --bench memory`)".into());
        MemoryReport {
            rows: vec![],
            skipped: vec![],
            load: None,
        }
    });
    gaps.extend(memory.skipped.iter().cloned());

    let accel =
        std::fs::read_to_string(args.raw.join("accel.txt")).unwrap_or_else(|_| "unknown".into());
    let results = Results {
        machine: machine_info(accel.trim()),
        startup,
        steps,
        memory: memory.rows,
        gaps,
    };
    write_all(&args.out, &results, memory.load)?;
    println!(
        "wrote {}/results.json, tables (*.md) and charts (*.svg)",
        args.out.display()
    );
    Ok(())
}

/// `load-STEM.txt`: the `/proc/loadavg` lines before and after a hyperfine run.
fn load_pair(raw: &Path, stem: &str) -> Option<(Load, Load)> {
    let name = stem.replace("hyperfine", "load");
    let text = std::fs::read_to_string(raw.join(format!("{name}.txt"))).ok()?;
    let mut lines = text.lines().map(report::parse_loadavg);
    Some((lines.next()??, lines.next()??))
}

fn machine_info(accel: &str) -> MachineInfo {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let field = |text: &str, name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split(':').nth(1))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let command = |prog: &str, args: &[&str]| {
        std::process::Command::new(prog)
            .args(args)
            .output()
            .ok()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_else(|| "not installed".into())
    };
    let mem_kib: u64 = field(&read("/proc/meminfo"), "MemTotal")
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    MachineInfo {
        date: command("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
        cpu: field(&cpuinfo, "model name"),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_mib: mem_kib / 1024,
        qemu: command("qemu-system-x86_64", &["--version"]),
        accel: accel.to_string(),
    }
}

fn write_all(out: &Path, r: &Results, memory_load: Option<(Load, Load)>) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let write = |name: &str, text: String| {
        std::fs::write(out.join(name), text)
            .with_context(|| format!("writing {}", out.join(name).display()))
    };
    write("results.json", serde_json::to_string_pretty(r)? + "\n")?;
    let m = &r.machine;
    write(
        "machine.md",
        format!(
            "| | |\n|---|---|\n| measured | {} |\n| kernel | {} |\n| CPU | {} ({} logical CPUs) |\n| memory | {} MiB |\n| QEMU | {} |\n| VM accelerator | {} |\n",
            m.date, m.kernel, m.cpu, m.cpus, m.memory_mib, m.qemu, m.accel
        ),
    )?;
    write("startup.md", report::timings_table(&r.startup))?;
    write("steps.md", report::timings_table(&r.steps))?;
    let load_line = memory_load.map_or(String::new(), |(a, b)| {
        format!(
            "\nLoad average (1 min) during the memory measurement: {:.2} → {:.2}.\n",
            a.one, b.one
        )
    });
    write("memory.md", report::memory_table(&r.memory) + &load_line)?;
    let gaps = if r.gaps.is_empty() {
        "Everything was measured.\n".to_string()
    } else {
        r.gaps.iter().map(|g| format!("- {g}\n")).collect()
    };
    write("gaps.md", gaps)?;

    let legend = vec![
        "this kit".to_string(),
        "other runtimes".into(),
        format!("virtual machines ({})", m.accel),
    ];
    let time_bars = |timings: &[Timing]| -> Vec<Bar> {
        timings
            .iter()
            .map(|t| Bar {
                label: t.name.replace("run /bin/true/", "run: "),
                value: t.median_ms,
                series: series(t.kind),
                note: report::human_ms(t.median_ms),
            })
            .collect()
    };
    let load_note = |timings: &[Timing]| {
        let ones: Vec<f64> = timings
            .iter()
            .filter_map(|t| t.load.map(|(a, b)| a.one.max(b.one)))
            .collect();
        ones.into_iter()
            .reduce(f64::max)
            .map_or(String::new(), |l| format!(", load average up to {l:.2}"))
    };
    write(
        "startup.svg",
        render(&Chart {
            title: "Run /bin/true, start to exit (median)".into(),
            unit: "milliseconds".into(),
            scale: Scale::Log,
            bars: time_bars(&r.startup),
            legend: legend.clone(),
            caption: format!(
                "hyperfine, {} on {} ({} CPUs){}",
                m.date,
                m.cpu,
                m.cpus,
                load_note(&r.startup)
            ),
        }),
    )?;
    write(
        "steps.svg",
        render(&Chart {
            title: "The pieces of a start, and a VM boot (median)".into(),
            unit: "milliseconds".into(),
            scale: Scale::Log,
            bars: time_bars(&r.steps),
            legend: legend.clone(),
            caption: format!(
                "criterion (cargo bench), {} on {} ({} CPUs)",
                m.date, m.cpu, m.cpus
            ),
        }),
    )?;
    let mem_bars = |single: bool| -> Vec<Bar> {
        r.memory
            .iter()
            .filter(|row| !single || row.instances == 1)
            .map(|row| {
                let mib = row.total().pss_kib as f64 / 1024.0;
                Bar {
                    label: if single {
                        row.what.clone()
                    } else {
                        format!("{} ×{}", row.what, row.instances)
                    },
                    value: mib,
                    series: series(row.kind),
                    note: format!("{mib:.1} MiB"),
                }
            })
            .collect()
    };
    let mem_caption = format!(
        "PSS from /proc/PID/smaps_rollup, idle, {} on {}{}",
        m.date,
        m.cpu,
        memory_load.map_or(String::new(), |(a, b)| format!(
            ", load average {:.2} → {:.2}",
            a.one, b.one
        ))
    );
    write(
        "memory.svg",
        render(&Chart {
            title: "One idle instance: memory (PSS, processes + monitor)".into(),
            unit: "MiB".into(),
            scale: Scale::Linear,
            bars: mem_bars(true),
            legend: legend.clone(),
            caption: mem_caption.clone(),
        }),
    )?;
    write(
        "density.svg",
        render(&Chart {
            title: "N idle instances: total memory (PSS)".into(),
            unit: "MiB".into(),
            scale: Scale::Linear,
            bars: mem_bars(false),
            legend,
            caption: mem_caption,
        }),
    )?;
    Ok(())
}

fn series(kind: Kind) -> usize {
    match kind {
        Kind::Ours => 0,
        Kind::Peer => 1,
        Kind::Vm => 2,
    }
}

//! How much memory does an idle container cost, and an idle VM, and how does it grow with
//! the number of instances (density)?
//!
//! - A container: `kit-run sleep 1000000` — the busybox `sleep` inside, plus `kit-run` itself,
//!   which holds the container's cgroup and overlay and waits for it (the monitor, like conmon).
//!   N = 1, 4, 8 at once.
//! - A VM: QEMU booted to an initramfs whose init says so and sleeps (`e2e::qemu::IDLE_INIT`),
//!   256 MiB of guest RAM, on `microvm` if this QEMU has it, else `q35`. N = 1, 2.
//!
//! Each instance is measured once it is up, after 2 s to settle: RSS and PSS of every process
//! from /proc/PID/smaps_rollup (see `e2e::procmem`). This is not a timing, so it is a plain
//! program rather than a criterion benchmark; it prints a table and writes `memory.json` to
//! `KIT_BENCH_OUT` (default: the workspace's `target/kit/bench/`), which the book's charts use.
//!
//! Run (as root): cargo bench -p e2e --bench memory
//! Without QEMU or a kernel the VM rows are skipped with the reason recorded, never made up.

use e2e::procmem::{self, Footprint};
use e2e::qemu::{self, Boot, Kernel, Machine, accel_label, choose_accel};
use e2e::report::{self, Kind, MemoryReport, MemoryRow};
use harness::vm::initramfs;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SETTLE: Duration = Duration::from_secs(2);
const CONTAINER_COUNTS: [u32; 3] = [1, 4, 8];
const VM_COUNTS: [u32; 2] = [1, 2];

/// A running `kit-run sleep …`; on drop the container's pid 1 is killed, so `kit-run` (its
/// monitor) sees it exit, removes the cgroup and the overlay, and exits.
struct Container {
    monitor: Child,
    pid1: i32,
}

impl Container {
    fn start() -> Result<Container, String> {
        let monitor = Command::new(env!("CARGO_BIN_EXE_kit-run"))
            .args(["sleep", "1000000"])
            .spawn()
            .map_err(|e| format!("cannot start kit-run: {e}"))?;
        let mut container = Container { monitor, pid1: 0 };
        let deadline = Instant::now() + Duration::from_secs(30);
        // The container's pid 1 is kit-run's child; it is up once it has exec'd `sleep`.
        while Instant::now() < deadline {
            let up = procmem::children(container.monitor.id() as i32)
                .into_iter()
                .find(|&pid| procmem::command_name(pid).as_deref() == Some("sleep"));
            if let Some(pid) = up {
                container.pid1 = pid;
                return Ok(container);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Err("kit-run's container did not start `sleep` within 30 s".into())
    }

    fn footprint(&self) -> Result<(Footprint, Footprint), String> {
        let monitor = self.monitor.id() as i32;
        let workload =
            procmem::of_processes(&procmem::descendants(monitor)).map_err(|e| e.to_string())?;
        let own = procmem::of_process(monitor).map_err(|e| e.to_string())?;
        Ok((workload, own))
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        if self.pid1 > 0 {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.pid1),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = self.monitor.wait();
    }
}

/// A running idle VM, killed on drop.
struct IdleVm(Child);

impl IdleVm {
    fn start(boot: &Boot) -> Result<IdleVm, String> {
        let mut child = boot.spawn(Stdio::piped()).map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().expect("piped");
        let vm = IdleVm(child);
        let (up, seen) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains(qemu::UP_MARKER) {
                    let _ = up.send(());
                }
            }
        });
        seen.recv_timeout(Duration::from_secs(300)).map_err(|_| {
            format!(
                "the {} vm did not come up within 300 s",
                boot.machine.name()
            )
        })?;
        Ok(vm)
    }
}

impl Drop for IdleVm {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn measure_containers(rows: &mut Vec<MemoryRow>) -> Result<(), String> {
    for n in CONTAINER_COUNTS {
        let containers = (0..n)
            .map(|_| Container::start())
            .collect::<Result<Vec<_>, _>>()?;
        std::thread::sleep(SETTLE);
        let mut workload = Footprint::default();
        let mut monitor = Footprint::default();
        for c in &containers {
            let (w, m) = c.footprint()?;
            workload = workload + w;
            monitor = monitor + m;
        }
        rows.push(MemoryRow {
            what: "container: sleep + kit-run".into(),
            kind: Kind::Ours,
            instances: n,
            workload,
            monitor,
            how: "smaps_rollup of kit-run and its descendants, idle, 2 s after start".into(),
        });
        println!("{} container(s): {workload:?} + monitors {monitor:?}", n);
    }
    Ok(())
}

fn measure_vms(rows: &mut Vec<MemoryRow>) -> Result<(), String> {
    let kernel = Kernel::find().map_err(|e| e.to_string())?;
    let cpio =
        initramfs::cached(&kernel, "idle", qemu::IDLE_INIT, &[]).map_err(|e| e.to_string())?;
    let machine = if Machine::Microvm.supported() {
        Machine::Microvm
    } else {
        Machine::Q35
    };
    let boot = Boot::new(machine, choose_accel(&kernel), &kernel, &cpio);
    for n in VM_COUNTS {
        let vms = (0..n)
            .map(|_| IdleVm::start(&boot))
            .collect::<Result<Vec<_>, _>>()?;
        std::thread::sleep(SETTLE);
        let pids: Vec<i32> = vms.iter().map(|vm| vm.0.id() as i32).collect();
        let workload = procmem::of_processes(&pids).map_err(|e| e.to_string())?;
        rows.push(MemoryRow {
            what: format!(
                "VM {} ({}), 256 MiB guest RAM",
                machine.name(),
                accel_label(boot.accel)
            ),
            kind: Kind::Vm,
            instances: n,
            workload,
            monitor: Footprint::default(),
            how: "smaps_rollup of qemu-system-x86_64, idle guest, 2 s after its init said so"
                .into(),
        });
        println!("{n} VM(s): {workload:?}");
    }
    Ok(())
}

fn main() {
    let before = report::load_now();
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    if nix::unistd::geteuid().is_root() {
        if let Err(why) = measure_containers(&mut rows) {
            skipped.push(format!("container memory: not measured: {why}"));
        }
    } else {
        skipped.push("container memory: not measured: containers need root".into());
    }
    match Command::new("qemu-system-x86_64").arg("--version").output() {
        Ok(_) => {
            if let Err(why) = measure_vms(&mut rows) {
                skipped.push(format!("VM memory: not measured: {why}"));
            }
        }
        Err(e) => skipped.push(format!(
            "VM memory: not measured: cannot run qemu-system-x86_64 ({e}): install qemu-system-x86"
        )),
    }
    for why in &skipped {
        eprintln!("memory: SKIPPED {why}");
    }
    let load = before.zip(report::load_now());
    print!("{}", report::memory_table(&rows));
    let out = std::env::var_os("KIT_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/kit/bench")
        });
    let report = MemoryReport {
        rows,
        skipped,
        load,
    };
    let written = std::fs::create_dir_all(&out).and_then(|_| {
        std::fs::write(
            out.join("memory.json"),
            serde_json::to_string_pretty(&report).expect("json"),
        )
    });
    match written {
        Ok(()) => println!("wrote {}", out.join("memory.json").display()),
        Err(e) => eprintln!(
            "memory: cannot write {}: {e}",
            out.join("memory.json").display()
        ),
    }
}

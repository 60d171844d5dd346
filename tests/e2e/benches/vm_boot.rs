//! How long does a virtual machine take to do nothing? Debian's kernel boots under QEMU with an
//! initramfs whose init prints one line and powers off; the time is from launching
//! `qemu-system-x86_64` to its exit (`e2e::qemu::Boot::time_to_power_off`). Once on the
//! `microvm` machine type (if this QEMU has it), once on `q35`.
//!
//! Every figure is labelled with its accelerator. KVM is used only where a real boot under it
//! works (`harness::vm::kvm_works`); otherwise QEMU emulates the CPU (TCG), which is far
//! slower. Force one with `KIT_VM_ACCEL=kvm` or `KIT_VM_ACCEL=tcg`.
//!
//! Run: cargo bench -p e2e --bench vm_boot        (about a minute under TCG)
//! Without QEMU or a kernel it says so and measures nothing.

use criterion::{Criterion, SamplingMode};
use e2e::qemu::{Boot, Kernel, Machine, accel_label, choose_accel};
use harness::vm::initramfs;
use std::time::Duration;

/// The boots to measure, or why there are none.
fn boots() -> Result<Vec<Boot>, String> {
    std::process::Command::new("qemu-system-x86_64")
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run qemu-system-x86_64 ({e}): install it with `apt-get install qemu-system-x86`"))?;
    let kernel = Kernel::find().map_err(|e| e.to_string())?;
    let cpio = initramfs::cached(&kernel, "poweroff", initramfs::POWEROFF_INIT, &[])
        .map_err(|e| e.to_string())?;
    let accel = choose_accel(&kernel);
    Ok([Machine::Microvm, Machine::Q35]
        .into_iter()
        .filter(|m| {
            let ok = m.supported();
            if !ok {
                eprintln!(
                    "vm boot/{}: SKIPPED, this QEMU has no such machine type",
                    m.name()
                );
            }
            ok
        })
        .map(|m| Boot::new(m, accel, &kernel, &cpio))
        .collect())
}

fn main() {
    let boots = match boots() {
        Ok(boots) => boots,
        Err(why) => {
            eprintln!("vm_boot: SKIPPED, no figures: {why}");
            return;
        }
    };
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut group = c.benchmark_group("vm boot");
    // Flat sampling: one boot per sample, ten samples, instead of criterion's growing batches.
    group.sampling_mode(SamplingMode::Flat);
    for boot in &boots {
        let name = format!("{} ({})", boot.machine.name(), accel_label(boot.accel));
        group.bench_function(name, |b| {
            b.iter(|| {
                boot.time_to_power_off(Duration::from_secs(300))
                    .unwrap_or_else(|e| panic!("{e}"))
            })
        });
    }
    group.finish();
    c.final_summary();
}

//! KVM: can this machine run the containers-vs-VMs chapter's virtual machine fast?
//!
//! `/dev/kvm` is the kernel's hardware-virtualisation interface (the KVM API,
//! Documentation/virt/kvm/api.rst). Its existence proves little, so the doctor boots the
//! smallest possible guest through it ([`guest`]: two instructions in real mode). That runs in
//! a forked child with a deadline, because a nested KVM (a VM inside a VM, like this lab's
//! "PVM" machines) may accept every ioctl yet hang running a guest; the kit's VM harness probes
//! the same way and falls back to qemu's software emulation (TCG), slower but always working.
//! So KVM is optional.

use crate::check::{Check, Requirement};
use crate::child::{Ended, run_probe};
use std::time::Duration;

pub mod guest;

/// The KVM device node.
pub const DEVICE: &str = "/dev/kvm";

/// How long the probe child may take before it counts as hung.
pub const DEADLINE: Duration = Duration::from_secs(3);

const WHY: &str = "the containers-vs-VMs chapter boots a small VM with qemu; with KVM it runs \
     at native speed, without it qemu emulates the CPU (TCG), slower but working";

/// The KVM check (optional): `/dev/kvm` present, and a tiny guest runs to `hlt` in time.
pub fn check() -> Check {
    let cpu = cpu_flags();
    let nested = cpu.contains(" hypervisor ");
    if !std::path::Path::new(DEVICE).exists() {
        let fix = if !cpu.contains(" vmx ") && !cpu.contains(" svm ") {
            "enable virtualisation (Intel VT-x / AMD-V) in the firmware setup; in a VM, enable \
             nested virtualisation on its host"
        } else {
            "load the module: `sudo modprobe kvm_intel` (Intel) or `sudo modprobe kvm_amd` (AMD)"
        };
        return Check::missing(
            "kvm",
            Requirement::Optional,
            WHY,
            format!("{DEVICE} does not exist: VMs will use software emulation (TCG)"),
            fix,
        );
    }
    // ANCHOR: probe
    let probe = run_probe(
        "a tiny KVM guest",
        DEADLINE,
        || match guest::run_tiny_guest() {
            Ok(()) => 0,
            Err(step) => step as i32,
        },
    );
    // ANCHOR_END: probe
    let where_ = if nested {
        "nested KVM: this machine is itself a VM"
    } else {
        "KVM on bare metal"
    };
    let fail = |what: String, fix: &str| {
        Check::missing("kvm", Requirement::Optional, WHY, what, fix).detail(where_)
    };
    use guest::Step;
    let step = |n: i32| {
        [
            Step::Open,
            Step::ApiVersion,
            Step::CreateVm,
            Step::CreateVcpu,
            Step::Memory,
            Step::Registers,
            Step::Run,
            Step::WrongExit,
        ]
        .into_iter()
        .find(|s| *s as i32 == n)
    };
    let fallback = "VMs will use qemu's software emulation (TCG): slower, but the kit works";
    match probe {
        Ok(Ended::Exited(0)) => Check::pass(
            "kvm",
            Requirement::Optional,
            WHY,
            format!("a tiny guest ran and halted under {DEVICE} ({where_})"),
        )
        .detail("guest code `mov al, 42; hlt` in real mode: KVM_RUN gave KVM_EXIT_HLT, rax=42")
        .detail(if nested {
            "a nested KVM may still hang booting a full kernel: the kit's VM harness probes \
             with a short timeout and falls back to TCG"
        } else {
            "bare-metal KVM: qemu's `-accel kvm` will work"
        }),
        Ok(Ended::Exited(n)) => match step(n) {
            Some(Step::Open) => fail(
                format!("{DEVICE} exists but cannot be opened"),
                "run as root (`cargo doctor`), or add yourself to the kvm group: \
                 `sudo usermod -aG kvm $USER` and log in again",
            ),
            Some(failed) => fail(
                format!("{DEVICE} opens, but the tiny guest failed at {failed:?}"),
                &format!(
                    "check `dmesg` (virtualisation off in the firmware? another \
                          hypervisor holding VT-x/AMD-V?); {fallback}"
                ),
            ),
            None => fail(format!("the KVM probe exited with {n}"), fallback),
        },
        Ok(Ended::Signaled(signal)) => {
            fail(format!("the KVM probe was killed by {signal}"), fallback)
        }
        Err(e) => fail(
            format!("{e}: the guest never halted (a nested KVM can hang like this)"),
            &format!("nothing to do: the kit's VM harness probes the same way; {fallback}"),
        ),
    }
}

/// The `flags` line of the first CPU in `/proc/cpuinfo` (vmx, svm, hypervisor…).
fn cpu_flags() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("flags"))
                .map(|l| format!(" {} ", l.split_once(':').map_or("", |(_, f)| f)))
        })
        .unwrap_or_default()
}

//! KVM: can this machine run the containers-vs-VMs chapter's virtual machine fast?
//!
//! `/dev/kvm` is the kernel's hardware-virtualisation interface (the KVM API,
//! Documentation/virt/kvm/api.rst): open it, ask `KVM_GET_API_VERSION` (always 12), then
//! `KVM_CREATE_VM` and `KVM_CREATE_VCPU`. We do that in a forked child with a deadline,
//! because a nested KVM (a VM inside a VM, like this lab's "PVM" machines) may accept the
//! device yet hang; the kit's VM harness probes the same way and falls back to qemu's software
//! emulation (TCG), which is slower but always works. So KVM is optional.

use crate::check::{Check, Requirement};
use crate::child::{Ended, run_probe};
use std::time::Duration;

/// The KVM device node.
pub const DEVICE: &str = "/dev/kvm";

/// How long the probe child may take before it counts as hung.
pub const DEADLINE: Duration = Duration::from_secs(3);

// ioctl numbers from <linux/kvm.h>: _IO(KVMIO = 0xAE, nr).
const KVM_GET_API_VERSION: libc::c_ulong = 0xAE00;
const KVM_CREATE_VM: libc::c_ulong = 0xAE01;
const KVM_CREATE_VCPU: libc::c_ulong = 0xAE41;
/// The only KVM API version there has ever been.
const KVM_API_VERSION: libc::c_int = 12;

const WHY: &str = "the containers-vs-VMs chapter boots a small VM with qemu; with KVM it runs \
     at native speed, without it qemu emulates the CPU (TCG), slower but working";

/// The KVM check (optional): present, openable, and a VM with one vCPU can be created in time.
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
    let probe = run_probe("KVM_CREATE_VM on /dev/kvm", DEADLINE, || {
        // SAFETY: open(2) and ioctl(2) with integer arguments; no memory is shared.
        unsafe {
            let kvm = libc::open(c"/dev/kvm".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
            if kvm < 0 {
                return 1;
            }
            if libc::ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION {
                return 2;
            }
            let vm = libc::ioctl(kvm, KVM_CREATE_VM, 0);
            if vm < 0 {
                return 3;
            }
            if libc::ioctl(vm, KVM_CREATE_VCPU, 0) < 0 {
                return 4;
            }
        }
        0
    });
    let where_ = if nested {
        "nested KVM: this machine is itself a VM"
    } else {
        "KVM on bare metal"
    };
    let fail = |what: String, fix: &str| {
        Check::missing("kvm", Requirement::Optional, WHY, what, fix).detail(where_)
    };
    match probe {
        Ok(Ended::Exited(0)) => {
            let mut check = Check::pass(
                "kvm",
                Requirement::Optional,
                WHY,
                format!("{DEVICE} opens; created a VM and a vCPU ({where_})"),
            );
            if nested {
                check = check.detail(
                    "a nested KVM may still hang booting a guest: the kit's VM harness probes \
                     with a short timeout and falls back to TCG",
                );
            }
            check
        }
        Ok(Ended::Exited(1)) => fail(
            format!("{DEVICE} exists but cannot be opened"),
            "run as root (`cargo doctor`), or add yourself to the kvm group: \
             `sudo usermod -aG kvm $USER` and log in again",
        ),
        Ok(Ended::Exited(2)) => fail(
            format!("{DEVICE} does not speak KVM API version 12"),
            "this is not a usable KVM device; VMs will use software emulation (TCG)",
        ),
        Ok(Ended::Exited(n @ (3 | 4))) => fail(
            format!(
                "{DEVICE} opens but KVM_CREATE_{} failed",
                if n == 3 { "VM" } else { "VCPU" }
            ),
            "check `dmesg` (virtualisation disabled in firmware? another hypervisor holding \
             VT-x?); VMs will use software emulation (TCG)",
        ),
        other => fail(
            match other {
                Err(e) => e.to_string(),
                Ok(end) => format!("the KVM probe ended unexpectedly: {end:?}"),
            },
            "KVM looks hung (common with nested KVM); the kit falls back to TCG, nothing to do",
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

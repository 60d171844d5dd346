//! Booting Debian's kernel under QEMU and timing it: the virtual-machine side of the
//! comparison. The kernel and the initramfs come from `harness::vm` (lesson 02's VM harness);
//! this module only chooses the machine type and the accelerator, and starts `qemu-system-x86_64`
//! with a command line the book prints so readers can run it by hand.
//!
//! Two machine types (qemu-system-x86_64(1), docs/system/i386/microvm.rst):
//! - `microvm`: no PCI, no firmware tables to speak of, a minimal set of legacy devices —
//!   QEMU's answer to Firecracker. The kernel is told the TSC frequency (`tsc_early_khz=`),
//!   since there is little hardware left to calibrate it against.
//! - `q35`: a modern PC (PCIe, AHCI, ACPI), what most VMs run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use harness::vm::{Accel, Kernel};

/// The init of an initramfs that says it is up and then sleeps for ever: an idle VM, for
/// measuring what an idle guest costs in memory.
pub const IDLE_INIT: &str = "#!/bin/busybox sh\n/bin/busybox echo KIT-UP > /dev/console\nexec /bin/busybox sleep 2147483647\n";

/// The line both initramfs inits print on the console once the kernel has started them.
pub const UP_MARKER: &str = "KIT-UP";

/// A QEMU machine type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    /// The minimal `microvm` machine.
    Microvm,
    /// A standard PC with PCIe (`q35`).
    Q35,
}

impl Machine {
    /// QEMU's name for it (`-M NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Machine::Microvm => "microvm",
            Machine::Q35 => "q35",
        }
    }

    /// Whether this QEMU offers the machine type (`qemu-system-x86_64 -M help`).
    pub fn supported(self) -> bool {
        Command::new("qemu-system-x86_64")
            .args(["-M", "help"])
            .output()
            .is_ok_and(|out| {
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .any(|l| l.split_whitespace().next() == Some(self.name()))
            })
    }
}

impl std::str::FromStr for Machine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "microvm" => Ok(Machine::Microvm),
            "q35" => Ok(Machine::Q35),
            other => Err(format!("unknown machine {other:?}: use microvm or q35")),
        }
    }
}

/// How a figure's accelerator is written in the book: `KVM` or `TCG`.
pub fn accel_label(accel: Accel) -> &'static str {
    match accel {
        Accel::Kvm => "KVM",
        Accel::Tcg | Accel::Auto => "TCG",
    }
}

/// The accelerator to measure with: `KIT_VM_ACCEL=kvm|tcg` if set, else KVM when
/// `harness::vm::kvm_works` (a real boot with a deadline) says it works, else TCG.
pub fn choose_accel(kernel: &Kernel) -> Accel {
    match std::env::var("KIT_VM_ACCEL").as_deref() {
        Ok("kvm") => Accel::Kvm,
        Ok("tcg") => Accel::Tcg,
        _ if harness::vm::kvm_works(kernel) => Accel::Kvm,
        _ => Accel::Tcg,
    }
}

/// The host's TSC frequency in kHz, from the first `cpu MHz` line of `/proc/cpuinfo`.
pub fn parse_tsc_khz(cpuinfo: &str) -> Option<u64> {
    let line = cpuinfo.lines().find(|l| l.starts_with("cpu MHz"))?;
    let mhz: f64 = line.split(':').nth(1)?.trim().parse().ok()?;
    Some((mhz * 1000.0).round() as u64)
}

/// One VM to boot: which machine, accelerator, kernel, initramfs and memory.
#[derive(Debug, Clone)]
pub struct Boot {
    /// Machine type.
    pub machine: Machine,
    /// Accelerator (`Auto` is treated as TCG: resolve it with [`choose_accel`] first).
    pub accel: Accel,
    /// The kernel image.
    pub kernel: PathBuf,
    /// The initramfs.
    pub initramfs: PathBuf,
    /// Guest RAM, MiB.
    pub memory_mib: u32,
    /// For `microvm`: the TSC frequency given on the kernel command line.
    pub tsc_khz: Option<u64>,
}

/// Why a boot could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `qemu-system-x86_64` could not be started.
    #[error(
        "cannot start qemu-system-x86_64: {0}: install it with `apt-get install qemu-system-x86`"
    )]
    NoQemu(std::io::Error),
    /// The deadline passed; QEMU was killed.
    #[error(
        "the {machine} vm did not power off within {deadline:?} and was killed; console:\n{console}"
    )]
    Timeout {
        /// The machine type.
        machine: &'static str,
        /// The deadline.
        deadline: Duration,
        /// The end of the guest's console.
        console: String,
    },
    /// QEMU exited but the guest's init never said it was up (the kernel failed to boot).
    #[error(
        "the {machine} vm exited ({status}) without its init saying {UP_MARKER}; console:\n{console}"
    )]
    NotUp {
        /// The machine type.
        machine: &'static str,
        /// QEMU's exit status.
        status: String,
        /// The end of the guest's console.
        console: String,
    },
    /// A temporary file for the console could not be made or read.
    #[error("console file: {0}")]
    Console(std::io::Error),
}

impl Boot {
    /// A 256 MiB guest of Debian's kernel with `initramfs`, the host's TSC frequency known.
    pub fn new(machine: Machine, accel: Accel, kernel: &Kernel, initramfs: &Path) -> Boot {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        Boot {
            machine,
            accel,
            kernel: kernel.image.clone(),
            initramfs: initramfs.to_path_buf(),
            memory_mib: 256,
            tsc_khz: parse_tsc_khz(&cpuinfo),
        }
    }

    /// The kernel command line: console on the first serial port, no reboot on panic
    /// (`panic=-1` reboots at once and `-no-reboot` turns that into an exit).
    // ANCHOR: cmdline
    pub fn kernel_cmdline(&self) -> String {
        let mut line = String::from("console=ttyS0 quiet panic=-1");
        if self.machine == Machine::Microvm {
            // No PCI bus on microvm: don't probe for one. Give the TSC frequency, or the
            // kernel may spin calibrating it against timers microvm barely has.
            line.push_str(" pci=off");
            if let Some(khz) = self.tsc_khz {
                line.push_str(&format!(" tsc_early_khz={khz}"));
            }
        }
        line
    }
    // ANCHOR_END: cmdline

    /// The arguments to `qemu-system-x86_64`; the console goes to its stdout.
    pub fn args(&self) -> Vec<String> {
        let accel = match self.accel {
            Accel::Kvm => ["-accel", "kvm", "-cpu", "host"],
            Accel::Tcg | Accel::Auto => ["-accel", "tcg", "-cpu", "max"],
        };
        let mut args: Vec<String> = ["-M", self.machine.name()]
            .into_iter()
            .chain([
                "-nodefaults",
                "-no-user-config",
                "-display",
                "none",
                "-no-reboot",
            ])
            .chain(accel)
            .chain(["-smp", "1", "-serial", "stdio"])
            .map(String::from)
            .collect();
        args.extend(["-m".into(), self.memory_mib.to_string()]);
        args.extend(["-kernel".into(), self.kernel.display().to_string()]);
        args.extend(["-initrd".into(), self.initramfs.display().to_string()]);
        args.extend(["-append".into(), self.kernel_cmdline()]);
        args
    }

    /// Starts QEMU with the console written to `console`.
    pub fn spawn(&self, console: Stdio) -> Result<Child, Error> {
        Command::new("qemu-system-x86_64")
            .args(self.args())
            .stdin(Stdio::null())
            .stdout(console)
            .stderr(Stdio::null())
            .spawn()
            .map_err(Error::NoQemu)
    }

    /// Boots, waits for QEMU to exit (the guest powers off), and returns launch → exit. Fails
    /// if the guest never printed [`UP_MARKER`] or `deadline` passed (QEMU is then killed).
    pub fn time_to_power_off(&self, deadline: Duration) -> Result<Duration, Error> {
        let mut console = tempfile::tempfile().map_err(Error::Console)?;
        let started = Instant::now();
        let mut child = self.spawn(Stdio::from(console.try_clone().map_err(Error::Console)?))?;
        // Poll for the exit every millisecond: at most 1 ms of error on a boot of seconds.
        let status = loop {
            if let Some(status) = child.try_wait().map_err(Error::Console)? {
                break status;
            }
            if started.elapsed() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Timeout {
                    machine: self.machine.name(),
                    deadline,
                    console: tail(&mut console),
                });
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let elapsed = started.elapsed();
        let text = tail(&mut console);
        if !text.contains(UP_MARKER) {
            return Err(Error::NotUp {
                machine: self.machine.name(),
                status: status.to_string(),
                console: text,
            });
        }
        Ok(elapsed)
    }
}

/// The last 20 lines of a console file.
fn tail(file: &mut std::fs::File) -> String {
    use std::io::{Read, Seek};
    let mut text = String::new();
    let _ = file.rewind();
    let _ = file.read_to_string(&mut text);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boot(machine: Machine) -> Boot {
        Boot {
            machine,
            accel: Accel::Tcg,
            kernel: "/boot/vmlinuz-6.1.0-56-amd64".into(),
            initramfs: "/tmp/poweroff.cpio".into(),
            memory_mib: 256,
            tsc_khz: Some(2_445_404),
        }
    }

    #[test]
    fn tsc_frequency_comes_from_the_first_cpu_mhz_line() {
        let cpuinfo =
            "processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2445.404\ncpu MHz\t\t: 1.0\n";
        assert_eq!(parse_tsc_khz(cpuinfo), Some(2_445_404));
        assert_eq!(parse_tsc_khz("processor: 0\n"), None);
    }

    #[test]
    fn microvm_gets_the_tsc_frequency_and_no_pci_probe() {
        let line = boot(Machine::Microvm).kernel_cmdline();
        assert!(line.contains("tsc_early_khz=2445404"), "{line}");
        assert!(line.contains("pci=off"), "{line}");
        let q35 = boot(Machine::Q35).kernel_cmdline();
        assert!(
            !q35.contains("tsc_early_khz") && !q35.contains("pci=off"),
            "{q35}"
        );
    }

    #[test]
    fn qemu_args_name_machine_accelerator_and_files() {
        let args = boot(Machine::Microvm).args().join(" ");
        assert!(args.starts_with("-M microvm -nodefaults"), "{args}");
        assert!(args.contains("-accel tcg -cpu max"), "{args}");
        assert!(args.contains("-kernel /boot/vmlinuz-6.1.0-56-amd64 -initrd /tmp/poweroff.cpio"));
        let kvm = Boot {
            accel: Accel::Kvm,
            ..boot(Machine::Q35)
        };
        assert!(kvm.args().join(" ").contains("-accel kvm -cpu host"));
    }

    #[test]
    fn machine_names_parse_and_unknown_ones_say_what_to_use() {
        assert_eq!("microvm".parse::<Machine>(), Ok(Machine::Microvm));
        assert!(
            "pc".parse::<Machine>()
                .unwrap_err()
                .contains("use microvm or q35")
        );
    }
}

//! Boot a real Linux kernel under QEMU, run a command inside, get its output and exit status.
//!
//! Lesson 02 and the capstone's end-to-end tests (`capstone_v2_in_vm`) use it to run their
//! tests on a cgroup-v2-only system when the host runs v1 or hybrid cgroups; the
//! containers-vs-VMs benchmark uses it to time a VM from launch to power-off. The guest is
//! Debian's kernel (`linux-image-amd64`) with a busybox initramfs built here and cached under
//! the workspace's `target/kit/vm/`; the host's `/` is shared read-only over 9p, with a
//! RAM-backed overlay on top, so the guest can run the host's (glibc) test binaries unchanged
//! and write anywhere without touching the host.
//!
//! ```no_run
//! use harness::vm::{Accel, Vm};
//! use std::time::Duration;
//! let out = Vm::builder().accel(Accel::Auto).run("cat /sys/fs/cgroup/cgroup.controllers", Duration::from_secs(60))?;
//! assert_eq!(out.status, 0);
//! println!("{} (booted in {:?} with {:?})", out.stdout, out.boot_time, out.accel_used);
//! # Ok::<(), harness::vm::VmError>(())
//! ```
//!
//! KVM is used where it really works: it is probed by booting a tiny initramfs with a short
//! deadline, because some nested KVMs (such as the "PVM" one on the kit's build machines)
//! accept the VM and then hang. Otherwise QEMU emulates the CPU in software (TCG), which is
//! slower but boots Debian's kernel in a few seconds. Every boot has a hard deadline after
//! which QEMU is killed and an error returned: a hung VM never passes silently.

mod cpio;
pub mod initramfs;
mod launch;
mod on_v2;
mod vmlinux;

pub use initramfs::Kernel;
pub use on_v2::{host_is_cgroup_v2, run_on_cgroup_v2};

use launch::{Launch, base64};

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// How QEMU runs the guest's CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    /// KVM if [`kvm_works`], else TCG. `KIT_VM_ACCEL=kvm|tcg` overrides the probe.
    Auto,
    /// Hardware virtualisation through `/dev/kvm`.
    Kvm,
    /// Software emulation (QEMU's Tiny Code Generator): works everywhere, slower.
    Tcg,
}

/// Why a VM could not run the command, or how it failed.
#[derive(Debug)]
pub enum VmError {
    /// No `/boot/vmlinuz-*` with matching `/lib/modules`.
    NoKernel,
    /// `qemu-system-x86_64` could not be started.
    NoQemu(std::io::Error),
    /// Building the initramfs or the run directory failed.
    Setup(String),
    /// The deadline passed; QEMU was killed.
    Timeout {
        /// The deadline that passed.
        deadline: Duration,
        /// The last lines of the guest's console and command output.
        console_tail: String,
    },
    /// QEMU ended without the guest reporting the command's exit status.
    NoStatus {
        /// QEMU's own exit status and stderr.
        qemu: String,
        /// The last lines of the guest's console and command output.
        console_tail: String,
    },
}

impl std::fmt::Display for VmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VmError::NoKernel => write!(
                f,
                "no kernel to boot: found no /boot/vmlinuz-VERSION with /lib/modules/VERSION; install one with `apt-get install linux-image-amd64` (or set KIT_VM_KERNEL)"
            ),
            VmError::NoQemu(e) => write!(
                f,
                "cannot start qemu-system-x86_64: {e}: install it with `apt-get install qemu-system-x86`"
            ),
            VmError::Setup(what) => write!(f, "cannot prepare the vm: {what}"),
            VmError::Timeout {
                deadline,
                console_tail,
            } => write!(
                f,
                "the vm did not finish within {deadline:?} and was killed; its last output:\n{console_tail}"
            ),
            VmError::NoStatus { qemu, console_tail } => write!(
                f,
                "the vm stopped without reporting an exit status ({qemu}); its last output:\n{console_tail}"
            ),
        }
    }
}

impl std::error::Error for VmError {}

/// What a VM run produced.
#[derive(Debug, Clone)]
pub struct VmOutput {
    /// The command's stdout and stderr, interleaved (the guest's second serial port).
    pub stdout: String,
    /// The guest's console: kernel messages and init's complaints, for diagnosis.
    pub console: String,
    /// The command's exit status (for [`VmBuilder::boot`]: QEMU's).
    pub status: i32,
    /// The accelerator actually used.
    pub accel_used: Accel,
    /// From launching QEMU to the guest being ready to run the command
    /// (for [`VmBuilder::boot`]: to QEMU's exit).
    pub boot_time: Duration,
    /// From launching QEMU to QEMU's exit.
    pub total_time: Duration,
}

/// A virtual machine to configure and run; see [`Vm::builder`].
pub struct Vm;

impl Vm {
    /// Starts configuring a VM: Debian's kernel, the kit initramfs, 1 GiB, 2 CPUs, [`Accel::Auto`].
    pub fn builder() -> VmBuilder {
        VmBuilder {
            kernel: None,
            initramfs: None,
            accel: Accel::Auto,
            memory_mib: 1024,
            cpus: 2,
            append: Vec::new(),
        }
    }
}

/// Settings for one VM (see [`Vm::builder`]).
#[derive(Debug, Clone)]
pub struct VmBuilder {
    kernel: Option<Kernel>,
    initramfs: Option<PathBuf>,
    accel: Accel,
    memory_mib: u32,
    cpus: u32,
    append: Vec<String>,
}

impl VmBuilder {
    /// Boots this kernel instead of [`Kernel::find`]'s.
    pub fn kernel(mut self, kernel: Kernel) -> Self {
        self.kernel = Some(kernel);
        self
    }

    /// Boots this initramfs instead of the kit's (only for [`VmBuilder::boot`]).
    pub fn initramfs(mut self, path: impl Into<PathBuf>) -> Self {
        self.initramfs = Some(path.into());
        self
    }

    /// Chooses the accelerator.
    pub fn accel(mut self, accel: Accel) -> Self {
        self.accel = accel;
        self
    }

    /// Guest memory in MiB.
    pub fn memory_mib(mut self, mib: u32) -> Self {
        self.memory_mib = mib;
        self
    }

    /// Number of virtual CPUs.
    pub fn cpus(mut self, cpus: u32) -> Self {
        self.cpus = cpus;
        self
    }

    /// Adds a parameter to the kernel command line (e.g. `cgroup_no_v1=all`).
    pub fn append(mut self, parameter: impl Into<String>) -> Self {
        self.append.push(parameter.into());
        self
    }

    /// Boots, runs `script` with `/bin/sh` inside the guest (whose root is the host's `/`,
    /// with writes going to RAM, fresh /proc, /sys, /dev, /tmp, and cgroup v2 at
    /// /sys/fs/cgroup; see [`initramfs::KIT_INIT`]), powers off, and returns what it printed and its exit status. QEMU is
    /// killed if all this takes longer than `deadline`.
    ///
    /// A short script travels on the kernel command line. One too long for it (the kernel
    /// keeps 2048 bytes of command line on x86) is written to a file under `target/kit/vm/`,
    /// which the guest reads over 9p; the file is removed when the run ends.
    pub fn run(&self, script: &str, deadline: Duration) -> Result<VmOutput, VmError> {
        refuse_programs_under_tmp()?;
        let kernel = self.chosen_kernel()?;
        let initramfs =
            initramfs::cached(&kernel, "kit", initramfs::KIT_INIT, initramfs::KIT_MODULES)?;
        let mut encoded = base64(script.as_bytes());
        let mut _script_file = None;
        if encoded.len() > MAX_ENCODED_SCRIPT {
            let file = ScriptFile::write(script)?;
            encoded = base64(format!("exec /bin/sh '{}'\n", file.path.display()).as_bytes());
            _script_file = Some(file);
        }
        let accel = self.resolve_accel(&kernel);
        let mut run = Launch::start(
            self,
            &kernel,
            &initramfs,
            accel,
            &format!("kit.run={encoded}"),
            true,
        )?;
        run.collect(deadline, accel)
    }

    /// Boots `initramfs` (set with [`VmBuilder::initramfs`]; default: one whose init powers
    /// off at once) and waits for QEMU to exit, or kills it at `deadline`. `boot_time` is
    /// launch → exit: the cost of a VM that does nothing.
    pub fn boot(&self, deadline: Duration) -> Result<VmOutput, VmError> {
        let kernel = self.chosen_kernel()?;
        let initramfs = match &self.initramfs {
            Some(path) => path.clone(),
            None => initramfs::cached(&kernel, "poweroff", initramfs::POWEROFF_INIT, &[])?,
        };
        let accel = self.resolve_accel(&kernel);
        let mut run = Launch::start(self, &kernel, &initramfs, accel, "", false)?;
        run.collect(deadline, accel)
    }

    fn chosen_kernel(&self) -> Result<Kernel, VmError> {
        self.kernel.clone().map_or_else(Kernel::find, Ok)
    }

    fn resolve_accel(&self, kernel: &Kernel) -> Accel {
        match (self.accel, std::env::var("KIT_VM_ACCEL").as_deref()) {
            (Accel::Auto, Ok("kvm")) => Accel::Kvm,
            (Accel::Auto, Ok("tcg")) => Accel::Tcg,
            (Accel::Auto, _) if kvm_works(kernel) => Accel::Kvm,
            (Accel::Auto, _) => Accel::Tcg,
            (chosen, _) => chosen,
        }
    }
}

/// The guest sees the host's files except /tmp, which is a fresh tmpfs of its own: a test
/// binary or build directory under the host's /tmp would be "not found" inside. Say so plainly.
fn refuse_programs_under_tmp() -> Result<(), VmError> {
    let exe = std::env::current_exe().unwrap_or_default();
    let cache = initramfs::cache_dir();
    for path in [exe, cache] {
        let path = path.canonicalize().unwrap_or(path);
        if path.starts_with("/tmp") {
            return Err(VmError::Setup(format!(
                "{} is under /tmp, which the VM replaces with a tmpfs of its own: \
                 clone the kit outside /tmp (or set CARGO_TARGET_DIR to a directory outside it)",
                path.display()
            )));
        }
    }
    Ok(())
}

/// The longest base64 script [`VmBuilder::run`] puts on the kernel command line: 2048 bytes
/// (x86's `COMMAND_LINE_SIZE`) less the other parameters, with room to spare.
const MAX_ENCODED_SCRIPT: usize = 1500;

/// A script written for the guest to read over 9p, removed on drop.
struct ScriptFile {
    path: PathBuf,
}

impl ScriptFile {
    /// Writes `script` to a new file under `target/kit/vm/scripts/` (the guest shares the
    /// host's files but has a /tmp of its own, so the host's temp directory will not do).
    fn write(script: &str) -> Result<ScriptFile, VmError> {
        let dir = initramfs::cache_dir().join("scripts");
        std::fs::create_dir_all(&dir)
            .map_err(|e| VmError::Setup(format!("cannot create {}: {e}", dir.display())))?;
        let dir = dir
            .canonicalize()
            .map_err(|e| VmError::Setup(format!("cannot resolve {}: {e}", dir.display())))?;
        let path = dir.join(format!("{}.sh", crate::names::unique("run")));
        std::fs::write(&path, script)
            .map_err(|e| VmError::Setup(format!("cannot write {}: {e}", path.display())))?;
        Ok(ScriptFile { path })
    }
}

impl Drop for ScriptFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether KVM really runs a guest here: `/dev/kvm` opens, and a tiny initramfs boots and
/// powers off under KVM within 8 s. Probed once per process.
pub fn kvm_works(kernel: &Kernel) -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| {
        if std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .is_err()
        {
            return false;
        }
        let probe = Vm::builder()
            .kernel(kernel.clone())
            .accel(Accel::Kvm)
            .memory_mib(256)
            .cpus(1);
        match probe.boot(Duration::from_secs(8)) {
            Ok(out) => out.status == 0 && out.console.contains("KIT-UP"),
            Err(e) => {
                eprintln!(
                    "vm: KVM does not work here ({}), using TCG",
                    e.to_string().lines().next().unwrap_or("")
                );
                false
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_examples() {
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn the_extracted_kernel_is_an_elf_file() {
        if std::env::var_os("KIT_SKIP_VM").is_some() {
            eprintln!("KIT_SKIP_VM is set: NOT extracting the kernel");
            return;
        }
        let kernel = Kernel::find().expect("a kernel to boot (see VmError::NoKernel)");
        let config =
            std::fs::read_to_string(format!("/boot/config-{}", kernel.version)).unwrap_or_default();
        match kernel.uncompressed() {
            Some(path) => assert_eq!(&std::fs::read(path).unwrap()[..4], b"\x7fELF"),
            None => assert!(
                !config.contains("CONFIG_PVH=y"),
                "a PVH kernel should have been extracted"
            ),
        }
    }

    #[test]
    fn ninep_modules_load_after_their_dependencies() {
        if std::env::var_os("KIT_SKIP_VM").is_some() {
            eprintln!("KIT_SKIP_VM is set: NOT checking the kernel's module order");
            return;
        }
        let kernel = Kernel::find().expect("a kernel to boot (see VmError::NoKernel)");
        let order = initramfs::modules_in_load_order(&kernel, initramfs::KIT_MODULES).unwrap();
        let position = |name: &str| {
            order.iter().position(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("{name}.ko"))
            })
        };
        let ninep = position("9p").expect("9p is a module");
        assert!(position("9pnet").unwrap() < ninep);
        assert!(position("9pnet_virtio").unwrap() < ninep);
    }
}

/// These boot real VMs (a few seconds each under TCG).
#[cfg(test)]
mod boot_tests {
    use super::*;

    fn skip() -> bool {
        let skip = std::env::var("KIT_SKIP_VM").is_ok_and(|v| v == "1");
        if skip {
            eprintln!("*** KIT_SKIP_VM=1: NOT booting a VM ***");
        }
        skip
    }

    #[test]
    fn command_output_and_exit_status_come_back_from_the_guest() {
        if skip() {
            return;
        }
        let out = Vm::builder()
            .run(
                "echo hello from $(uname -r); stat -fc %T /sys/fs/cgroup; exit 3",
                Duration::from_secs(120),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        eprintln!(
            "accel {:?}, ready after {:?}, total {:?}",
            out.accel_used, out.boot_time, out.total_time
        );
        assert_eq!(out.status, 3, "{out:?}");
        assert!(
            out.stdout.contains("hello from 6.") && out.stdout.contains("cgroup2fs"),
            "{}",
            out.stdout
        );
        assert!(out.boot_time < out.total_time);
    }

    #[test]
    fn the_guest_is_set_up_like_a_booted_system_and_runs_long_scripts() {
        if skip() {
            return;
        }
        // Each line prints its name only if the guest passes that check.
        let checks = [
            // A fresh tmpfs /tmp, and a devpts for terminals.
            "[ \"$(stat -fc %T /tmp)\" = tmpfs ] && echo tmp-is-tmpfs",
            "[ \"$(stat -fc %T /dev/pts)\" = devpts ] && echo devpts-mounted",
            "ip -o link show lo | grep -q ',UP' && echo loopback-up",
            // setns(2) into the mount namespace lands in the host's files, not the initramfs.
            "nsenter --mount=/proc/1/ns/mnt test -e /run/kit/run.sh && echo setns-root-is-the-host",
            // The kernel loads the bridge module on demand with the host's modprobe.
            "unshare --net ip link add kitbr0 type bridge && echo bridge-module-loaded",
        ];
        // A comment makes the script too long for the kernel command line.
        let script = format!("# {}\n{}\n", "-".repeat(2000), checks.join("\n"));
        let out = Vm::builder()
            .run(&script, Duration::from_secs(120))
            .unwrap_or_else(|e| panic!("{e}"));
        for expected in [
            "tmp-is-tmpfs",
            "devpts-mounted",
            "loopback-up",
            "setns-root-is-the-host",
            "bridge-module-loaded",
        ] {
            assert!(
                out.stdout.lines().any(|l| l == expected),
                "{expected} missing:\n{}",
                out.stdout
            );
        }
    }

    #[test]
    fn a_vm_past_its_deadline_is_killed_with_a_clear_error() {
        if skip() {
            return;
        }
        let err = Vm::builder()
            .accel(Accel::Tcg)
            .run("sleep 600", Duration::from_secs(2))
            .unwrap_err();
        assert!(matches!(err, VmError::Timeout { .. }), "{err}");
        assert!(
            err.to_string().contains("did not finish within 2s"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_vm_boots_and_powers_off() {
        if skip() {
            return;
        }
        let out = Vm::builder()
            .accel(Accel::Tcg)
            .memory_mib(256)
            .cpus(1)
            .boot(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("{e}"));
        eprintln!("launch → power-off under TCG: {:?}", out.total_time);
        assert_eq!(out.status, 0);
        assert!(out.console.contains("KIT-UP"), "{}", out.console);
    }
}

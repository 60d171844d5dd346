//! The guest's first filesystem: an initramfs with busybox as `/init`'s shell, the kernel
//! modules needed to mount the host's files over 9p, and a small init script.
//!
//! Kernel modules come from the Debian kernel package (`/lib/modules/VERSION`), in the order
//! `modules.dep` requires (a module's dependencies are loaded before it).

use super::VmError;
use super::cpio::Archive;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A kernel image with its modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernel {
    /// The bzImage (`/boot/vmlinuz-VERSION`).
    pub image: PathBuf,
    /// `uname -r` of that kernel, naming `/lib/modules/VERSION`.
    pub version: String,
}

impl Kernel {
    /// Finds a kernel to boot: `KIT_VM_KERNEL` if set, else the newest `/boot/vmlinuz-*` that
    /// has a `/lib/modules/VERSION` directory (from Debian's `linux-image-amd64`).
    pub fn find() -> Result<Kernel, VmError> {
        if let Ok(image) = std::env::var("KIT_VM_KERNEL") {
            let image = PathBuf::from(image);
            if !image.is_file() {
                return Err(VmError::Setup(format!(
                    "KIT_VM_KERNEL={} does not exist",
                    image.display()
                )));
            }
            let version = image
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("vmlinuz-"));
            let version = version.ok_or_else(|| {
                VmError::Setup(format!(
                    "KIT_VM_KERNEL={} is not named vmlinuz-VERSION",
                    image.display()
                ))
            })?;
            return Ok(Kernel {
                version: version.into(),
                image,
            });
        }
        let mut found: Vec<Kernel> = std::fs::read_dir("/boot")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let version = name.strip_prefix("vmlinuz-")?.to_string();
                Path::new("/lib/modules")
                    .join(&version)
                    .join("modules.dep")
                    .exists()
                    .then(|| Kernel {
                        image: entry.path(),
                        version,
                    })
            })
            .collect();
        found.sort_by(|a, b| a.version.cmp(&b.version));
        found.pop().ok_or(VmError::NoKernel)
    }

    fn modules_dir(&self) -> PathBuf {
        Path::new("/lib/modules").join(&self.version)
    }
}

/// The modules to mount a 9p share over virtio-pci, with everything they depend on, in
/// load order. Modules the kernel has built in (`modules.builtin`) are skipped.
pub fn modules_in_load_order(kernel: &Kernel, wanted: &[&str]) -> Result<Vec<PathBuf>, VmError> {
    let dir = kernel.modules_dir();
    let read = |file: &str| {
        std::fs::read_to_string(dir.join(file))
            .map_err(|e| VmError::Setup(format!("cannot read {}: {e}", dir.join(file).display())))
    };
    let module_name = |path: &str| {
        let file = path.rsplit('/').next().unwrap_or(path);
        file.split(".ko").next().unwrap_or(file).replace('-', "_")
    };
    // modules.dep: "kernel/fs/9p/9p.ko: kernel/fs/netfs/netfs.ko kernel/net/9p/9pnet.ko"
    let mut deps: HashMap<String, (String, Vec<String>)> = HashMap::new();
    for line in read("modules.dep")?.lines() {
        let Some((path, rest)) = line.split_once(':') else {
            continue;
        };
        deps.insert(
            module_name(path),
            (
                path.to_string(),
                rest.split_whitespace().map(module_name).collect(),
            ),
        );
    }
    let builtin: Vec<String> = read("modules.builtin")
        .unwrap_or_default()
        .lines()
        .map(module_name)
        .collect();

    fn visit(
        name: &str,
        deps: &HashMap<String, (String, Vec<String>)>,
        builtin: &[String],
        out: &mut Vec<String>,
    ) -> Result<(), VmError> {
        if out.iter().any(|n| n == name) || builtin.iter().any(|n| n == name) {
            return Ok(());
        }
        let (_, needs) = deps.get(name).ok_or_else(|| {
            VmError::Setup(format!(
                "kernel module {name} is neither in modules.dep nor built in"
            ))
        })?;
        for need in needs {
            visit(need, deps, builtin, out)?;
        }
        out.push(name.to_string());
        Ok(())
    }
    let mut order = Vec::new();
    for name in wanted {
        visit(name, &deps, &builtin, &mut order)?;
    }
    Ok(order.iter().map(|name| dir.join(&deps[name].0)).collect())
}

/// Reads a module file, decompressing `.ko.xz`/`.ko.zst` (newer Debian kernels) because
/// busybox's insmod takes plain ELF objects.
fn module_bytes(path: &Path) -> Result<Vec<u8>, VmError> {
    let name = path.to_string_lossy();
    let tool = if name.ends_with(".xz") {
        Some("xz")
    } else if name.ends_with(".zst") {
        Some("zstd")
    } else {
        None
    };
    let bytes = match tool {
        None => {
            std::fs::read(path).map_err(|e| VmError::Setup(format!("cannot read {name}: {e}")))?
        }
        Some(tool) => {
            let out = Command::new(tool)
                .arg("-dc")
                .arg(path)
                .output()
                .map_err(|e| VmError::Setup(format!("cannot run {tool} to unpack {name}: {e}")))?;
            if !out.status.success() {
                return Err(VmError::Setup(format!("{tool} -dc {name} failed")));
            }
            out.stdout
        }
    };
    Ok(bytes)
}

/// Where busybox-static installs its binary on Debian.
const BUSYBOX: &str = "/bin/busybox";

/// Builds an initramfs with busybox, `modules` (loaded in this order by `/init`) and
/// `init_script` as `/init`, writing it atomically (temp file, then rename) to `dest`.
pub fn build(dest: &Path, init_script: &str, modules: &[PathBuf]) -> Result<(), VmError> {
    let busybox = std::fs::read(BUSYBOX).map_err(|e| {
        VmError::Setup(format!(
            "cannot read {BUSYBOX}: {e}: install it with `apt-get install busybox-static`"
        ))
    })?;
    let mut archive = Archive::default();
    for dir in [
        "bin",
        "dev",
        "proc",
        "sys",
        "tmp",
        "host",
        "lib",
        "lib/modules",
        "root",
    ] {
        archive.dir(dir);
    }
    archive.char_device("dev/console", 5, 1);
    archive.file("bin/busybox", 0o755, &busybox);
    archive.symlink("bin/sh", "busybox");
    let mut names = String::new();
    for path in modules {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("module")
            .split(".ko")
            .next()
            .unwrap_or("module")
            .to_string();
        archive.file(
            &format!("lib/modules/{name}.ko"),
            0o644,
            &module_bytes(path)?,
        );
        names.push_str(&name);
        names.push('\n');
    }
    archive.file("lib/modules/order", 0o644, names.as_bytes());
    archive.file("init", 0o755, init_script.as_bytes());

    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| VmError::Setup(format!("cannot create {}: {e}", parent.display())))?;
    let temp = parent.join(format!(
        ".{}.{}",
        dest.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("initramfs"),
        std::process::id()
    ));
    let mut file = std::fs::File::create(&temp)
        .map_err(|e| VmError::Setup(format!("cannot create {}: {e}", temp.display())))?;
    archive
        .finish(&mut file)
        .and_then(|_| file.sync_all())
        .map_err(|e| VmError::Setup(format!("cannot write {}: {e}", temp.display())))?;
    std::fs::rename(&temp, dest).map_err(|e| {
        VmError::Setup(format!(
            "cannot rename {} to {}: {e}",
            temp.display(),
            dest.display()
        ))
    })
}

/// The init of the kit's initramfs. It loads the modules, mounts the host's `/` (shared
/// read-only over 9p) with a RAM-backed overlayfs on top at `/host` — so the guest sees every
/// host file and can write without touching the host — and adds what a booted system has:
/// loopback up, fresh /proc, /sys, /dev (with /dev/pts for terminals), a cgroup2 tree, and
/// an empty tmpfs `/tmp` (overlayfs, which containers use for their root, accepts tmpfs as
/// an upper layer, but not the 9p-backed overlay). It makes `/host` the root with
/// `switch_root`, as a distribution's initramfs does; then, as PID 1 of the new root, it
/// runs the base64-encoded script given as `kit.run=` on the kernel command line, with its
/// output on the second serial port (ttyS1). Marker lines (`KIT-READY`, `KIT-EXIT n`) frame
/// it there for the host.
///
/// Why `switch_root` rather than `chroot`: a chroot leaves the initramfs as the root of the
/// mount namespace, and whatever joins a namespace with setns(2) lands at that root (a
/// container engine's `exec` would find the initramfs, not the container). And the kernel
/// loads modules on demand (veth, bridge, nftables...) by running `/sbin/modprobe` from
/// PID 1's root: after the switch, that is the host's, next to `/lib/modules` of this kernel.
pub const KIT_INIT: &str = r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "$@" > /dev/ttyS1; }
stty -F /dev/ttyS1 raw -echo 2>/dev/null
fail() { say "KIT-ERROR $*"; say "KIT-EXIT 125"; poweroff -f; }
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m.ko || fail "insmod $m"; done
ip link set lo up || fail "loopback up"
script=$(sed -n 's/.*kit\.run=\([^ ]*\).*/\1/p' /proc/cmdline)
[ -n "$script" ] || fail "no kit.run= on the kernel command line"
mkdir -p /lower /rw
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 host /lower || fail "mount 9p"
mount -t tmpfs tmpfs /rw
mkdir /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /host || fail "mount overlay"
[ -x /host/bin/busybox ] || fail "the host has no /bin/busybox (apt-get install busybox-static)"
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount -t cgroup2 cgroup2 /host/sys/fs/cgroup || fail "mount cgroup2"
mount -t devtmpfs devtmpfs /host/dev
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /host/dev/pts || fail "mount devpts"
mount -t tmpfs -o mode=1777 tmpfs /host/dev/shm
mount -t tmpfs -o mode=1777 tmpfs /host/tmp || fail "mount /tmp"
mkdir -p /host/run/kit
echo "$script" | base64 -d > /host/run/kit/run.sh || fail "decode kit.run"
cat > /host/run/kit/init <<'STAGE2'
echo KIT-READY > /dev/ttyS1
/bin/sh /run/kit/run.sh > /dev/ttyS1 2>&1 < /dev/null
echo "KIT-EXIT $?" > /dev/ttyS1
/bin/busybox poweroff -f
STAGE2
exec switch_root /host /bin/busybox sh /run/kit/init
fail "switch_root"
"#;

/// The init of the smallest useful initramfs: say so on the console and power off at once.
/// Booting it measures what a VM costs before it does anything (and probes KVM).
pub const POWEROFF_INIT: &str =
    "#!/bin/busybox sh\n/bin/busybox echo KIT-UP > /dev/console\n/bin/busybox poweroff -f\n";

/// The modules the kit's initramfs loads: 9p over virtio for the host's files, overlayfs
/// to make them writable in RAM.
pub const KIT_MODULES: &[&str] = &["virtio_pci", "9pnet_virtio", "9p", "overlay"];

/// Where built VM files are cached: the workspace's `target/kit/vm/`.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/kit/vm")
}

/// Returns `target/kit/vm/NAME-KERNEL-HASH.cpio` under the workspace, building it first if
/// it is not there yet. The hash covers the init script, so editing it rebuilds the image.
pub fn cached(
    kernel: &Kernel,
    name: &str,
    init_script: &str,
    modules: &[&str],
) -> Result<PathBuf, VmError> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (init_script, modules, &kernel.version).hash(&mut hasher);
    let dest = cache_dir().join(format!(
        "{name}-{}-{:016x}.cpio",
        kernel.version,
        hasher.finish()
    ));
    if !dest.exists() {
        let paths = modules_in_load_order(kernel, modules)?;
        build(&dest, init_script, &paths)?;
    }
    Ok(dest)
}

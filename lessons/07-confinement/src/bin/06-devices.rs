//! Step 6: device rules. A root process with `CAP_MKNOD` can create a node for any device —
//! here `/dev/mem`'s numbers, character device 1:1, the host's physical memory. Docker lets it
//! create the node (harmless on its own) but not open it; `/dev/null` (1:3) stays usable. On
//! cgroup v1 the rules are lines in `devices.allow`/`devices.deny`; on cgroup v2 they are a
//! small BPF program attached to the cgroup. This step shows each one this machine has
//! (a hybrid machine has both; a v2-only laptop only the program).
//!
//! Run:  cargo run -p confinement --bin 06-devices
//! Look for, per version: `inside: mknod c 1:1=ok open=EPERM; mknod c 1:3=ok open=ok`, and
//! from outside the v1 allow list or `device programs attached=1`.
//! Read: mknod(2), the kernel's Documentation/admin-guide/cgroup-v1/devices.rst and
//! cgroup-v2.rst ("Device controller"), bpf(2), and `src/devices/`.

use confinement::devices::cgroup::{self, Version};
use confinement::devices::{DOCKER_DEFAULT, DeviceCgroup, bpf, v1};
use namespaces::Namespace;
use namespaces::process::{Gate, spawn};
use nix::mount::MsFlags;
use nix::sys::stat::{Mode, SFlag, makedev, mknod};
use std::path::Path;

/// Makes a character device node `major:minor` in `dir` and tries to open it for reading.
fn try_device(dir: &Path, major: u64, minor: u64) -> String {
    let node = dir.join(format!("dev-{major}-{minor}"));
    let made = mknod(
        &node,
        SFlag::S_IFCHR,
        Mode::from_bits_truncate(0o600),
        makedev(major, minor),
    );
    let opened = std::fs::File::open(&node);
    let show = |e: Option<i32>| e.map_or("ok".into(), |n| format!("{:?}", nix::Error::from_raw(n)));
    format!(
        "mknod c {major}:{minor}={} open={}",
        show(made.err().map(|e| e as i32)),
        show(opened.err().map(|e| e.raw_os_error().unwrap_or(0)))
    )
}

fn show(version: Version) -> anyhow::Result<()> {
    let name = format!("lab07-devices-{}", std::process::id());
    let group = DeviceCgroup::create(version, &name)?;
    // ANCHOR: apply
    group.apply(&DOCKER_DEFAULT)?;
    // ANCHOR_END: apply
    println!("{version:?}: cgroup {}", group.dir().display());
    match version {
        Version::V1 => {
            let list = v1::list(group.dir())?;
            println!(
                "outside: devices.list = {}",
                list.lines().collect::<Vec<_>>().join(", ")
            );
        }
        Version::V2 => println!(
            "outside: device programs attached={}",
            bpf::attached(group.dir())?
        ),
    }
    // A scratch directory on a tmpfs of the child's own, so device nodes are allowed there.
    let scratch = tempfile::Builder::new().prefix("lab07-dev-").tempdir()?;
    let (joined, done) = (Gate::new()?, Gate::new()?);
    let child = spawn(&[Namespace::Mount], || {
        if !joined.wait() {
            return 1;
        }
        // Without MS_NODEV: on a `nodev` mount every device open fails, whatever the rules.
        let private = namespaces::mounts::make_private();
        let tmpfs = nix::mount::mount(
            Some("tmpfs"),
            scratch.path(),
            Some("tmpfs"),
            MsFlags::empty(),
            Some("mode=0700"),
        );
        if private.is_err() || tmpfs.is_err() {
            return 1;
        }
        let mem = try_device(scratch.path(), 1, 1);
        let null = try_device(scratch.path(), 1, 3);
        println!("inside: {mem}; {null}");
        let _ = done.open();
        0
    })?;
    group.add_process(child.pid().as_raw())?;
    joined.open()?;
    done.wait();
    anyhow::ensure!(child.wait()? == 0, "the child failed");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    namespaces::privilege::require_root("cgroups")?;
    let mut shown = 0;
    if cgroup::v1_mount()?.is_some() {
        show(Version::V1)?;
        shown += 1;
    }
    if cgroup::v2_mount()?.is_some() {
        show(Version::V2)?;
        shown += 1;
    }
    anyhow::ensure!(
        shown > 0,
        "this machine mounts neither a v1 `devices` hierarchy nor cgroup2"
    );
    Ok(())
}

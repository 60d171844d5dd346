//! What `cargo kit classroom` runs beside the dashboard: lesson 05's registry loaded from the
//! bundle (`kit-bundle serve`), a child process in a process group of its own (setpgid(2)), so the terminal's Ctrl-C reaches only the kit,
//! which then stops it in order: SIGTERM, a short wait, SIGKILL (kill(2), signal(7)).

use nix::sys::signal::{SigSet, Signal, kill};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The classroom's helper processes.
#[derive(Default)]
pub struct Services {
    children: Vec<(String, Child)>,
}

impl Services {
    /// Starts `command` as the service `name` (its output goes to the kit's terminal).
    pub fn spawn(&mut self, name: &str, mut command: Command) -> anyhow::Result<u32> {
        // SAFETY: between fork and exec only async-signal-safe calls are allowed; prctl(2) is a
        // plain system call. PR_SET_PDEATHSIG: should the kit die without cleaning up (even
        // SIGKILL), the kernel sends the service SIGTERM, so no registry outlives the room.
        unsafe {
            command.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).map_err(std::io::Error::from)
            });
        }
        let child = command
            .process_group(0)
            .spawn()
            .map_err(|e| anyhow::anyhow!("start {name}: {e}"))?;
        let pid = child.id();
        self.children.push((name.to_string(), child));
        Ok(pid)
    }

    /// The services still running, by name (one that exited is reported and forgotten).
    pub fn running(&mut self) -> Vec<String> {
        let mut names = Vec::new();
        self.children
            .retain_mut(|(name, child)| match child.try_wait() {
                Ok(None) => {
                    names.push(name.clone());
                    true
                }
                Ok(Some(status)) => {
                    eprintln!("classroom: {name} ended ({status})");
                    false
                }
                Err(_) => false,
            });
        names
    }

    /// Stops every service: SIGTERM, up to `grace` to exit, then SIGKILL. Returns one line
    /// per service saying how it ended.
    pub fn stop(&mut self, grace: Duration) -> Vec<String> {
        for (_, child) in &self.children {
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
        }
        let until = Instant::now() + grace;
        let mut said = Vec::new();
        for (name, mut child) in self.children.drain(..) {
            let ended = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break format!("{name}: stopped ({status})"),
                    Ok(None) if Instant::now() < until => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break format!("{name}: killed (it ignored SIGTERM)");
                    }
                }
            };
            said.push(ended);
        }
        said
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(5));
    }
}

/// Blocks SIGINT and SIGTERM in this thread and every thread started after (pthread_sigmask(3)),
/// and starts a thread that waits for one (sigwait(3)), stops `services` and exits the kit.
/// Call it after the children are started (they must not inherit the blocked mask) and
/// before any other thread.
pub fn stop_on_signal(mut services: Services) -> anyhow::Result<()> {
    let mut signals = SigSet::empty();
    signals.add(Signal::SIGINT);
    signals.add(Signal::SIGTERM);
    signals.thread_block()?;
    std::thread::spawn(move || {
        let signal = signals.wait().map_or("a signal", |s| s.as_str());
        eprintln!("\nclassroom: {signal} received, stopping");
        for line in services.stop(Duration::from_secs(5)) {
            eprintln!("  {line}");
        }
        std::process::exit(0);
    });
    Ok(())
}

/// Starts lesson 05's registry on `addr` (loaded from `bundle`, if given; its storage under
/// `target/kit/classroom-registry`).
pub fn start_registry(
    ws: &crate::bench::Workspace,
    bundle: Option<&std::path::Path>,
    addr: &str,
) -> anyhow::Result<Services> {
    let mut services = Services::default();
    let mut registry = crate::bundle::tool(ws)?;
    registry
        .args(["serve", "--addr", addr, "--root"])
        .arg(ws.kit_dir().join("classroom-registry"));
    if let Some(bundle) = bundle {
        registry.arg("--bundle").arg(bundle);
    }
    services.spawn("registry", registry)?;
    Ok(services)
}

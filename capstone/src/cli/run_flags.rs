//! More flags of `run` and `create` (Docker's names): labels, `-P`, hosts and DNS, tmpfs,
//! ulimits, devices, the stop signal and timeout, `/dev/shm`'s size, sysctls, groups, log
//! rotation, `--cidfile` and `-a`. Parsed here; [`crate::engine::run_flags`] checks them.

use crate::engine::run_flags::RunFlags;
use clap::Args;
use std::path::PathBuf;

/// The flags (flattened into `run`'s and `create`'s arguments).
#[derive(Debug, Args, Default)]
pub struct MoreRunArgs {
    /// Set a label: `KEY=VALUE`.
    #[arg(short = 'l', long = "label")]
    pub label: Vec<String>,
    /// Read labels from a file of `KEY=VALUE` lines.
    #[arg(long)]
    pub label_file: Vec<PathBuf>,
    /// Publish every port the image exposes on a free host port.
    #[arg(short = 'P', long)]
    pub publish_all: bool,
    /// Add a line to /etc/hosts: `NAME:IP`.
    #[arg(long)]
    pub add_host: Vec<String>,
    /// A name server for /etc/resolv.conf (replaces the host's).
    #[arg(long)]
    pub dns: Vec<String>,
    /// Another name for the container on its user-defined network.
    #[arg(long, alias = "net-alias")]
    pub network_alias: Vec<String>,
    /// Mount a tmpfs: `/DEST[:OPTIONS]`, e.g. `/run:size=64m,mode=755`.
    #[arg(long)]
    pub tmpfs: Vec<String>,
    /// A resource limit (setrlimit(2)): `NAME=SOFT[:HARD]`, e.g. `nofile=512:1024`.
    #[arg(long)]
    pub ulimit: Vec<String>,
    /// Give the container a host device: `/dev/HOST[:/dev/INSIDE[:rwm]]`.
    #[arg(long)]
    pub device: Vec<String>,
    /// The signal `stop` sends first (default: the image's, else SIGTERM).
    #[arg(long)]
    pub stop_signal: Option<String>,
    /// Seconds `stop` waits before SIGKILL (default 10).
    #[arg(long)]
    pub stop_timeout: Option<u64>,
    /// Size of /dev/shm, e.g. `128m` (default 64m).
    #[arg(long)]
    pub shm_size: Option<String>,
    /// A namespaced kernel parameter: `KEY=VALUE`, e.g. `net.ipv4.ip_forward=1`.
    #[arg(long)]
    pub sysctl: Vec<String>,
    /// A supplementary group (name in the image's /etc/group, or number).
    #[arg(long)]
    pub group_add: Vec<String>,
    /// Log options: `max-size=10m`, `max-file=3` (rotation of the json log).
    #[arg(long)]
    pub log_opt: Vec<String>,
    /// Write the container's id to this file (which must not exist yet).
    #[arg(long)]
    pub cidfile: Option<PathBuf>,
    /// Attach to these streams only: `stdin`, `stdout`, `stderr` (runs in the foreground).
    #[arg(short = 'a', long = "attach")]
    pub attach: Vec<String>,
}

impl MoreRunArgs {
    /// What the engine checks at `create`.
    pub fn flags(&self) -> RunFlags {
        RunFlags {
            labels: self.label.clone(),
            label_files: self.label_file.clone(),
            publish_all: self.publish_all,
            add_hosts: self.add_host.clone(),
            dns: self.dns.clone(),
            network_aliases: self.network_alias.clone(),
            tmpfs: self.tmpfs.clone(),
            ulimits: self.ulimit.clone(),
            devices: self.device.clone(),
            stop_signal: self.stop_signal.clone(),
            stop_timeout: self.stop_timeout,
            shm_size: self.shm_size.clone(),
            sysctls: self.sysctl.clone(),
            group_add: self.group_add.clone(),
            log_opts: self.log_opt.clone(),
        }
    }
}

/// `--cidfile`: Docker refuses a file that exists (another container may own it).
pub fn check_cidfile(path: Option<&std::path::Path>) -> crate::Result<()> {
    match path {
        Some(p) if p.exists() => Err(crate::Error::invalid(
            "--cidfile",
            p.display().to_string(),
            "the container ID file exists already: make sure no other container uses it, then delete it",
        )),
        _ => Ok(()),
    }
}

/// Writes the new container's id (without a newline, as Docker does).
pub fn write_cidfile(path: Option<&std::path::Path>, id: &str) -> crate::Result<()> {
    match path {
        Some(p) => std::fs::write(p, id).map_err(crate::Error::io("write --cidfile", p)),
        None => Ok(()),
    }
}

/// `-a stdin|stdout|stderr`: the streams `run` attaches; those not named are not shown.
#[derive(Debug, Clone, Copy)]
pub struct Streams {
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

impl Streams {
    /// `None` when no `-a` was given (Docker attaches stdout and stderr by default).
    pub fn parse(names: &[String], detach: bool) -> crate::Result<Option<Streams>> {
        if names.is_empty() {
            return Ok(None);
        }
        if detach {
            return Err(crate::Error::invalid(
                "-a",
                names.join(","),
                "conflicting options: -a and -d (a detached container attaches nothing)",
            ));
        }
        let mut s = Streams {
            stdin: false,
            stdout: false,
            stderr: false,
        };
        for name in names {
            match name.to_ascii_lowercase().as_str() {
                "stdin" => s.stdin = true,
                "stdout" => s.stdout = true,
                "stderr" => s.stderr = true,
                _ => {
                    return Err(crate::Error::invalid(
                        "-a",
                        name.as_str(),
                        "valid streams are STDIN, STDOUT and STDERR",
                    ));
                }
            }
        }
        Ok(Some(s))
    }

    /// Runs `attached` (given whether to forward stdin) with our stdout and stderr pointed at
    /// /dev/null (dup2(2)) for the streams not attached, and puts them back afterwards.
    pub fn while_attached(
        self,
        attached: impl FnOnce(bool) -> crate::Result<i32>,
    ) -> crate::Result<i32> {
        use std::os::fd::AsRawFd;
        let null = std::fs::File::options()
            .write(true)
            .open("/dev/null")
            .map_err(crate::Error::io("open", "/dev/null"))?;
        let mut saved = Vec::new();
        for (fd, keep) in [(1, self.stdout), (2, self.stderr)] {
            if keep {
                continue;
            }
            // SAFETY: dup(2) of fd 1 or 2 makes a new descriptor and touches no memory.
            let copy = unsafe { libc::dup(fd) };
            // SAFETY: dup2(2) onto fd 1 or 2, which no Rust object owns exclusively.
            if copy >= 0 && unsafe { libc::dup2(null.as_raw_fd(), fd) } >= 0 {
                saved.push((fd, copy));
            }
        }
        let result = attached(self.stdin);
        for (fd, copy) in saved {
            // SAFETY: puts back the descriptor saved above and closes the copy.
            unsafe {
                libc::dup2(copy, fd);
                libc::close(copy);
            }
        }
        result
    }
}

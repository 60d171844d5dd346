//! The engine's state on disk. There is no daemon: every command is a process that reads and
//! writes these files, so they are the only truth, and they must survive any process dying.
//!
//! ```text
//! <root>/images/                      the image store (lesson 04)
//! <root>/containers/<id>/config.json  one record per container (this module's `Container`)
//! <root>/containers/<id>/<id>-json.log  its output, one JSON object per line (Docker's format)
//! <root>/containers/<id>/{upper,work,merged}  its overlay layer (lesson 03)
//! <runroot>/locks/<id>.lock           flock(2) taken for every read-modify-write of a record
//! <runroot>/locks/names.lock          flock(2) taken while a name is checked and claimed
//! ```
//!
//! Every record is written atomically (temp file, rename(2)), so a reader sees the old record
//! or the new one, never half of one, whichever process dies when; flock(2) locks are released
//! by the kernel when their holder dies, so a killed command never leaves the store locked.
//! A new record is also fsync(2)ed, so it survives a power cut; later status changes are not
//! (that would cost a few disk flushes per `run`): after a power cut every container is
//! stopped anyway, and [`refresh`] records that from the dead pids.

use crate::container::Container;
use crate::{Error, Result};
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::path::{Path, PathBuf};

/// Where the engine keeps its state: persistent files under `root`, locks under `runroot`.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `--root` / `CAPSTONE_ROOT` (default `/var/lib/capstone`).
    pub root: PathBuf,
    /// `--runroot` / `CAPSTONE_RUNROOT` (default `/run/capstone`): lost at reboot, like locks.
    pub runroot: PathBuf,
}

/// An exclusive flock(2) on a lock file, released when dropped (or when the process dies).
pub type Lock = Flock<File>;

impl Paths {
    /// Opens (creating if needed) the state directories.
    pub fn open(root: &Path, runroot: &Path) -> Result<Paths> {
        let paths = Paths {
            root: absolute(root)?,
            runroot: absolute(runroot)?,
        };
        for dir in [
            paths.containers(),
            paths.images(),
            paths.runroot.join("locks"),
        ] {
            std::fs::create_dir_all(&dir).map_err(Error::io("create state directory", &dir))?;
        }
        Ok(paths)
    }

    /// `<root>/containers`.
    pub fn containers(&self) -> PathBuf {
        self.root.join("containers")
    }

    /// `<root>/images`: the lesson-04 image store.
    pub fn images(&self) -> PathBuf {
        self.root.join("images")
    }

    /// The image store.
    pub fn store(&self) -> Result<images::Store> {
        Ok(images::Store::open(self.images())?)
    }

    /// The directory of one container.
    pub fn container_dir(&self, id: &str) -> PathBuf {
        self.containers().join(id)
    }

    /// The record of one container.
    pub fn record(&self, id: &str) -> PathBuf {
        self.container_dir(id).join("config.json")
    }

    /// The log file of one container (the name Docker's json-file driver uses).
    pub fn log(&self, id: &str) -> PathBuf {
        self.container_dir(id).join(format!("{id}-json.log"))
    }

    /// Takes the lock of one container's record (blocking until it is free).
    pub fn lock(&self, id: &str) -> Result<Lock> {
        lock_file(&self.runroot.join("locks").join(format!("{id}.lock")))
    }

    /// Takes the lock that makes "is this name free? then claim it" one step.
    pub fn lock_names(&self) -> Result<Lock> {
        lock_file(&self.runroot.join("locks/names.lock"))
    }
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(Error::io("resolve", path))
}

/// Opens `path` (creating it) and takes an exclusive flock(2) on it. Why flock and not a
/// lock directory: the kernel drops a flock when its process dies, so a crash cannot wedge
/// the store.
pub fn lock_file(path: &Path) -> Result<Lock> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(Error::io("open lock file", path))?;
    Flock::lock(file, FlockArg::LockExclusive)
        .map_err(|(_, errno)| Error::sys(format!("flock({})", path.display()))(errno))
}

/// Writes a new `record` to its file atomically and durably (images' temp file, fsync(2),
/// rename(2)).
pub fn save(paths: &Paths, record: &Container) -> Result<()> {
    let json = serde_json::to_vec_pretty(record).expect("a container record serialises");
    images::store::write_atomic(&paths.record(&record.id), &json)?;
    Ok(())
}

/// Replaces `record`'s file atomically but without fsync(2): a temporary file beside it, then
/// rename(2), which no process death can leave half done (see the module docs for why a power
/// cut is fine).
fn save_change(paths: &Paths, record: &Container) -> Result<()> {
    let path = paths.record(&record.id);
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(Error::io("create temporary file in", dir))?;
    // One write(2) of the whole record (serialising straight into the file makes hundreds).
    let json = serde_json::to_vec_pretty(record).expect("a container record serialises");
    std::io::Write::write_all(&mut tmp, &json).map_err(Error::io("write", &path))?;
    tmp.persist(&path)
        .map_err(|e| Error::io("rename into place", &path)(e.error))?;
    Ok(())
}

/// Reads one record.
pub fn load(paths: &Paths, id: &str) -> Result<Container> {
    let path = paths.record(id);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NoSuchContainer(id.into()));
        }
        Err(e) => return Err(Error::io("read", &path)(e)),
    };
    serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
        path,
        why: e.to_string(),
    })
}

/// Every container with a complete record, oldest first. A directory without a record is a
/// `create` that died half-way: it is not a container, and is skipped.
pub fn list(paths: &Paths) -> Result<Vec<Container>> {
    let dir = paths.containers();
    let mut all = Vec::new();
    for entry in std::fs::read_dir(&dir).map_err(Error::io("list", &dir))? {
        let entry = entry.map_err(Error::io("list", &dir))?;
        let id = entry.file_name().to_string_lossy().into_owned();
        match load(paths, &id) {
            Ok(c) => all.push(refresh(paths, c)?),
            Err(Error::NoSuchContainer(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    all.sort_by(|a, b| a.created.cmp(&b.created));
    Ok(all)
}

/// Finds a container by full id, name, or unique id prefix (as Docker does), with its state
/// refreshed (see [`refresh`]).
pub fn find(paths: &Paths, query: &str) -> Result<Container> {
    let query = query.strip_prefix('/').unwrap_or(query);
    let all = list(paths)?;
    if let Some(c) = all.iter().find(|c| c.id == query || c.name == query) {
        return Ok(c.clone());
    }
    let mut matches = all
        .into_iter()
        .filter(|c| !query.is_empty() && c.id.starts_with(query));
    match (matches.next(), matches.next()) {
        (Some(c), None) => Ok(c),
        (Some(_), Some(_)) => Err(Error::Ambiguous(query.into())),
        _ => Err(Error::NoSuchContainer(query.into())),
    }
}

/// Read-modify-write of one record under its lock: `change` sees the current record.
pub fn update(paths: &Paths, id: &str, change: impl FnOnce(&mut Container)) -> Result<Container> {
    let _lock = paths.lock(id)?;
    let mut record = load(paths, id)?;
    change(&mut record);
    save_change(paths, &record)?;
    Ok(record)
}

/// A record says `running`, but is it? If both the container's first process and its monitor
/// are gone (killed with SIGKILL, or the machine rebooted), nobody is left to record the exit:
/// record it now, with Docker's "unknown" code 255 and an error saying why.
pub fn refresh(paths: &Paths, record: Container) -> Result<Container> {
    let s = &record.state;
    if !(s.running || s.paused)
        || alive(s.pid, s.pid_start)
        || alive(s.monitor_pid, s.monitor_start)
    {
        return Ok(record);
    }
    let record = update(paths, &record.id, |c| {
        if c.state.running || c.state.paused {
            c.state.mark_exited(255);
            c.state.error = "the container and its monitor died; the exit status is unknown".into();
        }
    })?;
    // The monitor did not live to give back the address and the published ports: do it now.
    if record.network_settings.primary().is_some()
        && crate::network::attach::disconnect_all(paths, &record).is_ok()
    {
        return update(paths, &record.id, |c| c.network_settings.clear_endpoints());
    }
    Ok(record)
}

/// Whether process `pid` exists and is the same process we saw start: its start time (field
/// 22 of `/proc/PID/stat`, proc_pid_stat(5)) must match, because pids are reused.
pub fn alive(pid: i32, start: u64) -> bool {
    pid > 0 && start_time(pid) == Some(start) && !is_zombie(pid)
}

/// Whether `pid` has exited and only waits to be reaped (state `Z` in `/proc/PID/stat`): an
/// orphan whose monitor was killed lingers so until its new parent calls wait(2).
fn is_zombie(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rfind(')')
        .and_then(|i| stat.get(i + 2..i + 3))
        .is_some_and(|state| state == "Z" || state == "X")
}

/// The start time of `pid` in clock ticks since boot (`/proc/PID/stat` field 22).
pub fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    let after = &stat[stat.rfind(')')? + 2..];
    // `after` starts at field 3 (state); field 22 is 19 further.
    after.split(' ').nth(19)?.parse().ok()
}

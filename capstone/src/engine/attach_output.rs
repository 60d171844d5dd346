//! Attaching to a container's output, as `docker attach` (and `docker run` without `-d`)
//! does: the output its *next* run writes, from the moment of attaching until that run ends.
//! The monitor writes every line into the container's json-file log; attaching reads the log
//! from its current end and follows it, woken by inotify(7):
//! - on the log (`IN_MODIFY`: lines were appended; `IN_CLOSE_WRITE`: the monitor is gone), and
//! - on the container's directory (`IN_MOVED_TO`: the record was replaced, e.g. with
//!   `exited`; `IN_DELETE`/`IN_DELETE_SELF`: a `--rm` container was removed).
//!
//! The log is opened *before* the run starts, so even a `--rm` container that prints and is
//! removed within a millisecond is read whole: its unlinked file stays readable through our
//! descriptor (unlink(2) removes a name, not an open file).

use super::Engine;
use crate::mechanisms::logs::{self, Entry};
use crate::store::containers;
use crate::{Error, Result};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::io::{BufReader, Seek, SeekFrom};

impl Engine {
    /// Gives `show` each line the container's next run (or its current one) writes, until that
    /// run has ended; stops early when `show` fails (the client went away).
    pub fn attach_output(
        &self,
        query: &str,
        show: &mut dyn FnMut(&Entry) -> std::io::Result<()>,
    ) -> Result<()> {
        let record = self.container(query)?;
        let dir = self.paths.container_dir(&record.id);
        let path = self.paths.log(&record.id);
        let inotify =
            Inotify::init(InitFlags::IN_CLOEXEC).map_err(Error::sys("inotify_init1(2)"))?;
        let dir_events =
            AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_DELETE | AddWatchFlags::IN_DELETE_SELF;
        inotify
            .add_watch(&dir, dir_events)
            .map_err(Error::sys(format!("inotify_add_watch({})", dir.display())))?;
        let mut file = std::fs::File::options()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(Error::io("open log", &path))?;
        file.seek(SeekFrom::End(0))
            .map_err(Error::io("seek in log", &path))?;
        inotify
            .add_watch(
                &path,
                AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_CLOSE_WRITE,
            )
            .map_err(Error::sys(format!("inotify_add_watch({})", path.display())))?;
        let mut reader = BufReader::new(file);
        let started_before = record.state.started_at.clone();
        let mut seen_running = record.is_active();
        loop {
            for entry in logs::read_more(&mut reader, &path)? {
                if show(&entry).is_err() {
                    return Ok(());
                }
            }
            let ended = match containers::load(&self.paths, &record.id) {
                Err(Error::NoSuchContainer(_)) => true,
                Err(e) => return Err(e),
                Ok(now) if now.is_active() => {
                    seen_running = true;
                    false
                }
                Ok(now) => seen_running || now.state.started_at != started_before,
            };
            if ended {
                // The monitor wrote its last lines before it recorded the exit.
                for entry in logs::read_more(&mut reader, &path)? {
                    if show(&entry).is_err() {
                        break;
                    }
                }
                return Ok(());
            }
            match inotify.read_events() {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(Error::sys("read(inotify)")(e)),
            }
        }
    }
}

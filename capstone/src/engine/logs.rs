//! `logs`: a container's json-file log, filtered (`--since`, `--until`, `--tail`) and
//! followed (`-f`) — the engine's half, which hands each entry to the front end to print
//! (the CLI on its stdout and stderr; the Engine API, later, as a multiplexed stream).

use super::Engine;
use crate::mechanisms::logs::{self, Entry};
use crate::model::clock;
use crate::model::container::Container;
use crate::store::Paths;
use crate::{Error, Result};
use std::io::BufReader;
use std::os::fd::AsFd;
use std::time::SystemTime;

/// Which entries `logs` gives.
#[derive(Debug, Clone, Default)]
pub struct LogsOptions {
    /// `--tail N` (`None`: all).
    pub tail: Option<usize>,
    /// `--since`: entries at or after this time.
    pub since: Option<SystemTime>,
    /// `--until`: entries at or before this time.
    pub until: Option<SystemTime>,
    /// `-f`: go on until the container is no longer running.
    pub follow: bool,
}

impl Engine {
    /// A container's log entries, oldest first, each given to `show`; with `follow`, returns
    /// only once the container has stopped and its log is drained.
    pub fn logs(&self, name: &str, opts: &LogsOptions, show: &mut dyn FnMut(&Entry)) -> Result<()> {
        let record = super::reconcile::find_observed(&self.paths, name)?;
        let path = self.paths.log(&record.id);
        let (mut entries, in_current) = logs::read_with_rotated(&path)?;
        if opts.since.is_some() || opts.until.is_some() {
            entries.retain(|e| {
                let Some(t) = clock::parse(&e.time) else {
                    return false;
                };
                opts.since.is_none_or(|s| t >= s) && opts.until.is_none_or(|u| t <= u)
            });
        }
        let skip = opts.tail.map_or(0, |n| entries.len().saturating_sub(n));
        entries[skip..].iter().for_each(&mut *show);
        if opts.follow {
            follow_log(&self.paths, &record, in_current, show, None)?;
        }
        Ok(())
    }
}

/// `logs -f`: hands over entries as the monitor appends them, woken by inotify(7) on the
/// container's directory (the log grows; the record is replaced when the container exits),
/// until the container is no longer running and the log is drained.
/// What else to wait on while following: descriptors (a signalfd(2), our stdin) and what to
/// do when one is readable.
pub struct Interrupt<'a> {
    /// The descriptors polled beside the log's inotify(7) one; `None` ones are skipped.
    pub fds: Vec<Option<std::os::fd::BorrowedFd<'a>>>,
    /// Called with the index of a readable descriptor.
    pub on_ready: &'a mut dyn FnMut(usize) -> Next,
}

/// What following does after an [`Interrupt`] descriptor was readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Go on.
    Continue,
    /// Stop polling this descriptor (it reached its end) and go on.
    Forget,
    /// Stop following.
    Stop,
}

/// Follows from the `already`-th entry of the current log file; returns `true` if an
/// [`Interrupt`] stopped it, `false` once the container stopped and its log was drained.
pub(super) fn follow_log(
    paths: &Paths,
    record: &Container,
    already: usize,
    show: &mut dyn FnMut(&Entry),
    mut interrupt: Option<Interrupt>,
) -> Result<bool> {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let dir = paths.container_dir(&record.id);
    let inotify = Inotify::init(InitFlags::IN_CLOEXEC).map_err(Error::sys("inotify_init1(2)"))?;
    inotify
        .add_watch(
            &dir,
            AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_DELETE_SELF,
        )
        .map_err(Error::sys(format!("inotify_add_watch({})", dir.display())))?;
    let path = paths.log(&record.id);
    let open = || {
        std::fs::File::options()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(Error::io("open log", &path))
    };
    let mut reader = BufReader::new(open()?);
    // The first `skip` entries of the current file were printed before following started.
    let mut skip = already;
    let mut print_new = |reader: &mut BufReader<std::fs::File>, skip: &mut usize| -> Result<()> {
        for entry in logs::read_more(reader, &path)? {
            match skip.checked_sub(1) {
                Some(left) => *skip = left,
                None => show(&entry),
            }
        }
        Ok(())
    };
    loop {
        print_new(&mut reader, &mut skip)?;
        if rotated_away(&reader, &path) {
            // `--log-opt max-size`: the monitor renamed our file; finish it, go on with the new.
            print_new(&mut reader, &mut skip)?;
            reader = BufReader::new(open()?);
            skip = 0;
            continue;
        }
        let running = crate::store::containers::load(paths, &record.id)
            .map(|c| c.is_active())
            .unwrap_or(false);
        if !running {
            print_new(&mut reader, &mut skip)?;
            return Ok(false);
        }
        if let Some(Interrupt { fds, on_ready }) = &mut interrupt {
            use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
            let mut polled = vec![PollFd::new(inotify.as_fd(), PollFlags::POLLIN)];
            let live: Vec<usize> = (0..fds.len()).filter(|i| fds[*i].is_some()).collect();
            polled.extend(
                live.iter()
                    .map(|i| PollFd::new(fds[*i].unwrap(), PollFlags::POLLIN)),
            );
            let _ = poll(&mut polled, PollTimeout::NONE);
            let ready = |p: &PollFd| p.revents().is_some_and(|r| !r.is_empty());
            let log_grew = ready(&polled[0]);
            let readable: Vec<usize> = (live.iter().zip(&polled[1..]))
                .filter(|(_, p)| ready(p))
                .map(|(i, _)| *i)
                .collect();
            drop(polled);
            for i in readable {
                match on_ready(i) {
                    Next::Stop => return Ok(true),
                    Next::Forget => fds[i] = None,
                    Next::Continue => {}
                }
            }
            if !log_grew {
                continue;
            }
        }
        match inotify.read_events() {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(Error::sys("read(inotify)")(e)),
        }
    }
}

/// Whether the file `reader` reads is no longer the one at `path` (it was rotated).
fn rotated_away(reader: &BufReader<std::fs::File>, path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let ours = reader.get_ref().metadata().map(|m| m.ino());
    let now = std::fs::metadata(path).map(|m| m.ino());
    matches!((ours, now), (Ok(a), Ok(b)) if a != b)
}

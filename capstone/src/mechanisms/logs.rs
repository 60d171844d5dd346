//! Container logs in Docker's `json-file` format: one JSON object per line,
//! `{"log":"hello\n","stream":"stdout","time":"2026-11-23T11:18:33.123456789Z"}`.
//! The monitor is the only writer (it owns the container's stdout and stderr pipes); `logs`
//! reads, and with `-f` follows the file using inotify(7) instead of polling on a timer.

use crate::model::clock;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

/// One line of output.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// The text, with its newline (the last line of a stream may lack one).
    pub log: String,
    /// `stdout` or `stderr`.
    pub stream: String,
    /// When the monitor read it.
    pub time: String,
}

/// Which of the container's output streams bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// fd 1 (and everything, with a pty).
    Stdout = 0,
    /// fd 2.
    Stderr = 1,
}

/// Appends output to a log file, a line at a time. The file is made at the first line: a
/// container that prints nothing costs no inode (readers take a missing log as empty).
#[derive(Debug)]
pub struct LogWriter {
    path: PathBuf,
    file: Option<File>,
    partial: [Vec<u8>; 2],
    rotation: Option<super::log_rotation::Rotation>,
}

impl LogWriter {
    /// The log at `path`, appended to (O_APPEND: whole lines land at the end); an existing
    /// file is opened now, so a log we cannot write is an error before the container runs.
    pub fn open(path: &Path) -> Result<LogWriter> {
        let file = match File::options().append(true).open(path) {
            Ok(file) => Some(file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io("open log", path)(e)),
        };
        Ok(LogWriter {
            path: path.to_path_buf(),
            file,
            partial: [Vec::new(), Vec::new()],
            rotation: None,
        })
    }

    /// Rotates the log past `max_size` bytes (0: never), keeping `max_file` files
    /// (`--log-opt`; see [`super::log_rotation`]).
    pub fn rotating(mut self, path: &Path, max_size: u64, max_file: u32) -> LogWriter {
        self.rotation = super::log_rotation::Rotation::new(path, max_size, max_file);
        self
    }

    /// Records `bytes` read from `stream`: every complete line becomes one entry; the rest waits
    /// for its newline.
    pub fn write(&mut self, stream: Stream, bytes: &[u8]) {
        self.partial[stream as usize].extend_from_slice(bytes);
        while let Some(end) = self.partial[stream as usize]
            .iter()
            .position(|b| *b == b'\n')
        {
            let line: Vec<u8> = self.partial[stream as usize].drain(..=end).collect();
            self.append(stream, &line);
        }
    }

    /// Writes out unfinished lines (at exit).
    pub fn flush(&mut self) {
        for stream in [Stream::Stdout, Stream::Stderr] {
            let rest = std::mem::take(&mut self.partial[stream as usize]);
            if !rest.is_empty() {
                self.append(stream, &rest);
            }
        }
    }

    fn append(&mut self, stream: Stream, line: &[u8]) {
        let file = match &mut self.file {
            Some(file) => file,
            None => {
                let made = File::options().create(true).append(true).open(&self.path);
                match made {
                    Ok(file) => self.file.insert(file),
                    Err(_) => return, // as for a full disk: the line is lost, not the container
                }
            }
        };
        append(file, &mut self.rotation, stream, line);
    }
}

fn append(
    file: &mut File,
    rotation: &mut Option<super::log_rotation::Rotation>,
    stream: Stream,
    line: &[u8],
) {
    let entry = Entry {
        log: String::from_utf8_lossy(line).into_owned(),
        stream: if stream == Stream::Stdout {
            "stdout"
        } else {
            "stderr"
        }
        .into(),
        time: clock::now(),
    };
    let mut json = serde_json::to_vec(&entry).expect("a log entry serialises");
    json.push(b'\n');
    if let Some(rotation) = rotation {
        rotation.before_write(file, json.len() as u64);
    }
    // One write(2) per entry, in append mode: a reader never sees half an entry followed by
    // another. A full disk loses log lines, never the container.
    let _ = file.write_all(&json);
}

/// Reads the complete entries of a log and of its rotated files (oldest first); returns
/// them with how many came from the current file.
pub fn read_with_rotated(path: &Path) -> Result<(Vec<Entry>, usize)> {
    let mut entries = Vec::new();
    for old in super::log_rotation::rotated_files(path) {
        entries.extend(read(&old)?);
    }
    let current = read(path)?;
    let in_current = current.len();
    entries.extend(current);
    Ok((entries, in_current))
}

/// Reads the complete entries of a log file, skipping a partly written last line.
pub fn read(path: &Path) -> Result<Vec<Entry>> {
    let mut reader = match File::open(path) {
        Ok(f) => BufReader::new(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("open log", path)(e)),
    };
    read_more(&mut reader, path)
}

/// Reads complete entries from where `reader` stands.
pub fn read_more(reader: &mut BufReader<File>, path: &Path) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .map_err(Error::io("read log", path))?;
        if n == 0 || !line.ends_with('\n') {
            // Put back an incomplete line so the next read gets it whole.
            if n > 0 {
                let _ = reader.seek_relative(-(n as i64));
            }
            return Ok(entries);
        }
        if let Ok(entry) = serde_json::from_str(&line) {
            entries.push(entry);
        }
    }
}

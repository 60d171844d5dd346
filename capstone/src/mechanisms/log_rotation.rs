//! `--log-opt max-size=… max-file=N`: the json-file log rotated as Docker's driver does it.
//! When the next entry would take the log past `max-size`, the monitor renames
//! `<log>.1` → `<log>.2` … (rename(2) is atomic, so a reader sees each file whole), then
//! `<log>` → `<log>.1`, and starts a fresh `<log>`; the oldest beyond `max-file` files is
//! dropped. `logs` reads the rotated files, oldest first, before the current one.

use std::fs::File;
use std::path::{Path, PathBuf};

/// The rotation state of one log.
#[derive(Debug)]
pub struct Rotation {
    path: PathBuf,
    max_size: u64,
    max_file: u32,
    size: u64,
}

impl Rotation {
    /// Rotation of the log at `path` past `max_size` bytes, keeping `max_file` files (the
    /// current one included); `None` when `max_size` is 0 (never rotate).
    pub fn new(path: &Path, max_size: u64, max_file: u32) -> Option<Rotation> {
        (max_size > 0).then(|| Rotation {
            path: path.to_path_buf(),
            max_size,
            max_file: max_file.max(1),
            size: std::fs::metadata(path).map_or(0, |m| m.len()),
        })
    }

    /// Called before `len` more bytes are appended to `file`: rotates first if they would not
    /// fit (a single entry larger than `max-size` still goes whole into a fresh file).
    pub fn before_write(&mut self, file: &mut File, len: u64) {
        if self.size > 0 && self.size + len > self.max_size {
            self.rotate(file);
        }
        self.size += len;
    }

    fn rotate(&mut self, file: &mut File) {
        if self.max_file == 1 {
            // Only the current file is kept: start it again.
            let _ = file.set_len(0);
            self.size = 0;
            return;
        }
        for n in (1..self.max_file - 1).rev() {
            let _ = std::fs::rename(numbered(&self.path, n), numbered(&self.path, n + 1));
        }
        let _ = std::fs::rename(&self.path, numbered(&self.path, 1));
        if let Ok(fresh) = File::options().create(true).append(true).open(&self.path) {
            *file = fresh;
        }
        self.size = 0;
    }
}

/// `<log>.N`.
pub fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// The rotated files of the log at `path` that exist, oldest first.
pub fn rotated_files(path: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = (1..)
        .map(|n| numbered(path, n))
        .take_while(|p| p.exists())
        .collect();
    files.reverse();
    files
}

#[cfg(test)]
mod tests {
    use crate::mechanisms::logs::{LogWriter, Stream, read_with_rotated};

    #[test]
    fn a_log_past_max_size_is_rotated_and_the_oldest_file_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr-json.log");
        let mut log = LogWriter::open(&path).unwrap().rotating(&path, 400, 3);
        for i in 0..60 {
            log.write(Stream::Stdout, format!("line {i}\n").as_bytes());
        }
        log.flush();
        let files = super::rotated_files(&path);
        assert_eq!(
            files,
            [super::numbered(&path, 2), super::numbered(&path, 1)]
        );
        for file in files.iter().chain([&path]) {
            let size = std::fs::metadata(file).unwrap().len();
            assert!(size <= 400, "{} is {size} bytes", file.display());
        }
        let (entries, in_current) = read_with_rotated(&path).unwrap();
        assert!(in_current > 0 && in_current < entries.len());
        assert_eq!(entries.last().unwrap().log, "line 59\n");
        let first: usize = entries[0].log.trim()[5..].parse().unwrap();
        let numbers: Vec<String> = (first..60).map(|i| format!("line {i}\n")).collect();
        let logged: Vec<&String> = entries.iter().map(|e| &e.log).collect();
        assert_eq!(
            logged,
            numbers.iter().collect::<Vec<_>>(),
            "in order, none lost"
        );
    }
}

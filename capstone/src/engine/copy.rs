//! `cp` of the [`Engine`]: files between a container and the host, with Docker's rules
//! (`docker cp` reference): the source travels as a tar stream, named so that the destination
//! rules below hold, and is unpacked by lesson 04's safe layer applier
//! ([`images::apply::apply_layer`]: openat2(2) `RESOLVE_IN_ROOT`, no write through a link).
//! The container's side runs on a thread chrooted into the container's root
//! ([`rootfs_view::chrooted`]), so `../../etc` or a symlink to `/` stays inside it.
//!
//! | source | destination | result |
//! |---|---|---|
//! | file | missing (`dir/` must exist) | the file, named as the destination |
//! | file | a file | replaced |
//! | file | a directory | copied into it under its own name |
//! | directory | missing | created, with the source's contents |
//! | directory | a file | error |
//! | directory | a directory | copied into it (`SRC/.`: its contents only) |

use super::Engine;
use crate::mechanisms::rootfs_view;
use crate::model::container::Container;
use crate::{Error, Result};
use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How a copy treats owners and symlinks (`-a`, `-L`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyOptions {
    /// `-a`: keep the source's owners (else the destination's user owns the copies: root).
    pub archive: bool,
    /// `-L`: when the source itself is a symlink, copy what it points to.
    pub follow_link: bool,
}

/// Where the stream lands: unpacked into `dir`, its top entry named `name` (None: the
/// source directory's contents go straight into `dir`).
#[derive(Debug, Clone)]
struct Landing {
    dir: PathBuf,
    name: Option<OsString>,
}

/// The source, as stat(2) saw it.
#[derive(Debug, Clone, Copy)]
struct Source {
    is_dir: bool,
    /// Written `SRC/.`: a directory's contents, not the directory.
    contents_only: bool,
}

impl Engine {
    /// `cp CONTAINER:SRC DEST`.
    pub fn copy_from_container(
        &self,
        query: &str,
        src: &str,
        dest: &Path,
        opts: CopyOptions,
    ) -> Result<()> {
        let record = self.container(query)?;
        let source = self.in_root(&record, || stat_source(Path::new(src), opts))?;
        let landing = landing(dest, source, |p| {
            std::fs::metadata(p).ok().map(|m| m.is_dir())
        })?;
        let (reader, writer) = pipe()?;
        std::thread::scope(|s| {
            let sender = s.spawn(|| {
                self.in_root(&record, || {
                    write_tree(Path::new(src), &landing, opts, writer)
                })
            });
            let received = unpack(&landing.dir, reader, opts);
            sender.join().unwrap_or_else(|_| Err(panicked()))?;
            received
        })
    }

    /// `cp SRC CONTAINER:DEST`.
    pub fn copy_to_container(
        &self,
        src: &Path,
        query: &str,
        dest: &str,
        opts: CopyOptions,
    ) -> Result<()> {
        let record = self.container(query)?;
        let source = stat_source(src, opts)?;
        let landing = self.in_root(&record, || {
            landing(Path::new(dest), source, |p| {
                std::fs::metadata(p).ok().map(|m| m.is_dir())
            })
        })?;
        let (reader, writer) = pipe()?;
        std::thread::scope(|s| {
            let sender = s.spawn(|| write_tree(src, &landing, opts, writer));
            let received = self.in_root(&record, || unpack(&landing.dir, reader, opts));
            sender.join().unwrap_or_else(|_| Err(panicked()))?;
            received
        })
    }

    /// `cp CONTAINER:SRC -`: `SRC` as a tar stream on `out`, under its own name.
    pub fn archive_from_container(
        &self,
        query: &str,
        src: &str,
        out: &mut (dyn Write + Send),
        opts: CopyOptions,
    ) -> Result<()> {
        let record = self.container(query)?;
        let landing = Landing {
            dir: PathBuf::new(),
            name: Some(OsString::new()),
        };
        self.in_root(&record, || {
            stat_source(Path::new(src), opts)?;
            write_tree(Path::new(src), &landing, opts, out)
        })
    }

    /// `cp - CONTAINER:DEST`: unpacks the tar stream `input` into the directory `DEST`.
    pub fn unpack_into_container(
        &self,
        input: &mut (dyn std::io::Read + Send),
        query: &str,
        dest: &str,
        opts: CopyOptions,
    ) -> Result<()> {
        let record = self.container(query)?;
        self.in_root(&record, || {
            if !std::fs::metadata(dest).is_ok_and(|m| m.is_dir()) {
                return Err(Error::invalid(
                    "destination path",
                    dest,
                    "a tar stream unpacks into a directory that exists: create it first",
                ));
            }
            unpack(Path::new(dest), input, opts)
        })
    }

    /// Runs `work` with the container's root as `/`.
    pub(super) fn in_root<T: Send>(
        &self,
        record: &Container,
        work: impl FnOnce() -> Result<T> + Send,
    ) -> Result<T> {
        rootfs_view::chrooted(record, &self.paths.container_dir(&record.id), work)
    }
}

fn panicked() -> Error {
    Error::invalid("cp", "", "a copying thread panicked")
}

/// A pipe(2) whose ends are files: the tar stream between the two sides.
fn pipe() -> Result<(File, File)> {
    let (read, write) = nix::unistd::pipe().map_err(Error::sys("pipe(2)"))?;
    Ok((File::from(read), File::from(write)))
}

fn stat_source(src: &Path, opts: CopyOptions) -> Result<Source> {
    let meta = if opts.follow_link {
        std::fs::metadata(src)
    } else {
        std::fs::symlink_metadata(src)
    };
    let meta = meta.map_err(|e| {
        Error::invalid(
            "source path",
            src.display().to_string(),
            format!("could not find the file: {e}"),
        )
    })?;
    let text = src.as_os_str().as_encoded_bytes();
    Ok(Source {
        is_dir: meta.is_dir(),
        contents_only: meta.is_dir() && (text.ends_with(b"/.") || text == b"."),
    })
}

/// Docker's destination rules (see the module's table). `is_dir` stats a destination path:
/// `None` when it does not exist.
fn landing(dest: &Path, src: Source, is_dir: impl Fn(&Path) -> Option<bool>) -> Result<Landing> {
    let bad = |why: &str| Error::invalid("destination path", dest.display().to_string(), why);
    let parent = || -> Result<PathBuf> {
        let parent = dest.parent().filter(|p| !p.as_os_str().is_empty());
        let parent = parent.unwrap_or(Path::new(".")).to_path_buf();
        match is_dir(&parent) {
            Some(true) => Ok(parent),
            _ => Err(bad("its parent directory does not exist: create it first")),
        }
    };
    let own_name = || dest.file_name().map(OsString::from);
    match (is_dir(dest), src.is_dir) {
        (Some(true), true) if src.contents_only => Ok(Landing {
            dir: dest.into(),
            name: None,
        }),
        (Some(true), _) => Ok(Landing {
            dir: dest.into(),
            name: Some(OsString::new()), // the source's own name, filled in by the sender
        }),
        (Some(false), true) => Err(bad("cannot copy a directory to a file")),
        (None, false) if dest.as_os_str().as_encoded_bytes().ends_with(b"/") => {
            Err(bad("the destination directory must exist"))
        }
        (Some(false), false) | (None, _) => Ok(Landing {
            dir: parent()?,
            name: own_name(),
        }),
    }
}

/// The sending side: `src` as a tar stream into `out`, named as `landing` says.
fn write_tree(src: &Path, landing: &Landing, opts: CopyOptions, out: impl Write) -> Result<()> {
    let top: PathBuf = match &landing.name {
        None => PathBuf::new(),
        Some(n) if n.is_empty() => src
            .file_name()
            .filter(|n| *n != ".")
            .map_or_else(|| PathBuf::from("root"), PathBuf::from),
        Some(n) => PathBuf::from(n),
    };
    let mut archive = tar::Builder::new(out);
    archive.follow_symlinks(false);
    let meta = if opts.follow_link {
        std::fs::metadata(src)
    } else {
        std::fs::symlink_metadata(src)
    }
    .map_err(Error::io("stat", src))?;
    let io = Error::io("archive", src);
    if meta.is_dir() {
        if !top.as_os_str().is_empty() {
            archive.append_dir(&top, src).map_err(io)?;
        }
        add_children(&mut archive, src, &top)?;
    } else if meta.is_file() && opts.follow_link {
        let mut file = File::open(src).map_err(Error::io("open", src))?;
        archive.append_file(&top, &mut file).map_err(io)?;
    } else {
        append_entry(&mut archive, src, &top)?;
    }
    let mut out = archive.into_inner().map_err(Error::io("archive", src))?;
    out.flush().map_err(Error::io("write", "the copy stream"))
}

/// Adds what is inside `dir`, below `name`, without following symlinks. Names that look like
/// overlay whiteout markers (`.wh.*`) are refused: the unpacking side would delete files.
fn add_children<W: Write>(archive: &mut tar::Builder<W>, dir: &Path, name: &Path) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(Error::io("list", dir))?;
    for entry in entries {
        let entry = entry.map_err(Error::io("list", dir))?;
        let path = entry.path();
        if entry.file_name().as_encoded_bytes().starts_with(b".wh.") {
            return Err(Error::invalid(
                "file name",
                path.display().to_string(),
                "names starting with .wh. mark deletions in image layers and cannot be copied",
            ));
        }
        let inner = name.join(entry.file_name());
        let kind = entry.file_type().map_err(Error::io("stat", &path))?;
        if kind.is_dir() {
            archive
                .append_dir(&inner, &path)
                .map_err(Error::io("archive", &path))?;
            add_children(archive, &path, &inner)?;
        } else {
            append_entry(archive, &path, &inner)?;
        }
    }
    Ok(())
}

/// A file, symlink or special file, not followed. A symlink's target is stored as it reads
/// (readlink(2)), byte for byte: the `tar` crate's own `append_path_with_name` writes `/` as
/// `//`.
fn append_entry<W: Write>(archive: &mut tar::Builder<W>, path: &Path, name: &Path) -> Result<()> {
    let io = || Error::io("archive", path);
    let meta = std::fs::symlink_metadata(path).map_err(io())?;
    if !meta.file_type().is_symlink() {
        return archive.append_path_with_name(path, name).map_err(io());
    }
    let target = std::fs::read_link(path).map_err(io())?;
    let mut header = tar::Header::new_gnu();
    header.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_size(0);
    header
        .set_link_name_literal(target.as_os_str().as_encoded_bytes())
        .map_err(io())?;
    archive
        .append_data(&mut header, name, std::io::empty())
        .map_err(io())
}

/// The receiving side: unpacks the stream into `dir` (lesson 04's safe applier); owners are
/// kept only with `-a`.
fn unpack(dir: &Path, stream: impl std::io::Read, opts: CopyOptions) -> Result<()> {
    let apply = images::apply::ApplyOptions {
        owners: opts.archive,
        ..images::apply::ApplyOptions::default()
    };
    images::apply::apply_layer(dir, stream, &apply)?;
    Ok(())
}

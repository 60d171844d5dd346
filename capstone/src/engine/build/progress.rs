//! What a build prints while it works (`--progress`):
//!
//! - `classic` (the default, so scripts and tests that read the old lines keep working):
//!   buildah's and the legacy builder's lines on stdout —
//!   `[stage] STEP 2/4: RUN …`, the command's output, `--> CACHED 1a2b…` or `--> 1a2b…`, and
//!   `Successfully built …` at the end;
//! - `plain`: BuildKit's plain progress on stderr, as `docker build --progress=plain` prints
//!   it — a number per step (`#5 [2/4] RUN make`), the command's output prefixed with the
//!   step's number and the seconds since it started (`#5 0.312 hello`), then `#5 CACHED` or
//!   `#5 DONE 0.3s` (or `#5 ERROR: …`), and the export at the end;
//! - `tty`: a compact display for a terminal, one line per finished step
//!   (`=> [2/4] RUN make  0.3s`, `=> CACHED [3/4] COPY . /src`), the command's output only
//!   when it fails (in the error) — BuildKit's own redraws the running step's last lines in
//!   place, which this one does not;
//! - `quiet`: nothing (with `-q`: only the image id, on stdout).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// The legacy builder's and buildah's lines, on stdout.
    #[default]
    Classic,
    /// BuildKit's plain progress, on stderr.
    Plain,
    /// One line per finished step, on stderr.
    Tty,
    /// Nothing.
    Quiet,
}

impl Mode {
    /// Parses `--progress=…` (`auto` is `tty` at a terminal, else `classic`).
    pub fn parse(text: &str) -> Result<Mode, String> {
        Ok(match text {
            "classic" => Mode::Classic,
            "plain" => Mode::Plain,
            "tty" => Mode::Tty,
            "quiet" => Mode::Quiet,
            "auto" => {
                use std::io::IsTerminal;
                if std::io::stderr().is_terminal() {
                    Mode::Tty
                } else {
                    Mode::Classic
                }
            }
            other => return Err(format!("{other}: use auto, plain, tty, quiet or classic")),
        })
    }
}

/// Where the `classic` lines and a `RUN` step's raw output go: stdout for the CLI; the API
/// daemon's JSON stream (`{"stream": …}` lines) for `docker build`.
#[derive(Clone)]
pub struct Out(Arc<Mutex<dyn Write + Send>>);

impl Out {
    /// This process's stdout.
    pub fn stdout() -> Out {
        Out::new(std::io::stdout())
    }

    /// Any writer (a build may run on a thread of its own: it is shared behind a lock).
    pub fn new(writer: impl Write + Send + 'static) -> Out {
        Out(Arc::new(Mutex::new(writer)))
    }

    /// Writes `bytes` as they are and flushes them; a reader gone away loses only the echo.
    pub fn write(&self, bytes: &[u8]) {
        let mut out = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let _ = out.write_all(bytes).and_then(|()| out.flush());
    }

    /// Writes one line.
    pub fn line(&self, text: impl std::fmt::Display) {
        self.write(format!("{text}\n").as_bytes());
    }
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Out")
    }
}

/// How a `RUN` step's output is echoed while it runs.
#[derive(Debug, Clone)]
pub enum Echo {
    /// Not at all (kept for the error only).
    Off,
    /// As it is, on the classic output.
    Raw(Out),
    /// Each line on stderr as `#N SECONDS line`.
    Numbered(usize),
}

/// The progress of one build: numbers its steps and times them.
#[derive(Debug)]
pub struct Progress {
    mode: Mode,
    /// The last step number given out (BuildKit's `#N`).
    number: usize,
    /// The step running now: its number, title and start (no number for a step BuildKit
    /// does not show: a config-only one).
    current: Option<(Option<usize>, String, Instant)>,
    /// Where `classic` lines go.
    out: Out,
}

impl Progress {
    /// A display in `mode`, its `classic` lines on stdout.
    pub fn new(mode: Mode) -> Progress {
        Progress::with_output(mode, Out::stdout())
    }

    /// A display in `mode`, its `classic` lines (and `RUN` output) going to `out`.
    pub fn with_output(mode: Mode, out: Out) -> Progress {
        Progress {
            mode,
            number: 0,
            current: None,
            out,
        }
    }

    /// The mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// A step starts: `classic` is its `STEP` line; `title` BuildKit's (`[2/4] RUN …`), or
    /// `None` for a step BuildKit does not show (`ENV`, `LABEL`, …: config only).
    pub fn start(&mut self, classic: String, title: Option<String>) {
        if self.mode == Mode::Classic {
            self.out.line(classic);
        }
        let number = title.as_ref().map(|t| {
            self.number += 1;
            if self.mode == Mode::Plain {
                eprintln!("#{} {t}", self.number);
            }
            self.number
        });
        self.current = Some((number, title.unwrap_or_default(), Instant::now()));
    }

    /// How the running step's `RUN` output is shown.
    pub fn echo(&self) -> Echo {
        match (self.mode, &self.current) {
            (Mode::Classic, _) => Echo::Raw(self.out.clone()),
            (Mode::Plain, Some((Some(n), _, _))) => Echo::Numbered(*n),
            _ => Echo::Off,
        }
    }

    /// The step was taken from the cache (`id`: the image it gave).
    pub fn cached(&mut self, id: &str) {
        let Some((number, title, _)) = self.current.take() else {
            return;
        };
        match (self.mode, number) {
            (Mode::Classic, _) => self.out.line(format_args!("--> CACHED {id}")),
            (Mode::Plain, Some(n)) => eprintln!("#{n} CACHED"),
            (Mode::Tty, Some(_)) => eprintln!("=> CACHED {title}"),
            _ => {}
        }
    }

    /// The step is done (`id`: the image it gave; `None` for a `FROM`).
    pub fn done(&mut self, id: Option<&str>) {
        let Some((number, title, start)) = self.current.take() else {
            return;
        };
        let secs = start.elapsed().as_secs_f64();
        match (self.mode, id, number) {
            (Mode::Classic, Some(id), _) => self.out.line(format_args!("--> {id}")),
            (Mode::Plain, _, Some(n)) => eprintln!("#{n} DONE {secs:.1}s"),
            (Mode::Tty, _, Some(_)) => eprintln!("=> {title:<60} {secs:.1}s"),
            _ => {}
        }
    }

    /// The step failed with `why` (the error itself is printed by the caller).
    pub fn failed(&mut self, why: &str) {
        let Some((number, title, _)) = self.current.take() else {
            return;
        };
        let first_line = why.lines().next().unwrap_or("");
        match (self.mode, number) {
            (Mode::Plain, Some(n)) => eprintln!("#{n} ERROR: {first_line}"),
            (Mode::Plain, None) => eprintln!("ERROR: {first_line}"),
            (Mode::Tty, _) => eprintln!("=> ERROR {title}"),
            _ => {}
        }
    }

    /// A stage is finished (`id`: its image).
    pub fn stage_done(&self, id: &str) {
        if self.mode == Mode::Classic {
            self.out.line(format_args!("--> {id}"));
        }
    }

    /// The build is finished: the image `id` (`sha256:…`, `short` its 12 digits), tagged
    /// `tags` (full references, `docker.io/library/app:latest`; `familiar` as `app:latest`).
    pub fn finished(&mut self, id: &str, short: &str, tags: &[String], familiar: &[String]) {
        self.number += 1;
        let n = self.number;
        match self.mode {
            Mode::Classic => {
                self.out.line(format_args!("Successfully built {short}"));
                for tag in familiar {
                    self.out.line(format_args!("Successfully tagged {tag}"));
                }
            }
            Mode::Plain => {
                eprintln!("#{n} exporting to image");
                eprintln!("#{n} writing image {id} done");
                for tag in tags {
                    eprintln!("#{n} naming to {tag} done");
                }
                eprintln!("#{n} DONE 0.0s");
            }
            Mode::Tty => {
                eprintln!("=> exporting to image");
                eprintln!("=> => writing image {id}");
                for tag in tags {
                    eprintln!("=> => naming to {tag}");
                }
            }
            Mode::Quiet => {}
        }
    }
}

/// Writes `text` (output of step `n`, started at `start`) as BuildKit's plain progress does:
/// each complete line as `#N SECONDS line` on stderr; an unfinished last line stays in
/// `pending`, to be completed by the next chunk.
pub fn numbered(n: usize, start: Instant, pending: &mut String, text: &str) {
    pending.push_str(text);
    let mut err = std::io::stderr().lock();
    while let Some(end) = pending.find('\n') {
        let line: String = pending.drain(..=end).collect();
        let _ = write!(err, "#{n} {:.3} {line}", start.elapsed().as_secs_f64());
    }
}

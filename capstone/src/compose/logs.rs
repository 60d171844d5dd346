//! `compose logs`, and the foreground `up`: each container's json-file log through the
//! engine's `logs`, every line prefixed with the container's name padded to a common width and
//! coloured per container (ANSI SGR colours, only on a terminal) as Docker Compose prints it.
//! Following several containers takes one thread each; lines are printed whole under a lock.
//!
//! The foreground `up` blocks SIGINT and SIGTERM in every thread and waits for them with
//! sigwait(2) on a thread of its own, so Ctrl-C arrives as a message: the project's containers
//! are then stopped, as Docker Compose stops them.

use super::args::LogsArgs;
use super::error::{ComposeError, Result};
use super::session::Session;
use crate::engine::logs::LogsOptions;
use crate::mechanisms::logs::Entry;
use crate::model::container::Container;
use nix::sys::signal::{SigSet, Signal};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

/// Docker Compose's colour cycle (SGR foreground codes).
const COLOURS: [u8; 10] = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];

/// How lines are printed.
#[derive(Debug, Clone, Copy)]
struct Style {
    colour: bool,
    prefix: bool,
    timestamps: bool,
    width: usize,
}

/// `compose logs`.
pub fn logs(s: &Session, args: &LogsArgs) -> Result<i32> {
    s.check_services(&args.services)?;
    let tail = match args.tail.as_deref() {
        None | Some("all") => None,
        Some(n) => Some(n.parse::<usize>().map_err(|_| {
            ComposeError::Project(format!("--tail {n}: give a number of lines, or all"))
        })?),
    };
    let containers = s.containers(&args.services, true)?;
    let style = Style {
        colour: !args.no_color && std::io::stdout().is_terminal(),
        prefix: !args.no_log_prefix,
        timestamps: args.timestamps,
        width: width(&containers),
    };
    let opts = LogsOptions {
        tail,
        follow: args.follow,
        ..LogsOptions::default()
    };
    let errors = follow_all(s, &containers, &opts, style);
    match errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(0),
    }
}

/// The foreground `up`: follows the services' output until every container has stopped, or
/// until Ctrl-C (or SIGTERM), which stops them; returns 130 after an interruption.
pub fn attach_until_interrupted(
    s: &Session,
    services: &[String],
    timeout: Duration,
) -> Result<i32> {
    let signals: SigSet = [Signal::SIGINT, Signal::SIGTERM].into_iter().collect();
    signals
        .thread_block()
        .map_err(|e| ComposeError::Project(format!("cannot block SIGINT: {e}")))?;
    let (tx, rx) = mpsc::channel::<bool>();
    let interrupt = tx.clone();
    // Detached: it ends with the process if no signal ever comes.
    std::thread::spawn(move || {
        if signals.wait().is_ok() {
            let _ = interrupt.send(true);
        }
    });
    let containers = s.containers(services, false)?;
    let style = Style {
        colour: std::io::stdout().is_terminal(),
        prefix: true,
        timestamps: false,
        width: width(&containers),
    };
    let opts = LogsOptions {
        follow: true,
        ..LogsOptions::default()
    };
    std::thread::scope(|scope| {
        scope.spawn(|| {
            follow_all(s, &containers, &opts, style);
            let _ = tx.send(false);
        });
        match rx.recv() {
            Ok(true) => {
                eprintln!("Gracefully stopping... (press Ctrl+C again to force)");
                for c in containers.iter().rev() {
                    let timeout = s.stop_timeout(
                        super::labels::label(c, super::labels::SERVICE),
                        Some(timeout.as_secs()),
                    );
                    match s.engine.stop(&c.id, timeout) {
                        Ok(()) => eprintln!(" Container {}  Stopped", c.name),
                        Err(e) => eprintln!(" Container {}  Error: {e}", c.name),
                    }
                }
                Ok(130)
            }
            _ => Ok(0),
        }
    })
}

/// Prints the logs of `containers`, one thread each, until each is done; returns the errors.
fn follow_all(
    s: &Session,
    containers: &[Container],
    opts: &LogsOptions,
    style: Style,
) -> Vec<ComposeError> {
    let out = Mutex::new(std::io::stdout());
    let errors = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for (i, c) in containers.iter().enumerate() {
            let (out, errors) = (&out, &errors);
            scope.spawn(move || {
                let colour = COLOURS[i % COLOURS.len()];
                let mut show = |e: &Entry| print_line(out, &c.name, colour, style, e);
                if let Err(e) = s.engine.logs(&c.id, opts, &mut show) {
                    errors.lock().expect("errors lock").push(e.into());
                }
            });
        }
    });
    errors.into_inner().expect("errors lock")
}

fn print_line(out: &Mutex<std::io::Stdout>, name: &str, colour: u8, style: Style, e: &Entry) {
    let mut line = String::new();
    if style.prefix {
        // Docker Compose's layout: the name padded one past the longest, then `| `.
        let padded = format!("{name:<width$} | ", width = style.width + 1);
        match style.colour {
            true => line += &format!("\x1b[{colour}m{padded}\x1b[0m"),
            false => line += &padded,
        }
    }
    if style.timestamps {
        line += &format!("{} ", e.time);
    }
    line += &e.log;
    if !line.ends_with('\n') {
        line.push('\n');
    }
    let mut out = out.lock().expect("stdout lock");
    let _ = out.write_all(line.as_bytes());
    let _ = out.flush();
}

fn width(containers: &[Container]) -> usize {
    containers.iter().map(|c| c.name.len()).max().unwrap_or(0)
}

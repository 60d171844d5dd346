//! `cargo kit`: the workshop's command line. It parses and prints; the work is in the library
//! (see `lib.rs`). Run `cargo kit --help`.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use workshop::bench::Workspace;
use workshop::catalogue::{Catalogue, Exercise};
use workshop::classroom::{book, http, report, services};
use workshop::grading::{self, Outcome};
use workshop::progress::Progress;
use workshop::show::{describe, print_report, report_changes};

/// Exercises with holes in the lessons' code, graded by what the kernel shows.
#[derive(Parser)]
#[command(name = "cargo kit")]
struct Cli {
    /// Print results as JSON keyed by exercise id.
    #[arg(long, global = true)]
    json: bool,
    /// The workspace to work on (default: the one this kit was built from).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every exercise and its state.
    List,
    /// The first exercise not passed yet.
    Next,
    /// Replace an exercise's lines with a hole to fill (your own edits are kept in a copy).
    Start { id: String },
    /// Build and grade the exercises named, or every started one (or all, if none is).
    Check {
        ids: Vec<String>,
        /// Also send the results and `cargo doctor --json` to the classroom at this address
        /// (http://HOST:PORT); if it cannot be reached that is a warning, not a failure.
        #[arg(long, value_name = "URL")]
        report: Option<String>,
        /// The name to report under (default: user@hostname).
        #[arg(long, requires = "report")]
        student: Option<String>,
    },
    /// Show the next hint.
    Hint { id: String },
    /// Put the reference solution back (recorded as viewed).
    Solution { id: String },
    /// Put the reference back (one exercise or all started ones), then clean the host.
    Reset { id: Option<String> },
    /// Re-check whenever an exercise's file is saved.
    Watch {
        id: Option<String>,
        /// Stop after this many checks (for scripts and tests).
        #[arg(long)]
        max_checks: Option<usize>,
    },
    /// For the instructor: serve the dashboard students report to with `check --report`.
    Classroom {
        /// The address to listen on.
        #[arg(long, default_value = "0.0.0.0:7878", value_name = "ADDR:PORT")]
        listen: String,
        /// Load the classroom registry from this bundle (`cargo kit bundle create`).
        #[arg(long, value_name = "FILE")]
        bundle: Option<PathBuf>,
        /// Where lesson 05's registry listens.
        #[arg(long, default_value = "0.0.0.0:5000", value_name = "ADDR:PORT")]
        registry: String,
        /// Where the book (built with `mdbook build`) is served.
        #[arg(long, default_value = "0.0.0.0:3000", value_name = "ADDR:PORT")]
        book: String,
        /// Serve no book.
        #[arg(long)]
        no_book: bool,
        /// Run no registry (the students pull from elsewhere).
        #[arg(long, conflicts_with = "bundle")]
        no_registry: bool,
    },
    /// For the instructor: the workshop's images in one file (workshop/bundle.toml lists them).
    Bundle {
        #[command(subcommand)]
        action: BundleAction,
    },
}

#[derive(Subcommand)]
enum BundleAction {
    /// Pull the images and save them into FILE (an OCI image layout tar).
    Create {
        file: PathBuf,
        /// Save these images instead of workshop/bundle.toml's.
        #[arg(long = "image", value_name = "REF")]
        images: Vec<String>,
        /// Pull docker.io images through this mirror (http://HOST:PORT).
        #[arg(long, value_name = "URL")]
        mirror: Option<String>,
    },
    /// Push every image of FILE to a registry (same repository and tag).
    Load {
        file: PathBuf,
        #[arg(long, default_value = "127.0.0.1:5000", value_name = "HOST:PORT")]
        registry: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("cargo kit: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<bool> {
    let root = cli
        .root
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/..")));
    let ws = Workspace {
        root: root.canonicalize()?,
    };
    let catalogue = Catalogue::load(&ws.root)?;
    let mut progress = Progress::load(&ws.kit_dir());
    let json = cli.json;
    match cli.command {
        Command::List => {
            if json {
                let states: serde_json::Map<_, _> = catalogue
                    .exercises
                    .iter()
                    .map(|e| {
                        (
                            e.id.clone(),
                            serde_json::to_value(progress.get(&e.id)).unwrap_or_default(),
                        )
                    })
                    .collect();
                println!("{}", serde_json::Value::Object(states));
            } else {
                for e in &catalogue.exercises {
                    println!(
                        "{}  {:<16} {:<15} {}",
                        e.id,
                        e.title,
                        progress.get(&e.id).state(),
                        e.statement
                    );
                }
            }
        }
        Command::Next => match catalogue
            .exercises
            .iter()
            .find(|e| !progress.get(&e.id).passed)
        {
            Some(e) => {
                describe(e);
                println!("\nbegin with: cargo kit start {}", e.id);
            }
            None => println!("every exercise has passed: well done"),
        },
        Command::Start { id } => {
            let e = catalogue.get(&id)?;
            report_changes(&ws.start(e)?, "hole made in");
            progress.update(&e.id, |p| p.started = true);
            progress.save()?;
            describe(e);
            println!(
                "\nwhen done: cargo kit check {}   (stuck? cargo kit hint {})",
                e.id, e.id
            );
        }
        Command::Check {
            ids,
            report,
            student,
        } => {
            let (passed, results) = check(&ws, &catalogue, &mut progress, &ids, json)?;
            if let Some(url) = report {
                let student = student.unwrap_or_else(report::default_student);
                match report::send(&url, &student, results, &ws.root) {
                    Ok(()) => eprintln!("reported to the classroom as {student}"),
                    Err(e) => eprintln!("warning: could not report to the classroom: {e}"),
                }
            }
            return Ok(passed);
        }
        Command::Classroom {
            listen,
            bundle,
            registry,
            book,
            no_book,
            no_registry,
        } => {
            let ids = catalogue.exercises.iter().map(|e| e.id.clone()).collect();
            let room = workshop::classroom::room::Room::new(ids);
            let bundle = bundle.map(std::path::absolute).transpose()?;
            let started = match no_registry {
                true => services::Services::default(),
                false => services::start_registry(&ws, bundle.as_deref(), &registry)?,
            };
            let built_book = (!no_book).then(|| book::build(&ws));
            // Before the dashboard's threads exist, so that they too leave the signals to it.
            services::stop_on_signal(started)?;
            let (server, addr) = http::bind(&listen)?;
            // Written, not println!()ed: a terminal (or test) that has gone away must not
            // stop the room.
            use std::io::Write;
            let mut out = std::io::stdout();
            let _ = writeln!(out, "classroom dashboard: http://{addr}/");
            let _ = writeln!(
                out,
                "students run: cargo kit check --report http://HOST:PORT"
            );
            match built_book.map(|built| book::serve(built?, &book)) {
                Some(Ok(at)) => _ = writeln!(out, "the book: http://{at}/"),
                Some(Err(e)) => eprintln!("warning: no book: {e:#}"),
                None => {}
            }
            let _ = out.flush();
            http::serve(&server, room);
        }
        Command::Bundle { action } => {
            return match action {
                BundleAction::Create {
                    file,
                    images,
                    mirror,
                } => workshop::bundle::create(&ws, &file, images, mirror),
                BundleAction::Load { file, registry } => {
                    workshop::bundle::load(&ws, &file, &registry)
                }
            };
        }
        Command::Hint { id } => {
            let e = catalogue.get(&id)?;
            let shown = progress.get(&e.id).hints_shown;
            let index = shown.min(e.hints.len().saturating_sub(1));
            println!(
                "hint {} of {} for {}: {}",
                index + 1,
                e.hints.len(),
                e.id,
                e.hints[index]
            );
            if shown + 1 >= e.hints.len() {
                println!(
                    "(that is the last hint; `cargo kit solution {}` shows the answer)",
                    e.id
                );
            }
            progress.update(&e.id, |p| p.hints_shown = (shown + 1).min(e.hints.len()));
            progress.save()?;
        }
        Command::Solution { id } => {
            let e = catalogue.get(&id)?;
            report_changes(&ws.restore(e)?, "reference restored in");
            progress.update(&e.id, |p| p.solution_viewed = true);
            progress.save()?;
            for file in &e.files {
                println!("--- {} ---\n{}", file.display(), ws.reference(e, file)?);
            }
        }
        Command::Reset { id } => {
            let chosen: Vec<&Exercise> = match &id {
                Some(id) => vec![catalogue.get(id)?],
                None => catalogue
                    .exercises
                    .iter()
                    .filter(|e| progress.get(&e.id).started)
                    .collect(),
            };
            for e in chosen {
                report_changes(&ws.restore(e)?, &format!("{}: reference restored in", e.id));
                progress.update(&e.id, |p| (p.started, p.passed) = (false, false));
            }
            progress.save()?;
            let removed = workshop::cleanup::clean_host();
            println!(
                "host: {}",
                if removed.is_empty() {
                    "nothing of the kit's was left".to_string()
                } else {
                    format!("removed {} leftovers", removed.len())
                }
            );
            for line in removed {
                println!("  removed {line}");
            }
        }
        Command::Watch { id, max_checks } => {
            let named: Vec<String> = id.into_iter().collect();
            let ids = chosen_ids(&catalogue, &progress, &named)?;
            let files: Vec<PathBuf> = ids
                .iter()
                .filter_map(|i| catalogue.get(i).ok())
                .flat_map(|e| e.files.iter().map(|f| ws.root.join(f)))
                .collect();
            let mut stamps = workshop::watch::stamps(&files);
            for done in 1.. {
                check(&ws, &catalogue, &mut progress, &ids, json)?;
                if max_checks.is_some_and(|max| done >= max) {
                    break;
                }
                println!(
                    "watching {} file(s); save one to check again (Ctrl-C to stop)",
                    files.len()
                );
                stamps = workshop::watch::wait_for_change(&files, &stamps, None).unwrap_or(stamps);
            }
        }
    }
    Ok(true)
}

/// The exercises `check` and `watch` work on: those named, or the started ones, or all.
fn chosen_ids(
    catalogue: &Catalogue,
    progress: &Progress,
    named: &[String],
) -> anyhow::Result<Vec<String>> {
    if !named.is_empty() {
        return named
            .iter()
            .map(|id| Ok(catalogue.get(id)?.id.clone()))
            .collect();
    }
    let started: Vec<String> = catalogue
        .exercises
        .iter()
        .filter(|e| progress.get(&e.id).started)
        .map(|e| e.id.clone())
        .collect();
    Ok(if started.is_empty() {
        catalogue.exercises.iter().map(|e| e.id.clone()).collect()
    } else {
        started
    })
}

/// Checks; returns whether all passed and the results as `--json` prints them.
fn check(
    ws: &Workspace,
    catalogue: &Catalogue,
    progress: &mut Progress,
    named: &[String],
    json: bool,
) -> anyhow::Result<(bool, serde_json::Value)> {
    let ids = chosen_ids(catalogue, progress, named)?;
    let (reports, output) = match grading::check(ws, &ids)? {
        Outcome::DoesNotCompile(errors) => {
            let results = serde_json::json!({ "compile_errors": errors });
            if json {
                println!("{results}");
            } else {
                eprint!("{errors}");
            }
            return Ok((false, results));
        }
        Outcome::Graded { reports, output } => (reports, output),
    };
    for report in &reports {
        progress.update(&report.id, |p| p.passed = report.passed);
    }
    progress.save()?;
    let by_id: serde_json::Map<_, _> = reports
        .iter()
        .map(|r| (r.id.clone(), serde_json::to_value(r).unwrap_or_default()))
        .collect();
    let results = serde_json::Value::Object(by_id);
    if json {
        println!("{results}");
    } else {
        for report in &reports {
            print_report(report, catalogue.get(&report.id).ok());
        }
        if reports.iter().any(|r| !r.passed) && !output.trim().is_empty() {
            println!("\nwhat the code printed meanwhile:");
            for line in output.lines().take(40) {
                println!("  | {line}");
            }
        }
    }
    Ok((reports.iter().all(|r| r.passed), results))
}

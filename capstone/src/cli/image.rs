//! Image verbs: images, tag, rmi, import, save, load, diff, commit, pull — over lesson 04's
//! store, lesson 03's diff and layer writer, and lesson 05's registry client.

use super::table;
use crate::engine::image_filter::ImageFilter;
use crate::engine::images::Removed;
use crate::model::clock;
use crate::store::image_refs as images_ref;
use crate::{Engine, Error, Result, store};
use std::path::Path;

/// `images [REPOSITORY[:TAG]] [--filter …]`: one row per tag that [`ImageFilter`] lists.
pub(super) fn images(
    paths: &store::Paths,
    quiet: bool,
    reference: Option<&str>,
    filters: &[String],
    format: Option<&str>,
) -> Result<i32> {
    let format = super::format::Format::parse("images", format, true)?;
    let mut pairs = Vec::new();
    for filter in filters {
        let pair = filter.split_once('=').ok_or_else(|| {
            Error::invalid(
                "filter",
                filter.as_str(),
                "expected KEY=VALUE, e.g. label=tier",
            )
        })?;
        pairs.push(pair);
    }
    // As Docker's CLI does: the argument is one more `reference` filter.
    pairs.extend(reference.map(|r| ("reference", r)));
    let filter = ImageFilter::parse(pairs)?;
    let store = paths.store()?;
    let mut rows = Vec::new();
    let mut fields = Vec::new();
    for (reference, digest) in store.tags()? {
        let image = store.image_by_digest(&digest)?;
        let labels = crate::engine::run_flags::image_labels(&image.config);
        if filter
            .shown_tags(&[images_ref::familiar(&reference)], &labels)
            .is_empty()
        {
            continue;
        }
        let (repo, tag) = images_ref::repository_and_tag(&reference);
        let config = serde_json::to_value(&image.config).unwrap_or_default();
        let created = config
            .get("created")
            .and_then(|c| c.as_str())
            .and_then(|c| clock::since(&normalise_time(c)))
            .map_or_else(|| "N/A".to_string(), |d| format!("{} ago", clock::human(d)));
        let size: u64 = image.layers.iter().map(|l| l.size).sum();
        let created_at = config.get("created").and_then(|c| c.as_str()).unwrap_or("");
        // The fields of Docker's `ImageContext`.
        fields.push(serde_json::json!({
            "ID": images_ref::short_id(&image), "Repository": repo, "Tag": tag,
            "Digest": "<none>", "CreatedSince": created,
            "CreatedAt": super::show::docker_time(&normalise_time(created_at)),
            "Size": table::human_size(size), "VirtualSize": table::human_size(size),
            "SharedSize": "N/A", "UniqueSize": "N/A", "Containers": "N/A",
        }));
        rows.push(vec![
            repo,
            tag,
            images_ref::short_id(&image),
            created,
            table::human_size(size),
        ]);
    }
    if let Some(format) = format.filter(|_| !quiet) {
        let headers = [
            ("ID", "IMAGE ID"),
            ("Repository", "REPOSITORY"),
            ("Tag", "TAG"),
            ("Digest", "DIGEST"),
            ("CreatedSince", "CREATED"),
            ("CreatedAt", "CREATED AT"),
            ("Size", "SIZE"),
            ("VirtualSize", "VIRTUAL SIZE"),
            ("SharedSize", "SHARED SIZE"),
            ("UniqueSize", "UNIQUE SIZE"),
        ];
        print!("{}", format.render(&fields, &headers)?);
        return Ok(0);
    }
    if quiet {
        for row in rows {
            println!("{}", row[2]);
        }
        return Ok(0);
    }
    print!(
        "{}",
        table::render(&["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], &rows)
    );
    Ok(0)
}

/// Accepts RFC 3339 times with any fraction length and a `Z`, as other tools write them.
fn normalise_time(t: &str) -> String {
    t.replace("+00:00", "Z")
}

pub(super) fn tag(engine: &Engine, source: &str, target: &str) -> Result<i32> {
    engine.tag(source, target)?;
    Ok(0)
}

/// `rmi`: the engine decides what goes ([`Engine::remove_image`]); we print it as Docker does.
pub(super) fn rmi(engine: &Engine, names: &[String], force: bool) -> Result<i32> {
    for name in names {
        for removed in engine.remove_image(name, force)? {
            match removed {
                Removed::Untagged(tag) => println!("Untagged: {}", images_ref::familiar(&tag)),
                Removed::Deleted(digest) => println!("Deleted: {digest}"),
            }
        }
    }
    Ok(0)
}

/// `import FILE|- [REFERENCE] [--change …]`: prints the new image's id.
pub(super) fn import(
    engine: &Engine,
    file: &str,
    reference: Option<&str>,
    changes: &[String],
) -> Result<i32> {
    let image = if file == "-" {
        engine.import(std::io::stdin().lock(), reference, changes)?
    } else {
        let tar = std::fs::File::open(file).map_err(Error::io("open", file))?;
        engine.import(tar, reference, changes)?
    };
    println!("{}", image.config_digest);
    Ok(0)
}

pub(super) fn save(engine: &Engine, output: Option<&Path>, names: &[String]) -> Result<i32> {
    match output {
        Some(path) => {
            // Written beside the target and renamed: no half archive under the real name.
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .map_err(Error::io("create temporary file in", dir))?;
            engine.save(names, &mut tmp)?;
            tmp.persist(path)
                .map_err(|e| Error::io("write", path)(e.error))?;
        }
        None => engine.save(names, &mut std::io::stdout().lock())?,
    }
    Ok(0)
}

pub(super) fn load(engine: &Engine, input: Option<&Path>) -> Result<i32> {
    let loaded = match input {
        Some(path) => {
            engine.load(&mut std::fs::File::open(path).map_err(Error::io("open", path))?)?
        }
        None => engine.load(&mut std::io::stdin().lock())?,
    };
    for reference in loaded {
        println!("Loaded image: {reference}");
    }
    Ok(0)
}

pub(super) fn diff(engine: &Engine, name: &str) -> Result<i32> {
    for change in engine.changes(name)? {
        println!("{change}");
    }
    Ok(0)
}

pub(super) fn commit(
    engine: &Engine,
    name: &str,
    reference: Option<&str>,
    notes: &crate::engine::commit::CommitNotes,
) -> Result<i32> {
    let image = engine.commit(name, reference, notes)?;
    println!("{}", image.config_digest);
    Ok(0)
}

/// `history IMAGE`: Docker's columns, newest step first.
pub(super) fn history(engine: &Engine, name: &str, no_trunc: bool, quiet: bool) -> Result<i32> {
    let steps = engine.history(name)?;
    let id = |step: &crate::engine::images::HistoryStep| match &step.image {
        Some(digest) if no_trunc => digest.clone(),
        Some(digest) => crate::model::ids::short(digest.trim_start_matches("sha256:")).to_string(),
        None => "<missing>".to_string(),
    };
    if quiet {
        steps.iter().for_each(|s| println!("{}", id(s)));
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = steps
        .iter()
        .map(|s| {
            let created = s
                .created
                .as_deref()
                .and_then(|c| clock::since(&normalise_time(c)))
                .map_or_else(|| "N/A".to_string(), |d| format!("{} ago", clock::human(d)));
            let by = s.created_by.replace('\t', " ");
            let by = if no_trunc {
                by
            } else {
                table::ellipsis(&by, 45)
            };
            vec![
                id(s),
                created,
                by,
                table::human_size(s.size),
                s.comment.clone(),
            ]
        })
        .collect();
    let headers = ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"];
    print!("{}", table::render(&headers, &rows));
    Ok(0)
}

/// `export CONTAINER [-o FILE]`: the archive goes to a temporary file beside `FILE` that is
/// renamed into place when complete (no half archive under the real name), or to stdout.
pub(super) fn export(engine: &Engine, name: &str, output: Option<&Path>) -> Result<i32> {
    match output {
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let mut tmp = tempfile::NamedTempFile::new_in(dir)
                .map_err(Error::io("create temporary file in", dir))?;
            engine.export(name, tmp.as_file_mut())?;
            tmp.persist(path)
                .map_err(|e| Error::io("write", path)(e.error))?;
        }
        None => {
            let mut out = std::io::stdout();
            engine.export(name, &mut out)?;
        }
    }
    Ok(0)
}

//! `compose down`: the mirror image of `up`. Containers stop in reverse start order (a
//! service after those that depend on it) and are removed, `run` containers included; then the
//! project's networks go, its named volumes with `-v` (and each container's anonymous ones),
//! its images with `--rmi`. Every step is tried even when one fails, so `down` leaves as little
//! as it can, and the errors are reported together.

use super::args::DownArgs;
use super::error::{ComposeError, Result};
use super::session::Session;
use super::{labels, resources, validate};

/// Runs `down`; returns the exit code.
pub fn down(s: &Session, args: &DownArgs) -> Result<i32> {
    let mut errors: Vec<ComposeError> = Vec::new();
    let known = s.service_names();
    let mut order: Vec<String> = validate::start_order(&s.project.model)
        .into_iter()
        .flatten()
        .collect();
    order.reverse();
    let containers = s.containers(&[], true)?;
    let orphans: Vec<_> = containers
        .iter()
        .filter(|c| !known.iter().any(|n| n == labels::label(c, labels::SERVICE)))
        .collect();
    if !args.remove_orphans {
        for c in &orphans {
            eprintln!(
                "warning: found orphan container {}: remove it with --remove-orphans",
                c.name
            );
        }
    }
    // Services in reverse start order, then orphans.
    let rank = |c: &crate::model::container::Container| {
        let service = labels::label(c, labels::SERVICE);
        order
            .iter()
            .position(|n| n == service)
            .unwrap_or(usize::MAX)
    };
    let mut ordered: Vec<_> = containers
        .iter()
        .filter(|c| args.remove_orphans || !orphans.iter().any(|o| o.id == c.id))
        .collect();
    ordered.sort_by_key(|c| rank(c));
    for c in &ordered {
        let timeout = s.stop_timeout(labels::label(c, labels::SERVICE), Some(args.timeout));
        if c.is_active() {
            match s.engine.stop(&c.id, timeout) {
                Ok(()) => eprintln!(" Container {}  Stopped", c.name),
                Err(e) => errors.push(e.into()),
            }
        }
    }
    for c in &ordered {
        match s.engine.remove(&c.id, true, args.volumes) {
            Ok(()) => eprintln!(" Container {}  Removed", c.name),
            Err(e) => errors.push(e.into()),
        }
    }
    errors.extend(resources::remove(s, args.volumes));
    if let Some(which) = &args.rmi {
        errors.extend(remove_images(s, which));
    }
    match errors.len() {
        0 => Ok(0),
        _ => {
            for e in &errors {
                eprintln!("capstone compose: {e}");
            }
            Err(ComposeError::Project(format!(
                "down left something behind: {} error(s) above",
                errors.len()
            )))
        }
    }
}

/// `--rmi local`: the images built for services without an `image:` name; `--rmi all`: every
/// service's image.
fn remove_images(s: &Session, which: &str) -> Vec<ComposeError> {
    let mut errors = Vec::new();
    for (name, service) in &s.project.model.services {
        if which == "local" && service.image.is_some() {
            continue;
        }
        let image = labels::image_name(&s.project.name, name, service);
        match s.engine.image_id(&image) {
            Ok(None) => {}
            Ok(Some(_)) => match s.engine.remove_image(&image, false) {
                Ok(_) => eprintln!(" Image {image}  Removed"),
                Err(e) => errors.push(e.into()),
            },
            Err(e) => errors.push(e.into()),
        }
    }
    errors
}

//! The services' images: `build` runs the engine's builder on a service's `build:` (context,
//! dockerfile, args, target) and tags the result with the service's image name; `pull` asks
//! the registry for the others; `push` sends the built ones (those with an `image:` name)
//! to the registry their name points at. `up` builds what is missing (all with `--build`, none with
//! `--no-build`) and lets `create` pull the rest, as `docker run` does.

use super::args::PushArgs;
use super::error::{ComposeError, Result};
use super::labels;
use super::session::Session;
use crate::engine::build::{BuildOptions, build, progress};
use crate::engine::push::PushStep;
use std::path::PathBuf;

/// When `up` builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildWhen {
    /// `--build`: every service with a `build:`.
    Always,
    /// The default: those whose image is missing.
    Missing,
    /// `--no-build`: never.
    Never,
}

/// Builds (or not) the images of `services` for `up`.
pub fn for_up(s: &Session, services: &[String], when: BuildWhen) -> Result<()> {
    for name in services {
        let service = &s.project.model.services[name];
        if service.build.is_none() || when == BuildWhen::Never {
            continue;
        }
        let image = labels::image_name(&s.project.name, name, service);
        if when == BuildWhen::Missing && s.engine.image_id(&image)?.is_some() {
            continue;
        }
        build_service(s, name)?;
    }
    Ok(())
}

/// `compose build [SERVICE…]`: builds every service (of those named) that has a `build:`.
pub fn build_all(s: &Session, services: &[String]) -> Result<()> {
    s.check_services(services)?;
    for name in s.service_names() {
        let wanted = services.is_empty() || services.contains(&name);
        if wanted && s.project.model.services[&name].build.is_some() {
            build_service(s, &name)?;
        }
    }
    Ok(())
}

/// Builds one service's image and tags it with the service's image name.
fn build_service(s: &Session, name: &str) -> Result<()> {
    let service = &s.project.model.services[name];
    let spec = service
        .build
        .clone()
        .expect("only services with build: are built");
    let image = labels::image_name(&s.project.name, name, service);
    eprintln!(" Service {name}  Building");
    let context = PathBuf::from(&spec.context);
    let paths = s.engine.paths();
    let opts = BuildOptions {
        root: paths.root.clone(),
        runroot: paths.runroot.clone(),
        dockerfile: spec.dockerfile.as_ref().map(|d| context.join(d)),
        context,
        tags: vec![image.clone()],
        build_args: spec
            .args
            .iter()
            .filter_map(|(k, v)| {
                v.clone()
                    .or_else(|| std::env::var(k).ok())
                    .map(|v| (k.clone(), v))
            })
            .collect(),
        target: spec.target.clone(),
        labels: spec.labels.clone().into_iter().collect(),
        progress: progress::Mode::Quiet,
        ..BuildOptions::default()
    };
    build(&opts)
        .map_err(|e| ComposeError::Project(format!("service {name:?} failed to build: {e}")))?;
    eprintln!(" Service {name}  Built ({image})");
    Ok(())
}

/// `compose pull [SERVICE…]`: pulls the image of every service (of those named) that has an
/// `image:` and no `build:` (a built image is not in any registry).
pub fn pull_all(s: &Session, services: &[String]) -> Result<()> {
    s.check_services(services)?;
    for name in s.service_names() {
        let service = &s.project.model.services[&name];
        let wanted = services.is_empty() || services.contains(&name);
        if let (true, Some(image), None) = (wanted, &service.image, &service.build) {
            eprintln!(" {name} Pulling");
            s.engine.pull(image, &mut |line| eprintln!("   {line}"))?;
            eprintln!(" {name} Pulled");
        }
    }
    Ok(())
}

/// `compose push [SERVICE…]`: pushes the image of every service (of those named) that has
/// both a `build:` and an `image:`, as Docker Compose does — the others are skipped: a pulled
/// image is already in its registry, and a built image without a name has nowhere to go. A
/// failed push stops here, unless `--ignore-push-failures`, which reports it and goes on.
pub fn push_all(s: &Session, args: &PushArgs) -> Result<i32> {
    s.check_services(&args.services)?;
    for name in s.service_names() {
        if !args.services.is_empty() && !args.services.contains(&name) {
            continue;
        }
        let service = &s.project.model.services[&name];
        let (Some(image), Some(_)) = (&service.image, &service.build) else {
            eprintln!(" {name} Skipped");
            continue;
        };
        eprintln!(" {name} Pushing");
        let mut say = |step: PushStep| {
            if !args.quiet {
                eprintln!("   {}", step.docker_line());
            }
        };
        match s.engine.push(image, None, &mut say) {
            Ok(pushed) => {
                if !args.quiet {
                    eprintln!("   {}", pushed.docker_line());
                }
                eprintln!(" {name} Pushed")
            }
            Err(e) if args.ignore_push_failures => {
                eprintln!(" {name} Error: {e}");
            }
            Err(e) => {
                return Err(ComposeError::Project(format!(
                    "service {name:?} failed to push {image}: {e}"
                )));
            }
        }
    }
    Ok(0)
}

//! Base images (`FROM image`, `COPY --from=image`): looked up in the store by reference or id
//! ([`crate::store::image_refs::find`]); an image that is not there is pulled through lesson 05's
//! registry client by the very function `capstone pull` and `capstone run` use
//! ([`crate::engine::images::pull`]), so names resolve the same way (`busybox` is
//! `docker.io/library/busybox:latest`), a classroom mirror (`CAPSTONE_REGISTRY_MIRROR`) and
//! the logins saved by `capstone login` apply, and the image is stored and tagged as if it had
//! been pulled by hand.

use super::executor::Builder;
use crate::store::image_refs as images_ref;
use crate::{Error, Result};
use images::Image;

impl Builder<'_> {
    /// The image `reference` names, pulled first if the store does not have it. `line` and
    /// `instruction` name the Dockerfile line in the error when it can be neither found nor
    /// pulled.
    pub fn base_image(&self, reference: &str, line: usize, instruction: &str) -> Result<Image> {
        let step_error = |why: String| Error::BuildStep {
            line,
            instruction: instruction.to_string(),
            why,
        };
        match images_ref::find(&self.store, reference) {
            Err(Error::NoSuchImage(_)) => {}
            found => return found.map_err(|e| step_error(format!("base image {reference}: {e}"))),
        }
        let full = images_ref::normalize(reference)
            .map_err(|e| step_error(format!("base image {reference}: {e}")))?;
        eprintln!(
            "Unable to find image '{}' locally",
            images_ref::familiar(&full)
        );
        crate::engine::images::pull(&self.paths, reference, &mut |line| eprintln!("{line}"))
            .and_then(|()| images_ref::find(&self.store, &full))
            .map_err(|e| {
                step_error(format!(
                    "base image {reference} is not in the store and cannot be pulled: {e}"
                ))
            })
    }
}

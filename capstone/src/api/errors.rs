//! The engine's errors as Docker's status codes (moby's `errdefs`): what names nothing is
//! 404 (which makes `docker run` pull a missing image), a clash with the current state 409, a
//! bad parameter 400, anything else 500. The message is the engine's own.

use crate::Error;
use engineapi::ApiError;

/// The status code Docker would send for this failure.
pub(super) fn status(error: &Error) -> u16 {
    match error {
        Error::NoSuchContainer(_)
        | Error::NoSuchImage(_)
        | Error::NoSuchNetwork(_)
        | Error::NotTaggedHere(_)
        | Error::Volume(crate::error::VolumeError::NoSuchVolume(_)) => 404,
        Error::NameInUse { .. }
        | Error::WrongState { .. }
        | Error::ImageInUse { .. }
        | Error::NetworkExists(_)
        | Error::NetworkInUse { .. }
        | Error::Ambiguous(_)
        | Error::Volume(crate::error::VolumeError::InUse { .. }) => 409,
        Error::Invalid { .. } | Error::Reference(_) => 400,
        _ => 500,
    }
}

/// The engine's error as Docker's JSON error.
pub(super) fn api(error: Error) -> ApiError {
    ApiError::new(status(&error), error.to_string())
}

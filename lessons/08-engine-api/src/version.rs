//! API version negotiation. A request path may start with `/v1.NN/`: the client says which
//! version of the API it speaks. The server answers every response with an `Api-Version` header
//! naming the version it prefers; the CLI reads it from `/_ping` and, if it is lower than its
//! own, speaks that one instead (moby `client.NegotiateAPIVersion`). A path without a version is
//! served at the server's own version. A version outside the accepted range gets Docker's 400.

use crate::ApiError;
use std::fmt;
use std::str::FromStr;

/// An API version such as `1.41` (major.minor, compared numerically: 1.9 < 1.24).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    /// Always 1 so far.
    pub major: u32,
    /// Grows with every Docker release that changes the API.
    pub minor: u32,
}

impl ApiVersion {
    /// `major.minor`.
    pub const fn new(major: u32, minor: u32) -> ApiVersion {
        ApiVersion { major, minor }
    }
}

/// The oldest version we accept (dockerd 20.10's minimum too).
pub const MIN: ApiVersion = ApiVersion::new(1, 24);
/// The newest version we accept: what the docker 28 CLI speaks.
pub const MAX: ApiVersion = ApiVersion::new(1, 50);
/// The version we advertise in `Api-Version` (dockerd 20.10's), so clients talk down to it.
pub const ADVERTISED: ApiVersion = ApiVersion::new(1, 41);

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for ApiVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<ApiVersion, String> {
        let bad = || format!("{s:?} is not an API version: expected major.minor, e.g. 1.41");
        let (major, minor) = s.split_once('.').ok_or_else(bad)?;
        Ok(ApiVersion::new(
            major.parse().map_err(|_| bad())?,
            minor.parse().map_err(|_| bad())?,
        ))
    }
}

/// Splits `/v1.41/containers/json` into the version and `/containers/json`. A path whose first
/// segment is not `v` followed by digits and dots has no version (it is returned whole).
pub fn split_path(path: &str) -> (Option<ApiVersion>, &str) {
    let Some(rest) = path.strip_prefix("/v") else {
        return (None, path);
    };
    let (first, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    match first.parse::<ApiVersion>() {
        Ok(v) => (Some(v), tail),
        Err(_) => (None, path),
    }
}

/// Which versions a server accepts and which it advertises.
#[derive(Clone, Copy, Debug)]
pub struct Negotiation {
    /// Requests for an older version are refused.
    pub min: ApiVersion,
    /// Requests for a newer version are refused.
    pub max: ApiVersion,
    /// Sent in the `Api-Version` header; also the version of unversioned requests.
    pub advertised: ApiVersion,
}

impl Default for Negotiation {
    fn default() -> Negotiation {
        Negotiation {
            min: MIN,
            max: MAX,
            advertised: ADVERTISED,
        }
    }
}

impl Negotiation {
    // ANCHOR: check
    /// The version a request is served at, or Docker's error for one out of range
    /// (moby `api/server/middleware/version.go`, an invalid-parameter error: 400).
    pub fn check(&self, requested: Option<ApiVersion>) -> Result<ApiVersion, ApiError> {
        let v = requested.unwrap_or(self.advertised);
        if v < self.min {
            return Err(ApiError::bad_request(format!(
                "client version {v} is too old. Minimum supported API version is {}, \
                 please upgrade your client to a newer version",
                self.min
            )));
        }
        if v > self.max {
            return Err(ApiError::bad_request(format!(
                "client version {v} is too new. Maximum supported API version is {}",
                self.max
            )));
        }
        Ok(v)
    }
    // ANCHOR_END: check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers_and_paths_split() {
        assert!(ApiVersion::new(1, 9) < ApiVersion::new(1, 24));
        let (v, p) = split_path("/v1.41/containers/json");
        assert_eq!((v, p), (Some(ApiVersion::new(1, 41)), "/containers/json"));
        assert_eq!(split_path("/version"), (None, "/version"));
        assert_eq!(split_path("/volumes"), (None, "/volumes"));
    }

    #[test]
    fn out_of_range_is_docker_400() {
        let n = Negotiation::default();
        assert_eq!(n.check(None).unwrap(), ADVERTISED);
        assert_eq!(
            n.check(Some(ApiVersion::new(1, 12))).unwrap_err().status,
            400
        );
        let e = n.check(Some(ApiVersion::new(1, 51))).unwrap_err();
        assert!(e.message.contains("too new"), "{e}");
    }
}

//! Docker-style errors: every failed request gets a JSON body `{"message": "…"}` and the status
//! code Docker uses for that kind of failure (moby's `errdefs`: not found → 404, conflict → 409,
//! invalid parameter → 400, not modified → 304, anything else → 500). The `docker` CLI prints
//! the message as `Error response from daemon: …`.

/// A failed API call: the HTTP status and the message the client will show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (HTTP {status})")]
pub struct ApiError {
    /// The HTTP status code (RFC 9110 §15).
    pub status: u16,
    /// What went wrong, in Docker's words where Docker has words for it.
    pub message: String,
}

impl ApiError {
    /// An error with any status.
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 404: no such container, image or route.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(404, message)
    }

    /// 400: the request itself is wrong (bad JSON, unknown version, bad parameter).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, message)
    }

    /// 409: the request clashes with the current state (name in use, container running).
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(409, message)
    }

    /// 500: the daemon failed doing what was asked.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, message)
    }

    /// The JSON body Docker sends with an error.
    pub fn body(&self) -> String {
        serde_json::json!({ "message": self.message }).to_string()
    }
}

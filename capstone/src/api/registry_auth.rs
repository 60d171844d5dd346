//! Registry logins over the API. `docker login` through the daemon sends `POST /auth` with
//! `{"username", "password", "serveraddress"}`: the daemon asks the registry whether they are
//! good, and the CLI saves them in its own config. Then every `pull` and `push` carries them
//! in the `X-Registry-Auth` header: the same JSON, base64url-encoded (RFC 4648 §5). The
//! daemon uses them for that request and saves nothing.

use super::{Daemon, on};
use crate::store::credentials;
use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use engineapi::{ApiError, Call, Reply, Router};
use registry::auth::Login;
use serde_json::{Value, json};
use std::sync::Arc;

/// The login route.
pub(super) fn routes(daemon: &Arc<Daemon>) -> Router {
    Router::new().route("POST", "/auth", on(daemon, auth))
}

fn auth(d: &Daemon, call: &Call) -> Result<Reply, ApiError> {
    let body = call.json()?;
    let Some(login) = login_from(&body) else {
        return Err(ApiError::bad_request("username and password are required"));
    };
    let server = credentials::server_name(body["serveraddress"].as_str());
    d.engine
        .check_login(&server, &login)
        .map_err(|e| ApiError::new(401, e.to_string()))?;
    Ok(Reply::Json(
        200,
        json!({ "Status": "Login Succeeded", "IdentityToken": "" }),
    ))
}

/// The login in a request's `X-Registry-Auth` header, if it carries one (an empty `{}` does,
/// as `e30=`, when the client has none). A header that is not base64url JSON is a 400.
pub(super) fn header_login(call: &Call) -> Result<Option<Login>, ApiError> {
    let Some((_, value)) = call
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-registry-auth"))
    else {
        return Ok(None);
    };
    let value = value.trim();
    let bytes = URL_SAFE
        .decode(value)
        .or_else(|_| URL_SAFE_NO_PAD.decode(value))
        .map_err(|e| ApiError::bad_request(format!("X-Registry-Auth is not base64url: {e}")))?;
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("X-Registry-Auth is not JSON: {e}")))?;
    Ok(login_from(&body))
}

/// `{"username": …, "password": …}`; none when either is missing or empty.
fn login_from(body: &Value) -> Option<Login> {
    let field = |name: &str| {
        body[name]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    Some(Login {
        username: field("username")?,
        password: field("password")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_header(value: &str) -> Call {
        Call {
            headers: vec![("X-Registry-Auth".into(), value.into())],
            ..Call::default()
        }
    }

    #[test]
    fn the_header_is_base64url_json_and_an_empty_one_is_no_login() {
        let json = r#"{"username":"student","password":"p?w>","serveraddress":"r:5000"}"#;
        let login = header_login(&with_header(&URL_SAFE.encode(json)))
            .unwrap()
            .unwrap();
        assert_eq!(
            (login.username.as_str(), login.password.as_str()),
            ("student", "p?w>")
        );
        assert!(header_login(&with_header("e30=")).unwrap().is_none());
        assert!(header_login(&Call::default()).unwrap().is_none());
        assert_eq!(header_login(&with_header("%%%")).unwrap_err().status, 400);
    }
}

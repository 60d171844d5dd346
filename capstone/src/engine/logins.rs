//! Registry logins an Engine API client hands in: `POST /auth` (`docker login` through the
//! daemon) asks whether one is good, and `pull`/`push` use the one sent with the request
//! (`X-Registry-Auth`). None is saved: the client keeps its own (`~/.docker/config.json`), as
//! with Docker; the engine's saved logins are `capstone login`'s.

use super::Engine;
use crate::Result;
use crate::store::registries;
use registry::auth::Login;

impl Engine {
    /// Asks the registry `server` whether `login` is good (lesson 05's `login::check`:
    /// `GET /v2/` anonymously for the challenge, then with the credentials or a token).
    pub fn check_login(&self, server: &str, login: &Login) -> Result<()> {
        Ok(registry::login::check(
            registries::config(&self.paths)?,
            server,
            login,
        )?)
    }

    /// `pull` with `login` for the reference's registry instead of a saved one.
    pub fn pull_as(
        &self,
        typed: &str,
        login: Option<&Login>,
        say: &mut dyn FnMut(String),
    ) -> Result<()> {
        super::images::pull_as(&self.paths, typed, login, say)
    }
}

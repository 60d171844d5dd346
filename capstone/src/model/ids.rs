//! Container ids and names, as Docker makes them: a random 256-bit id shown as 64 hex digits
//! (12 in `ps`), and a generated `adjective_scientist` name when `--name` is not given.
//! The randomness comes from getrandom(2), through `/dev/urandom`.

use crate::{Error, Result};
use std::io::Read;

/// How many hex digits `ps` and `images` show of an id.
pub const SHORT: usize = 12;

/// A new random container id: 64 lower-case hex digits.
pub fn random_id() -> Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(Error::io("read random bytes from", "/dev/urandom"))?;
    Ok(hex::encode(bytes))
}

/// The first [`SHORT`] characters of an id (without a `sha256:` prefix).
pub fn short(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(SHORT)]
}

const ADJECTIVES: [&str; 16] = [
    "admiring", "brave", "clever", "dreamy", "eager", "festive", "gallant", "happy", "jolly",
    "keen", "lucid", "modest", "nifty", "quirky", "serene", "vibrant",
];

const SCIENTISTS: [&str; 16] = [
    "babbage",
    "curie",
    "dijkstra",
    "euler",
    "franklin",
    "goldwasser",
    "hopper",
    "johnson",
    "knuth",
    "lamarr",
    "lovelace",
    "noether",
    "ritchie",
    "shannon",
    "thompson",
    "turing",
];

/// A name like `clever_hopper`, derived from the id's bytes; `attempt` > 0 adds a number, the
/// way Docker retries when a generated name is taken.
pub fn generated_name(id: &str, attempt: u32) -> String {
    let b = id.as_bytes();
    let pick = |i: usize| usize::from(b.get(i).copied().unwrap_or(0)) % 16;
    let name = format!(
        "{}_{}",
        ADJECTIVES[pick(0) ^ pick(5)],
        SCIENTISTS[pick(1) ^ pick(7)]
    );
    if attempt == 0 {
        name
    } else {
        format!("{name}{attempt}")
    }
}

/// Checks a `--name` against Docker's rule: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if name.len() < 2 || !first_ok || !rest_ok {
        return Err(Error::invalid(
            "container name",
            name,
            "only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least two characters",
        ));
    }
    Ok(())
}

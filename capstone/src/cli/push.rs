//! `push NAME[:TAG]`: [`crate::Engine::push`], printed as Docker prints it:
//!
//! ```text
//! The push refers to repository [127.0.0.1:5000/lab/app]
//! 5f70bf18a086: Pushed
//! 3e207b409db3: Layer already exists
//! v1: digest: sha256:… size: 527
//! ```

use crate::{Engine, Result};

pub(super) fn push(engine: &Engine, typed: &str) -> Result<i32> {
    let pushed = engine.push(typed, None, &mut |step| println!("{}", step.docker_line()))?;
    println!("{}", pushed.docker_line());
    Ok(0)
}

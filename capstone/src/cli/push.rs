//! `push NAME[:TAG]`: [`crate::Engine::push`], printed as Docker prints it:
//!
//! ```text
//! The push refers to repository [127.0.0.1:5000/lab/app]
//! 5f70bf18a086: Pushed
//! 3e207b409db3: Layer already exists
//! v1: digest: sha256:… size: 527
//! ```

use crate::engine::push::PushStep;
use crate::{Engine, Result};

pub(super) fn push(engine: &Engine, typed: &str) -> Result<i32> {
    let pushed = engine.push(typed, None, &mut |step| match step {
        PushStep::Repository(repository) => {
            println!("The push refers to repository [{repository}]")
        }
        PushStep::Layer { short_id, status } => println!("{short_id}: {status}"),
    })?;
    println!(
        "{}: digest: {} size: {}",
        pushed.tag, pushed.digest, pushed.size
    );
    Ok(0)
}

//! The engine layer: every operation a front end can ask for, as methods of [`Engine`], and
//! the decisions between them — pull an image that is missing, clean up after a failed start,
//! notice containers that died unrecorded ([`reconcile`]). It uses the [`crate::mechanisms`]
//! and the [`crate::store`]; the front ends (the CLI today) only parse and print.

pub mod attach;
pub mod attach_input;
pub mod attach_output;
pub mod build;
pub mod commit;
pub mod containers;
pub mod copy;
pub mod copy_archive;
pub mod create;
pub mod events;
pub mod exec;
pub mod exits;
pub mod export;
pub mod gc;
pub mod health;
pub mod image_filter;
pub mod image_transfer;
pub mod images;
pub mod import;
pub mod lifecycle;
pub mod logins;
pub mod logs;
pub mod monitor;
pub mod networks;
pub mod oci;
pub mod prune;
pub mod push;
pub mod reconcile;
pub mod remove;
pub mod restart;
pub mod run_flags;
pub mod stats;
pub mod stats_reading;
pub mod update;
pub mod views;
pub mod volumes;

use crate::Result;
use crate::store::Paths;
use std::path::Path;

/// The engine: a handle on one state root (`--root`) and its runtime directory
/// (`--runroot`). Cheap to make; every front end makes one and calls its operations.
#[derive(Debug, Clone)]
pub struct Engine {
    paths: Paths,
}

impl Engine {
    /// Opens the engine's state under `root` and `runroot`, creating the directories.
    pub fn open(root: &Path, runroot: &Path) -> Result<Engine> {
        Ok(Engine {
            paths: Paths::open(root, runroot)?,
        })
    }

    /// Where its state lives.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }
}

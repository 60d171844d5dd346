//! Lesson 03: overlayfs — copy-on-write layers, whiteouts, diff and commit.
//!
//! A container image is a stack of read-only directories (layers). overlayfs, a union
//! filesystem in the Linux kernel, shows such a stack as one directory and sends every write
//! to one extra writable directory, the *upper* layer: a file changed for the first time is
//! copied up from the layer below; a deleted one is hidden by a *whiteout*. Many containers can
//! share the same read-only layers, and the upper dir alone is the container's diff — which is
//! what `docker diff` lists and what `docker commit` packs into a new layer.
//!
//! This library:
//! - mounts and unmounts an overlay of N lowers + upper + work ([`Overlay`], [`Mounted`]),
//!   through short links when the paths do not fit in mount(2)'s one page of options;
//! - lists an upper dir's changes as `docker diff` does ([`diff::changes`]);
//! - maps overlay whiteouts to OCI whiteouts and back ([`whiteout`]);
//! - writes an upper dir as an OCI layer tar ([`layer::write_layer`]) and applies or unpacks
//!   such a tar ([`apply`]);
//! - reads whole trees for comparison ([`tree::Tree`]).
//!
//! Reference: the kernel's Documentation/filesystems/overlayfs.rst, mount(2), and the OCI image
//! spec's layer.md ("Whiteouts").

pub mod apply;
pub mod diff;
pub mod error;
pub mod layer;
mod links;
pub mod lowers;
pub mod mount;
pub mod scratch;
pub mod tree;
pub mod walk;
pub mod whiteout;

pub use diff::{Change, ChangeKind, changes};
pub use error::{Error, Result};
pub use mount::{MAX_LOWER_LAYERS, Mounted, Overlay, overlay_available};

//! Lesson 04: OCI images — what `docker pull` leaves on disk, and how an engine turns it into a
//! root file system without letting a hostile image touch the host.
//!
//! - [`digest`]: content addresses (`sha256:…`) and readers that verify as they read;
//! - [`media`]: media types; manifests and indexes parsed without media-type confusion;
//! - [`store`]: a content-addressed local store (blobs, tags, atomic writes); [`gc`]: pruning;
//! - [`image`]: an image's manifest, config and layers; unpacking per layer or flattened;
//! - [`layer`]: diff IDs, chain IDs, decompression with a size bound;
//! - [`apply`] + [`safe_path`] + [`whiteout`]: applying a layer tar safely;
//! - [`layout`]: the OCI image layout on disk (what `skopeo`/`umoci` read and write);
//! - [`build`]: an image made layer by layer, one tar → digest → gzip path for every layer;
//!   [`config_doc`]: its config, edited as the JSON document it is; [`demo`]: the small
//!   images the steps use;
//! - [`archive`]: `docker save`/`docker load` archives; [`import`]: a rootfs as an image;
//! - [`runconfig`]: turning a config's Env/Cmd/Entrypoint/WorkingDir/User into a process.

pub mod apply;
pub mod archive;
pub mod build;
pub mod config_doc;
pub mod demo;
pub mod digest;
pub mod error;
pub mod fuzzing;
pub mod gc;
pub mod image;
pub mod import;
pub mod layer;
pub mod layout;
pub mod media;
pub mod runconfig;
pub mod safe_path;
pub mod store;
pub mod whiteout;

pub use apply::{ApplyOptions, ApplyReport, WhiteoutMode, apply_layer};
pub use build::{ImageBuilder, LayerBlob};
pub use digest::Digest;
pub use error::Error;
pub use image::{Image, LayerInfo};
pub use import::{ImportOptions, import_dir, import_tar};
pub use store::{BlobWriter, Store};

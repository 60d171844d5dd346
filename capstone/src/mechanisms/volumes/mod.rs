//! Mounting a container's volumes and bind mounts inside its new mount namespace, before
//! pivot_root(2) ([`mount`]): each target resolved *inside* the root file system with
//! openat2(2) ([`resolve`]), a new volume filled from the image first ([`copy_up`]). See
//! mount_namespaces(7): these mounts vanish with the container's namespace.

pub mod copy_up;
pub mod mount;
pub mod resolve;

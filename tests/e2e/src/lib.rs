//! End-to-end tests of the whole kit live in this package's `tests/` directory: the book's
//! links, and (with the capstone) every engine command against real third-party software.
//!
//! The library holds the machinery of the "Containers and virtual machines" comparison
//! (`benches/`, `scripts/bench/compare.sh`, and the book chapter of that name):
//! - [`sandbox`]: start a container the way an engine does, from the lessons' libraries
//!   (cgroup, overlay, namespaces);
//! - [`qemu`]: boot Debian's kernel under QEMU (`microvm` or `q35`, KVM or TCG) and time it;
//! - [`procmem`]: what a set of processes costs in memory (RSS and PSS from proc(5));
//! - [`report`] and [`svg`]: turn the raw measurements into the book's data, tables and charts.

pub mod procmem;
pub mod qemu;
pub mod report;
pub mod sandbox;
pub mod svg;

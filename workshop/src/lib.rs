//! The workshop kit (`cargo kit`): exercises with holes in the lessons' real code, graded
//! offline by what the kernel shows.
//!
//! - [`catalogue`]: `workshop/exercises.toml`, what each exercise asks;
//! - [`regions`]: the marker comments around an exercise's lines, and the hole;
//! - [`mod@bench`]: making holes and putting references back without losing a student's code;
//! - [`grading`]: building the lessons with the student's code and running the graders
//!   (`workshop/graders`, which read namespaces, mounts, cgroups and overlays in the kernel);
//! - [`progress`]: what the student has done, under `target/kit/`;
//! - [`cleanup`]: what `reset` removes from the host;
//! - [`show`]: how results are printed for a student;
//! - [`watch`]: re-checking when a file changes;
//! - [`classroom`]: the instructor's dashboard and the students' reports to it;
//! - [`bundle`]: the workshop's images in one file, for a classroom registry.

pub mod bench;
pub mod bundle;
pub mod catalogue;
pub mod classroom;
pub mod cleanup;
pub mod grading;
pub mod progress;
pub mod regions;
pub mod show;
pub mod watch;

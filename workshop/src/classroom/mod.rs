//! `cargo kit classroom`: the instructor's dashboard. Students' `cargo kit check --report URL`
//! POST their results here; the page shows a grid of students × exercises that refreshes
//! itself.
//!
//! - [`room`]: what the room knows (per student: each exercise's state, how long they have
//!   been stuck, when last seen, the doctor's verdict), and how a report updates it;
//! - [`http`]: the HTTP/1.1 server (RFC 9112, through `tiny_http`): the page, the JSON, the
//!   report endpoint, with limits so that garbage is refused and never kills the server;
//! - [`report`]: the student's side, posting a report (through `ureq`);
//! - [`services`]: the registry it runs beside the dashboard, stopped on Ctrl-C;
//! - [`book`]: the book, built with mdbook and served as static files.

pub mod book;
pub mod http;
pub mod report;
pub mod room;
pub mod services;

//! End-to-end tests of the whole kit live in this package's `tests/` directory: the book's
//! links, and (with the capstone) every engine command against real third-party software.

//! (this module is being written: see the lesson that owns it)

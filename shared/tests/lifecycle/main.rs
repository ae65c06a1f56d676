//! The lifecycle, driven through `apply` as the edge drives it: scenario
//! tests for each journey of the brief, and properties over random events.

// Tests fail by panicking, with a message that says what went wrong.
#![allow(clippy::expect_used, clippy::panic)]

mod boundaries;
mod journey;
mod properties;
mod scenarios;

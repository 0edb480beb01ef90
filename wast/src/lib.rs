//! The spec script runner of Lazuli: [`wast`] runs `.wast` scripts against an engine and counts
//! every directive as passed, failed or skipped; [`suite`] names the pinned spec test suite's
//! folders and the features each is written for. Used by `lazuli wast` and the test crate.
#![deny(missing_docs)]

pub mod suite;
pub mod wast;

//! Lazuli's spec test-suite runner ([`wast`]) and the pinned suite it runs ([`suite`]).
//! Integration tests live in `tests/tests/`.

pub mod suite;
pub mod wast;

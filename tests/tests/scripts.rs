//! Lazuli's own spec-style scripts (`tests/wast/`), for features the pinned suite does not
//! cover, in every backend and tier, with nothing failed or skipped:
//! - `table64.wast`: 64-bit tables (i64 indices, sizes and lengths in every table operator,
//!   `call_indirect`, element offsets, import matching);
//! - `legacy_exceptions.wast`: `try`, `catch`, `catch_all`, `rethrow` and `delegate`.

use lazuli_tests::wast::WastRunner;

fn passes_in_every_mode(script: &str, at_least: usize) {
    for (mode, config) in lazuli_tests::modes() {
        let runner = WastRunner::new(lazuli_tests::engine(config).unwrap());
        lazuli_tests::assert_clean(&runner.run_script(script), mode, at_least);
    }
}

#[test]
fn table64_script_passes_in_every_mode() {
    passes_in_every_mode(include_str!("../wast/table64.wast"), 46);
}

#[test]
fn legacy_exceptions_script_passes_in_every_mode() {
    passes_in_every_mode(include_str!("../wast/legacy_exceptions.wast"), 14);
}

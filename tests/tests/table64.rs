//! 64-bit tables in every backend and tier: `tests/wast/table64.wast` (i64 indices, sizes and
//! lengths in every table operator, `call_indirect`, element offsets, import matching) passes
//! with nothing failed or skipped.

use lazuli_tests::wast::WastRunner;

#[test]
fn table64_script_passes_in_every_mode() {
    let script = include_str!("../wast/table64.wast");
    for (mode, config) in lazuli_tests::modes() {
        let runner = WastRunner::new(lazuli_tests::engine(config).unwrap());
        let tally = runner.run_script(script);
        assert!(
            tally.failures.is_empty(),
            "{mode}: {} failed:\n{}",
            tally.failed,
            tally.failures.join("\n")
        );
        assert_eq!(tally.skipped, 0, "{mode}: skipped {:?}", tally.skip_reasons);
        assert!(tally.passed >= 46, "{mode}: only {} passed", tally.passed);
    }
}

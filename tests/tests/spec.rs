//! The spec suite from `cargo test`: every folder Lazuli claims must have no failures.

use lazuli_core::{Config, Engine};
use lazuli_tests::wast::{Tally, WastRunner};
use lazuli_tests::{llvm_engine, suite};

fn run_folder(name: &str) -> Tally {
    let runner = WastRunner::new(llvm_engine(
        Config::default().features(suite::features(name)),
    ));
    let mut total = Tally::default();
    for file in suite::folder(name).expect("folder of the pinned suite") {
        let mut tally = runner.run_script(file.text);
        tally
            .failures
            .iter_mut()
            .for_each(|f| *f = format!("{}: {f}", file.path));
        total.add(&tally);
    }
    total
}

/// Assert that folder `name` of the pinned suite has no failures and more than 1,000 passes.
fn assert_clean(name: &str) {
    lazuli_tests::assert_clean(&run_folder(name), name, 1001);
}

#[test]
fn wasm_v1_has_no_failures() {
    assert_clean("wasm-v1");
}

#[test]
fn wasm_v2_has_no_failures() {
    assert_clean("wasm-v2");
}

#[test]
fn simd_has_no_failures() {
    assert_clean("proposals/simd");
}

#[test]
fn multi_memory_has_no_failures() {
    let name = "proposals/multi-memory";
    lazuli_tests::assert_clean(&run_folder(name), name, 501);
}

#[test]
fn validation_only_engine_skips_execution_and_never_passes_it() {
    let runner = WastRunner::new(Engine::new(Config::default()));
    let t = runner.run_script(
        r#"(module (func (export "f") (result i32) i32.const 1))
           (assert_return (invoke "f") (i32.const 1))
           (assert_invalid (module (func (result i32))) "type mismatch")"#,
    );
    assert_eq!(
        (t.passed, t.failed, t.skipped),
        (1, 0, 2),
        "{:?}",
        t.failures
    );
}

#[test]
fn runner_counts_wrong_results_and_traps_as_failed() {
    let runner = WastRunner::new(llvm_engine(Config::default()));
    let t = runner.run_script(
        r#"(module (func (export "f") (result i32) i32.const 1) (func (export "u") unreachable))
           (assert_return (invoke "f") (i32.const 2))
           (assert_trap (invoke "f") "unreachable")
           (assert_trap (invoke "u") "integer overflow")
           (assert_trap (invoke "u") "unreachable")"#,
    );
    assert_eq!(
        (t.passed, t.failed, t.skipped),
        (2, 3, 0),
        "{:?}",
        t.failures
    );
}

#[test]
fn runner_counts_a_wrong_assertion_as_failed() {
    // A valid module asserted invalid, and an invalid one asserted valid, must both fail.
    let runner = WastRunner::new(llvm_engine(Config::default()));
    let t = runner.run_script(
        r#"(assert_invalid (module (func)) "nothing wrong")
           (module definition (func (result i32) i64.const 1))
           (assert_malformed (module binary "\00asm\01\00\00\00") "fine")"#,
    );
    assert_eq!(
        (t.passed, t.failed, t.skipped),
        (0, 3, 0),
        "{:?}",
        t.failures
    );
}

/// Exception handling's folder: everything passes but the four directives of `tag.wast` whose
/// modules need GC's recursion groups (GC is not implemented).
#[test]
fn exceptions_fail_only_where_gc_is_needed() {
    let t = run_folder("proposals/exceptions");
    assert_eq!(t.skipped, 0, "skipped because {:?}", t.skip_reasons);
    assert!(t.passed >= 100, "only {} directives passed", t.passed);
    assert!(
        t.failures.len() == 4 && t.failures.iter().all(|f| f.contains("requires `gc`")),
        "{} failed:\n{}",
        t.failed,
        t.failures.join("\n")
    );
}

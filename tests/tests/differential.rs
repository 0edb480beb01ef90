//! A bounded differential run: generated modules agree between Lazuli (lazy, eager, eager
//! after a serialize round trip) and the wasmi interpreter. Longer campaigns:
//! `cargo run --release -p lazuli-tests --bin diff-campaign -- SECONDS` or the cargo-fuzz target
//! `differential` (see the README).

use lazuli_core::backend::{Strategy, TrapCode};
use lazuli_tests::diff::{check, run_lazuli, run_wasmi, seed_bytes, Outcome};

#[test]
fn generated_modules_agree_in_every_mode() {
    let mut checked = 0;
    let mut calls = 0;
    for seed in 0..250u64 {
        let data = seed_bytes(seed, 4096);
        match check(&data) {
            Ok(Some(n)) => {
                checked += 1;
                calls += n;
            }
            Ok(None) => {}
            Err(divergence) => panic!("seed {seed}: {divergence}"),
        }
    }
    assert!(checked >= 200, "only {checked} modules were generated");
    assert!(calls >= 200, "only {calls} exported functions were called");
}

#[test]
fn a_divergence_is_detected() {
    // The same module observed by Lazuli and wasmi must agree; a tampered observation must not.
    let wasm = wat::parse_str(r#"(module (func (export "f") (result i32) i32.const 7) (func (export "t") unreachable))"#).unwrap();
    let reference = run_wasmi(&wasm).unwrap();
    let seen = run_lazuli(&wasm, Strategy::Lazy, false).unwrap();
    assert_eq!(seen, reference);
    assert_eq!(seen.calls[0].1, Outcome::Returned(vec![7]));
    assert_eq!(seen.calls[1].1, Outcome::Trapped(TrapCode::Unreachable));
    let mut tampered = seen.clone();
    tampered.calls[0].1 = Outcome::Returned(vec![8]);
    assert_ne!(tampered, reference);
}

//! A bounded differential run: generated modules agree between Lazuli (LLVM lazy, eager, eager
//! after a serialize round trip; tiered; the single-pass baseline backend) and the wasmi
//! interpreter. Longer campaigns:
//! `cargo run --release -p lazuli-tests --bin diff-campaign -- SECONDS` or the cargo-fuzz target
//! `differential` (see the README).

use lazuli_core::backend::{ConstExpr, Strategy, TrapCode};
use lazuli_core::{Config, Engine, Module};
use lazuli_tests::diff::{
    check, check_modes_agree, generate, generate_beyond_wasmi, run_lazuli, run_wasmi, seed_bytes,
    Outcome,
};

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
fn generated_modules_use_the_3_0_features_compared() {
    // The seeds above include modules with two memories, 64-bit memories and tables, extended
    // constant expressions and tail calls.
    let engine = Engine::new(Config::default());
    let (mut multi_memory, mut extended_const, mut tail_calls) = (0, 0, 0);
    let (mut memory64, mut table64) = (0, 0);
    for seed in 0..250u64 {
        let Some(wasm) = generate(&seed_bytes(seed, 4096)) else {
            continue;
        };
        tail_calls += uses(&wasm, |op| {
            matches!(
                op,
                wasmparser::Operator::ReturnCall { .. }
                    | wasmparser::Operator::ReturnCallIndirect { .. }
            )
        }) as u32;
        let module = Module::new(&engine, wasm).expect("generated modules are valid");
        let info = module.info();
        multi_memory += (info.memories.len() > 1) as u32;
        memory64 += info.memories.iter().any(|m| m.memory64) as u32;
        table64 += info.tables.iter().any(|t| t.table64) as u32;
        extended_const += info
            .global_inits
            .iter()
            .any(|e| matches!(e, ConstExpr::Extended(_))) as u32;
    }
    assert!(
        multi_memory >= 10,
        "{multi_memory} modules with several memories"
    );
    assert!(
        extended_const >= 10,
        "{extended_const} modules with extended constants"
    );
    assert!(tail_calls >= 10, "{tail_calls} modules with tail calls");
    assert!(memory64 >= 10, "{memory64} modules with 64-bit memories");
    assert!(table64 >= 10, "{table64} modules with 64-bit tables");
}

#[test]
fn a_divergence_is_detected() {
    // The same module observed by Lazuli and wasmi must agree; a tampered observation must not.
    let wasm = wat::parse_str(
        r#"(module (func (export "f") (result i32) i32.const 7) (func (export "t") unreachable))"#,
    )
    .unwrap();
    let reference = run_wasmi(&wasm).unwrap();
    let seen = run_lazuli(&wasm, Strategy::Lazy, false).unwrap();
    assert_eq!(seen, reference);
    assert_eq!(seen.calls[0].1, Outcome::Returned(vec![7]));
    assert_eq!(seen.calls[1].1, Outcome::Trapped(TrapCode::Unreachable));
    let mut tampered = seen.clone();
    tampered.calls[0].1 = Outcome::Returned(vec![8]);
    assert_ne!(tampered, reference);
}

#[test]
fn regression_where_wasmi_is_unstable_lazuli_is_stable_in_every_mode() {
    // Found by a campaign (seed 2030618): wasmi's final value of global "7" changes from run to
    // run (3013272364, 1607262012, 866098008, ...) while every Lazuli mode gives 3013272364.
    let wasm = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/regressions/wasmi-unstable-seed-2030618.wasm"
    ))
    .unwrap();
    let first = run_lazuli(&wasm, Strategy::Lazy, false).unwrap();
    let global_7 = first
        .state
        .iter()
        .find(|(name, _)| name == "7")
        .map(|(_, v)| *v);
    assert_eq!(global_7, Some(3013272364));
    for _ in 0..3 {
        assert_eq!(run_lazuli(&wasm, Strategy::Lazy, false).unwrap(), first);
    }
    assert_eq!(run_lazuli(&wasm, Strategy::Eager, false).unwrap(), first);
    assert_eq!(run_lazuli(&wasm, Strategy::Eager, true).unwrap(), first);
    lazuli_tests::diff::check_module(&wasm).unwrap();
}

/// Modules with exception handling and relaxed SIMD (which wasmi does not run) agree between
/// Lazuli's modes: LLVM lazy, eager, eager after a round trip and tiered against the single-pass
/// backend.
#[test]
fn generated_modules_beyond_wasmi_agree_between_modes() {
    let (mut checked, mut throwing, mut relaxed) = (0, 0, 0);
    for seed in 0..150u64 {
        let Some(wasm) = generate_beyond_wasmi(&seed_bytes(seed, 4096)) else {
            continue;
        };
        throwing += uses(&wasm, |op| {
            matches!(
                op,
                wasmparser::Operator::TryTable { .. } | wasmparser::Operator::Throw { .. }
            )
        }) as u32;
        relaxed += uses(&wasm, |op| format!("{op:?}").contains("Relaxed")) as u32;
        match check_modes_agree(&wasm) {
            Ok(_) => checked += 1,
            Err(divergence) => panic!("seed {seed}: {divergence}"),
        }
    }
    assert!(checked >= 100, "only {checked} modules were generated");
    assert!(throwing >= 10, "{throwing} modules throw or catch");
    assert!(relaxed >= 10, "{relaxed} modules use relaxed SIMD");
}

/// Whether a function body of `wasm` has an operator `is`.
fn uses(wasm: &[u8], is: impl Fn(&wasmparser::Operator<'_>) -> bool) -> bool {
    wasmparser::Parser::new(0).parse_all(wasm).any(|payload| {
        let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload else {
            return false;
        };
        let Ok(mut ops) = body.get_operators_reader() else {
            return false;
        };
        while let Ok(op) = ops.read() {
            if is(&op) {
                return true;
            }
        }
        false
    })
}

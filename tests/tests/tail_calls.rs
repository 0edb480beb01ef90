//! Tail calls (`return_call`, `return_call_indirect`) in every backend and tier: a million
//! rounds of mutual tail recursion between functions with different numbers of stack
//! arguments (integers, a `v128`, several results) run in constant stack and deliver every
//! argument to its place; tail calls reach host functions (with more stack arguments than their caller), other instances and code of the
//! other tier, and indirect ones still check for null and the signature.

use lazuli_core::backend::TrapCode;
use lazuli_core::{Config, Error, Extern, Func, Imports, Instance, Module, Store, Tiers, Val};

/// `small` (two parameters, in registers) tail-calls `big` (ten: five on the stack), which
/// tail-calls `vector` (a `v128` on the stack), which tail-calls `small` back. Each checks
/// that its arguments arrived in their places by weighing them into the accumulator; all
/// return the same two results through the record of the first caller.
const WAT: &str = r#"(module
  (import "host" "weigh" (func $weigh (param i64 i64 i64 i64 i64 i64) (result i64)))
  (type $small (func (param i64 i64) (result i64 i64)))
  (table $t (export "t") 2 funcref)
  (elem (table $t) (i32.const 0) func $small)
  (func $small (export "small") (type $small) (param $n i64) (param $acc i64) (result i64 i64)
    (if (result i64 i64) (i64.eqz (local.get $n))
      (then (local.get $acc) (i64.const 7))
      (else
        (return_call $big (i64.sub (local.get $n) (i64.const 1)) (local.get $acc)
          (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5)
          (i64.const 6) (i64.const 7) (local.get $n)))))
  (func $big (param $n i64) (param $acc i64)
    (param $a i64) (param $b i64) (param $c i64) (param $d i64) (param $e i64)
    (param $f i64) (param $g i64) (param $h i64) (result i64 i64)
    (return_call $vector (local.get $n)
      (i64.add (local.get $acc)
        (i64.add
          (i64.add (i64.add (local.get $a) (i64.mul (local.get $b) (i64.const 2)))
                   (i64.add (i64.mul (local.get $c) (i64.const 3)) (i64.mul (local.get $d) (i64.const 4))))
          (i64.add (i64.add (i64.mul (local.get $e) (i64.const 5)) (i64.mul (local.get $f) (i64.const 6)))
                   (i64.add (i64.mul (local.get $g) (i64.const 7)) (i64.mul (local.get $h) (i64.const 8))))))
      (i64.const 0) (i64.const 0) (i64.const 0)
      (v128.const i64x2 3 5)))
  (func $vector (param $n i64) (param $acc i64) (param i64 i64 i64) (param $v v128)
    (result i64 i64)
    (return_call_indirect $t (type $small) (local.get $n)
      (i64.add (local.get $acc)
        (i64.add (i64x2.extract_lane 0 (local.get $v))
                 (i64.mul (i64x2.extract_lane 1 (local.get $v)) (i64.const 10))))
      (i32.const 0)))
  (func (export "to_host") (param i64 i64) (result i64)
    (return_call $weigh (local.get 0) (local.get 1)
      (i64.const 1) (i64.const 1) (i64.const 1) (i64.const 1)))
  (func (export "indirect") (param i32) (result i64 i64)
    (return_call_indirect $t (type $small) (i64.const 3) (i64.const 0) (local.get 0)))
  (func $wrong (param i32))
  (elem (table $t) (i32.const 1) func $wrong))"#;

/// What `small(n, 0)` returns: per round 140 (the constants, weighted), 8 times the round's
/// `n`, and 53 from the vector; the second result is 7.
fn expected(n: i64) -> Vec<Val> {
    vec![Val::I64(193 * n + 8 * n * (n + 1) / 2), Val::I64(7)]
}

fn instantiate(config: Config) -> (Store, Instance) {
    let engine = lazuli_tests::engine(config).unwrap();
    let module = Module::from_wat(&engine, WAT).unwrap();
    let mut store = Store::new(&engine);
    // Six parameters: the last one travels on the stack.
    let weigh = Func::wrap(
        &mut store,
        |a: i64, b: i64, c: i64, d: i64, e: i64, f: i64| a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f,
    )
    .unwrap();
    let imports = Imports::new().define("host", "weigh", Extern::Func(weigh));
    let instance = Instance::new(&mut store, &module, &imports).unwrap();
    (store, instance)
}

fn call(
    store: &mut Store,
    instance: &Instance,
    name: &str,
    args: &[Val],
) -> Result<Vec<Val>, Error> {
    let f = instance.get_func(store, name).unwrap();
    f.call(store, args)
}

#[test]
fn tail_recursion_runs_in_constant_stack_in_every_mode() {
    for (mode, config) in lazuli_tests::modes() {
        let (mut store, instance) = instantiate(config);
        for n in [0, 1, 5, 1_000_000] {
            assert_eq!(
                call(&mut store, &instance, "small", &[Val::I64(n), Val::I64(0)]).unwrap(),
                expected(n),
                "{mode}: small({n})"
            );
        }
        assert_eq!(
            call(
                &mut store,
                &instance,
                "to_host",
                &[Val::I64(40), Val::I64(2)]
            )
            .unwrap(),
            vec![Val::I64(62)],
            "{mode}"
        );
        assert_eq!(
            call(&mut store, &instance, "indirect", &[Val::I32(0)]).unwrap(),
            expected(3),
            "{mode}"
        );
        for (index, code) in [(1, TrapCode::BadSignature), (2, TrapCode::TableOutOfBounds)] {
            match call(&mut store, &instance, "indirect", &[Val::I32(index)]) {
                Err(Error::Trap(trap)) => assert_eq!(trap, code, "{mode}"),
                other => panic!("{mode}: indirect({index}) gave {other:?}"),
            }
        }
    }
}

/// Tail calls between instances and between tiers: after the first module's functions are
/// recompiled by LLVM, a second module (baseline code on its first calls) puts its `relay` in
/// the first module's table, so every round of the recursion goes from LLVM code (`vector`) to
/// baseline code (`relay`, until it too is recompiled in the background) and back (`small`).
#[test]
fn tail_calls_cross_instances_and_tiers() {
    let config = Config::default().tiers(Tiers::Tiered).tier_up(1).workers(1);
    let (mut store, first) = instantiate(config);
    assert_eq!(
        call(&mut store, &first, "small", &[Val::I64(2), Val::I64(0)]).unwrap(),
        expected(2)
    );
    let module = first.module(&store).unwrap().clone();
    let started = std::time::Instant::now();
    while module.stats().optimized < 3 {
        assert!(started.elapsed().as_secs() < 120, "tier-up never finished");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let second = Module::from_wat(
        store.engine(),
        r#"(module
          (type $small (func (param i64 i64) (result i64 i64)))
          (import "first" "small" (func $small (type $small)))
          (import "first" "t" (table $t 2 funcref))
          (func $relay (type $small) (return_call $small (local.get 0) (local.get 1)))
          (elem (table $t) (i32.const 0) func $relay)
          (func (export "go") (type $small) (return_call $small (local.get 0) (local.get 1))))"#,
    )
    .unwrap();
    let small = first.get_func(&store, "small").unwrap();
    let table = first.get_export(&store, "t").unwrap();
    let imports = Imports::new()
        .define("first", "small", Extern::Func(small))
        .define("first", "t", table);
    let other = Instance::new(&mut store, &second, &imports).unwrap();
    assert_eq!(
        call(&mut store, &other, "go", &[Val::I64(100_000), Val::I64(0)]).unwrap(),
        expected(100_000)
    );
}

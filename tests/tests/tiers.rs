//! Code of the two backends calls each other through the GOT with one calling convention
//! (`lazuli_backend_api::abi`): a function the tiered configuration has recompiled with LLVM is
//! called by single-pass baseline code and by the host, and calls baseline code, with
//! arguments in registers and on the stack (a `v128` that no longer fits in registers, and an
//! integer after it) and several results.

use lazuli_core::Tiers;
use lazuli_core::{Config, Imports, Instance, Module, Store, Val};

const WAT: &str = r#"(module
  (func $mix (export "mix") (param i64 i64 i64 i64 v128 i32) (result v128 i64 i32)
    (i32x4.add (local.get 4) (i32x4.splat (local.get 5)))
    (i64.add (i64.add (local.get 0) (local.get 1)) (i64.add (local.get 2) (local.get 3)))
    (i32.wrap_i64 (i64.mul (local.get 0) (local.get 3))))
  (func (export "caller") (result i32)
    (local $v v128) (local $s i64) (local $p i32)
    (call $mix (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)
      (v128.const i32x4 10 20 30 40) (i32.const 5))
    (local.set $p) (local.set $s) (local.set $v)
    ;; 15 + 25 + 35 + 45 + 10 + 4 = 134
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
      (i32.add
        (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))
        (i32.add (i32.wrap_i64 (local.get $s)) (local.get $p))))))"#;

#[test]
fn baseline_and_llvm_code_call_each_other_through_the_got() {
    let engine =
        lazuli_tests::engine(Config::default().workers(1).tier_up(1).tiers(Tiers::Tiered)).unwrap();
    let module = Module::from_wat(&engine, WAT).unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let caller = instance.get_func(&store, "caller").unwrap();
    let mix = instance.get_func(&store, "mix").unwrap();
    let args = [
        Val::I64(1),
        Val::I64(2),
        Val::I64(3),
        Val::I64(4),
        Val::V128(u128::from_le_bytes(
            [10u32, 20, 30, 40]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
        )),
        Val::I32(5),
    ];
    let expected_mix = vec![
        Val::V128(u128::from_le_bytes(
            [15u32, 25, 35, 45]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect::<Vec<_>>()
                .try_into()
                .unwrap(),
        )),
        Val::I64(10),
        Val::I32(4),
    ];
    // First calls: both functions run as baseline code and ask for tier-up.
    assert_eq!(caller.call(&mut store, &[]).unwrap(), vec![Val::I32(134)]);
    assert_eq!(mix.call(&mut store, &args).unwrap(), expected_mix);
    let started = std::time::Instant::now();
    while module.stats().optimized < 2 {
        assert!(started.elapsed().as_secs() < 120, "tier-up never finished");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Now both are LLVM code: LLVM calls LLVM, the host calls LLVM through the baseline
    // backend's trampoline.
    assert_eq!(caller.call(&mut store, &[]).unwrap(), vec![Val::I32(134)]);
    assert_eq!(mix.call(&mut store, &args).unwrap(), expected_mix);

    // Mixed: a fresh instance of the module whose code is shared; compile `caller` alone
    // with the baseline backend in a second module and call the LLVM `mix` from it through
    // an import.
    let importer = Module::from_wat(
        &engine,
        r#"(module
          (import "m" "mix" (func $mix (param i64 i64 i64 i64 v128 i32) (result v128 i64 i32)))
          (func (export "go") (result i64) (local $sum i64)
            (call $mix (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)
              (v128.const i32x4 10 20 30 40) (i32.const 5))
            (drop) (local.set $sum)
            (i64.add (i64.extend_i32_u (i32x4.extract_lane 3)) (local.get $sum))))"#,
    )
    .unwrap();
    let imports = Imports::new().define("m", "mix", lazuli_core::Extern::Func(mix));
    let other = Instance::new(&mut store, &importer, &imports).unwrap();
    let go = other.get_func(&store, "go").unwrap();
    // 10 (the sum) + 45 (lane 3) = 55; `go` is baseline code calling LLVM code.
    assert_eq!(go.call(&mut store, &[]).unwrap(), vec![Val::I64(55)]);
}

/// Tier-up switches a hot function's GOT entry to its optimized code: once it is installed,
/// calls stop counting (only first-tier code counts), for a function without loops, which no
/// OSR entry could move.
#[test]
fn tier_up_switches_calls_to_the_optimized_code() {
    let engine = lazuli_tests::tiered_engine(100);
    let module = lazuli_core::Module::from_wat(
        &engine,
        r#"(module (func (export "mix") (param i32) (result i32)
             (i32.xor (i32.mul (local.get 0) (i32.const 31)) (i32.const 7))))"#,
    )
    .unwrap();
    let mut store = lazuli_core::Store::new(&engine);
    let instance =
        lazuli_core::Instance::new(&mut store, &module, &lazuli_core::Imports::new()).unwrap();
    let mix = instance.get_typed_func::<i32, i32>(&store, "mix").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while module.stats().optimized == 0 && std::time::Instant::now() < deadline {
        mix.call(&mut store, 1).unwrap();
    }
    assert_eq!(module.stats().optimized, 1, "{:?}", module.stats());
    // The statistics count the compile just before its code goes into the GOT entry: allow
    // the install a moment, then every call goes to the optimized code, which counts nothing.
    let switched = loop {
        let calls = module.profile().unwrap().counts()[0];
        for x in 0..1000 {
            assert_eq!(mix.call(&mut store, x).unwrap(), x.wrapping_mul(31) ^ 7);
        }
        if module.profile().unwrap().counts()[0] == calls {
            break true;
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert!(
        switched,
        "calls still count: the GOT entry was not switched"
    );
}

//! Lazy compilation through the GOT: each function is compiled at most once, on its first
//! call, whichever thread and instance calls it; uncalled functions are never compiled.

use std::sync::{Arc, Barrier};

use lazuli_core::backend::DefinedFuncIndex;
use lazuli_core::{Config, Func, Imports, Instance, Module, Store, Val};
use lazuli_tests::llvm_engine;

const CHAIN: &str = r#"(module
    (table 2 funcref)
    (elem (i32.const 0) $via_table $unused_in_table)
    (func $leaf (param i32) (result i32) local.get 0 i32.const 1 i32.add)
    (func $middle (export "middle") (param i32) (result i32) local.get 0 call $leaf call $leaf)
    (func $via_table (param i32) (result i32) local.get 0 i32.const 10 i32.mul)
    (func $unused_in_table (param i32) (result i32) unreachable)
    (func $never (export "never") (result i32) i32.const 0)
    (func (export "indirect") (param i32) (result i32) local.get 0 i32.const 0 call_indirect (param i32) (result i32)))"#;

#[test]
fn many_threads_compile_each_function_once() {
    // No speculation here: it would compile uncalled functions in the background.
    let engine = llvm_engine(Config::default().workers(0));
    let module = Module::from_wat(&engine, CHAIN).unwrap();
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let module = module.clone();
            let engine = engine.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let mut store = Store::new(&engine);
                let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
                let middle = instance
                    .get_typed_func::<i32, i32>(&store, "middle")
                    .unwrap();
                let indirect = instance
                    .get_typed_func::<i32, i32>(&store, "indirect")
                    .unwrap();
                barrier.wait();
                for i in 0..200 {
                    assert_eq!(
                        middle.call(&mut store, i + t as i32).unwrap(),
                        i + t as i32 + 2
                    );
                    assert_eq!(indirect.call(&mut store, i).unwrap(), i * 10);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let code = module.code().unwrap();
    let compiled: Vec<bool> = (0..6)
        .map(|i| code.is_compiled(DefinedFuncIndex(i)))
        .collect();
    // leaf, middle, via_table and indirect were called; unused_in_table and never were not.
    assert_eq!(compiled, [true, true, true, false, false, true]);
    assert_eq!(
        module.compiled_count(),
        4,
        "each called function compiled exactly once"
    );
}

#[test]
fn host_calls_reach_lazily_compiled_functions_through_the_same_stubs() {
    let engine = llvm_engine(Config::default().workers(0));
    let module = Module::from_wat(&engine, CHAIN).unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let table = instance
        .get_export(&store, "middle")
        .unwrap()
        .into_func()
        .unwrap();
    assert_eq!(
        table.call(&mut store, &[Val::I32(1)]).unwrap(),
        vec![Val::I32(3)]
    );
    // A second instance shares the compiled code: nothing new is compiled.
    let mut store2 = Store::new(&engine);
    let instance2 = Instance::new(&mut store2, &module, &Imports::new()).unwrap();
    let before = module.compiled_count();
    let middle2: Func = instance2.get_func(&store2, "middle").unwrap();
    assert_eq!(
        middle2.call(&mut store2, &[Val::I32(5)]).unwrap(),
        vec![Val::I32(7)]
    );
    assert_eq!(module.compiled_count(), before);
}

#[test]
fn with_workers_a_call_chain_finds_its_callees_compiled() {
    let engine = llvm_engine(Config::default().workers(1));
    let module = Module::from_wat(
        &engine,
        r#"(module
            (func $a (export "a") (param i32) (result i32)
                local.get 0 if (result i32) local.get 0 call $b else i32.const 0 end)
            (func $b (param i32) (result i32) local.get 0 call $c i32.const 1 i32.add)
            (func $c (param i32) (result i32) local.get 0 call $d i32.const 1 i32.add)
            (func $d (param i32) (result i32) local.get 0 i32.const 1 i32.add))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let a = instance.get_typed_func::<i32, i32>(&store, "a").unwrap();
    // The first call runs only `a`; compiling `a` queues `b`, whose compilation queues `c`...
    assert_eq!(a.call(&mut store, 0).unwrap(), 0);
    let code = module.code().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !(1..4).all(|i| code.is_compiled(DefinedFuncIndex(i))) {
        assert!(
            std::time::Instant::now() < deadline,
            "speculation did not compile the chain"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let before = module.stats();
    // b, c and d were compiled by the worker (and `a` too, if the worker got to the export
    // queued at instantiation before the first call did).
    assert!(before.speculative >= 3, "{before:?}");
    assert_eq!(
        before.baseline, 4,
        "each function compiled once: {before:?}"
    );
    // Now the chain runs with nothing left to compile on the caller's thread.
    assert_eq!(a.call(&mut store, 5).unwrap(), 8);
    let after = module.stats();
    assert_eq!(after.baseline, 4);
    assert_eq!(
        after.compile_nanos, before.compile_nanos,
        "no compilation on the calling thread"
    );
}

#[test]
fn hot_functions_tier_up_to_optimized_code_while_running() {
    let engine = llvm_engine(Config::default().workers(1).tier_up(1000));
    let module = Module::from_wat(
        &engine,
        r#"(module
            (func $sum (export "sum") (param i32) (result i64) (local i64)
                block loop local.get 0 i32.eqz br_if 1
                local.get 1 local.get 0 i64.extend_i32_u i64.add local.set 1
                local.get 0 i32.const 1 i32.sub local.set 0 br 0 end end local.get 1)
            (func (export "cold") (result i32) i32.const 1))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let sum = instance.get_typed_func::<i32, i64>(&store, "sum").unwrap();
    let cold = instance.get_typed_func::<(), i32>(&store, "cold").unwrap();
    assert_eq!(cold.call(&mut store, ()).unwrap(), 1);
    // 5000 loop iterations pass the threshold of 1000: `sum` is queued for optimization.
    assert_eq!(sum.call(&mut store, 5000).unwrap(), 12_502_500);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while module.stats().optimized < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "no tier-up: {:?}",
            module.stats()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // The optimized code now runs through the same GOT entry and computes the same.
    for n in [0, 1, 10, 100_000] {
        let expected = (n as i64) * (n as i64 + 1) / 2;
        assert_eq!(sum.call(&mut store, n).unwrap(), expected);
    }
    let stats = module.stats();
    assert_eq!(stats.optimized, 1, "only the hot function: {stats:?}");
    assert_eq!(stats.baseline, 2);
}

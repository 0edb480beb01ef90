//! Optimized code kept across runs: what tier-up compiled in one engine (a process) is saved
//! with `Module::serialize_optimized` and given to the same module in another engine with
//! `Module::load_optimized`, which then runs it without compiling; another module's code, or
//! damaged bytes, are refused.

use lazuli_core::{Config, Error, Imports, Instance, Module, Store, Tiers};

const WAT: &str = r#"(module
  (memory 1)
  (func $hot (param $n i32) (result i32) (local $i i32) (local $sum i32)
    (loop $next
      (local.set $sum (i32.add (local.get $sum) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum))
  (func (export "init")
    (local $i i32)
    (loop $next
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000)))))
  (func (export "run") (param $n i32) (result i32)
    (call $hot (local.get $n))))"#;

/// A tiered engine that tiers up after 100 calls or iterations (a new one is as a new
/// process).
fn engine() -> lazuli_core::Engine {
    lazuli_tests::tiered_engine(100)
}

fn instance(module: &Module) -> (Store, Instance) {
    let mut store = Store::new(module.engine());
    let instance = Instance::new(&mut store, module, &Imports::new()).unwrap();
    instance
        .get_typed_func::<(), ()>(&store, "init")
        .unwrap()
        .call(&mut store, ())
        .unwrap();
    (store, instance)
}

fn run(store: &mut Store, instance: &Instance, n: i32) -> Result<i32, Error> {
    let run = instance.get_typed_func::<i32, i32>(store, "run").unwrap();
    run.call(store, n)
}

/// One run: `run` called until `$hot` has optimized code, then saved.
fn saved_by_a_first_run() -> Vec<u8> {
    let module = Module::from_wat(&engine(), WAT).unwrap();
    let (mut store, instance) = instance(&module);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while module.stats().optimized < 2 && std::time::Instant::now() < deadline {
        assert_eq!(run(&mut store, &instance, 1000).unwrap(), 499_500);
    }
    let stats = module.stats();
    assert!(stats.optimized >= 2, "{stats:?}");
    module.serialize_optimized().unwrap()
}

#[test]
fn a_second_run_starts_with_the_first_runs_optimized_code() {
    let saved = saved_by_a_first_run();
    let module = Module::from_wat(&engine(), WAT).unwrap();
    // SAFETY: the bytes were just made by this process for this module.
    let loaded = unsafe { module.load_optimized(&saved) }.unwrap();
    assert!(loaded >= 2, "{loaded}");
    let (mut store, instance) = instance(&module);
    for _ in 0..300 {
        assert_eq!(run(&mut store, &instance, 1000).unwrap(), 499_500);
    }
    let stats = module.stats();
    assert_eq!(stats.optimized_loaded, loaded, "{stats:?}");
    // Nothing compiled optimized, and the loaded functions never ran single-pass code.
    assert_eq!(stats.optimized, 0, "{stats:?}");
    assert_eq!(stats.baseline, 3 - loaded, "{stats:?}");
    // Loaded code traps as compiled code does: an access past the memory's end.
    let trap = run(&mut store, &instance, 20_000).unwrap_err();
    assert!(trap.to_string().contains("out of bounds"), "{trap}");
    // And it is saved again, with what this run compiles, for a third run.
    let again = module.serialize_optimized().unwrap();
    let third = Module::from_wat(&engine(), WAT).unwrap();
    // SAFETY: as above.
    assert_eq!(unsafe { third.load_optimized(&again) }.unwrap(), loaded);
}

#[test]
fn saved_code_is_refused_for_another_module_and_when_damaged() {
    let saved = saved_by_a_first_run();
    let engine = engine();
    let other = Module::from_wat(&engine, &WAT.replace("1000", "999")).unwrap();
    // SAFETY: refused before anything is loaded: the module's hash differs.
    let refused = unsafe { other.load_optimized(&saved) }.unwrap_err();
    assert!(refused.to_string().contains("another module"), "{refused}");
    let module = Module::from_wat(&engine, WAT).unwrap();
    for cut in [4, 40, 60, saved.len() / 2, saved.len() - 1] {
        // SAFETY: a prefix of bytes this process made; refused by the framing checks.
        let refused = unsafe { module.load_optimized(&saved[..cut]) };
        assert!(refused.is_err(), "a prefix of {cut} bytes was loaded");
    }
    let mut trailing = saved.clone();
    trailing.push(0);
    // SAFETY: as above; refused for the trailing byte.
    assert!(unsafe { module.load_optimized(&trailing) }.is_err());
    // Nothing was loaded: the module compiles as usual.
    let (mut store, instance) = instance(&module);
    assert_eq!(run(&mut store, &instance, 10).unwrap(), 45);
    assert_eq!(module.stats().optimized_loaded, 0);
}

/// A module whose code cannot save or load optimized code says so.
#[test]
fn single_pass_code_alone_has_nothing_to_save() {
    let engine = lazuli_tests::engine(Config::default().tiers(Tiers::BaselineOnly)).unwrap();
    let module = Module::from_wat(&engine, WAT).unwrap();
    let (mut store, instance) = instance(&module);
    assert_eq!(run(&mut store, &instance, 10).unwrap(), 45);
    assert!(module.serialize_optimized().is_err());
}

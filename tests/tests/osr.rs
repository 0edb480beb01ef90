//! On-stack replacement: a first-tier frame still running a loop when its function's optimized
//! code is installed moves into an OSR entry of that code, with its locals, and returns what
//! the function returns; loops that cannot be entered run on in first-tier code.

use lazuli_core::{Linker, Module, Store};

/// A tiered engine that tiers up after 100 calls or iterations (a new one is as a new
/// process).
fn engine() -> lazuli_core::Engine {
    lazuli_tests::tiered_engine(100)
}

/// Instantiate `wat` with `host.osr_ready` and `host.optimized`, which say whether an OSR entry
/// of the module, or optimized code of a function, has been compiled (or a minute has passed,
/// so that a failure cannot hang the test).
fn instantiate(engine: &lazuli_core::Engine, wat: &str) -> (Module, Store, lazuli_core::Instance) {
    let module = Module::from_wat(engine, wat).unwrap();
    let started = std::time::Instant::now();
    let give_up = move || started.elapsed() > std::time::Duration::from_secs(60);
    let mut linker = Linker::new();
    let watched = module.clone();
    linker
        .func_wrap("host", "osr_ready", move || -> i32 {
            i32::from(watched.stats().osr_entries > 0 || give_up())
        })
        .unwrap();
    let watched = module.clone();
    linker
        .func_wrap("host", "optimized", move || -> i32 {
            i32::from(watched.stats().optimized > 0 || give_up())
        })
        .unwrap();
    let mut store = Store::new(engine);
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (module, store, instance)
}

/// Locals of every kind (in the two integer home registers, in XMM homes, in frame slots) and
/// both parameters carry over; two results return through the caller's record.
const CARRIES_LOCALS: &str = r#"(module
  (import "host" "osr_ready" (func $ready (result i32)))
  (import "host" "optimized" (func $optimized (result i32)))
  (func (export "run") (param $p i32) (param $q i64) (result i64 f64)
    (local $a i32) (local $b i64) (local $x f64) (local $y f32) (local $v v128)
    (local $c i32) (local $d i64) (local $n i32)
    (local.set $a (i32.const 7))
    (local.set $b (i64.const 0x100000000))
    (local.set $x (f64.const 1.5))
    (local.set $y (f32.const 2.25))
    (local.set $v (v128.const i32x4 1 2 3 4))
    (local.set $c (i32.const 11))
    (local.set $d (i64.const -5))
    ;; 300,000 iterations once an entry is ready, optimized only if the frame moved.
    (loop $wait
      (if (call $ready)
        (then
          (local.set $b (i64.add (local.get $b) (i64.const 1)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (br_if $wait (i32.lt_u (local.get $n) (i32.const 300000))))
    (i64.add
      (i64.add (local.get $b) (i64.extend_i32_u (i32.add (local.get $p) (local.get $a))))
      (i64.add (local.get $q)
        (i64.add (local.get $d)
          (i64.extend_i32_u
            (i32.add (local.get $c) (i32x4.extract_lane 3 (local.get $v)))))))
    (f64.add (local.get $x) (f64.promote_f32 (local.get $y)))))"#;

#[test]
fn a_long_loop_moves_to_optimized_code_with_its_locals() {
    let engine = engine();
    let (module, mut store, instance) = instantiate(&engine, CARRIES_LOCALS);
    let run = instance
        .get_typed_func::<(i32, i64), (i64, f64)>(&store, "run")
        .unwrap();
    let (sum, float) = run.call(&mut store, (3, 1000)).unwrap();
    let b = 0x1_0000_0000i64 + 300_000;
    assert_eq!(sum, b + (3 + 7) + (1000 + -5 + (11 + 4)));
    assert_eq!(float, 3.75);
    let stats = module.stats();
    assert!(stats.osr_entries >= 1, "{stats:?}");
    // Had the frame stayed in first-tier code, its 300,000 last iterations would count here.
    assert!(stats.iterations_after_tier_up < 300_000, "{stats:?}");
}

/// A loop with an operand below it or inside a `try_table` is not entered: the frame stays in
/// first-tier code (100,000 iterations each after the function's optimized code is installed)
/// and still computes the right result.
#[test]
fn loops_that_cannot_be_entered_run_on_in_the_first_tier() {
    let engine = engine();
    let (module, mut store, instance) = instantiate(
        &engine,
        r#"(module
          (import "host" "osr_ready" (func $ready (result i32)))
          (import "host" "optimized" (func $optimized (result i32)))
          (tag $t)
          (func (export "run") (result i32) (local $n i32)
            (i32.const 5)
            (loop $operand_below
              (if (call $optimized)
                (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
              (br_if $operand_below (i32.lt_u (local.get $n) (i32.const 100000))))
            (block $caught
              (try_table (catch $t $caught)
                (loop $in_try
                  (local.set $n (i32.add (local.get $n) (i32.const 1)))
                  (br_if $in_try (i32.lt_u (local.get $n) (i32.const 200000))))))
            (i32.add (local.get $n))))"#,
    );
    let run = instance.get_typed_func::<(), i32>(&store, "run").unwrap();
    assert_eq!(run.call(&mut store, ()).unwrap(), 200_005);
    let stats = module.stats();
    assert_eq!(stats.optimized, 1, "{stats:?}");
    assert_eq!(stats.osr_entries, 0, "{stats:?}");
    assert!(stats.iterations_after_tier_up >= 190_000, "{stats:?}");
}

/// An inner loop entered from first-tier code goes on in optimized code through the rest of
/// the function: out of nested blocks, around its outer loop, through memory; a trap there is
/// still a trap of the same function.
#[test]
fn an_entered_inner_loop_runs_the_rest_of_the_function() {
    let engine = engine();
    let (module, mut store, instance) = instantiate(
        &engine,
        r#"(module
          (import "host" "osr_ready" (func $ready (result i32)))
          (import "host" "optimized" (func $optimized (result i32)))
          (memory 1)
          (func (export "run") (param $rounds i32) (result i64)
            (local $round i32) (local $n i32) (local $sum i64)
            (loop $outer
              (local.set $n (i32.const 0))
              (block $inner_done
                (if (i32.eqz (local.get $round))
                  (then
                    ;; The first round waits for an entry, then goes 50,000 more times.
                    (loop $wait
                      (if (call $ready)
                        (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
                      (i64.store (i32.const 8)
                        (i64.add (i64.load (i32.const 8)) (i64.extend_i32_u (local.get $n))))
                      (br_if $inner_done (i32.ge_u (local.get $n) (i32.const 50000)))
                      (br $wait)))))
              (local.set $sum (i64.add (local.get $sum) (i64.load (i32.const 8))))
              (local.set $round (i32.add (local.get $round) (i32.const 1)))
              (br_if $outer (i32.lt_u (local.get $round) (local.get $rounds))))
            ;; One round past the end of memory traps, wherever the frame runs.
            (if (i32.gt_u (local.get $rounds) (i32.const 2))
              (then (drop (i64.load (i32.const 65536)))))
            (local.get $sum)))"#,
    );
    let run = instance.get_typed_func::<i32, i64>(&store, "run").unwrap();
    // Memory at 8 sums n = 1..=50,000 once n counts; each round adds it to the sum.
    let stored: i64 = (1..=50_000i64).sum();
    assert_eq!(run.call(&mut store, 2).unwrap(), 2 * stored);
    let stats = module.stats();
    assert!(stats.osr_entries >= 1, "{stats:?}");
    // The one worker installs the function's optimized code before it compiles the entry, so a
    // frame left in first-tier code would count the 50,000 iterations after `ready` here.
    assert!(stats.iterations_after_tier_up < 50_000, "{stats:?}");
    let trap = run.call(&mut store, 3).unwrap_err();
    assert!(
        trap.to_string().contains("out of bounds"),
        "a trap in OSR code: {trap}"
    );
    drop(module);
}

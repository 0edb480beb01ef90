//! Profiles: the first tier's counts of a module, written and read back; a profile is refused
//! for another module, when damaged, and where nothing counts.

use lazuli_core::backend::Strategy;
use lazuli_core::{Config, Error, Imports, Instance, Module, Profile, Store, Tiers};

const WAT: &str = r#"(module
  (func $cold (result i32) (i32.const 1))
  (func $hot (param $n i32) (result i32) (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $i))
  (func $never)
  (func (export "run") (param $n i32) (result i32)
    (i32.add (call $cold) (call $hot (local.get $n)))))"#;

/// A tiered engine whose tier-up threshold is never reached: the first tier counts.
fn counting_engine() -> lazuli_core::Engine {
    let config = Config::default()
        .workers(1)
        .tiers(Tiers::Tiered)
        .tier_up(u32::MAX);
    lazuli_tests::engine(config).unwrap()
}

fn run(module: &Module, n: i32) -> i32 {
    let mut store = Store::new(module.engine());
    let instance = Instance::new(&mut store, module, &Imports::new()).unwrap();
    instance
        .get_typed_func::<i32, i32>(&store, "run")
        .unwrap()
        .call(&mut store, n)
        .unwrap()
}

fn usage_message(result: Result<Profile, Error>) -> String {
    match result {
        Err(Error::Usage(message)) => message,
        other => panic!("expected a usage error, got {other:?}"),
    }
}

#[test]
fn a_profile_counts_calls_and_iterations_and_reads_back() {
    let engine = counting_engine();
    let module = Module::from_wat(&engine, WAT).unwrap();
    assert_eq!(run(&module, 1000), 1001);
    let profile = module.profile().unwrap();
    // $cold: one call; $hot: one call and 1,000 iterations (the loop header is counted on each
    // of its 1,001 entries); $never: nothing; run: one call.
    let counts = profile.counts();
    assert_eq!(counts.len(), 4);
    assert_eq!((counts[0], counts[2], counts[3]), (1, 0, 1), "{counts:?}");
    assert!((1001..=1002).contains(&counts[1]), "{counts:?}");
    assert_eq!(profile.hottest(), [1, 0, 3]);

    let bytes = profile.to_bytes();
    assert_eq!(Profile::from_bytes(&module, &bytes).unwrap(), profile);
    // The same wasm compiled again is the same module.
    let again = Module::from_wat(&engine, WAT).unwrap();
    assert_eq!(Profile::from_bytes(&again, &bytes).unwrap(), profile);

    let other = Module::from_wat(&engine, &WAT.replace("i32.const 1", "i32.const 2")).unwrap();
    let message = usage_message(Profile::from_bytes(&other, &bytes));
    assert!(message.contains("recorded for another module"), "{message}");

    for (damaged, expect) in [
        (bytes[..bytes.len() - 1].to_vec(), "truncated"),
        ([&bytes[..], &[0]].concat(), "follow the last function"),
        (bytes[..20].to_vec(), "truncated"),
        (b"not a profile at all".to_vec(), "does not start like one"),
    ] {
        let message = usage_message(Profile::from_bytes(&module, &damaged));
        assert!(message.contains(expect), "{expect}: {message}");
    }
    let mut newer = bytes.clone();
    newer[8] = 9;
    let message = usage_message(Profile::from_bytes(&module, &newer));
    assert!(message.contains("format version 9"), "{message}");
}

#[test]
fn code_that_counts_nothing_has_no_profile() {
    for config in [
        Config::default().workers(0).tiers(Tiers::Tiered).tier_up(0),
        Config::default()
            .tiers(Tiers::OptimizingOnly)
            .strategy(Strategy::Eager),
    ] {
        let engine = lazuli_tests::engine(config).unwrap();
        let module = Module::from_wat(&engine, WAT).unwrap();
        assert_eq!(run(&module, 10), 11);
        let message = usage_message(module.profile());
        assert!(message.contains("counts nothing"), "{message}");
    }
}

/// Branches of every kind the first tier counts: `if` with and without `else`, `br_if`,
/// `br_table`, a loop.
const BRANCHES: &str = r#"(module
  (func $branches (param $n i32) (result i32) (local $i i32) (local $sum i32)
    (loop $next
      (if (i32.and (local.get $i) (i32.const 1))
        (then (local.set $sum (i32.add (local.get $sum) (i32.const 1))))
        (else (local.set $sum (i32.add (local.get $sum) (i32.const 2)))))
      (if (i32.eqz (i32.rem_u (local.get $i) (i32.const 10)))
        (then (local.set $sum (i32.add (local.get $sum) (i32.const 100)))))
      (block $a (block $b (block $c
        (br_table $a $b $c (i32.rem_u (local.get $i) (i32.const 4))))
        (local.set $sum (i32.add (local.get $sum) (i32.const 1000))))
        (local.set $sum (i32.add (local.get $sum) (i32.const 1000))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $sum))
  (func (export "run") (param $n i32) (result i32) (call $branches (local.get $n)))
  (func $two_edges (export "two_edges") (param $n i32) (result i32) (local $i i32)
    (loop $top
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (i32.const 10)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))"#;

#[test]
fn branch_counts_follow_each_arm_and_reach_llvm_as_weights() {
    let engine = counting_engine();
    let module = Module::from_wat(&engine, BRANCHES).unwrap();
    assert_eq!(run(&module, 100), 126_150);
    let profile = module.profile().unwrap();
    // Slots: entry; loop (arrivals, entries); if/else (then, else); if (then, none); br_table
    // (targets $a and $b, then the default $c); br_if (taken, not taken). Of 100 iterations, 50
    // have $i odd, 10 are multiples of 10, $i % 4 picks $a 25 times, $b 25 times and the
    // default 50 times, and the back edge is taken 99 times: it is the loop's derived edge,
    // whose count is its arrivals less its entries.
    let expected = [1, 100, 1, 50, 50, 10, 90, 25, 25, 50, 99, 1];
    assert_eq!(profile.branch_counts(0), expected);
    assert_eq!(profile.branch_counts(1), [1]);
    assert_eq!(profile.branch_counts(2), [] as [u32; 0], "never ran");

    // The written profile carries them.
    let read = Profile::from_bytes(&module, &profile.to_bytes()).unwrap();
    assert_eq!(read.branch_counts(0), expected);

    // LLVM is given them: each conditional branch weighed taken first, the switch's default
    // first, and the function's entry count.
    let index = lazuli_core::backend::DefinedFuncIndex(0);
    let ir =
        lazuli_backend_llvm::function_ir(module.info(), index, Some(expected.to_vec())).unwrap();
    for weights in [
        "!{!\"branch_weights\", i32 50, i32 50}",
        "!{!\"branch_weights\", i32 10, i32 90}",
        "!{!\"branch_weights\", i32 50, i32 25, i32 25}",
        "!{!\"branch_weights\", i32 99, i32 1}",
        "!{!\"function_entry_count\", i64 1}",
    ] {
        assert!(ir.contains(weights), "{weights} missing from:\n{ir}");
    }
    assert_eq!(ir.matches("!prof").count(), 5, "{ir}");

    // A loop with two back edges: the first is derived (arrivals 25, less 1 entry, less the
    // 15 taken of the counted second one: 9).
    let mut store = Store::new(module.engine());
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let two_edges = instance
        .get_typed_func::<i32, i32>(&store, "two_edges")
        .unwrap();
    assert_eq!(two_edges.call(&mut store, 25).unwrap(), 25);
    let profile = module.profile().unwrap();
    assert_eq!(profile.branch_counts(2), [1, 25, 1, 9, 16, 15, 1]);

    // Without counts, or with counts of other code (another length), nothing is weighed.
    for counts in [None, Some(vec![1, 2, 3])] {
        let ir = lazuli_backend_llvm::function_ir(module.info(), index, counts).unwrap();
        assert!(!ir.contains("!prof"), "{ir}");
    }
}

#[test]
fn an_optimized_compile_takes_a_profile_of_its_module_only() {
    let engine = counting_engine();
    let module = Module::from_wat(&engine, BRANCHES).unwrap();
    run(&module, 100);
    let bytes = module.profile().unwrap().to_bytes();
    let wasm = wat::parse_str(BRANCHES).unwrap();
    let eager = lazuli_tests::engine(
        Config::default()
            .tiers(Tiers::OptimizingOnly)
            .strategy(Strategy::Eager),
    )
    .unwrap();
    let compiled = Module::with_profile(&eager, wasm.clone(), &bytes, &|_, _| {}).unwrap();
    assert_eq!(run(&compiled, 100), 126_150);
    assert_eq!(run(&compiled, 7), run(&module, 7));

    let other = wat::parse_str(BRANCHES.replace("1000", "999")).unwrap();
    match Module::with_profile(&eager, other, &bytes, &|_, _| {}) {
        Err(Error::Usage(message)) => {
            assert!(message.contains("another module"), "{message}")
        }
        other => panic!("a profile of another module was taken: {other:?}"),
    }
}

/// A `br_table` of more than 64 targets gets no weights (LLVM would fold its cases in time
/// that grows faster than the square of the table); one of 64 does.
#[test]
fn only_small_tables_are_weighed() {
    let table = |n: usize| {
        let targets = "0 ".repeat(n);
        format!(
            "(func (export \"t{n}\") (param i32) (result i32)
               (block (block (br_table {targets} 1 (local.get 0)))) (i32.const 7))"
        )
    };
    let wat = format!("(module {} {})", table(64), table(65));
    let engine = counting_engine();
    let module = Module::from_wat(&engine, &wat).unwrap();
    let mut store = Store::new(module.engine());
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    for name in ["t64", "t65"] {
        let f = instance.get_typed_func::<i32, i32>(&store, name).unwrap();
        assert_eq!(f.call(&mut store, 3).unwrap(), 7);
    }
    let profile = module.profile().unwrap();
    for (f, weighed) in [(0u32, true), (1, false)] {
        let counts = profile.branch_counts(f).to_vec();
        assert_eq!(counts.iter().filter(|&&c| c == 1).count(), 2, "{counts:?}");
        let index = lazuli_core::backend::DefinedFuncIndex(f);
        let ir = lazuli_backend_llvm::function_ir(module.info(), index, Some(counts)).unwrap();
        assert_eq!(ir.contains("branch_weights"), weighed, "{ir}");
    }
}

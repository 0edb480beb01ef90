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
        (bytes[..bytes.len() - 1].to_vec(), "holds"),
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

//! Precompiled images with both tiers: eager compilation in the tiered mode optimizes only the
//! functions that pay (a profile's hot ones, or those with loops) and gives the rest
//! single-pass code; the image loads without compiling, its single-pass functions count and
//! tier up, and a damaged image is refused.

use lazuli_core::backend::Strategy;
use lazuli_core::{Config, Engine, Imports, Instance, Module, Profile, Store, Tiers};

const WAT: &str = r#"(module
  (func $looping (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $next
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func $straight (export "mix") (param $x i32) (result i32)
    (i32.xor (i32.mul (local.get $x) (i32.const 31)) (i32.const 7))))"#;

/// A tiered engine with one worker and a tier-up threshold of 100.
fn tiered(strategy: Strategy) -> Engine {
    let config = Config::default()
        .workers(1)
        .tier_up(100)
        .tiers(Tiers::Tiered)
        .strategy(strategy);
    lazuli_tests::engine(config).unwrap()
}

fn call(module: &Module, name: &str, arg: i32) -> i32 {
    let mut store = Store::new(module.engine());
    let instance = Instance::new(&mut store, module, &Imports::new()).unwrap();
    let f = instance.get_typed_func::<i32, i32>(&store, name).unwrap();
    f.call(&mut store, arg).unwrap()
}

#[test]
fn the_image_optimizes_loops_and_its_single_pass_code_tiers_up() {
    let compiled = Module::from_wat(&tiered(Strategy::Eager), WAT).unwrap();
    let stats = compiled.stats();
    // The function with a loop is optimized; the other has single-pass code.
    assert_eq!((stats.optimized, stats.baseline), (1, 1), "{stats:?}");
    let image = compiled.serialize().unwrap();

    let engine = tiered(Strategy::Lazy);
    // SAFETY: the bytes were just made by this process.
    let loaded = unsafe { Module::deserialize(&engine, &image) }.unwrap();
    assert_eq!(call(&loaded, "sum", 100), 4950);
    let stats = loaded.stats();
    assert_eq!(
        (stats.optimized, stats.baseline),
        (0, 0),
        "nothing compiled: {stats:?}"
    );
    assert_eq!(stats.optimized_loaded, 1, "{stats:?}");

    // The single-pass function counts its calls and tiers up.
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &loaded, &Imports::new()).unwrap();
    let mix = instance.get_typed_func::<i32, i32>(&store, "mix").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while loaded.stats().optimized == 0 && std::time::Instant::now() < deadline {
        assert_eq!(mix.call(&mut store, 2).unwrap(), 62 ^ 7);
    }
    assert_eq!(
        loaded.stats().optimized,
        1,
        "{:?} {:?}",
        loaded.stats(),
        loaded.last_compile_error()
    );
    assert_eq!(mix.call(&mut store, 2).unwrap(), 62 ^ 7);
}

#[test]
fn a_profile_chooses_what_the_image_optimizes() {
    // A run in which only `mix` got hot.
    let counting = lazuli_tests::engine(
        Config::default()
            .workers(1)
            .tier_up(u32::MAX)
            .tiers(Tiers::Tiered),
    )
    .unwrap();
    let run = Module::from_wat(&counting, WAT).unwrap();
    for x in 0..200 {
        call(&run, "mix", x);
    }
    call(&run, "sum", 3);
    let profile = run.profile().unwrap().to_bytes();

    let engine = tiered(Strategy::Eager);
    let wasm = wat::parse_str(WAT).unwrap();
    let compiled = Module::with_profile(&engine, wasm, &profile, &|_, _| {}).unwrap();
    assert!(Profile::from_bytes(&compiled, &profile).is_ok());
    let image = compiled.serialize().unwrap();
    // SAFETY: the bytes were just made by this process.
    let loaded = unsafe { Module::deserialize(&tiered(Strategy::Lazy), &image) }.unwrap();
    assert_eq!(call(&loaded, "mix", 1), 31 ^ 7);
    assert_eq!(call(&loaded, "sum", 4), 6);
    // `mix` (hot) loaded optimized; `sum` (3 iterations) as single-pass code.
    assert_eq!(loaded.stats().optimized_loaded, 1, "{:?}", loaded.stats());
}

#[test]
fn a_damaged_image_is_refused() {
    let image = Module::from_wat(&tiered(Strategy::Eager), WAT)
        .unwrap()
        .serialize()
        .unwrap();
    let engine = tiered(Strategy::Lazy);
    // Core's checksum covers the whole blob: cut the end and the blob is refused whole.
    for cut in [image.len() / 3, image.len() - 5] {
        // SAFETY: refused by the framing checks before anything runs.
        assert!(unsafe { Module::deserialize(&engine, &image[..cut]) }.is_err());
    }
    // An engine without the single-pass tier says what the image needs.
    let llvm = lazuli_tests::llvm_engine(Config::default().strategy(Strategy::Eager));
    // SAFETY: as above.
    let refused = unsafe { Module::deserialize(&llvm, &image) }.unwrap_err();
    assert!(refused.to_string().contains("tiered backend"), "{refused}");
}

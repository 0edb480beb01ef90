//! Start-up: time from module bytes to the first result for a module of 10,000 functions of
//! which 10 are called, lazy versus compiling everything first; and instantiation of a small
//! module. Prints a markdown table.

use std::time::{Duration, Instant};

use lazuli_bench::{many_functions, median};
use lazuli_core::backend::Strategy;
use lazuli_core::{Config, Imports, Instance, Module, Store};

fn first_result(bytes: &[u8], strategy: Strategy, workers: usize) -> (Duration, i32, usize) {
    let engine = lazuli_bench::llvm_engine(Config::default().strategy(strategy).workers(workers));
    let start = Instant::now();
    let module = Module::new(&engine, bytes.to_vec()).expect("valid module");
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).expect("instantiates");
    let f0 = instance
        .get_typed_func::<i32, i32>(&store, "f0")
        .expect("exported");
    let result = f0.call(&mut store, 100).expect("runs");
    (start.elapsed(), result, module.compiled_count())
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let called = 10;
    let bytes = wat::parse_str(many_functions(count, called)).expect("generated module parses");
    println!(
        "module: {count} functions, {called} called, {} bytes",
        bytes.len()
    );

    let workers = lazuli_std_shim::Workers::default_count();
    let (lazy, lazy_result, lazy_compiled) = first_result(&bytes, Strategy::Lazy, 0);
    let (spec, spec_result, spec_compiled) = first_result(&bytes, Strategy::Lazy, workers);
    let (eager, eager_result, eager_compiled) = first_result(&bytes, Strategy::Eager, workers);
    assert_eq!(
        lazy_result, eager_result,
        "both modes compute the same result"
    );
    assert_eq!(
        lazy_result, spec_result,
        "speculation computes the same result"
    );

    let engine = lazuli_bench::llvm_engine(Config::default());
    let start = Instant::now();
    let validate_runs = 5;
    for _ in 0..validate_runs {
        Module::new(&engine, bytes.clone()).expect("valid");
    }
    let decode = start.elapsed() / validate_runs;

    let small = Module::from_wat(
        &engine,
        r#"(module (memory 1) (global (mut i32) (i32.const 0)) (table 4 funcref)
        (func (export "f") (result i32) i32.const 1) (data (i32.const 0) "hi"))"#,
    )
    .expect("valid");
    let mut store = Store::new(&engine);
    Instance::new(&mut store, &small, &Imports::new()).expect("warm-up");
    let instantiate = median(1000, || {
        Instance::new(&mut store, &small, &Imports::new()).expect("instantiates");
    });

    println!();
    println!("| measurement | lazy | lazy + speculation ({workers} workers) | eager (compile all first, {} threads) | eager / lazy |", workers + 1);
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| bytes to first result | {:.1} ms ({lazy_compiled} compiled) | {:.1} ms ({spec_compiled} compiled by then) | {:.1} ms ({eager_compiled} compiled) | {:.0}x |",
        lazy.as_secs_f64() * 1e3,
        spec.as_secs_f64() * 1e3,
        eager.as_secs_f64() * 1e3,
        eager.as_secs_f64() / lazy.as_secs_f64()
    );
    println!();
    println!("| measurement | time |");
    println!("|---|---:|");
    println!(
        "| Module::new (decode + validate + address), {} KB | {:.2} ms ({:.0} MB/s) |",
        bytes.len() / 1024,
        decode.as_secs_f64() * 1e3,
        bytes.len() as f64 / decode.as_secs_f64() / 1e6
    );
    println!(
        "| instantiate a small module (median of 1000) | {:.1} µs |",
        instantiate.as_secs_f64() * 1e6
    );
}

//! Serialization: for the same module, eager compile time, deserialize time and their ratio,
//! and serialized size versus wasm size. Prints a markdown table.

use std::time::Instant;

use lazuli_bench::{many_functions, median};
use lazuli_core::backend::Strategy;
use lazuli_core::{Config, Imports, Instance, Module, Store};

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let wasm = wat::parse_str(many_functions(count, 10)).expect("generated module parses");
    let engine = lazuli_bench::llvm_engine(Config::default().strategy(Strategy::Eager));

    let start = Instant::now();
    let module = Module::new(&engine, wasm.clone()).expect("compiles");
    let compile = start.elapsed();
    let blob = module.serialize().expect("serializes");

    let mut loaded = None;
    let deserialize = median(5, || {
        // SAFETY: the blob was made just above by this process.
        loaded = Some(unsafe { Module::deserialize(&engine, &blob) }.expect("loads"));
    });
    let loaded = loaded.expect("ran");
    let mut store = Store::new(&engine);
    let a = Instance::new(&mut store, &module, &Imports::new())
        .unwrap()
        .get_typed_func::<i32, i32>(&store, "f0")
        .unwrap()
        .call(&mut store, 100)
        .unwrap();
    let b = Instance::new(&mut store, &loaded, &Imports::new())
        .unwrap()
        .get_typed_func::<i32, i32>(&store, "f0")
        .unwrap()
        .call(&mut store, 100)
        .unwrap();
    assert_eq!(a, b, "the reloaded module computes the same");

    println!("module: {count} functions, {} bytes of wasm", wasm.len());
    println!();
    println!("| eager compile (O2) | deserialize (median of 5) | compile / deserialize | wasm size | serialized size | serialized / wasm |");
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {:.1} ms | {:.2} ms | {:.0}x | {} KB | {} KB | {:.1}x |",
        compile.as_secs_f64() * 1e3,
        deserialize.as_secs_f64() * 1e3,
        compile.as_secs_f64() / deserialize.as_secs_f64(),
        wasm.len() / 1024,
        blob.len() / 1024,
        blob.len() as f64 / wasm.len() as f64
    );
}

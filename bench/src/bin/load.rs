//! Loading precompiled modules: for one module, Lazuli's eager compile time and serialized
//! size, then the median time of `Module::deserialize_file` (mapping) and of
//! `Module::deserialize` (from bytes in memory), each up to the loaded module (its drop is not
//! timed, as on Wasmtime's side), and the resident memory one mapped load adds.
//! `bench/load.sh` runs it next to Wasmtime's `Module.deserialize_file` of the same module.
//!
//! `load FILE.wasm OUT.lzc RUNS` prints
//! `compile_ms serialized_bytes map_ms bytes_ms resident_kib`; `load --generate N OUT.wasm`
//! writes a module of N small functions first (`lazuli_bench::many_functions`).

use std::time::Instant;

use lazuli::{Config, Module, Strategy};
use lazuli_bench::median;

/// This process's resident memory, in KiB (`/proc/self/statm`).
fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("statm's second field");
    pages * 4
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--generate") {
        let count: usize = args[1].parse().expect("a function count");
        let wasm = wat::parse_str(lazuli_bench::many_functions(count, 10)).expect("parses");
        std::fs::write(&args[2], wasm).expect("writes the module");
        return;
    }
    let [wasm, out, runs] = &args[..] else {
        panic!("usage: load FILE.wasm OUT.lzc RUNS | load --generate N OUT.wasm");
    };
    let runs: usize = runs.parse().expect("a number of runs");
    let wasm = std::fs::read(wasm).expect("reads the module");
    let engine = lazuli_bench::llvm_engine(Config::default().strategy(Strategy::Eager));

    let start = Instant::now();
    let module = Module::new(&engine, wasm).expect("compiles");
    let compile = start.elapsed();
    let blob = module.serialize().expect("serializes");
    drop(module);
    std::fs::write(out, &blob).expect("writes the blob");

    // Each load is timed up to the loaded module, which is dropped after it is timed, as
    // Wasmtime's side (`wasmtime_load.py`) times it.
    // SAFETY (both loads): the blob was made just above by this process.
    let mapped = median(runs, || {
        unsafe { Module::deserialize_file(&engine, out) }.expect("maps")
    });
    let from_bytes = median(runs, || {
        unsafe { Module::deserialize(&engine, &blob) }.expect("loads")
    });
    let before = resident_kib();
    let kept = unsafe { Module::deserialize_file(&engine, out) }.expect("maps");
    let resident = resident_kib().saturating_sub(before);
    drop(kept);
    println!(
        "{:.3} {} {:.4} {:.4} {}",
        compile.as_secs_f64() * 1e3,
        blob.len(),
        mapped.as_secs_f64() * 1e3,
        from_bytes.as_secs_f64() * 1e3,
        resident
    );
}

//! Time to first result: `first FILE.wasm KERNEL N MODE` instantiates the module and calls the
//! kernel once, timing everything from the bytes in memory to the result. MODE: `tiered`
//! (single-pass first tier, LLVM behind it: the default), `lazy` (LLVM alone, no
//! speculation), `speculative` (LLVM alone with workers), `eager`. Prints "result ms".
//! With `--write-startup-module FILE` it writes the start-up workload (10,000 functions).

use std::time::Instant;

use lazuli_core::backend::Strategy;
use lazuli_core::Tiers;
use lazuli_core::{Config, Imports, Instance, Module, Store, Val};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, out] = args.as_slice() {
        if flag == "--write-startup-module" {
            let wasm = wat::parse_str(lazuli_bench::many_functions(10_000, 10))
                .expect("generated module parses");
            std::fs::write(out, wasm).expect("writable");
            return;
        }
    }
    let [_, file, kernel, n, mode] = args.as_slice() else {
        eprintln!("usage: first FILE.wasm KERNEL N tiered|lazy|speculative|eager");
        std::process::exit(2);
    };
    let n: i32 = n.parse().expect("N is a number");
    let (config, backend) = match mode.as_str() {
        "tiered" => (Config::default(), Tiers::Tiered),
        "lazy" => (Config::default().workers(0), Tiers::OptimizingOnly),
        "speculative" => (Config::default(), Tiers::OptimizingOnly),
        "eager" => (
            Config::default().strategy(Strategy::Eager),
            Tiers::OptimizingOnly,
        ),
        other => panic!("unknown mode {other}"),
    };
    let bytes = std::fs::read(file).expect("readable wasm");
    let engine =
        lazuli_bench::engine(config.tiers(backend)).expect("the backend exists in this build");
    let start = Instant::now();
    let module = Module::new(&engine, bytes).expect("valid module");
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).expect("instantiates");
    let f = instance.get_func(&store, kernel).expect("exported kernel");
    let result = f.call(&mut store, &[Val::I32(n)]).expect("runs");
    let elapsed = start.elapsed();
    println!("{:?} {:.3}", result[0], elapsed.as_secs_f64() * 1e3);
}

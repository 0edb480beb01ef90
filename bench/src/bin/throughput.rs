//! Compile throughput of each first tier: `throughput FILE.wasm...` compiles every defined
//! function of each module once with the single-pass baseline backend and once with LLVM's
//! baseline pipeline (lazily, one function at a time on this thread, no workers), and prints a
//! markdown row per module with the time and MB/s of wasm function bodies each.

use std::time::Instant;

use lazuli_core::backend::DefinedFuncIndex;
use lazuli_core::Tiers;
use lazuli_core::{Config, Module};

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: throughput FILE.wasm...");
        std::process::exit(2);
    }
    println!("| module | functions | code | single-pass baseline | LLVM baseline pipeline | LLVM / single-pass |");
    println!("|---|---:|---:|---:|---:|---:|");
    for file in files {
        let bytes = std::fs::read(&file).expect("readable wasm");
        let mut row = Vec::new();
        let mut count = 0;
        let mut code_bytes = 0;
        let mut seconds = Vec::new();
        for backend in [Tiers::BaselineOnly, Tiers::OptimizingOnly] {
            let config = Config::default().workers(0).tier_up(0);
            let engine = lazuli_bench::engine(config.tiers(backend)).expect("backend available");
            let module = Module::new(&engine, bytes.clone()).expect("valid module");
            let info = module.info();
            count = info.bodies.len();
            code_bytes = info.bodies.iter().map(|b| b.range.len()).sum::<usize>();
            let code = module.code().expect("code for the module");
            let start = Instant::now();
            for f in 0..count {
                code.resolve(DefinedFuncIndex(f as u32)).expect("compiles");
            }
            let s = start.elapsed().as_secs_f64();
            seconds.push(s);
            row.push(format!(
                "{:.1} ms, {:.1} MB/s",
                s * 1e3,
                code_bytes as f64 / 1e6 / s
            ));
        }
        let name = std::path::Path::new(&file)
            .file_name()
            .map_or(file.clone(), |n| n.to_string_lossy().into_owned());
        println!(
            "| {name} | {count} | {:.0} KB | {} | {} | {:.0}x |",
            code_bytes as f64 / 1e3,
            row[0],
            row[1],
            seconds[1] / seconds[0]
        );
    }
}

//! Helpers shared by Lazuli's benchmarks: timing with repetitions and generated modules.

use std::time::{Duration, Instant};

/// The median of `runs` timings of `f`. What `f` returns is dropped after it is timed.
pub fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let made = f();
            let took = start.elapsed();
            drop(made);
            took
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// A module in text form with `count` defined functions. Function `i` computes a small loop
/// over its argument and calls function `i + 1` when `i + 1 < called`, so calling `f0` runs
/// exactly the first `called` functions; the rest are never called.
pub fn many_functions(count: usize, called: usize) -> String {
    let mut text = String::from("(module\n  (memory 1)\n");
    for i in 0..count {
        let addr = (i * 4) % 65532;
        let call_next = if i + 1 < called {
            format!(
                "i32.const 50 call $f{} local.get $acc i32.add local.set $acc",
                i + 1
            )
        } else {
            String::new()
        };
        text.push_str(&format!(
            "  (func $f{i} (param $n i32) (result i32) (local $acc i32)
    local.get $n i32.const {i} i32.add local.set $acc
    block $done loop $next
      local.get $n i32.eqz br_if $done
      local.get $acc i32.const 31 i32.mul local.get $n i32.xor local.set $acc
      local.get $n i32.const 1 i32.sub local.set $n
      br $next
    end end
    {call_next}
    i32.const {addr} local.get $acc i32.store
    local.get $acc)\n"
        ));
    }
    text.push_str("  (export \"f0\" (func $f0)))\n");
    text
}

/// An engine for `config` (the `lazuli` crate's), or the error as a string.
pub fn engine(config: lazuli::Config) -> Result<lazuli::Engine, String> {
    lazuli::Engine::new(&config).map_err(|e| e.to_string())
}

/// An engine with LLVM alone for `config`.
pub fn llvm_engine(config: lazuli::Config) -> lazuli::Engine {
    engine(config.tiers(lazuli::Tiers::OptimizingOnly)).expect("this build has LLVM")
}

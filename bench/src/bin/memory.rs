//! What linear memories cost: instantiating a module with a 1 GiB memory and a data segment,
//! `(memory 65536)`, growing one page to 4 GiB in one step, and 10,000 instances made and
//! dropped in a loop, each with memories reserved (the default) and allocated as they are
//! (`Config::memory_reservations(false)`). Prints a markdown table: median times and the
//! process's resident memory.

use std::time::Instant;

use lazuli_bench::median;
use lazuli_core::Tiers;
use lazuli_core::{Config, Imports, Instance, Module, Store};

/// 1 GiB of memory, 64 KiB of data, and a function that touches one page.
fn one_gib_text() -> String {
    format!(
        r#"(module (memory (export "m") 16384)
             (data (i32.const 1048576) "{}")
             (func (export "touch") (param i32) (i32.store (local.get 0) (i32.const 7))))"#,
        "\\01".repeat(65536)
    )
}

/// The process's resident memory now, and at its peak, in MiB (Linux).
fn resident_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(f64::NAN, |kib| kib / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn module(reserved: bool, text: &str) -> Module {
    let config = Config::default()
        .tiers(Tiers::BaselineOnly)
        .memory_reservations(reserved);
    let engine = lazuli_bench::engine(config).expect("the baseline backend");
    Module::from_wat(&engine, text).expect("valid module")
}

fn main() {
    println!("| memory | reserved (guard pages) | allocated (explicit checks) |");
    println!("|---|---:|---:|");
    let mut rows: Vec<(String, [String; 2])> = Vec::new();
    let mut row = |name: &str, i: usize, value: String| {
        if let Some(r) = rows.iter_mut().find(|r| r.0 == name) {
            r.1[i] = value;
        } else {
            let mut values = [String::new(), String::new()];
            values[i] = value;
            rows.push((name.to_string(), values));
        }
    };
    for (i, reserved) in [true, false].into_iter().enumerate() {
        let one_gib = module(reserved, &one_gib_text());
        let engine = one_gib.engine().clone();
        let time = median(21, || {
            let mut store = Store::new(&engine);
            Instance::new(&mut store, &one_gib, &Imports::new()).expect("instantiates");
        });
        row(
            "instantiate 1 GiB + 64 KiB of data, store dropped (median of 21)",
            i,
            format!("{:.3} ms", time.as_secs_f64() * 1e3),
        );

        let full = module(reserved, "(module (memory 65536))");
        let mut store = Store::new(full.engine());
        let (before, _) = resident_mib();
        let start = Instant::now();
        let made = Instance::new(&mut store, &full, &Imports::new());
        let took = start.elapsed();
        let (now, _) = resident_mib();
        row(
            "instantiate `(memory 65536)` (4 GiB): time, process resident before -> after",
            i,
            match made {
                Ok(_) => format!(
                    "{:.3} ms, {before:.0} -> {now:.0} MiB",
                    took.as_secs_f64() * 1e3
                ),
                Err(e) => format!("fails: {e}"),
            },
        );
        drop(store);

        let grow = module(
            reserved,
            r#"(module (memory 1) (func (export "g") (result i32) (memory.grow (i32.const 65535))))"#,
        );
        let mut store = Store::new(grow.engine());
        let instance = Instance::new(&mut store, &grow, &Imports::new()).expect("instantiates");
        let g = instance
            .get_typed_func::<(), i32>(&store, "g")
            .expect("export");
        let start = Instant::now();
        let old = g.call(&mut store, ()).expect("runs");
        let took = start.elapsed();
        row(
            "`memory.grow` from 1 page to 4 GiB in one step",
            i,
            if old == 1 {
                format!("{:.3} ms", took.as_secs_f64() * 1e3)
            } else {
                format!("fails ({old})")
            },
        );
        drop(store);

        let (before, _) = resident_mib();
        let start = Instant::now();
        for n in 0..10_000 {
            let mut store = Store::new(&engine);
            let instance =
                Instance::new(&mut store, &one_gib, &Imports::new()).expect("instantiates");
            let touch = instance
                .get_typed_func::<i32, ()>(&store, "touch")
                .expect("export");
            touch.call(&mut store, (n % 16384) * 65536).expect("runs");
        }
        let took = start.elapsed();
        let (after, _) = resident_mib();
        row(
            "10,000 instances of the 1 GiB module made, used and dropped: per instance, resident before -> after",
            i,
            format!(
                "{:.1} µs, {before:.0} -> {after:.0} MiB",
                took.as_secs_f64() * 1e6 / 10_000.0
            ),
        );
    }
    for (name, [reserved, allocated]) in rows {
        println!("| {name} | {reserved} | {allocated} |");
    }
    let (_, peak) = resident_mib();
    println!();
    println!("Peak resident memory of the whole run: {peak:.0} MiB.");
}

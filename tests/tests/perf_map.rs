//! The perf map: with `Config::perf_map`, every compiled function of either tier has a line in
//! `/tmp/perf-PID.map` whose range holds its code and whose name is its wasm name.

use lazuli_core::{Config, Imports, Instance, Module, Store, Tiers};

/// Each `(start, size, name)` line of this process's perf map.
fn perf_map() -> Vec<(usize, usize, String)> {
    let text = std::fs::read_to_string(format!("/tmp/perf-{}.map", std::process::id())).unwrap();
    text.lines()
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let start = usize::from_str_radix(parts.next().unwrap(), 16).unwrap();
            let size = usize::from_str_radix(parts.next().unwrap(), 16).unwrap();
            (start, size, parts.next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn perf_names_the_functions_of_both_tiers() {
    let engine = lazuli_tests::engine(
        Config::default()
            .perf_map(true)
            .workers(1)
            .tiers(Tiers::Tiered)
            .tier_up(10),
    )
    .unwrap();
    let module = Module::from_wat(
        &engine,
        r#"(module (func $triple (export "triple") (param i32) (result i32)
             (i32.mul (local.get 0) (i32.const 3))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let triple = instance
        .get_typed_func::<i32, i32>(&store, "triple")
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while module.stats().optimized == 0 && std::time::Instant::now() < deadline {
        assert_eq!(triple.call(&mut store, 5).unwrap(), 15);
    }
    let lines = perf_map();
    for tier in ["(single-pass)", "(LLVM O2)"] {
        let line = lines
            .iter()
            .find(|(_, _, name)| name == &format!("wasm[0] triple {tier}"))
            .unwrap_or_else(|| panic!("no {tier} line in {lines:?}"));
        assert!(line.0 != 0 && line.1 > 0, "{line:?}");
    }
}

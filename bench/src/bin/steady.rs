//! Steady-state speed of one exported kernel: `steady FILE.wasm KERNEL N MODE`, MODE one of
//! `baseline` (the single-pass backend alone), `counting` (the tiered mode's single-pass code,
//! which counts calls, loop iterations and branches, with a tier-up threshold never reached),
//! `llvm-lazy` (LLVM's baseline pipeline, no
//! tier-up), `tiered` (single-pass first, LLVM O2 once hot), `eager` (LLVM O2 object),
//! each optionally with `+epoch` (compiled with epoch interruption checks, a deadline set but
//! never reached) and `+checks` (memories not reserved: every access bounds-checked). Warms up with one call, then prints the result and the median time of five more calls in ms.

use lazuli_bench::median;
use lazuli_core::backend::Strategy;
use lazuli_core::Tiers;
use lazuli_core::{Config, Imports, Instance, Module, Store, Val};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, kernel, n, mode] = args.as_slice() else {
        eprintln!(
            "usage: steady FILE.wasm KERNEL N baseline|counting|llvm-lazy|tiered|eager[+epoch][+checks]"
        );
        std::process::exit(2);
    };
    let n: i32 = n.parse().expect("N is a number");
    let (mode, checks) = match mode.strip_suffix("+checks") {
        Some(mode) => (mode, true),
        None => (mode.as_str(), false),
    };
    let (mode, epoch) = match mode.strip_suffix("+epoch") {
        Some(mode) => (mode, true),
        None => (mode, false),
    };
    let (config, backend) = match mode {
        "baseline" => (Config::default(), Tiers::BaselineOnly),
        "counting" => (Config::default().tier_up(u32::MAX), Tiers::Tiered),
        "llvm-lazy" => (Config::default().tier_up(0), Tiers::OptimizingOnly),
        "tiered" => (Config::default(), Tiers::Tiered),
        "eager" => (
            Config::default().strategy(Strategy::Eager),
            Tiers::OptimizingOnly,
        ),
        other => panic!("unknown mode {other}"),
    };
    let config = config
        .epoch_interruption(epoch)
        .memory_reservations(!checks)
        .tiers(backend);
    let engine = lazuli_bench::engine(config).expect("the backend exists in this build");
    let module =
        Module::new(&engine, std::fs::read(file).expect("readable wasm")).expect("valid module");
    let mut store = Store::new(&engine);
    if epoch {
        store.set_epoch_deadline(u64::MAX / 2);
    }
    let instance = Instance::new(&mut store, &module, &Imports::new()).expect("instantiates");
    let f = instance.get_func(&store, kernel).expect("exported kernel");
    let mut result = f.call(&mut store, &[Val::I32(n)]).expect("runs");
    if mode == "tiered" {
        // Let the background recompiles of the hot functions land before measuring.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut last = u32::MAX;
        while std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let now = module.stats().optimized;
            if now == last && now > 0 {
                break;
            }
            last = now;
        }
    }
    let time = median(5, || {
        result = f.call(&mut store, &[Val::I32(n)]).expect("runs")
    });
    let shown = match result[0] {
        Val::I32(x) => (x as u32).to_string(),
        Val::F32(b) => format!("{:.17}", f32::from_bits(b) as f64),
        Val::F64(b) => format!("{:.17}", f64::from_bits(b)),
        other => format!("{other:?}"),
    };
    println!("{shown} {:.3}", time.as_secs_f64() * 1e3);
}

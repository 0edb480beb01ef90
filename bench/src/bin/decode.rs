//! `Module::new` throughput: `decode FILE.wasm` decodes and validates the module ten times
//! with the default engine (bodies validated on every core) and with an engine without a
//! platform (one thread), and prints the median time of each and MB/s of wasm.

use lazuli_bench::median;
use lazuli_core::{Config, Engine, Module};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, file] = args.as_slice() else {
        eprintln!("usage: decode FILE.wasm");
        std::process::exit(2);
    };
    let bytes: std::sync::Arc<[u8]> = std::fs::read(file).expect("readable wasm").into();
    let parallel = lazuli_bench::engine(Config::default().tiers(lazuli_core::Tiers::BaselineOnly))
        .expect("the baseline backend targets this host");
    let single = Engine::new(Config::default());
    let mb = bytes.len() as f64 / 1e6;
    for (label, engine) in [("parallel", parallel.core()), ("one-thread", &single)] {
        let time = median(10, || {
            Module::new(engine, bytes.clone()).expect("valid module");
        });
        let ms = time.as_secs_f64() * 1e3;
        println!("{label} {ms:.2} ms {:.0} MB/s", mb / time.as_secs_f64());
    }
}

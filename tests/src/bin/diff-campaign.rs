//! A differential campaign: generated modules in every Lazuli mode against wasmi, for a number
//! of seconds, from a starting seed; from each seed also a module with what wasmi does not run
//! (exceptions, relaxed SIMD), compared between Lazuli's modes. Prints counts; on a divergence, writes the module and the
//! generator input to `diff-failures/` and exits with status 1.
//!
//! `cargo run --release -p lazuli-tests --bin diff-campaign -- SECONDS [FIRST_SEED]`

use std::time::{Duration, Instant};

use lazuli_tests::diff::{check, check_beyond_wasmi, generate, generate_beyond_wasmi, seed_bytes};

type Checker = fn(&[u8]) -> Result<Option<usize>, String>;
type Generator = fn(&[u8]) -> Option<Vec<u8>>;

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);
    let first: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut modules, mut calls, mut skipped, mut seed) = (0u64, 0u64, 0u64, first);
    while Instant::now() < deadline {
        let data = seed_bytes(seed, 4096);
        let compared = [
            (check as Checker, generate as Generator),
            (check_beyond_wasmi, generate_beyond_wasmi),
        ];
        for (check, generate) in compared {
            match check(&data) {
                Ok(Some(n)) => {
                    modules += 1;
                    calls += n as u64;
                }
                Ok(None) => skipped += 1,
                Err(divergence) => {
                    std::fs::create_dir_all("diff-failures").expect("can write diff-failures/");
                    let wasm = generate(&data).expect("the module was generated");
                    let name = format!("diff-failures/seed-{seed}");
                    std::fs::write(format!("{name}.wasm"), wasm).expect("writes");
                    std::fs::write(format!("{name}.input"), &data).expect("writes");
                    eprintln!("seed {seed}: {divergence}");
                    println!("{modules} modules checked, then a divergence at seed {seed}");
                    std::process::exit(1);
                }
            }
        }
        seed += 1;
        if seed % 1000 == 0 {
            eprintln!("seed {seed}: {modules} modules, {calls} export calls checked");
        }
    }
    println!(
        "{modules} modules and {calls} export calls checked in 5 Lazuli modes (LLVM lazy, eager, eager round trip, tiered, single-pass baseline) against wasmi or, beyond wasmi, against each other (seeds {first}..{seed}, {skipped} inputs made no module), no divergence"
    );
}

//! Differential fuzzing: the input drives wasm-smith; the generated module must behave the same
//! in Lazuli (lazy, eager, eager after serialize -> deserialize) and in the wasmi interpreter.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(divergence) = lazuli_tests::diff::check(data) {
        panic!("{divergence}");
    }
});

//! Feeds arbitrary bytes to `Module::new`: it must return `Ok` or `Err`, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lazuli_core::{Config, Engine, Error, Module};

fuzz_target!(|data: &[u8]| {
    let engine = Engine::new(Config::default());
    match Module::new(&engine, data) {
        Ok(module) => {
            // Walking the description of a valid module must not panic either.
            let _ = module.imports().count() + module.exports().count();
        }
        Err(Error::InvalidModule { offset, .. }) => assert!(offset <= data.len()),
        // Bytes that do not start like a binary module are read as the text format.
        Err(Error::Text(_)) if !data.starts_with(b"\0asm") => {}
        Err(other) => panic!("unexpected error kind: {other:?}"),
    }
});

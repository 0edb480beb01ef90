//! Reading and writing linear memory from the host: write input, let wasm work on it in place,
//! read the result back, and grow the memory.
//!
//! `cargo run -p lazuli --example memory`

use lazuli::{Engine, Error, Linker, Module, Store};

fn main() -> Result<(), Error> {
    let engine = Engine::default();
    let module = Module::from_wat(
        &engine,
        r#"(module
             (memory (export "memory") 1 4)
             ;; Upper-case the ASCII letters of [at, at + len) in place.
             (func (export "upcase") (param $at i32) (param $len i32)
               (local $end i32) (local $c i32)
               (local.set $end (i32.add (local.get $at) (local.get $len)))
               (block $done (loop $next
                 (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
                 (local.set $c (i32.load8_u (local.get $at)))
                 (if (i32.lt_u (i32.sub (local.get $c) (i32.const 97)) (i32.const 26))
                   (then (i32.store8 (local.get $at) (i32.sub (local.get $c) (i32.const 32)))))
                 (local.set $at (i32.add (local.get $at) (i32.const 1)))
                 (br $next)))))"#,
    )?;
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module)?;
    let memory = instance
        .get_memory(&store, "memory")
        .expect("the module exports its memory");

    let text = b"lazuli runs webassembly";
    memory.write(&mut store, 1024, text)?;
    let upcase = instance.get_typed_func::<(i32, i32), ()>(&store, "upcase")?;
    upcase.call(&mut store, (1024, text.len() as i32))?;
    let mut out = vec![0; text.len()];
    memory.read(&store, 1024, &mut out)?;
    println!("{}", String::from_utf8_lossy(&out));
    assert_eq!(out, b"LAZULI RUNS WEBASSEMBLY");

    // Direct access to the bytes, and growth up to the declared maximum (4 pages).
    memory.bytes_mut(&mut store)?[0] = 7;
    assert_eq!(memory.grow(&mut store, 3)?, 1);
    assert_eq!(memory.size(&store)?, 4);
    assert!(memory.grow(&mut store, 1).is_err(), "past the maximum");
    // Reading past the end is an error, not a crash.
    assert!(memory.read(&store, 4 * 65536 - 2, &mut [0; 4]).is_err());
    println!(
        "memory: {} pages, first byte {}",
        memory.size(&store)?,
        memory.bytes(&store)?[0]
    );
    Ok(())
}

//! Compile once, serialize, and load the compiled code later without compiling: eager
//! compilation with LLVM, `Module::serialize`, `Module::deserialize` from bytes and
//! `Module::deserialize_file`, which maps a file (both unsafe: the blob is native code, so load
//! only blobs you made or trust).
//!
//! `cargo run -p lazuli --example serialize`

use lazuli::{Config, Engine, Error, Linker, Module, Store, Strategy};

const WAT: &str = r#"(module
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2))))))))"#;

fn main() -> Result<(), Error> {
    // Eager compilation optimizes every function up front (LLVM O2).
    let engine = Engine::new(&Config::default().strategy(Strategy::Eager))?;
    let started = std::time::Instant::now();
    let blob = Module::from_wat(&engine, WAT)?.serialize()?;
    println!(
        "compiled and serialized in {:?}: {} bytes",
        started.elapsed(),
        blob.len()
    );

    // Later, or in another process with the same Lazuli, host and configuration:
    let started = std::time::Instant::now();
    // SAFETY: `blob` was made just above by this program.
    let module = unsafe { Module::deserialize(&engine, &blob)? };
    println!("loaded in {:?}", started.elapsed());
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module)?;
    let fib = instance.get_typed_func::<i32, i32>(&store, "fib")?;
    let answer = fib.call(&mut store, 25)?;
    println!("fib(25) = {answer}");
    assert_eq!(answer, 75025);

    // From a file, the code is mapped and runs where it lies: nothing is copied or linked.
    let path = std::env::temp_dir().join(format!("lazuli-example-{}.lzc", std::process::id()));
    std::fs::write(&path, &blob).expect("the temporary directory is writable");
    let started = std::time::Instant::now();
    // SAFETY: the file holds `blob`, made just above by this program, and stays unchanged
    // while the module lives.
    let mapped = unsafe { Module::deserialize_file(&engine, path.to_str().expect("UTF-8"))? };
    println!("mapped from a file in {:?}", started.elapsed());
    let instance = Linker::new().instantiate(&mut store, &mapped)?;
    let fib = instance.get_typed_func::<i32, i32>(&store, "fib")?;
    assert_eq!(fib.call(&mut store, 25)?, 75025);
    drop(store);
    drop(mapped);
    let _ = std::fs::remove_file(&path);

    // A damaged blob is refused, never run.
    let mut damaged = blob.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 1;
    // SAFETY: the blob is refused by its checksum before any of its code is used.
    let refused = unsafe { Module::deserialize(&engine, &damaged) };
    println!("damaged blob: {}", refused.as_ref().err().expect("refused"));
    assert!(matches!(refused, Err(Error::Deserialize(_))));
    Ok(())
}

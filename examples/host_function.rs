//! A host function: wasm imports `env.log` and `env.add`, the host defines them in a `Linker`,
//! and the host function reads the calling instance's memory and the store's data.
//!
//! `cargo run -p lazuli --example host_function`

use lazuli::{Caller, Engine, Error, FuncType, Linker, Module, Store, Val, ValType};

/// What the host keeps for its functions, in the store.
struct Log {
    lines: Vec<String>,
}

fn main() -> Result<(), Error> {
    let engine = Engine::default();
    let module = Module::from_wat(
        &engine,
        r#"(module
             (import "env" "log" (func $log (param i32 i32)))
             (import "env" "add" (func $add (param i32 i32) (result i32)))
             (memory (export "memory") 1)
             (data (i32.const 0) "hello from wasm")
             (func (export "run") (result i32)
               (call $log (i32.const 0) (i32.const 15))
               (call $add (i32.const 40) (i32.const 2))))"#,
    )?;

    let mut linker = Linker::new();
    // A typed closure: parameters and results from its signature.
    linker.func_wrap("env", "add", |a: i32, b: i32| a + b)?;
    // A function of explicit type that reaches its caller: memory and store data.
    let log_type = FuncType::new([ValType::I32, ValType::I32], []);
    linker.func_new(
        "env",
        "log",
        log_type,
        |caller: &mut Caller<'_>, args: &[Val], _| {
            let (Val::I32(at), Val::I32(len)) = (&args[0], &args[1]) else {
                return Err(Error::Host("log takes two i32".into()));
            };
            let memory = caller
                .get_memory("memory")
                .ok_or_else(|| Error::Host("the caller exports no memory".into()))?;
            let mut bytes = vec![0; *len as usize];
            memory.read(caller.store(), *at as u64, &mut bytes)?;
            let line = String::from_utf8_lossy(&bytes).into_owned();
            if let Some(log) = caller.store().data_mut::<Log>() {
                log.lines.push(line);
            }
            Ok(())
        },
    )?;

    let mut store = Store::new(&engine);
    store.set_data(Log { lines: Vec::new() });
    let instance = linker.instantiate(&mut store, &module)?;
    let run = instance.get_typed_func::<(), i32>(&store, "run")?;
    let sum = run.call(&mut store, ())?;
    let log = store.data::<Log>().expect("set above");
    println!("logged {:?}, add returned {sum}", log.lines);
    assert_eq!(log.lines, ["hello from wasm"]);
    assert_eq!(sum, 42);
    Ok(())
}

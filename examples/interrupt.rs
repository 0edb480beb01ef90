//! Interrupting a runaway guest: with epoch interruption on, compiled code checks the engine's
//! epoch at function entries and loop headers; a watchdog thread advances the epoch, and the
//! store's deadline turns the endless loop into an `Interrupted` trap. The store stays usable.
//!
//! `cargo run -p lazuli --example interrupt`

use std::time::{Duration, Instant};

use lazuli::{Config, Engine, Error, Linker, Module, Store, TrapCode};

fn main() -> Result<(), Error> {
    let engine = Engine::new(&Config::default().epoch_interruption(true))?;
    let module = Module::from_wat(
        &engine,
        r#"(module
             (func (export "forever") (loop (br 0)))
             (func (export "answer") (result i32) (i32.const 42)))"#,
    )?;
    let mut store = Store::new(&engine);
    let instance = Linker::new().instantiate(&mut store, &module)?;

    // Stop after one tick; a watchdog ticks every 100 ms.
    store.set_epoch_deadline(1);
    let watchdog = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            engine.increment_epoch();
        })
    };
    let started = Instant::now();
    let forever = instance.get_typed_func::<(), ()>(&store, "forever")?;
    let result = forever.call(&mut store, ());
    watchdog.join().expect("the watchdog ends");
    println!("stopped after {:?}: {:?}", started.elapsed(), result);
    assert_eq!(result, Err(Error::Trap(TrapCode::Interrupted)));

    // A new deadline, and the same store runs on.
    store.set_epoch_deadline(1);
    let answer = instance.get_typed_func::<(), i32>(&store, "answer")?;
    assert_eq!(answer.call(&mut store, ())?, 42);
    Ok(())
}

//! Sharing a `Module` across threads: a module (and its compiled code) is shared, while each
//! thread has a `Store` of its own. Functions compiled lazily by one thread are reused by all.
//!
//! `cargo run -p lazuli --example threads`

use lazuli::{Engine, Error, Linker, Module, Store};

fn main() -> Result<(), Error> {
    let engine = Engine::default();
    let module = Module::from_wat(
        &engine,
        r#"(module (func (export "sum") (param $n i32) (result i64)
             (local $acc i64)
             (block $done (loop $next
               (br_if $done (i32.eqz (local.get $n)))
               (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (local.get $n))))
               (local.set $n (i32.sub (local.get $n) (i32.const 1)))
               (br $next)))
             (local.get $acc)))"#,
    )?;
    let threads: Vec<_> = (1..=4)
        .map(|k| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || -> Result<i64, Error> {
                let mut store = Store::new(&engine);
                let instance = Linker::new().instantiate(&mut store, &module)?;
                let sum = instance.get_typed_func::<i32, i64>(&store, "sum")?;
                sum.call(&mut store, k * 1000)
            })
        })
        .collect();
    for (k, thread) in (1..=4i64).zip(threads) {
        let sum = thread.join().expect("the thread ends")?;
        println!("thread {k}: sum of 1..={} is {sum}", k * 1000);
        assert_eq!(sum, k * 1000 * (k * 1000 + 1) / 2);
    }
    println!(
        "functions compiled: {}",
        module.stats().baseline + module.stats().optimized
    );
    Ok(())
}

//! Epoch interruption: a guest that never ends is stopped by the host through the engine's
//! epoch and its store's deadline, in every mode; the store stays usable.

use std::time::Duration;

use lazuli_core::backend::{Strategy, TrapCode};
use lazuli_core::{Config, Error, Imports, Instance, Module, Store, Val};
use lazuli_tests::BackendKind;

const WAT: &str = r#"(module
  (func (export "spin") (loop (br 0)))
  (func $down (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (call $down (i32.sub (local.get 0) (i32.const 1))))))
  (func (export "calls") (loop (drop (call $down (i32.const 100))) (br 0)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#;

fn interrupted_after_a_tick(config: Config) {
    interrupted_after_a_tick_on(config, BackendKind::Llvm)
}

fn interrupted_after_a_tick_on(config: Config, backend: BackendKind) {
    let engine =
        lazuli_tests::engine(config.epoch_interruption(true).tiers(backend.into())).unwrap();
    let module = Module::from_wat(&engine, WAT).unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    for name in ["spin", "calls"] {
        store.set_epoch_deadline(1);
        let ticker = {
            let engine = engine.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                engine.increment_epoch();
            })
        };
        let f = instance.get_func(&store, name).unwrap();
        assert_eq!(
            f.call(&mut store, &[]),
            Err(Error::Trap(TrapCode::Interrupted)),
            "{name}"
        );
        ticker.join().unwrap();
        // The deadline has passed: every entry traps until the host sets a new one.
        let add = instance.get_func(&store, "add").unwrap();
        let args = [Val::I32(2), Val::I32(3)];
        assert_eq!(
            add.call(&mut store, &args),
            Err(Error::Trap(TrapCode::Interrupted))
        );
        store.set_epoch_deadline(1);
        assert_eq!(add.call(&mut store, &args), Ok(vec![Val::I32(5)]));
    }
}

#[test]
fn an_endless_loop_is_interrupted_lazily() {
    interrupted_after_a_tick(Config::default().workers(0));
}

#[test]
fn an_endless_loop_is_interrupted_eagerly() {
    interrupted_after_a_tick(Config::default().strategy(Strategy::Eager));
}

#[test]
fn an_endless_loop_is_interrupted_on_the_baseline_backend() {
    interrupted_after_a_tick_on(Config::default(), BackendKind::Baseline);
}

#[test]
fn an_endless_loop_is_interrupted_tiered_with_tier_up() {
    interrupted_after_a_tick_on(Config::default().workers(1).tier_up(1), BackendKind::Tiered);
}

#[test]
fn an_endless_loop_is_interrupted_after_tier_up() {
    interrupted_after_a_tick(Config::default().workers(1).tier_up(1));
}

#[test]
fn without_epoch_interruption_the_epoch_changes_nothing() {
    let engine = lazuli_tests::llvm_engine(Config::default().workers(0));
    let module = Module::from_wat(&engine, WAT).unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    store.set_epoch_deadline(0);
    engine.increment_epoch();
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&store, "add")
        .unwrap();
    assert_eq!(add.call(&mut store, (2, 3)), Ok(5));
}

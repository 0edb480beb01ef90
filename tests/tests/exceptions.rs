//! Exception handling in every backend and tier: `try_table` catches exceptions thrown by the
//! same function, by callees (across instances, through a host-defined tag) and rethrown with
//! `throw_ref`; locals changed in the try body keep their values in the handler; an exception
//! that escapes ends the host call as `Error::Exception`, whose tag and payload the host reads,
//! and leaves the store usable; a host function's wasm callee cannot see its caller's handlers,
//! but an exception the host function fails with goes on to them; a module that keeps
//! throwing stops at the store's exception limit.

use lazuli_core::backend::{FuncType, ValType};
use lazuli_core::{Error, Extern, Func, Imports, Instance, Module, Store, Tag, Val};

const WAT: &str = r#"(module
  (import "host" "tag" (tag $host (param i32)))
  (import "host" "call_back" (func $call_back (param i32) (result i32)))
  (import "host" "pass_on" (func $pass_on (param i32) (result i32)))
  (tag $local (param i64 f64))
  (func $throw_host (export "throw_host") (param i32) (throw $host (local.get 0)))
  (func (export "throw_local") (throw $local (i64.const -5) (f64.const 2.5)))
  ;; Counts in a local inside the try body, then throws: the handler sees the last count.
  (func (export "count_then_throw") (param $n i32) (result i32) (local $count i32)
    (block $caught
      (try_table (catch_all $caught)
        (loop $l
          (local.set $count (i32.add (local.get $count) (i32.const 1)))
          (br_if $l (i32.lt_u (local.get $count) (local.get $n))))
        (call $throw_host (local.get $count))))
    (local.get $count))
  ;; Catches the host tag thrown two frames down, rethrows it with throw_ref, catches again.
  (func (export "rethrow") (param i32) (result i32)
    (block $outer (result i32)
      (try_table (catch $host $outer)
        (block $inner (result i32 exnref)
          (try_table (catch_ref $host $inner)
            (call $throw_host (local.get 0)))
          (unreachable))
        (throw_ref)
        (drop))
      (i32.const -1)))
  ;; The host function calls `throw_host` back: wasm under a host frame cannot reach this
  ;; try_table, so the exception ends the inner host call and the host's error comes out.
  (func (export "through_host") (param i32) (result i32)
    (block $caught (result i32)
      (try_table (result i32) (catch $host $caught)
        (call $call_back (local.get 0)))))
  ;; This host function fails with the exception itself: it goes on to this try_table.
  (func (export "passed_on") (param i32) (result i32)
    (block $caught (result i32)
      (try_table (result i32) (catch $host $caught)
        (call $pass_on (local.get 0)))))
)"#;

fn call(
    store: &mut Store,
    instance: &Instance,
    name: &str,
    args: &[Val],
) -> Result<Vec<Val>, Error> {
    instance.get_func(store, name).unwrap().call(store, args)
}

#[test]
fn exceptions_in_every_mode() {
    for (mode, config) in lazuli_tests::modes() {
        let engine = lazuli_tests::engine(config).unwrap();
        let module = Module::from_wat(&engine, WAT).unwrap();
        let mut store = Store::new(&engine);
        let tag = Tag::new(&mut store, FuncType::new([ValType::I32], [])).unwrap();
        // Calls `throw_host` of its caller's instance: the exception ends that inner call,
        // which this function reports as its own failure.
        let call_back = Func::new(
            &mut store,
            FuncType::new([ValType::I32], [ValType::I32]),
            |caller, args, _results| {
                let throw = caller.get_export("throw_host").and_then(Extern::into_func);
                let throw = throw.ok_or_else(|| Error::Host("no throw_host".into()))?;
                match throw.call(caller.store(), args) {
                    Err(Error::Exception(_)) => Err(Error::Host("inner call threw".into())),
                    other => Err(Error::Host(format!("inner call gave {other:?}"))),
                }
            },
        );
        // Calls `throw_host` back and fails with what it gets: the exception.
        let pass_on = Func::new(
            &mut store,
            FuncType::new([ValType::I32], [ValType::I32]),
            |caller, args, _results| {
                let throw = caller.get_export("throw_host").and_then(Extern::into_func);
                let throw = throw.ok_or_else(|| Error::Host("no throw_host".into()))?;
                throw.call(caller.store(), args).map(drop)
            },
        );
        let imports = Imports::new()
            .define("host", "tag", Extern::Tag(tag))
            .define("host", "call_back", Extern::Func(call_back.unwrap()))
            .define("host", "pass_on", Extern::Func(pass_on.unwrap()));
        let instance = Instance::new(&mut store, &module, &imports).unwrap();

        match call(&mut store, &instance, "throw_host", &[Val::I32(7)]) {
            Err(Error::Exception(exn)) => {
                assert_eq!(exn.tag(&store).unwrap(), tag, "{mode}");
                assert_eq!(exn.values(&store).unwrap(), vec![Val::I32(7)], "{mode}");
            }
            other => panic!("{mode}: throw_host gave {other:?}"),
        }
        match call(&mut store, &instance, "throw_local", &[]) {
            Err(Error::Exception(exn)) => {
                assert_ne!(exn.tag(&store).unwrap(), tag, "{mode}");
                assert_eq!(
                    exn.values(&store).unwrap(),
                    vec![Val::I64(-5), Val::F64(2.5f64.to_bits())],
                    "{mode}"
                );
            }
            other => panic!("{mode}: throw_local gave {other:?}"),
        }
        assert_eq!(
            call(&mut store, &instance, "count_then_throw", &[Val::I32(1000)]).unwrap(),
            vec![Val::I32(1000)],
            "{mode}"
        );
        assert_eq!(
            call(&mut store, &instance, "rethrow", &[Val::I32(11)]).unwrap(),
            vec![Val::I32(11)],
            "{mode}"
        );
        match call(&mut store, &instance, "through_host", &[Val::I32(3)]) {
            Err(Error::Host(message)) => assert_eq!(message, "inner call threw", "{mode}"),
            other => panic!("{mode}: through_host gave {other:?}"),
        }
        assert_eq!(
            call(&mut store, &instance, "passed_on", &[Val::I32(21)]).unwrap(),
            vec![Val::I32(21)],
            "{mode}"
        );
        // The store is intact: the same calls again.
        assert_eq!(
            call(&mut store, &instance, "rethrow", &[Val::I32(12)]).unwrap(),
            vec![Val::I32(12)],
            "{mode}"
        );
    }
}

/// An exception reference of one store is refused as an argument in another.
#[test]
fn an_exnref_from_another_store_is_an_error() {
    let engine = lazuli_tests::engine(lazuli_core::Config::default()).unwrap();
    let module = Module::from_wat(
        &engine,
        r#"(module
          (tag $t)
          (func (export "throw") (throw $t))
          (func (export "take") (param exnref) (result i32) (ref.is_null (local.get 0))))"#,
    )
    .unwrap();
    let mut first = Store::new(&engine);
    let a = Instance::new(&mut first, &module, &Imports::new()).unwrap();
    let Err(Error::Exception(exn)) = call(&mut first, &a, "throw", &[]) else {
        panic!("throw did not throw");
    };
    assert_eq!(
        call(&mut first, &a, "take", &[Val::ExnRef(Some(exn))]).unwrap(),
        vec![Val::I32(0)]
    );
    let mut second = Store::new(&engine);
    let b = Instance::new(&mut second, &module, &Imports::new()).unwrap();
    assert!(matches!(
        call(&mut second, &b, "take", &[Val::ExnRef(Some(exn))]),
        Err(Error::Usage(_))
    ));
}

/// Exceptions nothing refers to are reclaimed: a loop that throws and catches 200,000 runs
/// under a 64 KiB limit in bounded memory; exceptions held in locals of frames further up the
/// stack survive every collection and keep their payloads; a module that keeps every exception
/// (in an `exnref` table) is stopped at the store's `max_exception_bytes` with a limit error
/// naming it, and the store goes on working.
#[test]
fn caught_exceptions_are_reclaimed_and_kept_ones_stop_at_the_limit() {
    let wat = r#"(module
        (tag $boom (param i32))
        (table $kept 0 exnref)
        ;; Throws and catches `n` exceptions; returns how many were caught.
        (func $throw_many (export "throw_many") (param $n i32) (result i32) (local $caught i32)
            (block $done
                (loop $again
                    (br_if $done (i32.eqz (local.get $n)))
                    (block $handler (result i32)
                        (try_table (catch $boom $handler)
                            (throw $boom (local.get $n)))
                        (unreachable))
                    drop
                    (local.set $caught (i32.add (local.get $caught) (i32.const 1)))
                    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                    (br $again)))
            (local.get $caught))
        ;; Holds an exception carrying `n` in a local while deeper calls throw and drop many,
        ;; then rethrows it and reads its payload: returns how many levels read theirs back.
        (func $hold (export "hold") (param $n i32) (result i32) (local $e exnref) (local $ok i32)
            (block $h (result i32 exnref)
                (try_table (catch_ref $boom $h) (throw $boom (local.get $n)))
                (unreachable))
            (local.set $e)
            (drop)
            (local.set $ok (if (result i32) (local.get $n)
                (then (call $hold (i32.sub (local.get $n) (i32.const 1))))
                (else (i32.const 0))))
            (drop (call $throw_many (i32.const 300)))
            (i32.add (local.get $ok)
                (i32.eq (local.get $n)
                    (block $c (result i32)
                        (try_table (catch $boom $c) (throw_ref (local.get $e)))
                        (unreachable)))))
        ;; Throws `n` exceptions and keeps every one in the table.
        (func (export "keep_many") (param $n i32)
            (block $done
                (loop $again
                    (br_if $done (i32.eqz (local.get $n)))
                    (block $handler (result exnref)
                        (try_table (catch_all_ref $handler)
                            (throw $boom (local.get $n)))
                        (unreachable))
                    (drop (table.grow $kept (i32.const 1)))
                    (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                    (br $again)))))"#;
    for (mode, config) in lazuli_tests::modes() {
        let engine = lazuli_tests::engine(config.max_exception_bytes(64 << 10)).unwrap();
        let module = Module::from_wat(&engine, wat).unwrap();
        let mut store = Store::new(&engine);
        let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
        let throw_many = instance
            .get_typed_func::<i32, i32>(&store, "throw_many")
            .unwrap();
        assert_eq!(throw_many.call(&mut store, 200_000), Ok(200_000), "{mode}");
        let (_, bytes) = store.live_exceptions();
        assert!(
            bytes <= 64 << 10,
            "{mode}: {bytes} bytes of exceptions live"
        );
        let hold = instance.get_typed_func::<i32, i32>(&store, "hold").unwrap();
        assert_eq!(hold.call(&mut store, 60), Ok(61), "{mode}");
        let keep_many = instance
            .get_typed_func::<i32, ()>(&store, "keep_many")
            .unwrap();
        match keep_many.call(&mut store, 100_000) {
            Err(Error::Limit(message)) => {
                assert!(message.contains("max_exception_bytes"), "{mode}: {message}")
            }
            other => panic!("{mode}: expected the exception limit, got {other:?}"),
        }
        assert_eq!(throw_many.call(&mut store, 0), Ok(0), "{mode}");
    }
}

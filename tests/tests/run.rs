//! Running modules with the LLVM backend: results, traps, host functions, lazy compilation.

use lazuli_core::backend::TrapCode;
use lazuli_core::{Config, Error, Func, Imports, Instance, Module, Store, Val};
use lazuli_tests::llvm_engine;

fn instantiate(text: &str) -> (Store, Instance) {
    let engine = llvm_engine(Config::default());
    let module = Module::from_wat(&engine, text).unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    (store, instance)
}

#[test]
fn adds_two_numbers() {
    let (mut store, instance) = instantiate(
        r#"(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))"#,
    );
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&store, "add")
        .unwrap();
    assert_eq!(add.call(&mut store, (2, 40)).unwrap(), 42);
    let f = instance.get_func(&store, "add").unwrap();
    assert_eq!(
        f.call(&mut store, &[Val::I32(-1), Val::I32(1)]).unwrap(),
        vec![Val::I32(0)]
    );
}

#[test]
fn examples_hello_runs() {
    let engine = llvm_engine(Config::default());
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/hello.wat"
    ))
    .unwrap();
    let module = Module::from_wat(&engine, &text).unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let fac = instance.get_typed_func::<i64, i64>(&store, "fac").unwrap();
    assert_eq!(fac.call(&mut store, 20).unwrap(), 2432902008176640000);
    let fac_iter = instance
        .get_typed_func::<i64, i64>(&store, "fac_iter")
        .unwrap();
    assert_eq!(fac_iter.call(&mut store, 10).unwrap(), 3628800);
    let greeting = instance
        .get_typed_func::<(), (i32, i32)>(&store, "greeting")
        .unwrap();
    let (ptr, len) = greeting.call(&mut store, ()).unwrap();
    let memory = instance.get_memory(&store, "memory").unwrap();
    let mut buf = vec![0; len as usize];
    memory.read(&store, ptr as u64, &mut buf).unwrap();
    assert_eq!(buf, b"Hello from Lazuli!");
}

#[test]
fn traps_return_their_kind_and_the_store_stays_usable() {
    let (mut store, instance) = instantiate(
        r#"(module
            (memory 1)
            (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
            (func (export "load") (param i32) (result i32) local.get 0 i32.load)
            (func (export "boom") unreachable)
            (func $rec (export "rec") (param i64) (result i64) local.get 0 i64.const 1 i64.add call $rec))"#,
    );
    let div = instance
        .get_typed_func::<(i32, i32), i32>(&store, "div")
        .unwrap();
    assert_eq!(
        div.call(&mut store, (1, 0)).unwrap_err(),
        Error::Trap(TrapCode::IntegerDivisionByZero)
    );
    assert_eq!(
        div.call(&mut store, (i32::MIN, -1)).unwrap_err(),
        Error::Trap(TrapCode::IntegerOverflow)
    );
    assert_eq!(div.call(&mut store, (7, 2)).unwrap(), 3);
    let load = instance.get_typed_func::<i32, i32>(&store, "load").unwrap();
    assert_eq!(
        load.call(&mut store, 65533).unwrap_err(),
        Error::Trap(TrapCode::MemoryOutOfBounds)
    );
    assert_eq!(load.call(&mut store, 65532).unwrap(), 0);
    let boom = instance.get_typed_func::<(), ()>(&store, "boom").unwrap();
    assert_eq!(
        boom.call(&mut store, ()).unwrap_err(),
        Error::Trap(TrapCode::Unreachable)
    );
    let rec = instance.get_typed_func::<i64, i64>(&store, "rec").unwrap();
    assert_eq!(
        rec.call(&mut store, 0).unwrap_err(),
        Error::Trap(TrapCode::StackOverflow)
    );
    assert_eq!(div.call(&mut store, (9, 3)).unwrap(), 3);
}

#[test]
fn host_functions_are_called_and_their_errors_reach_the_caller() {
    let engine = llvm_engine(Config::default());
    let module = Module::from_wat(
        &engine,
        r#"(module
            (import "env" "double" (func $double (param i32) (result i32)))
            (import "env" "fail" (func $fail (param i32)))
            (func (export "quad") (param i32) (result i32) local.get 0 call $double call $double)
            (func (export "fail") (param i32) local.get 0 call $fail))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine);
    let double = Func::wrap(&mut store, |x: i32| x * 2).unwrap();
    let fail = Func::wrap(&mut store, |x: i32| -> Result<(), Error> {
        Err(Error::Host(format!("no {x}")))
    })
    .unwrap();
    let imports = Imports::new()
        .define("env", "double", lazuli_core::Extern::Func(double))
        .define("env", "fail", lazuli_core::Extern::Func(fail));
    let instance = Instance::new(&mut store, &module, &imports).unwrap();
    let quad = instance.get_typed_func::<i32, i32>(&store, "quad").unwrap();
    assert_eq!(quad.call(&mut store, 5).unwrap(), 20);
    let f = instance.get_typed_func::<i32, ()>(&store, "fail").unwrap();
    assert_eq!(
        f.call(&mut store, 3).unwrap_err(),
        Error::Host("no 3".into())
    );
    assert_eq!(quad.call(&mut store, 1).unwrap(), 4);
}

#[test]
fn functions_are_compiled_on_first_call_only() {
    let engine = llvm_engine(Config::default().workers(0));
    let module = Module::from_wat(
        &engine,
        r#"(module
            (func $a (export "a") (result i32) call $b)
            (func $b (result i32) i32.const 7)
            (func $c (export "c") (result i32) i32.const 9))"#,
    )
    .unwrap();
    assert_eq!(module.compiled_count(), 0);
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    assert_eq!(module.compiled_count(), 0);
    let a = instance.get_typed_func::<(), i32>(&store, "a").unwrap();
    for _ in 0..10 {
        assert_eq!(a.call(&mut store, ()).unwrap(), 7);
    }
    assert_eq!(
        module.compiled_count(),
        2,
        "a and b compiled once each, c never"
    );
    let code = module.code().unwrap();
    assert!(!code.is_compiled(lazuli_core::backend::DefinedFuncIndex(2)));
}

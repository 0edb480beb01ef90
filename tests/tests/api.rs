//! The embedding API beyond calls: references and tables from the host, globals, memories,
//! features that are not implemented, handles used with the wrong store.

use lazuli_core::backend::{Strategy, TrapCode};
use lazuli_core::{
    Config, Engine, Error, Extern, Func, Global, GlobalType, Imports, Instance, Limits, Memory,
    MemoryType, Module, RefType, Store, Table, TableType, Val, ValType,
};
use lazuli_tests::llvm_engine;

#[test]
fn externrefs_and_funcrefs_cross_the_host_boundary() {
    let engine = llvm_engine(Config::default());
    let module = Module::from_wat(
        &engine,
        r#"(module
            (table $t (export "t") 4 funcref)
            (table $e (export "e") 2 externref)
            (func (export "id") (param externref) (result externref) local.get 0)
            (func (export "store") (param i32 externref) local.get 0 local.get 1 table.set $e)
            (func (export "load") (param i32) (result externref) local.get 0 table.get $e)
            (func (export "call") (param i32) (result i32) local.get 0 call_indirect $t (result i32)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let hello = store.extern_ref(String::from("hello"));
    let id = instance.get_func(&store, "id").unwrap();
    let out = id.call(&mut store, &[Val::ExternRef(Some(hello))]).unwrap();
    let Val::ExternRef(Some(back)) = out[0] else {
        panic!("expected a reference, got {out:?}")
    };
    assert_eq!(
        store
            .extern_data(back)
            .unwrap()
            .downcast_ref::<String>()
            .unwrap(),
        "hello"
    );

    // wasm writes the table, the host reads it; the host writes, wasm reads.
    let store_fn = instance.get_func(&store, "store").unwrap();
    store_fn
        .call(&mut store, &[Val::I32(1), Val::ExternRef(Some(hello))])
        .unwrap();
    let e = instance
        .get_export(&store, "e")
        .and_then(Extern::into_table)
        .unwrap();
    assert_eq!(e.get(&store, 1).unwrap(), Val::ExternRef(Some(hello)));
    let other = store.extern_ref(7u32);
    e.set(&mut store, 0, Val::ExternRef(Some(other))).unwrap();
    let load = instance.get_func(&store, "load").unwrap();
    assert_eq!(
        load.call(&mut store, &[Val::I32(0)]).unwrap(),
        vec![Val::ExternRef(Some(other))]
    );

    // A host function placed in a table by the host is called indirectly by wasm.
    let t = instance
        .get_export(&store, "t")
        .and_then(Extern::into_table)
        .unwrap();
    let forty_two = Func::wrap(&mut store, || 42i32).unwrap();
    t.set(&mut store, 2, Val::FuncRef(Some(forty_two))).unwrap();
    assert_eq!(t.get(&store, 2).unwrap(), Val::FuncRef(Some(forty_two)));
    let call = instance.get_typed_func::<i32, i32>(&store, "call").unwrap();
    assert_eq!(call.call(&mut store, 2).unwrap(), 42);
    assert_eq!(
        call.call(&mut store, 3).unwrap_err(),
        Error::Trap(lazuli_core::backend::TrapCode::IndirectCallToNull)
    );
    assert!(
        t.set(&mut store, 9, Val::FuncRef(None)).is_err(),
        "out of range"
    );
    assert!(t.set(&mut store, 0, Val::I32(1)).is_err(), "wrong type");
}

#[test]
fn host_made_memories_tables_and_globals_link_and_are_shared() {
    let engine = llvm_engine(Config::default());
    let mut store = Store::new(&engine);
    let memory = Memory::new(
        &mut store,
        MemoryType {
            limits: Limits {
                min: 1,
                max: Some(3),
            },
            shared: false,
            memory64: false,
        },
    )
    .unwrap();
    let table = Table::new(
        &mut store,
        TableType {
            element: RefType::FuncRef,
            limits: Limits { min: 2, max: None },
            table64: false,
        },
        Val::FuncRef(None),
    )
    .unwrap();
    let global = Global::new(
        &mut store,
        GlobalType {
            content: ValType::I32,
            mutable: true,
        },
        Val::I32(5),
    )
    .unwrap();
    let module = Module::from_wat(
        &engine,
        r#"(module
            (import "host" "m" (memory 1))
            (import "host" "t" (table 2 funcref))
            (import "host" "g" (global (mut i32)))
            (func (export "bump") (result i32)
                global.get 0 i32.const 1 i32.add global.set 0
                i32.const 8 global.get 0 i32.store
                i32.const 1 memory.grow))"#,
    )
    .unwrap();
    let imports = Imports::new()
        .define("host", "m", Extern::Memory(memory))
        .define("host", "t", Extern::Table(table))
        .define("host", "g", Extern::Global(global));
    let instance = Instance::new(&mut store, &module, &imports).unwrap();
    let bump = instance.get_typed_func::<(), i32>(&store, "bump").unwrap();
    assert_eq!(bump.call(&mut store, ()).unwrap(), 1, "old size in pages");
    assert_eq!(global.get(&store).unwrap(), Val::I32(6));
    let mut word = [0u8; 4];
    memory.read(&store, 8, &mut word).unwrap();
    assert_eq!(i32::from_le_bytes(word), 6);
    assert_eq!(memory.size(&store).unwrap(), 2);
    assert_eq!(bump.call(&mut store, ()).unwrap(), 2);
    assert_eq!(
        bump.call(&mut store, ()).unwrap(),
        -1,
        "the maximum is 3 pages"
    );
    assert_eq!(memory.grow(&mut store, 0).unwrap(), 3);
    assert!(memory.grow(&mut store, 1).is_err());
    assert_eq!(table.grow(&mut store, 3, Val::FuncRef(None)).unwrap(), 2);
    global.set(&mut store, Val::I32(100)).unwrap();
    assert_eq!(bump.call(&mut store, ()).unwrap(), -1);
    assert_eq!(global.get(&store).unwrap(), Val::I32(101));

    // Imports that do not match are link errors naming the import.
    let small = Memory::new(
        &mut store,
        MemoryType {
            limits: Limits { min: 0, max: None },
            shared: false,
            memory64: false,
        },
    )
    .unwrap();
    let bad = Imports::new()
        .define("host", "m", Extern::Memory(small))
        .define("host", "t", Extern::Table(table))
        .define("host", "g", Extern::Global(global));
    let err = Instance::new(&mut store, &module, &bad).unwrap_err();
    assert!(
        matches!(&err, Error::Link(m) if m.contains("host") && m.contains("`m`")),
        "{err}"
    );
    let err = Instance::new(&mut store, &module, &Imports::new()).unwrap_err();
    assert!(
        matches!(&err, Error::Link(m) if m.contains("unknown import")),
        "{err}"
    );
}

#[test]
fn unimplemented_proposals_are_rejected_by_name() {
    let engine = Engine::new(Config::default());
    for (text, feature) in [
        ("(module (type (struct)))", "gc"),
        ("(module (memory 1 2 shared))", "threads"),
    ] {
        let err = Module::from_wat(&engine, text).unwrap_err();
        assert!(
            err.to_string().contains(feature),
            "{text}: `{err}` does not name {feature}"
        );
    }
}

#[test]
fn disabled_features_are_named_and_the_defaults_have_them() {
    let wasm2 = Engine::new(Config::default().features(lazuli_core::Features::WASM2));
    let defaults = Engine::new(Config::default());
    for (text, feature) in [
        ("(module (memory 1) (memory 1))", "`multi-memory`"),
        (
            "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
            "`extended-const`",
        ),
        ("(module (func return_call 0))", "`tail-call`"),
        ("(module (tag))", "`exceptions`"),
    ] {
        let err = Module::from_wat(&wasm2, text).unwrap_err();
        assert!(
            err.to_string().contains(feature),
            "{text}: `{err}` does not name {feature}"
        );
        Module::from_wat(&defaults, text).expect("on by default");
    }
    // The legacy instructions are a switch of their own, on by default.
    let mut features = lazuli_core::Features::default();
    assert!(features.set("legacy-exceptions", false));
    let no_legacy = Engine::new(Config::default().features(features));
    let legacy = "(module (tag $e) (func try catch $e end))";
    let err = Module::from_wat(&no_legacy, legacy).unwrap_err();
    assert!(err.to_string().contains("`legacy-exceptions`"), "{err}");
    Module::from_wat(&defaults, legacy).expect("on by default");
}

#[test]
fn handles_from_another_store_are_errors() {
    let engine = llvm_engine(Config::default());
    let mut a = Store::new(&engine);
    let mut b = Store::new(&engine);
    let f = Func::wrap(&mut a, |x: i32| x).unwrap();
    assert!(matches!(
        f.call(&mut b, &[Val::I32(1)]),
        Err(Error::Usage(_))
    ));
    let g = Global::new(
        &mut a,
        GlobalType {
            content: ValType::I64,
            mutable: false,
        },
        Val::I64(1),
    )
    .unwrap();
    assert!(matches!(g.get(&b), Err(Error::Usage(_))));
    assert!(
        matches!(g.set(&mut a, Val::I64(2)), Err(Error::Usage(_))),
        "immutable"
    );
    assert!(
        matches!(f.call(&mut a, &[Val::I64(1)]), Err(Error::Usage(_))),
        "wrong argument type"
    );

    // References to another store's objects, as values: a global's initial or new value, a
    // table element, an argument and a host function's result are all refused, and store `b`
    // keeps working.
    let funcref = GlobalType {
        content: ValType::FuncRef,
        mutable: true,
    };
    let foreign = Val::FuncRef(Some(f));
    let foreign_extern = Val::ExternRef(Some(a.extern_ref(1u8)));
    assert!(matches!(
        Global::new(&mut b, funcref, foreign.clone()),
        Err(Error::Usage(_))
    ));
    let g = Global::new(&mut b, funcref, Val::FuncRef(None)).unwrap();
    assert!(matches!(
        g.set(&mut b, foreign.clone()),
        Err(Error::Usage(_))
    ));
    assert_eq!(g.get(&b).unwrap(), Val::FuncRef(None));
    let table = Table::new(
        &mut b,
        TableType {
            element: RefType::ExternRef,
            limits: Limits { min: 1, max: None },
            table64: false,
        },
        Val::ExternRef(None),
    )
    .unwrap();
    assert!(matches!(
        table.set(&mut b, 0, foreign_extern.clone()),
        Err(Error::Usage(_))
    ));
    let module = Module::from_wat(
        &engine,
        r#"(module
            (import "host" "give" (func $give (result funcref)))
            (func (export "id") (param funcref) (result funcref) local.get 0)
            (func (export "give") (result funcref) call $give))"#,
    )
    .unwrap();
    let give = Func::new(
        &mut b,
        lazuli_core::FuncType::new(vec![], vec![ValType::FuncRef]),
        move |_, _, results| {
            results[0] = Val::FuncRef(Some(f));
            Ok(())
        },
    )
    .unwrap();
    let imports = Imports::new().define("host", "give", Extern::Func(give));
    let instance = Instance::new(&mut b, &module, &imports).unwrap();
    let id = instance.get_func(&b, "id").unwrap();
    assert!(matches!(id.call(&mut b, &[foreign]), Err(Error::Usage(_))));
    let give = instance.get_func(&b, "give").unwrap();
    assert!(matches!(give.call(&mut b, &[]), Err(Error::Usage(_))));
    let own = Val::FuncRef(Some(id));
    assert_eq!(id.call(&mut b, &[own.clone()]).unwrap(), vec![own]);
}

#[test]
fn a_trap_leaves_a_backtrace_of_named_wasm_frames() {
    let wat = r#"(module
        (func $inner (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
        (func $middle (param i32) (result i32) (call $inner (local.get 0)))
        (func (export "run") (param i32) (result i32) (call $middle (local.get 0))))"#;
    for strategy in [Strategy::Lazy, Strategy::Eager] {
        let engine = llvm_engine(Config::default().strategy(strategy));
        let module = Module::from_wat(&engine, wat).unwrap();
        let mut store = Store::new(&engine);
        let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
        let run = instance.get_typed_func::<i32, i32>(&store, "run").unwrap();
        assert_eq!(
            run.call(&mut store, 0),
            Err(Error::Trap(TrapCode::IntegerDivisionByZero))
        );
        let frames: Vec<(u32, Option<&str>)> = store
            .trap_backtrace()
            .iter()
            .map(|f| (f.func_index, f.func_name.as_deref()))
            .collect();
        assert_eq!(
            frames,
            [(0, Some("inner")), (1, Some("middle")), (2, None)],
            "{strategy:?}"
        );
        // A call that returns normally clears it.
        assert_eq!(run.call(&mut store, 1), Ok(1));
        assert!(store.trap_backtrace().is_empty());
    }
}

#[test]
fn a_trap_inside_a_runtime_function_keeps_the_wasm_frame_that_called_it() {
    let wat = r#"(module (memory 1)
        (func $fill (memory.fill (i32.const 65000) (i32.const 0) (i32.const 1000)))
        (func (export "run") (call $fill)))"#;
    let engine = llvm_engine(Config::default());
    let module = Module::from_wat(&engine, wat).unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let run = instance.get_typed_func::<(), ()>(&store, "run").unwrap();
    assert_eq!(
        run.call(&mut store, ()),
        Err(Error::Trap(TrapCode::MemoryOutOfBounds))
    );
    let names: Vec<Option<&str>> = store
        .trap_backtrace()
        .iter()
        .map(|f| f.func_name.as_deref())
        .collect();
    assert_eq!(names, [Some("fill"), None]);
}

#[test]
fn of_several_invalid_bodies_validated_in_parallel_the_first_is_reported() {
    // 40 bodies of about 4 KB each span several validation chunks; bodies 5 and 35 are invalid.
    let mut text = String::from("(module\n");
    for i in 0..40 {
        let filler = "nop ".repeat(4000);
        let tail = if i == 5 || i == 35 {
            "i32.add drop"
        } else {
            ""
        };
        text.push_str(&format!("(func {filler} {tail})\n"));
    }
    text.push(')');
    let wasm = wat::parse_str(&text).unwrap();
    let engine =
        lazuli_tests::engine(Config::default().tiers(lazuli_core::Tiers::BaselineOnly)).unwrap();
    for _ in 0..5 {
        let Err(Error::InvalidModule { offset, message }) = Module::new(&engine, wasm.clone())
        else {
            panic!("an invalid body must be rejected");
        };
        assert!(message.contains("type mismatch"), "{message}");
        // Body 5 ends before 7 bodies' worth of bytes; body 35 lies far beyond.
        assert!(
            offset < 7 * 4010,
            "reported offset {offset} is not in body 5"
        );
        assert!(
            offset > 5 * 4000,
            "reported offset {offset} is not in body 5"
        );
    }
}

/// A host function that panics does not abort the process: the panic goes on in the host code
/// that called into wasm (as Wasmtime does), and the store stays usable.
#[test]
fn a_panicking_host_function_resumes_its_panic_in_the_caller() {
    for (mode, config) in lazuli_tests::modes() {
        let engine = lazuli_tests::engine(config.workers(0)).unwrap();
        let module = Module::from_wat(
            &engine,
            r#"(module
              (import "host" "boom" (func $boom (param i32) (result i32)))
              (func (export "call") (param i32) (result i32)
                (i32.add (call $boom (local.get 0)) (i32.const 1))))"#,
        )
        .unwrap();
        let mut store = Store::new(&engine);
        let boom = Func::wrap(&mut store, |x: i32| -> i32 {
            if x < 0 {
                panic!("the host refuses {x}");
            }
            x * 2
        });
        let mut imports = Imports::new();
        imports.insert("host", "boom", Extern::Func(boom.unwrap()));
        let instance = Instance::new(&mut store, &module, &imports).unwrap();
        let call = instance.get_typed_func::<i32, i32>(&store, "call").unwrap();
        let panic =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call.call(&mut store, -5)))
                .expect_err("the panic comes back");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert_eq!(message, "the host refuses -5", "{mode}");
        assert_eq!(call.call(&mut store, 20), Ok(41), "{mode}");
    }
}

/// `Module::new` takes the text format as well as binary, and `Module::from_file` reads either
/// from a file but refuses a precompiled one.
#[test]
fn modules_come_from_text_binary_and_files() {
    let engine = lazuli_tests::engine(Config::default().workers(0)).unwrap();
    let text = r#"(module (func (export "seven") (result i32) (i32.const 7)))"#;
    let seven = |module: &Module| {
        let mut store = Store::new(&engine);
        let instance = Instance::new(&mut store, module, &Imports::new()).unwrap();
        instance
            .get_typed_func::<(), i32>(&store, "seven")
            .unwrap()
            .call(&mut store, ())
            .unwrap()
    };
    assert_eq!(
        seven(&Module::new(&engine, text.as_bytes().to_vec()).unwrap()),
        7
    );
    match Module::new(&engine, b"(module (func (export".to_vec()) {
        Err(Error::Text(message)) => assert!(message.contains("expected"), "{message}"),
        other => panic!("expected a text error, got {other:?}"),
    }
    let dir = std::env::temp_dir().join(format!("lazuli-from-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wat = dir.join("seven.wat");
    std::fs::write(&wat, text).unwrap();
    let wasm = dir.join("seven.wasm");
    std::fs::write(&wasm, wat::parse_str(text).unwrap()).unwrap();
    assert_eq!(seven(&Module::from_file(&engine, &wat).unwrap()), 7);
    assert_eq!(seven(&Module::from_file(&engine, &wasm).unwrap()), 7);
    let eager = llvm_engine(Config::default().strategy(Strategy::Eager));
    let lzc = dir.join("seven.lzc");
    std::fs::write(
        &lzc,
        Module::from_wat(&eager, text).unwrap().serialize().unwrap(),
    )
    .unwrap();
    match Module::from_file(&eager, &lzc) {
        Err(Error::Usage(message)) => assert!(message.contains("precompiled"), "{message}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(Module::from_file(&engine, dir.join("missing.wasm")).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Typed functions take a one-element tuple as well as the bare type, and tuples of up to
/// eight values.
#[test]
fn typed_functions_take_one_tuples_and_eight_values() {
    let engine = lazuli_tests::engine(Config::default().workers(0)).unwrap();
    let module = Module::from_wat(
        &engine,
        r#"(module
          (func (export "double") (param i64) (result i64) (i64.add (local.get 0) (local.get 0)))
          (func (export "sum8") (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
            (i32.add (i32.add (i32.add (local.get 0) (local.get 1)) (i32.add (local.get 2) (local.get 3)))
                     (i32.add (i32.add (local.get 4) (local.get 5)) (i32.add (local.get 6) (local.get 7))))))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let double = instance
        .get_typed_func::<(i64,), (i64,)>(&store, "double")
        .unwrap();
    assert_eq!(double.call(&mut store, (21,)), Ok((42,)));
    let sum8 = instance
        .get_typed_func::<(i32, i32, i32, i32, i32, i32, i32, i32), i32>(&store, "sum8")
        .unwrap();
    assert_eq!(sum8.call(&mut store, (1, 2, 3, 4, 5, 6, 7, 8)), Ok(36));
}

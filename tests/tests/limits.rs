//! Resource limits: a module asking for more memory or table elements than the engine allows
//! fails to instantiate with an error naming the limit, and growing past a limit fails cleanly
//! (-1 in wasm), never an abort. The defaults keep a small hostile module from taking 8 GB.

use lazuli_core::{Config, Error, Features, Imports, Instance, Module, Store};

fn instantiate(config: Config, wat: &str) -> Result<(Store, Instance), Error> {
    let features = Features {
        multi_memory: true,
        ..Features::default()
    };
    let engine = lazuli_tests::llvm_engine(config.workers(0).features(features));
    let module = Module::from_wat(&engine, wat)?;
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new())?;
    Ok((store, instance))
}

fn limit_message(result: Result<(Store, Instance), Error>) -> String {
    match result {
        Err(Error::Limit(message)) => message,
        Err(other) => panic!("expected a limit error, got {other}"),
        Ok(_) => panic!("expected a limit error, the module instantiated"),
    }
}

#[test]
fn the_defaults_refuse_8_gib_of_memory_and_200_million_table_elements() {
    let two_memories = "(module (memory 65536) (memory 65536))";
    let message = limit_message(instantiate(Config::default(), two_memories));
    assert!(message.contains("max_memory_bytes"), "{message}");
    assert!(message.contains("4294967296"), "{message}");

    let tables: String = (0..20).map(|_| "(table 10000000 funcref)").collect();
    let message = limit_message(instantiate(
        Config::default(),
        &format!("(module {tables})"),
    ));
    assert!(message.contains("max_table_elements"), "{message}");
}

#[test]
fn one_full_memory_fits_the_default_and_costs_only_what_is_touched() {
    let wat = r#"(module (memory (export "m") 65536)
        (func (export "poke") (i32.store (i32.const 0xfffffff0) (i32.const 7))))"#;
    let (mut store, instance) = instantiate(Config::default(), wat).unwrap();
    let memory = instance.get_memory(&store, "m").unwrap();
    assert_eq!(memory.size(&store).unwrap(), 65536);
    instance
        .get_typed_func::<(), ()>(&store, "poke")
        .unwrap()
        .call(&mut store, ())
        .unwrap();
    let mut word = [0u8; 4];
    memory.read(&store, 0xffff_fff0, &mut word).unwrap();
    assert_eq!(u32::from_le_bytes(word), 7);
}

#[test]
fn a_configured_limit_is_named_when_instantiation_exceeds_it() {
    let config = Config::default()
        .max_memory_bytes(1 << 20)
        .max_table_elements(1000);
    let message = limit_message(instantiate(config.clone(), "(module (memory 17))"));
    assert!(message.contains("1048576"), "{message}");
    let message = limit_message(instantiate(config, "(module (table 1001 funcref))"));
    assert!(message.contains("limit of 1000"), "{message}");
}

#[test]
fn growing_past_a_limit_returns_minus_one() {
    let config = Config::default()
        .max_memory_bytes(4 << 16)
        .max_table_elements(100);
    let wat = r#"(module (memory 1) (table 10 funcref)
        (func (export "grow_memory") (param i32) (result i32) (memory.grow (local.get 0)))
        (func (export "grow_table") (param i32) (result i32)
            (table.grow (ref.null func) (local.get 0))))"#;
    let (mut store, instance) = instantiate(config, wat).unwrap();
    let grow_memory = instance
        .get_typed_func::<i32, i32>(&store, "grow_memory")
        .unwrap();
    assert_eq!(grow_memory.call(&mut store, 4), Ok(-1));
    assert_eq!(grow_memory.call(&mut store, 3), Ok(1));
    assert_eq!(grow_memory.call(&mut store, 1), Ok(-1));
    let grow_table = instance
        .get_typed_func::<i32, i32>(&store, "grow_table")
        .unwrap();
    assert_eq!(grow_table.call(&mut store, 91), Ok(-1));
    assert_eq!(grow_table.call(&mut store, 90), Ok(10));
    assert_eq!(grow_table.call(&mut store, 1), Ok(-1));
}

/// Growing a page at a time (as allocators inside wasm do) keeps what is there and adds zeroed
/// pages; growth extends the allocation instead of copying the memory each time.
#[test]
fn growing_page_by_page_keeps_contents_and_zeroes_new_pages() {
    let wat = r#"(module (memory (export "m") 1)
        (func (export "grow") (param $n i32) (result i32)
            (i32.store (i32.const 8) (i32.const 0x5eed))
            (loop $more
                (drop (memory.grow (i32.const 1)))
                (br_if $more (i32.lt_u (memory.size) (local.get $n))))
            (memory.size)))"#;
    let (mut store, instance) = instantiate(Config::default(), wat).unwrap();
    let grow = instance.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    assert_eq!(grow.call(&mut store, 2000), Ok(2000));
    let memory = instance.get_memory(&store, "m").unwrap();
    let bytes = memory.bytes(&store).unwrap();
    assert_eq!(bytes.len(), 2000 * 65536);
    assert_eq!(&bytes[8..12], &0x5eedu32.to_le_bytes());
    assert!(bytes[65536..].iter().all(|b| *b == 0));
}

#[test]
fn memory_grow_keeps_the_base_address_and_many_memories_fit_or_fail_cleanly() {
    // A reserved memory grows in place: the bytes never move, even across a 4 GiB grow.
    let wat = r#"(module (memory (export "m") 1)
        (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;
    let (mut store, instance) = instantiate(Config::default(), wat).unwrap();
    let memory = instance.get_memory(&store, "m").unwrap();
    memory.write(&mut store, 8, b"kept").unwrap();
    let before = memory.bytes(&store).unwrap().as_ptr();
    let grow = instance.get_typed_func::<i32, i32>(&store, "grow").unwrap();
    assert_eq!(grow.call(&mut store, 1).unwrap(), 1);
    assert_eq!(grow.call(&mut store, 65534).unwrap(), 2);
    assert_eq!(memory.size(&store).unwrap(), 65536);
    assert_eq!(memory.bytes(&store).unwrap().as_ptr(), before);
    let mut word = [0u8; 4];
    memory.read(&store, 8, &mut word).unwrap();
    assert_eq!(&word, b"kept");

    // 100 memories of 65536 pages each (multi-memory): within the store's limit they either
    // instantiate or fail with an error, never abort.
    let memories: String = (0..100).map(|_| "(memory 65536)").collect();
    let config = Config::default().max_memory_bytes(100 << 32);
    match instantiate(config, &format!("(module {memories})")) {
        Ok(_) => {}
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

#[test]
fn a_table_with_a_large_maximum_grows_in_place_with_its_elements() {
    let wat = r#"(module
        (table $t 10 10000000 funcref)
        (type $r (func (result i32)))
        (func $f (result i32) (i32.const 42))
        (elem declare func $f)
        (func (export "grow") (param i32) (result i32)
          (table.grow $t (ref.func $f) (local.get 0)))
        (func (export "call") (param i32) (result i32)
          (call_indirect $t (type $r) (local.get 0))))"#;
    for reservations in [true, false] {
        let config = Config::default().memory_reservations(reservations);
        let (mut store, instance) = instantiate(config, wat).unwrap();
        let grow = instance.get_typed_func::<i32, i32>(&store, "grow").unwrap();
        let call = instance.get_typed_func::<i32, i32>(&store, "call").unwrap();
        assert_eq!(grow.call(&mut store, 1), Ok(10));
        assert_eq!(grow.call(&mut store, 4_999_989), Ok(11));
        assert_eq!(call.call(&mut store, 4_999_999), Ok(42));
        assert_eq!(call.call(&mut store, 10), Ok(42));
        // The elements the table started with are still null.
        assert!(matches!(
            call.call(&mut store, 9),
            Err(Error::Trap(
                lazuli_core::backend::TrapCode::IndirectCallToNull
            ))
        ));
        assert!(call.call(&mut store, 5_000_000).is_err());
        // Past the maximum: -1, and the table is unchanged.
        assert_eq!(grow.call(&mut store, 5_000_001), Ok(-1));
        assert_eq!(grow.call(&mut store, 5_000_000), Ok(5_000_000));
    }
}

#[test]
fn reservations_of_memories_and_tables_share_one_budget() {
    // One reserved memory takes its 4 GiB index space and 2 GiB guard: a second is over a
    // 10 GiB budget.
    let budget = Config::default().max_reserved_bytes(10 << 30);
    let message = limit_message(instantiate(
        budget.clone(),
        "(module (memory 1) (memory 1))",
    ));
    assert!(message.contains("max_reserved_bytes"), "{message}");
    assert!(message.contains("6442450944"), "{message}");
    let (store, _) = instantiate(budget, "(module (memory 1))").unwrap();
    assert_eq!(store.reserved_bytes(), 6 << 30);

    // Ninety tables that may grow to 10,000,000 elements would reserve 7.2 GB; within a
    // 100 MiB budget one is reserved (80 MB) and the others live on the heap, and all of them
    // work.
    let tables: String = (0..90)
        .map(|i| format!("(table $t{i} 1 10000000 funcref)"))
        .collect();
    let wat = format!(
        r#"(module {tables}
            (func $f (result i32) (i32.const 7))
            (elem declare func $f)
            (func (export "grow_all") (result i32) (local $sum i32)
              {}
              (local.get $sum)))"#,
        (0..90)
            .map(|i| format!(
                "(local.set $sum (i32.add (local.get $sum) \
                   (table.grow $t{i} (ref.func $f) (i32.const 1000))))"
            ))
            .collect::<String>()
    );
    let config = Config::default().max_reserved_bytes(100 << 20);
    let (mut store, instance) = instantiate(config, &wat).unwrap();
    assert_eq!(store.reserved_bytes(), 80_000_000);
    let grown = instance
        .get_typed_func::<(), i32>(&store, "grow_all")
        .unwrap()
        .call(&mut store, ())
        .unwrap();
    // Each table grew from 1 element.
    assert_eq!(grown, 90);
    assert_eq!(store.reserved_bytes(), 80_000_000);
}

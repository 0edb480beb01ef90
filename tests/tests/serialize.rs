//! Eager compilation and serialization: a module compiled once, dumped to bytes and loaded
//! back without compiling; every kind of bad blob is rejected with a clear error.

use lazuli_core::backend::{OptLevel, Strategy};
use lazuli_core::{Config, Engine, Error, Features, Imports, Instance, Module, Store};
use lazuli_tests::llvm_engine;

const WAT: &str = r#"(module
    (memory (export "memory") 1)
    (func $fib (export "fib") (param i64) (result i64)
        local.get 0 i64.const 2 i64.lt_u
        if (result i64) local.get 0
        else local.get 0 i64.const 1 i64.sub call $fib local.get 0 i64.const 2 i64.sub call $fib i64.add end)
    (func (export "sum") (param i32) (result i32) (local i32)
        block loop local.get 0 i32.eqz br_if 1
        local.get 1 local.get 0 i32.add local.set 1
        local.get 0 i32.const 1 i32.sub local.set 0 br 0 end end local.get 1))"#;

fn eager() -> Engine {
    llvm_engine(Config::default().strategy(Strategy::Eager))
}

fn blob(engine: &Engine) -> Vec<u8> {
    Module::from_wat(engine, WAT).unwrap().serialize().unwrap()
}

fn load(engine: &Engine, bytes: &[u8]) -> Result<Module, Error> {
    // SAFETY: every blob in these tests comes from this process's own `serialize`, possibly
    // damaged on purpose; damaged ones must be rejected before any code is loaded.
    unsafe { Module::deserialize(engine, bytes) }
}

fn run(module: &Module) -> (i64, i32) {
    let mut store = Store::new(module.engine());
    let instance = Instance::new(&mut store, module, &Imports::new()).unwrap();
    let fib = instance.get_typed_func::<i64, i64>(&store, "fib").unwrap();
    let sum = instance.get_typed_func::<i32, i32>(&store, "sum").unwrap();
    (
        fib.call(&mut store, 20).unwrap(),
        sum.call(&mut store, 100).unwrap(),
    )
}

fn rejected(result: Result<Module, Error>, expect: &str) {
    match result {
        Err(Error::Deserialize(message)) => assert!(
            message.contains(expect),
            "`{message}` does not mention `{expect}`"
        ),
        Err(other) => panic!("expected a deserialize error mentioning `{expect}`, got {other}"),
        Ok(_) => panic!("a bad blob was loaded (expected `{expect}`)"),
    }
}

/// Recompute the trailing checksum after editing a blob, so that a later check is reached.
fn reseal(bytes: &mut [u8]) {
    let n = bytes.len() - 4;
    let sum = crc32fast_hash(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum.to_le_bytes());
}

fn crc32fast_hash(bytes: &[u8]) -> u32 {
    // CRC-32 (IEEE), bit by bit: independent of the implementation under test.
    let mut crc = !0u32;
    for b in bytes {
        crc ^= *b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn eager_lazy_and_reloaded_modules_agree() {
    let lazy = llvm_engine(Config::default());
    let expected = run(&Module::from_wat(&lazy, WAT).unwrap());
    assert_eq!(expected, (6765, 5050));
    let engine = eager();
    let module = Module::from_wat(&engine, WAT).unwrap();
    assert_eq!(
        module.compiled_count(),
        2,
        "eager compiles every function up front"
    );
    assert_eq!(run(&module), expected);
    let reloaded = load(&engine, &module.serialize().unwrap()).unwrap();
    assert_eq!(run(&reloaded), expected);
    // A lazy module serializes too (compiling what is missing), for a lazy engine.
    let lazy_module = Module::from_wat(&lazy, WAT).unwrap();
    assert_eq!(
        run(&load(&lazy, &lazy_module.serialize().unwrap()).unwrap()),
        expected
    );
}

#[test]
fn truncated_blobs_are_rejected() {
    let engine = eager();
    let bytes = blob(&engine);
    for len in [0, 4, 8, 12, 40, bytes.len() / 2, bytes.len() - 1] {
        let r = load(&engine, &bytes[..len]);
        assert!(
            matches!(r, Err(Error::Deserialize(_))),
            "length {len} was not rejected"
        );
    }
}

#[test]
fn any_flipped_byte_is_rejected() {
    let engine = eager();
    let bytes = blob(&engine);
    let step = (bytes.len() / 97).max(1);
    for at in (0..bytes.len()).step_by(step).chain([bytes.len() - 1]) {
        let mut bad = bytes.clone();
        bad[at] ^= 0x10;
        assert!(
            matches!(load(&engine, &bad), Err(Error::Deserialize(_))),
            "flip at {at} was not rejected"
        );
    }
    rejected(
        load(&engine, &{
            let mut b = bytes.clone();
            let n = b.len() / 2;
            b[n] ^= 1;
            b
        }),
        "checksum",
    );
}

#[test]
fn another_format_version_is_rejected() {
    let engine = eager();
    let mut bytes = blob(&engine);
    bytes[8] = bytes[8].wrapping_add(1); // format version, right after the magic
    reseal(&mut bytes);
    rejected(load(&engine, &bytes), "format version");
}

/// The position of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("present")
}

#[test]
fn another_target_or_cpu_is_rejected() {
    let engine = eager();
    let bytes = blob(&engine);
    // The backend header names the triple and CPU; change one character of each in turn.
    let triple = b"x86_64";
    let mut other_target = bytes.clone();
    let at = find(&other_target, triple);
    other_target[at] = b'y';
    reseal(&mut other_target);
    rejected(load(&engine, &other_target), "target triple");

    let mut other_features = bytes.clone();
    let at = find(&other_features, b"+sse2");
    other_features[at] = b'-';
    reseal(&mut other_features);
    rejected(load(&engine, &other_features), "CPU features");
}

#[test]
fn another_code_affecting_config_is_rejected() {
    let bytes = blob(&eager());
    let wasm1 = llvm_engine(
        Config::default()
            .strategy(Strategy::Eager)
            .features(Features::WASM1),
    );
    rejected(load(&wasm1, &bytes), "multi-value on there, off here");
    let interruptible = llvm_engine(
        Config::default()
            .strategy(Strategy::Eager)
            .epoch_interruption(true),
    );
    rejected(
        load(&interruptible, &bytes),
        "epoch-interruption off there, on here",
    );
}

/// The optimization level only changes how good the code is: a module compiled at one level
/// loads into an engine set to the other and runs (its code keeps the level it was made at).
#[test]
fn a_module_compiled_at_any_level_loads_anywhere() {
    let at = |level| llvm_engine(Config::default().strategy(Strategy::Eager).opt_level(level));
    let optimized = at(OptLevel::Optimized);
    let baseline = at(OptLevel::Baseline);
    for (made, loads) in [(&optimized, &baseline), (&baseline, &optimized)] {
        let module = load(loads, &blob(made)).unwrap();
        let expected = run(&load(made, &blob(made)).unwrap());
        assert_eq!(run(&module), expected);
    }
}

#[test]
fn plain_wasm_is_rejected() {
    let engine = eager();
    let wasm = wat::parse_str(WAT).unwrap();
    rejected(load(&engine, &wasm), "WebAssembly bytes");
    rejected(load(&engine, b"hello, world"), "not a serialized");
}

#[test]
fn modules_move_to_other_threads_and_run_there_concurrently() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<Module>();
    let engine = eager();
    let module = load(&engine, &blob(&engine)).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let module = module.clone();
            std::thread::spawn(move || run(&module))
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), (6765, 5050));
    }
}

/// Eager compilation splits a module into partitions compiled on several threads; the
/// serialized bytes are the same whatever the number of threads, and the code runs.
#[test]
fn eager_output_is_the_same_with_any_number_of_threads() {
    let wat = lazuli_tests::generated::many_functions_module(20_000);
    let blobs: Vec<Vec<u8>> = [0, 1, 3]
        .into_iter()
        .map(|workers| {
            let config = Config::default()
                .strategy(Strategy::Eager)
                .opt_level(OptLevel::Baseline)
                .workers(workers);
            let engine = llvm_engine(config);
            let module = Module::from_wat(&engine, &wat).unwrap();
            // Bodies well over the partition size: several partitions.
            assert!(module.info().bytes.len() > 150_000);
            module.serialize().unwrap()
        })
        .collect();
    assert!(blobs.windows(2).all(|w| w[0] == w[1]));
    let engine = llvm_engine(
        Config::default()
            .strategy(Strategy::Eager)
            .opt_level(OptLevel::Baseline)
            .workers(0),
    );
    let module = load(&engine, &blobs[0]).unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let main = instance.get_typed_func::<(), i32>(&store, "main").unwrap();
    assert_eq!(
        main.call(&mut store, ()),
        Ok((20_000u64 * 19_999 / 2) as i32)
    );
}

/// A temporary file holding `bytes`, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "lazuli-serialize-{}-{name}.lzc",
            std::process::id()
        ));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn load_file(engine: &Engine, file: &TempFile) -> Result<Module, Error> {
    // SAFETY: as for `load`: files written by these tests from their own blobs.
    unsafe { Module::deserialize_file(engine, file.path()) }
}

/// `deserialize_file` maps the file and runs the code where the mapping holds it: the file
/// appears executable in the process's mappings while the module lives, the module runs like
/// the one loaded from bytes, and serializing it again gives the file's bytes back.
#[test]
fn a_mapped_file_runs_where_it_lies() {
    let engine = eager();
    let bytes = blob(&engine);
    let file = TempFile::new("mapped", &bytes);
    let module = load_file(&engine, &file).unwrap();
    assert_eq!(run(&module), (6765, 5050));
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    assert!(
        maps.lines()
            .any(|line| line.ends_with(file.path()) && line.contains(" r-xp ")),
        "the file is not mapped executable:\n{maps}"
    );
    assert_eq!(module.serialize().unwrap(), bytes);
    drop(module);
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    assert!(!maps.contains(file.path()), "the file stays mapped");
}

/// A mapped file gets every check a blob in memory gets.
#[test]
fn truncated_altered_or_missing_files_are_rejected() {
    let engine = eager();
    let bytes = blob(&engine);
    for len in [1, 12, bytes.len() / 2, bytes.len() - 1] {
        let file = TempFile::new(&format!("truncated-{len}"), &bytes[..len]);
        assert!(
            matches!(load_file(&engine, &file), Err(Error::Deserialize(_))),
            "length {len} was not rejected"
        );
    }
    let step = (bytes.len() / 31).max(1);
    for at in (0..bytes.len()).step_by(step) {
        let mut bad = bytes.clone();
        bad[at] ^= 0x04;
        let file = TempFile::new(&format!("flipped-{at}"), &bad);
        assert!(
            matches!(load_file(&engine, &file), Err(Error::Deserialize(_))),
            "flip at {at} was not rejected"
        );
    }
    let empty = TempFile::new("empty", &[]);
    rejected(load_file(&engine, &empty), "empty");
    let missing = std::env::temp_dir().join("lazuli-no-such-file.lzc");
    // SAFETY: nothing is loaded from a file that does not exist.
    let result = unsafe { Module::deserialize_file(&engine, missing.to_str().unwrap()) };
    rejected(result, "cannot map");
    // The engine still loads a good file afterwards.
    let good = TempFile::new("good", &bytes);
    assert_eq!(run(&load_file(&engine, &good).unwrap()), (6765, 5050));
}

/// The byte range of the description in a blob (see `core/src/serialize.rs` for the layout).
fn description_range(bytes: &[u8]) -> std::ops::Range<usize> {
    let mut at = 8 + 4;
    for _ in 0..3 {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + len;
    }
    let len = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    at + 8..at + 8 + len
}

/// A description altered with its checksum recomputed (the way a forged file gets past the
/// checksum) is refused or loads, and what loads instantiates or fails with an error: no index
/// it holds is used unchecked. Every byte of the description is altered in turn, several ways.
#[test]
fn an_altered_description_with_a_good_checksum_never_panics() {
    let engine = eager();
    let bytes = blob(&engine);
    let range = description_range(&bytes);
    assert!(range.len() > 20, "{range:?}");
    let (mut refused, mut loaded) = (0, 0);
    for at in range {
        for value in [bytes[at] ^ 0x01, bytes[at] ^ 0x40, 0x7f, 0xff, 0] {
            let mut bad = bytes.clone();
            bad[at] = value;
            reseal(&mut bad);
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                match load(&engine, &bad) {
                    Err(_) => false,
                    Ok(module) => {
                        let mut store = Store::new(module.engine());
                        // The module has no start function: instantiating runs no code.
                        let _ = Instance::new(&mut store, &module, &Imports::new());
                        let _ = (module.imports().count(), module.exports().count());
                        true
                    }
                }
            }));
            match outcome {
                Ok(true) => loaded += 1,
                Ok(false) => refused += 1,
                Err(_) => panic!("altering byte {at} to {value:#x} made loading panic"),
            }
        }
    }
    assert!(
        refused > 0 && loaded > 0,
        "refused {refused}, loaded {loaded}"
    );
}

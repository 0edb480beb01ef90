//! Reserved memories and signal traps: an access out of bounds whose check the guard region
//! covers faults, and the fault becomes the `MemoryOutOfBounds` trap with its backtrace, in
//! every backend and tier; with reservations off, the explicit check gives the same trap. A
//! fault in host code stays a crash.

use lazuli_core::backend::TrapCode;
use lazuli_core::{Config, Error, Extern, Func, Imports, Instance, Module, Store, Val};
use lazuli_std_shim::StdPlatform;

const WAT: &str = r#"(module
  (memory (export "memory") 1)
  (func $load (param i32) (result i32) (i32.load offset=4 (local.get 0)))
  (func $middle (param i32) (result i32) (call $load (local.get 0)))
  (func (export "load") (param i32) (result i32) (call $middle (local.get 0)))
  (func (export "store") (param i32) (i64.store (local.get 0) (i64.const -1)))
  (func (export "dropped") (param i32) (drop (i32.load (local.get 0))))
  (func (export "v128") (param i32) (v128.store (local.get 0) (v128.const i64x2 -1 -1))))"#;

/// Runs the module's out-of-bounds accesses and checks the traps, their backtrace and that
/// memory holds no part of a store that trapped. Returns how many faults became traps.
fn out_of_bounds_traps(mode: &str, config: Config) -> u64 {
    let engine = lazuli_tests::engine(config.workers(0)).unwrap();
    let module = Module::from_wat(&engine, WAT).unwrap();
    let mut store = Store::new(&engine);
    let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
    let memory = instance.get_memory(&store, "memory").unwrap();
    let load = instance.get_typed_func::<i32, i32>(&store, "load").unwrap();
    let before = StdPlatform::memory_fault_traps();
    // Warm up (tier-up 1 swaps in optimized code after the first call).
    assert_eq!(load.call(&mut store, 0), Ok(0), "{mode}");
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(load.call(&mut store, 65528), Ok(0), "{mode}");
    for address in [65529, 65532, -4, i32::MAX] {
        assert_eq!(
            load.call(&mut store, address),
            Err(Error::Trap(TrapCode::MemoryOutOfBounds)),
            "{mode}: load at {address}"
        );
        let frames: Vec<(u32, Option<String>)> = store
            .trap_backtrace()
            .iter()
            .map(|f| (f.func_index, f.func_name.clone()))
            .collect();
        assert_eq!(
            frames,
            [
                (0, Some("load".into())),
                (1, Some("middle".into())),
                (2, None)
            ],
            "{mode}: backtrace at {address}"
        );
    }
    // A store straddling the end writes nothing; a dropped load still traps.
    for (name, address) in [("store", 65532), ("v128", 65530), ("dropped", 65533)] {
        let f = instance.get_func(&store, name).unwrap();
        for _ in 0..2 {
            assert_eq!(
                f.call(&mut store, &[Val::I32(address)]),
                Err(Error::Trap(TrapCode::MemoryOutOfBounds)),
                "{mode}: {name} at {address}"
            );
        }
    }
    let mut tail = [0u8; 16];
    memory.read(&store, 65536 - 16, &mut tail).unwrap();
    assert_eq!(tail, [0; 16], "{mode}: a trapping store left bytes behind");
    // The store is still usable.
    assert_eq!(load.call(&mut store, 100), Ok(0), "{mode}");
    StdPlatform::memory_fault_traps() - before
}

#[test]
fn out_of_bounds_accesses_fault_into_traps_in_every_mode() {
    for (mode, config) in lazuli_tests::modes() {
        let faults = out_of_bounds_traps(mode, config.clone());
        // Four loads, two stores, two v128 stores and two dropped loads, each through the
        // guard region (other tests of this binary do not fault).
        assert!(faults >= 10, "{mode}: only {faults} faults became traps");
        let checked = out_of_bounds_traps(mode, config.memory_reservations(false));
        assert_eq!(checked, 0, "{mode}: explicit checks must not fault");
    }
}

/// The child half of `a_fault_in_host_code_is_a_crash`: a host function reads a memory's guard
/// region, as a buggy host might.
fn host_reads_the_guard_region() {
    let engine = lazuli_tests::engine(Config::default()).unwrap();
    let module = Module::from_wat(
        &engine,
        r#"(module (import "host" "peek" (func $peek)) (memory (export "memory") 1)
             (func (export "run") (call $peek)))"#,
    )
    .unwrap();
    let mut store = Store::new(&engine);
    let ty = lazuli_core::backend::FuncType::new([], []);
    let peek = Func::new(&mut store, ty, |caller, _, _| {
        let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
            panic!("no memory")
        };
        let base = memory.bytes(caller.store()).unwrap().as_ptr();
        // SAFETY: none; this is the host bug under test, an access 5 GiB past the base (inside
        // the reservation's guard region), which must crash the process.
        let byte = unsafe { std::ptr::read_volatile(base.wrapping_add(5 << 30)) };
        println!("read {byte} from the guard region");
        Ok(())
    })
    .unwrap();
    let imports = Imports::new().define("host", "peek", Extern::Func(peek));
    let instance = Instance::new(&mut store, &module, &imports).unwrap();
    let run = instance.get_func(&store, "run").unwrap();
    println!("returned {:?}", run.call(&mut store, &[]));
}

#[test]
fn a_fault_in_host_code_is_a_crash() {
    if std::env::var_os("LAZULI_GUARD_CHILD").is_some() {
        host_reads_the_guard_region();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_fault_in_host_code_is_a_crash", "--nocapture"])
        .env("LAZULI_GUARD_CHILD", "1")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        Some(libc::SIGSEGV),
        "the host's fault must stay a crash: {out:?}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("returned"), "{stdout}");
}

#[test]
fn reservations_are_given_back_when_stores_drop() {
    // 30,000 memories of 1 GiB, one store at a time: 180 TiB of reservations if any leaked,
    // more than the address space, and more than the region table's slots.
    let engine = lazuli_tests::engine(Config::default()).unwrap();
    let module = Module::from_wat(
        &engine,
        r#"(module (memory (export "m") 16384)
             (func (export "touch") (i32.store (i32.const 1073741820) (i32.const 7))))"#,
    )
    .unwrap();
    for i in 0..30_000 {
        let mut store = Store::new(&engine);
        let instance = Instance::new(&mut store, &module, &Imports::new())
            .unwrap_or_else(|e| panic!("instance {i}: {e}"));
        if i % 1000 == 0 {
            let touch = instance.get_func(&store, "touch").unwrap();
            touch.call(&mut store, &[]).unwrap();
        }
    }
}

/// A SIGSEGV sent to the process (`kill -SEGV`) is not a fault and must not disarm the
/// handler: an out-of-bounds access after it still traps. It runs in a child process (this
/// test binary again), where a crash fails the test and not the test run.
#[test]
fn a_sent_sigsegv_leaves_memory_faults_trapping() {
    const CHILD: &str = "LAZULI_SENT_SIGSEGV_CHILD";
    if std::env::var(CHILD).is_ok() {
        let engine = lazuli_tests::engine(Config::default().workers(0)).unwrap();
        let module = Module::from_wat(&engine, WAT).unwrap();
        let mut store = Store::new(&engine);
        let instance = Instance::new(&mut store, &module, &Imports::new()).unwrap();
        let load = instance.get_typed_func::<i32, i32>(&store, "load").unwrap();
        let trap = Err(Error::Trap(TrapCode::MemoryOutOfBounds));
        assert_eq!(load.call(&mut store, 65532), trap);
        for _ in 0..2 {
            // SAFETY: sends a signal to this very process.
            assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGSEGV) }, 0);
            assert_eq!(load.call(&mut store, 65532), trap);
            assert_eq!(load.call(&mut store, 0), Ok(0));
        }
        std::process::exit(0);
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "a_sent_sigsegv_leaves_memory_faults_trapping",
            "--exact",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

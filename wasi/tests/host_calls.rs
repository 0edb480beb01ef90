//! WASI calls with bad arguments from hand-written modules: each gets an errno (never a trap or
//! a panic) and the store stays usable; `proc_exit` unwinds with the status.

use lazuli_core::{Config, Error, Imports, Instance, Module, Store};
use lazuli_wasi::WasiCtx;

/// Instantiate `body` (module fields) importing the WASI functions `imports` declares.
fn instance(imports: &str, body: &str) -> (Store, Instance) {
    let engine = lazuli_tests::llvm_engine(Config::default());
    let wat = format!("(module {imports} (memory (export \"memory\") 1) {body})");
    let module = Module::from_wat(&engine, &wat).unwrap();
    let mut store = Store::new(&engine);
    let mut linker = Imports::new();
    let mut wasi = WasiCtx::new();
    wasi.arg("test").env("K", "V");
    wasi.add_to_imports(&mut store, &mut linker).unwrap();
    let instance = Instance::new(&mut store, &module, &linker).unwrap();
    (store, instance)
}

fn call(store: &mut Store, instance: Instance, name: &str) -> Result<i32, Error> {
    let f = instance.get_typed_func::<(), i32>(store, name)?;
    f.call(store, ())
}

const EFAULT: i32 = 21;
const EBADF: i32 = 8;
const EINVAL: i32 = 28;
const ENOSYS: i32 = 52;
const ENOTSOCK: i32 = 57;
const ENOTDIR: i32 = 54;

#[test]
fn pointers_outside_memory_are_efault() {
    let imports = r#"
        (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))"#;
    let body = r#"
        (func (export "iovec_table_out") (result i32) (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 0)))
        (func (export "iovec_buffer_out") (result i32)
            (i32.store (i32.const 0) (i32.const 65000)) (i32.store (i32.const 4) (i32.const 1000))
            (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
        (func (export "huge_count") (result i32) (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x7fffffff) (i32.const 16)))
        (func (export "result_out") (result i32)
            (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 0))
            (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const -1)))
        (func (export "args_out") (result i32) (call $args_get (i32.const 65535) (i32.const 0)))
        (func (export "random_out") (result i32) (call $random_get (i32.const 65000) (i32.const 1000)))
        (func (export "random_in") (result i32) (call $random_get (i32.const 0) (i32.const 65536)))
        (func (export "clock_out") (result i32) (call $clock (i32.const 1) (i64.const 0) (i32.const 65529)))
        (func (export "bad_clock") (result i32) (call $clock (i32.const 9) (i64.const 0) (i32.const 0)))"#;
    let (mut store, inst) = instance(imports, body);
    for name in [
        "iovec_table_out",
        "iovec_buffer_out",
        "huge_count",
        "result_out",
        "args_out",
        "random_out",
        "clock_out",
    ] {
        assert_eq!(call(&mut store, inst, name).unwrap(), EFAULT, "{name}");
    }
    assert_eq!(call(&mut store, inst, "bad_clock").unwrap(), EINVAL);
    // The store is still usable, and an in-bounds call works.
    assert_eq!(call(&mut store, inst, "random_in").unwrap(), 0);
}

#[test]
fn unsupported_and_misdirected_calls_are_errnos() {
    let imports = r#"
        (import "wasi_snapshot_preview1" "proc_raise" (func $raise (param i32) (result i32)))
        (import "wasi_snapshot_preview1" "sock_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
        (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
        (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))"#;
    let body = r#"
        (func (export "raise") (result i32) (call $raise (i32.const 6)))
        (func (export "recv_stdin") (result i32) (call $recv (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
        (func (export "recv_closed") (result i32) (call $recv (i32.const 99) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
        (func (export "close_twice") (result i32) (drop (call $close (i32.const 0))) (call $close (i32.const 0)))
        (func (export "open_on_stdout") (result i32) (call $open (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 0)))
        (func (export "poll_nothing") (result i32) (call $poll (i32.const 0) (i32.const 64) (i32.const 0) (i32.const 128)))"#;
    let (mut store, inst) = instance(imports, body);
    assert_eq!(call(&mut store, inst, "raise").unwrap(), ENOSYS);
    assert_eq!(call(&mut store, inst, "recv_stdin").unwrap(), ENOTSOCK);
    assert_eq!(call(&mut store, inst, "recv_closed").unwrap(), EBADF);
    assert_eq!(call(&mut store, inst, "close_twice").unwrap(), EBADF);
    assert_eq!(call(&mut store, inst, "open_on_stdout").unwrap(), ENOTDIR);
    assert_eq!(call(&mut store, inst, "poll_nothing").unwrap(), EINVAL);
}

#[test]
fn proc_exit_unwinds_with_the_status() {
    let imports = r#"(import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))"#;
    let body = r#"(func (export "run") (result i32) (call $exit (i32.const 42)) (i32.const 0))"#;
    let (mut store, inst) = instance(imports, body);
    assert_eq!(call(&mut store, inst, "run"), Err(Error::Exit(42)));
    // Calling again exits again: the store is intact.
    assert_eq!(call(&mut store, inst, "run"), Err(Error::Exit(42)));
}

#[test]
fn a_wrongly_typed_wasi_import_is_a_link_error() {
    let engine = lazuli_tests::llvm_engine(Config::default());
    let wat =
        r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32))))"#;
    let module = Module::from_wat(&engine, wat).unwrap();
    let mut store = Store::new(&engine);
    let mut linker = Imports::new();
    WasiCtx::new()
        .add_to_imports(&mut store, &mut linker)
        .unwrap();
    let err = Instance::new(&mut store, &module, &linker).unwrap_err();
    assert!(matches!(err, Error::Link(_)), "{err}");
}

/// A program's standard streams can be the embedder's: stdin from bytes, stdout and stderr
/// collected in memory; it reads its input and writes it back to both.
#[test]
fn standard_streams_in_memory() {
    let engine = lazuli_tests::llvm_engine(Config::default());
    let module = Module::from_wat(
        &engine,
        r#"(module
          (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "echo") (result i32)
            ;; iovec at 0: buffer 100, 64 bytes; the count read lands at 8.
            (i32.store (i32.const 0) (i32.const 100))
            (i32.store (i32.const 4) (i32.const 64))
            (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
            (i32.store (i32.const 4) (i32.load (i32.const 8)))
            (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))
            (drop (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 12)))
            (i32.load (i32.const 8))))"#,
    )
    .unwrap();
    let (stdout, stderr) = (
        lazuli_wasi::OutputPipe::new().unwrap(),
        lazuli_wasi::OutputPipe::new().unwrap(),
    );
    let mut wasi = WasiCtx::new();
    wasi.stdin(b"hello, pipes").unwrap();
    wasi.stdout(&stdout).unwrap().stderr(&stderr).unwrap();
    let mut store = Store::new(&engine);
    let mut imports = Imports::new();
    wasi.add_to_imports(&mut store, &mut imports).unwrap();
    let instance = Instance::new(&mut store, &module, &imports).unwrap();
    assert_eq!(call(&mut store, instance, "echo"), Ok(12));
    assert_eq!(stdout.contents(), b"hello, pipes");
    assert_eq!(stderr.contents(), b"hello, pipes");
    // Again: the input is used up, the outputs keep what they have.
    assert_eq!(call(&mut store, instance, "echo"), Ok(0));
    assert_eq!(stdout.contents(), b"hello, pipes");
}

/// `inherit_args` and `inherit_env` give the program this process's arguments and variables.
#[test]
fn arguments_and_environment_are_inherited() {
    let engine = lazuli_tests::llvm_engine(Config::default());
    let module = Module::from_wat(
        &engine,
        r#"(module
          (import "wasi_snapshot_preview1" "args_sizes_get" (func $args (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "args") (result i32)
            (drop (call $args (i32.const 0) (i32.const 4))) (i32.load (i32.const 0)))
          (func (export "vars") (result i32)
            (drop (call $env (i32.const 0) (i32.const 4))) (i32.load (i32.const 0))))"#,
    )
    .unwrap();
    let mut wasi = WasiCtx::new();
    wasi.inherit_args().inherit_env();
    let mut store = Store::new(&engine);
    let mut imports = Imports::new();
    wasi.add_to_imports(&mut store, &mut imports).unwrap();
    let instance = Instance::new(&mut store, &module, &imports).unwrap();
    let args = std::env::args().count() as i32;
    let vars = std::env::vars_os()
        .filter(|(k, v)| k.to_str().is_some() && v.to_str().is_some())
        .count() as i32;
    assert_eq!(call(&mut store, instance, "args"), Ok(args));
    assert_eq!(call(&mut store, instance, "vars"), Ok(vars));
}

//! Lazuli, a WebAssembly runtime: modules start fast because each function is compiled on its
//! first call by a single-pass compiler, hot functions are recompiled by LLVM in the
//! background, and eagerly compiled modules serialize to blobs that load without compiling.
//!
//! This crate is the one to depend on: [`Engine::default`] picks the code generators and
//! platform for the host, the whole public API is re-exported here, and [`wasi`] runs WASI
//! programs. (`lazuli-core`, the backends and `lazuli-std-shim` stay usable on their own, for
//! `no_std` hosts and custom code generators.)
//!
//! # A first embedding
//!
//! An [`Engine`] holds the configuration and code generators; a [`Module`] is validated wasm,
//! compiled as it runs; a [`Store`] holds the runtime state of instances; a [`Linker`] defines
//! what modules import. Here a WASI program calls a host function:
//!
//! ```
//! use lazuli::{wasi::WasiCtx, Engine, Error, Linker, Module, Store};
//!
//! fn main() -> Result<(), Error> {
//!     # let wasm = std::env::temp_dir().join(format!("lazuli-doc-{}.wasm", std::process::id()));
//!     # std::fs::write(&wasm, wat::parse_str(include_str!("../../examples/hello-host.wat")).unwrap()).unwrap();
//!     let engine = Engine::default();
//!     let module = Module::new(&engine, std::fs::read(&wasm).expect("a wasm file"))?;
//!     let mut linker = Linker::new();
//!     WasiCtx::new().add_to_linker(&mut linker)?;
//!     linker.func_wrap("host", "answer", |x: i32| x * 6)?;
//!     let mut store = Store::new(&engine);
//!     let instance = linker.instantiate(&mut store, &module)?;
//!     let start = instance.get_typed_func::<(), ()>(&store, "_start")?;
//!     match start.call(&mut store, ()) {
//!         Ok(()) | Err(Error::Exit(0)) => Ok(()),
//!         Err(e) => Err(e),
//!     }
//! }
//! ```
//!
//! [`Config`] chooses everything else: the code generators ([`Tiers`]), lazy or eager
//! compilation, the optimization level, background workers, the tier-up threshold, the
//! WebAssembly features, memory and table limits, memory reservations and epoch
//! interruption. `examples/` in the repository shows the common tasks (memory access,
//! serialization, interruption, threads, a custom backend).
#![deny(missing_docs)]

mod engine;

pub use engine::Engine;
pub use lazuli_core::backend::{OptLevel, Strategy, TrapCode};
pub use lazuli_core::{
    backend, Caller, Config, Deadline, Error, Extern, ExternRef, ExternType, Features, FrameInfo,
    Func, FuncType, Global, GlobalType, Imports, Instance, IntoFunc, Limits, Linker, Memory,
    MemoryType, Module, Platform, RefType, Store, Table, TableType, Tiers, TypedFunc, Val, ValType,
    WasmParams, WasmResults, WasmTy,
};
pub use lazuli_std_shim::StdPlatform;

/// WASI preview1 (`wasi_snapshot_preview1`): a [`wasi::WasiCtx`] holds a program's arguments,
/// environment and preopened directories, and defines WASI's functions in a [`Linker`].
pub mod wasi {
    pub use lazuli_wasi::*;
}

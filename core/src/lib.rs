//! Lazuli's runtime core: it decodes and validates WebAssembly modules, gives every function a
//! canonical address, and (with a [`backend::CodeBackend`]) instantiates and runs them.
//!
//! The crate is `no_std` with `alloc`; operating-system services (threads, trap unwinding,
//! mapped memory) come from a platform crate such as `lazuli-std-shim`.
//!
//! ```
//! # fn main() -> Result<(), lazuli_core::Error> {
//! use lazuli_core::{Config, Engine, Module};
//! let engine = Engine::new(Config::default());
//! let module = Module::from_wat(&engine, r#"(module (func (export "f") (result i32) i32.const 7))"#)?;
//! assert_eq!(module.exports().count(), 1);
//! # Ok(()) }
//! ```
#![no_std]
#![deny(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod backtrace;
mod config;
mod engine;
mod error;
mod exceptions;
mod func;
mod global;
mod instance;
mod libcalls;
mod linker;
mod memory;
mod module;
mod platform;
mod profile;
mod reservation;
mod saved_code;
mod serialize;
mod store;
mod table;
mod tag;
mod translate;
mod val;

/// The contract between the runtime and code generators, re-exported so that an embedder and a
/// backend author see one API.
pub use lazuli_backend_api as backend;

pub use backend::{
    ExternType, FuncType, GlobalType, Limits, MemoryType, RefType, TableType, ValType,
};
pub use backtrace::FrameInfo;
pub use config::{
    Config, Features, Tiers, DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_TABLE_ELEMENTS,
    DEFAULT_MEMORY_GUARD_BYTES, MAX_MEMORY_GUARD_BYTES,
};
pub use engine::Engine;
pub use error::Error;
pub use func::{Caller, Func, IntoFunc, TypedFunc, WasmParams, WasmResults, WasmTy};
pub use global::Global;
pub use instance::{Extern, Imports, Instance};
pub use linker::Linker;
pub use memory::Memory;
pub use module::Module;
pub use platform::Platform;
pub use profile::{Profile, PROFILE_VERSION};
pub use store::{Deadline, Store};
pub use table::Table;
pub use tag::{Exn, Tag};
pub use val::{ExternRef, Val};

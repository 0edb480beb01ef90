//! The contract between the Lazuli runtime (`lazuli-core`) and a code generator.
//!
//! A backend receives a [`ModuleInfo`] — a validated module described with plain types and
//! byte ranges into the module's bytes — and returns [`CompiledCode`]: callable entry points
//! for every defined function (real code or a stub that compiles on first call), host-to-wasm
//! trampolines, and a serialized form. Both sides agree on one ABI, defined here once:
//! the [`vmcontext`] layout, [`ValRaw`], [`TrapCode`] and the [`libcall`] table.
//!
//! This crate is `no_std` with `alloc` so that the runtime core that depends on it stays so.
#![no_std]
#![deny(missing_docs)]

extern crate alloc;

pub mod abi;
mod backend;
pub mod branch_profile;
mod byte_reader;
#[cfg(feature = "wasmparser")]
mod dead_code;
pub mod fault_regions;
pub mod index;
pub mod libcall;
mod mapped_file;
mod module_info;
pub mod osr;
#[cfg(feature = "wasmparser")]
pub mod relaxed;
mod trap;
mod types;
pub mod unwind;
mod val;
pub mod vmcontext;
mod wasm_bytes;

pub use backend::{
    CodeBackend, CodeFlags, CodePtr, CompileError, CompileOptions, CompileStats, CompiledCode,
    OptLevel, Strategy, TaskRunner,
};
pub use byte_reader::ByteReader;
#[cfg(feature = "wasmparser")]
pub use dead_code::DeadCode;
pub use index::*;
pub use mapped_file::MappedFile;
pub use module_info::*;
pub use trap::TrapCode;
pub use types::*;
pub use val::ValRaw;
pub use wasm_bytes::WasmBytes;

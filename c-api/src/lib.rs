//! The standard WebAssembly C API (`include/wasm.h`) over the `lazuli` crate, and Lazuli's
//! additions (`include/lazuli.h`): configuration, WASI, exit statuses. Built as a shared and a
//! static library (`liblazuli_c.so`, `liblazuli_c.a`); `tests/run.sh` compiles C programs
//! against the headers and runs them.
//!
//! Every function here is called from C: pointers are checked for null where the header allows
//! it, nothing panics across the boundary, and failures come back as NULL, false or a trap,
//! with the reason in `lazuli_last_error`. The objects of a store keep a pointer to it; the C
//! caller keeps the store alive while they are used (the standard's rule).
#![deny(missing_docs)]
// The C names are the standard's.
#![allow(non_camel_case_types)]

mod engine;
mod externs;
mod instance;
mod module;
mod trap;
mod types;
mod val;
mod vec;
mod wasi;

pub use engine::{lazuli_last_error, wasm_config_t, wasm_engine_t, wasm_store_t};
pub use externs::{wasm_extern_t, wasm_func_t, wasm_global_t, wasm_memory_t, wasm_table_t};
pub use instance::wasm_instance_t;
pub use module::wasm_module_t;
pub use trap::{wasm_frame_t, wasm_trap_t};
pub use types::{
    wasm_exporttype_t, wasm_externtype_t, wasm_importtype_t, wasm_limits_t, wasm_valtype_t,
};
pub use val::{wasm_ref_t, wasm_val_t};
pub use vec::Vector;
pub use wasi::lazuli_wasi_config_t;

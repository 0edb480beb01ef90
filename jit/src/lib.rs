//! What both of Lazuli's backends share at run time: memory for compiled code, the stubs of a
//! module's GOT, and the driver that compiles a function on its first call.
//!
//! - [`pages`]: page size and anonymous mappings;
//! - [`code_memory`]: finished code copied into slabs mapped twice (write here, run there);
//! - [`object_memory`]: memory for a linker that writes objects in place (LLVM's RuntimeDyld),
//!   reserved up front for each object so that linking itself can never run out;
//! - [`stubs`]: one stub per defined function, and the resolver they jump to;
//! - [`tier_up`]: each function's count and optimized code, and tier-up requests served
//!   hottest first;
//! - [`branch_counters`]: each function's branch-profile counters, which first-tier code
//!   increments and the optimizing tier reads;
//! - [`lazy`]: the GOT, compile-once-per-function and its statistics, over a backend's
//!   [`lazy::Compile`];
//! - [`perf_map`]: `/tmp/perf-PID.map`, so that `perf` names compiled wasm functions.
//!
//! Every allocation failure here is a [`CompileError`](lazuli_backend_api::CompileError) for the
//! compile that needed the memory, never an abort. It depends on `lazuli-backend-api` only.
#![deny(missing_docs)]

pub mod branch_counters;
pub mod code_memory;
pub mod lazy;
pub mod object_memory;
pub mod pages;
pub mod perf_map;
pub mod stubs;
pub mod tier_up;

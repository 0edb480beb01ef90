//! Lazuli's LLVM code generator: implements `lazuli_backend_api::CodeBackend` by lowering each
//! WebAssembly function to LLVM IR in one pass and running it with LLVM ORC.
//!
//! It depends on `lazuli-backend-api` and wasmparser only, never on the runtime core.

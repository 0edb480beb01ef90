//! Lazuli's spec test-suite runner ([`wast`]), the pinned suite it runs ([`suite`]), and
//! differential testing against the wasmi interpreter ([`diff`]).
//! Integration tests live in `tests/tests/`.

pub mod diff;
pub mod generated;
pub mod suite;
pub mod wast;

use std::sync::Arc;

use lazuli_core::{Config, Engine};

/// An engine that compiles with the LLVM backend and runs with the std platform, with
/// `config.workers` speculation workers (default: available cores minus one).
pub fn llvm_engine(config: Config) -> Engine {
    let mut backend = lazuli_backend_llvm::LlvmBackend::new().expect("LLVM targets the host");
    let workers = config
        .workers
        .unwrap_or_else(lazuli_std_shim::Workers::default_count);
    if workers > 0 {
        backend = backend.with_workers(Arc::new(lazuli_std_shim::Workers::new(workers)));
    }
    Engine::with_backend(
        config,
        Arc::new(backend),
        Arc::new(lazuli_std_shim::StdPlatform::new()),
    )
}

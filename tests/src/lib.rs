//! Lazuli's spec test-suite runner ([`wast`]), the pinned suite it runs ([`suite`]), and
//! differential testing against the wasmi interpreter ([`diff`]).
//! Integration tests live in `tests/tests/`.

pub mod diff;
pub mod generated;
pub mod suite;
pub mod wast;

use std::sync::Arc;

use lazuli_core::{Config, Engine};

/// Which code generators an engine uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// LLVM alone: every function compiled by LLVM (baseline or optimized pipeline).
    Llvm,
    /// The single-pass baseline backend alone (lazy only, no SIMD yet).
    Baseline,
    /// Baseline first, LLVM at O2 for hot functions, for what the baseline cannot compile, and
    /// for eager compilation and serialization.
    #[default]
    Tiered,
}

/// An engine that compiles with the LLVM backend and runs with the std platform, with
/// `config.workers` speculation workers (default: available cores minus one).
pub fn llvm_engine(config: Config) -> Engine {
    engine(config, BackendKind::Llvm)
}

/// An engine with the given backends on the std platform. Workers (`config.workers`, default
/// available cores minus one) speculate for LLVM alone and recompile hot code when tiered.
pub fn engine(config: Config, kind: BackendKind) -> Engine {
    let workers = config
        .workers
        .unwrap_or_else(lazuli_std_shim::Workers::default_count);
    let backend: Arc<dyn lazuli_core::backend::CodeBackend> = match kind {
        BackendKind::Llvm => {
            let mut backend =
                lazuli_backend_llvm::LlvmBackend::new().expect("LLVM targets the host");
            if workers > 0 {
                backend = backend.with_workers(Arc::new(lazuli_std_shim::Workers::new(workers)));
            }
            Arc::new(backend)
        }
        BackendKind::Baseline => Arc::new(
            lazuli_backend_baseline::BaselineBackend::new().expect("baseline targets the host"),
        ),
        BackendKind::Tiered => {
            let llvm = lazuli_backend_llvm::LlvmBackend::new().expect("LLVM targets the host");
            Arc::new(
                lazuli_backend_baseline::BaselineBackend::new()
                    .expect("baseline targets the host")
                    .with_optimizer(
                        Arc::new(llvm),
                        Arc::new(lazuli_std_shim::Workers::new(workers)),
                    ),
            )
        }
    };
    Engine::with_backend(
        config,
        backend,
        Arc::new(lazuli_std_shim::StdPlatform::new()),
    )
}

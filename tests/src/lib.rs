//! Lazuli's spec test-suite runner ([`wast`]), the pinned suite it runs ([`suite`]), and
//! differential testing against the wasmi interpreter ([`diff`]).
//! Integration tests live in `tests/tests/`.

pub mod diff;
pub mod generated;
pub mod suite;
pub mod wast;

use std::sync::Arc;

use lazuli_core::{Config, Engine, Tiers};

/// Which code generators an engine uses, as the command line names them (see [`Tiers`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// LLVM alone: every function compiled by LLVM (baseline or optimized pipeline).
    Llvm,
    /// The single-pass baseline backend alone (lazy only: no eager compilation or serialization).
    Baseline,
    /// Baseline first, LLVM at O2 for hot functions, for what the baseline cannot compile, and
    /// for eager compilation and serialization.
    Tiered,
}

impl Default for BackendKind {
    /// Tiered, or the baseline backend alone in a build without LLVM.
    fn default() -> Self {
        if cfg!(feature = "llvm") {
            BackendKind::Tiered
        } else {
            BackendKind::Baseline
        }
    }
}

impl From<BackendKind> for Tiers {
    fn from(kind: BackendKind) -> Tiers {
        match kind {
            BackendKind::Llvm => Tiers::OptimizingOnly,
            BackendKind::Baseline => Tiers::BaselineOnly,
            BackendKind::Tiered => Tiers::Tiered,
        }
    }
}

impl From<Tiers> for BackendKind {
    fn from(tiers: Tiers) -> BackendKind {
        match tiers {
            Tiers::OptimizingOnly => BackendKind::Llvm,
            Tiers::BaselineOnly => BackendKind::Baseline,
            Tiers::Tiered => BackendKind::Tiered,
        }
    }
}

impl std::fmt::Display for BackendKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BackendKind::Llvm => "llvm",
            BackendKind::Baseline => "baseline",
            BackendKind::Tiered => "tiered",
        })
    }
}

/// An engine that compiles with the LLVM backend and runs with the std platform, with
/// `config.workers` speculation workers (default: available cores minus one).
#[cfg(feature = "llvm")]
pub fn llvm_engine(config: Config) -> Engine {
    engine(config.tiers(Tiers::OptimizingOnly)).expect("this build has LLVM")
}

/// An engine with the code generators `config.tiers` names, on the std platform. Workers
/// (`config.workers`, default available cores minus one) speculate for LLVM alone and
/// recompile hot code when tiered. Fails for a backend this build or host does not have.
pub fn engine(config: Config) -> Result<Engine, String> {
    #[cfg(feature = "llvm")]
    let workers = config
        .workers
        .unwrap_or_else(lazuli_std_shim::Workers::default_count);
    let baseline = || lazuli_backend_baseline::BaselineBackend::new().map_err(|e| e.to_string());
    let backend: Arc<dyn lazuli_core::backend::CodeBackend> = match config.tiers {
        Tiers::BaselineOnly => Arc::new(baseline()?),
        #[cfg(feature = "llvm")]
        Tiers::OptimizingOnly => {
            let mut backend = lazuli_backend_llvm::LlvmBackend::new().map_err(|e| e.to_string())?;
            if workers > 0 {
                backend = backend.with_workers(Arc::new(lazuli_std_shim::Workers::new(workers)));
            }
            Arc::new(backend)
        }
        #[cfg(feature = "llvm")]
        Tiers::Tiered => {
            // One pool for both: tier-up compiles, eager partitions, and LLVM's speculation on
            // the callees of functions that got hot (likely to get hot next).
            let workers: Arc<dyn lazuli_core::backend::TaskRunner> =
                Arc::new(lazuli_std_shim::Workers::new(workers));
            let mut llvm = lazuli_backend_llvm::LlvmBackend::new().map_err(|e| e.to_string())?;
            if workers.workers() > 0 {
                llvm = llvm.with_workers(workers.clone());
            }
            Arc::new(baseline()?.with_optimizer(Arc::new(llvm), workers))
        }
        #[cfg(not(feature = "llvm"))]
        Tiers::OptimizingOnly | Tiers::Tiered => {
            return Err(format!(
                "this lazuli was built without LLVM, so the {} backend is not available: \
                 use --backend baseline",
                BackendKind::from(config.tiers)
            ))
        }
    };
    Ok(Engine::with_backend(
        config,
        backend,
        Arc::new(lazuli_std_shim::StdPlatform::new()),
    ))
}

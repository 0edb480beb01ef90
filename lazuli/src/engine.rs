//! [`Engine`]: a `lazuli_core::Engine` with its code generators and platform chosen for the
//! host, so that an embedder needs nothing but a [`Config`].

use std::sync::Arc;

use lazuli_core::backend::CodeBackend;
#[cfg(feature = "llvm")]
use lazuli_core::backend::TaskRunner;
use lazuli_core::{Config, Error, Tiers};
use lazuli_std_shim::StdPlatform;
#[cfg(feature = "llvm")]
use lazuli_std_shim::Workers;

/// The settings, code generators and platform every module and store of an embedding share.
/// Cheap to clone. It dereferences to [`lazuli_core::Engine`], whose methods it has (and which
/// every function taking `&lazuli_core::Engine` accepts).
#[derive(Clone, Debug)]
pub struct Engine {
    inner: lazuli_core::Engine,
}

impl Engine {
    /// An engine with the code generators `config.tiers` names (see [`Tiers`]) on this host's
    /// platform. Workers (`config.workers`, default: available cores minus one) recompile hot
    /// code when tiered and speculate for LLVM alone. Fails when the build or the host lacks
    /// a named code generator (LLVM in a build without the `llvm` feature).
    pub fn new(config: &Config) -> Result<Engine, Error> {
        if config.perf_map {
            lazuli_jit::perf_map::enable().map_err(|e| {
                Error::Usage(format!(
                    "cannot write the perf map {}: {e}",
                    lazuli_jit::perf_map::path()
                ))
            })?;
        }
        let backend = backend(config)?;
        Ok(Engine {
            inner: lazuli_core::Engine::with_backend(
                config.clone(),
                backend,
                Arc::new(StdPlatform::new()),
            ),
        })
    }

    /// The `lazuli-core` engine (also reached through `Deref`).
    pub fn core(&self) -> &lazuli_core::Engine {
        &self.inner
    }
}

impl Default for Engine {
    /// The default configuration: tiered (single-pass code first, LLVM for hot functions), or
    /// the single-pass backend alone in a build without LLVM.
    ///
    /// # Panics
    /// When no code generator can start (the host refuses executable memory).
    fn default() -> Engine {
        let mut config = Config::default();
        if !cfg!(feature = "llvm") {
            config = config.tiers(Tiers::BaselineOnly);
        }
        Engine::new(&config).unwrap_or_else(|e| panic!("no code generator can start: {e}"))
    }
}

impl std::ops::Deref for Engine {
    type Target = lazuli_core::Engine;

    fn deref(&self) -> &lazuli_core::Engine {
        &self.inner
    }
}

impl From<Engine> for lazuli_core::Engine {
    fn from(engine: Engine) -> lazuli_core::Engine {
        engine.inner
    }
}

/// The code generator `config.tiers` names.
fn backend(config: &Config) -> Result<Arc<dyn CodeBackend>, Error> {
    let baseline = || lazuli_backend_baseline::BaselineBackend::new().map_err(Error::Compile);
    #[cfg(feature = "llvm")]
    let workers = config.workers.unwrap_or_else(Workers::default_count);
    #[cfg(feature = "llvm")]
    let llvm = || lazuli_backend_llvm::LlvmBackend::new().map_err(Error::Compile);
    Ok(match config.tiers {
        Tiers::BaselineOnly => Arc::new(baseline()?),
        #[cfg(feature = "llvm")]
        Tiers::OptimizingOnly => {
            let mut backend = llvm()?;
            if workers > 0 {
                backend = backend.with_workers(Arc::new(Workers::new(workers)));
            }
            Arc::new(backend)
        }
        #[cfg(feature = "llvm")]
        Tiers::Tiered => {
            // One pool for both: tier-up compiles, eager partitions, and LLVM's speculation on
            // the callees of functions that got hot (likely to get hot next).
            let workers: Arc<dyn TaskRunner> = Arc::new(Workers::new(workers));
            let mut optimizer = llvm()?;
            if workers.workers() > 0 {
                optimizer = optimizer.with_workers(workers.clone());
            }
            Arc::new(baseline()?.with_optimizer(Arc::new(optimizer), workers))
        }
        #[cfg(not(feature = "llvm"))]
        Tiers::OptimizingOnly | Tiers::Tiered => {
            return Err(Error::Usage(format!(
                "this build of Lazuli has no LLVM, so {:?} is not available: use \
                 Tiers::BaselineOnly (`--backend baseline`)",
                config.tiers
            )));
        }
    })
}

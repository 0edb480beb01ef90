//! [`Engine`]: configuration and code generator shared by every module and store made with it.

use alloc::sync::Arc;

use crate::backend::CodeBackend;
use crate::config::Config;

/// Shared, immutable settings and the code generator. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    backend: Option<Arc<dyn CodeBackend>>,
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .field("backend", &self.inner.backend.as_ref().map(|b| b.name()))
            .finish()
    }
}

impl Engine {
    /// An engine that decodes and validates modules but has no code generator: it can inspect
    /// modules, and instantiating one is an error.
    pub fn new(config: Config) -> Engine {
        Engine { inner: Arc::new(EngineInner { config, backend: None }) }
    }

    /// An engine that compiles with `backend`.
    pub fn with_backend(config: Config, backend: Arc<dyn CodeBackend>) -> Engine {
        Engine { inner: Arc::new(EngineInner { config, backend: Some(backend) }) }
    }

    /// The engine's settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The engine's code generator, if it has one.
    pub fn backend(&self) -> Option<&Arc<dyn CodeBackend>> {
        self.inner.backend.as_ref()
    }

    /// Whether two handles refer to the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }
}

//! [`Engine`]: configuration, code generator and platform shared by every module and store
//! made with it, and the engine-wide registry of signature ids.

use alloc::sync::Arc;

use hashbrown::HashMap;

use crate::backend::{CodeBackend, CodeFlags, CompileOptions, FuncType};
use crate::config::{Config, MAX_MEMORY_GUARD_BYTES};
use crate::memory::PAGE_SIZE;
use crate::platform::Platform;

/// Shared, immutable settings plus the code generator and platform. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    /// What compiled code must do, from the configuration and what the platform can.
    code: CodeFlags,
    runner: Option<(Arc<dyn CodeBackend>, Arc<dyn Platform>)>,
    /// Engine-wide signature ids: equal types get equal ids, so `call_indirect` checks a
    /// signature with one integer comparison.
    type_ids: spin::Mutex<HashMap<FuncType, u32>>,
    /// The epoch: a counter the host advances ([`Engine::increment_epoch`]) and code compiled
    /// with epoch interruption compares with its store's deadline.
    epoch: core::sync::atomic::AtomicU64,
}

impl Drop for EngineInner {
    /// Background compilation (tier-up, speculation) ends with the engine: it must not run on
    /// while the program goes on without the engine, or exits.
    fn drop(&mut self) {
        if let Some((backend, _)) = &self.runner {
            backend.wait_idle();
        }
    }
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .field(
                "backend",
                &self.inner.runner.as_ref().map(|(b, _)| b.name()),
            )
            .finish()
    }
}

impl Engine {
    /// An engine that decodes and validates modules but has no code generator: it can inspect
    /// modules, and instantiating one is an error.
    pub fn new(config: Config) -> Engine {
        Engine::build(config, None)
    }

    /// An engine that compiles with `backend` and runs code with `platform`'s services.
    pub fn with_backend(
        config: Config,
        backend: Arc<dyn CodeBackend>,
        platform: Arc<dyn Platform>,
    ) -> Engine {
        Engine::build(config, Some((backend, platform)))
    }

    fn build(config: Config, runner: Option<(Arc<dyn CodeBackend>, Arc<dyn Platform>)>) -> Engine {
        let reserved = config.memory_reservations
            && runner
                .as_ref()
                .is_some_and(|(_, platform)| platform.handles_memory_faults());
        let guard = config
            .memory_guard_bytes
            .min(MAX_MEMORY_GUARD_BYTES)
            .next_multiple_of(PAGE_SIZE as u64);
        let code = CodeFlags {
            epoch_interruption: config.epoch_interruption,
            memory_guard_bytes: reserved.then_some(guard),
        };
        Engine {
            inner: Arc::new(EngineInner {
                config,
                code,
                runner,
                type_ids: spin::Mutex::new(HashMap::new()),
                epoch: core::sync::atomic::AtomicU64::new(0),
            }),
        }
    }

    /// The engine's settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// What compiled code must do in this engine: its configuration, narrowed to what the
    /// platform can (memories are reserved and bounds checks elided only where the platform
    /// turns faults into traps).
    pub fn code_flags(&self) -> CodeFlags {
        self.inner.code
    }

    /// The options modules are compiled with.
    pub(crate) fn compile_options(&self) -> CompileOptions {
        let config = &self.inner.config;
        CompileOptions {
            strategy: config.strategy,
            opt_level: config.effective_opt_level(),
            tier_up_threshold: config.tier_up_threshold,
            code: self.inner.code,
            profile: None,
        }
    }

    /// The engine's code generator, if it has one.
    pub fn backend(&self) -> Option<&Arc<dyn CodeBackend>> {
        self.inner.runner.as_ref().map(|(b, _)| b)
    }

    /// The engine's platform, if it has one (decoding uses its threads).
    pub(crate) fn platform(&self) -> Option<&dyn Platform> {
        self.inner.runner.as_ref().map(|(_, p)| &**p)
    }

    /// The engine's platform, shared (memories keep it to release their reservation).
    pub(crate) fn platform_arc(&self) -> Option<Arc<dyn Platform>> {
        self.inner.runner.as_ref().map(|(_, p)| p.clone())
    }

    pub(crate) fn runner(
        &self,
    ) -> Result<(&Arc<dyn CodeBackend>, &Arc<dyn Platform>), crate::Error> {
        self.inner
            .runner
            .as_ref()
            .map(|(b, p)| (b, p))
            .ok_or(crate::Error::NoBackend)
    }

    /// Advance the epoch by one. Safe to call from any thread (a timer, a signal-free
    /// watchdog) while wasm runs: code compiled with [`Config::epoch_interruption`] in a store
    /// whose deadline this reaches stops with an `Interrupted` trap.
    pub fn increment_epoch(&self) {
        self.inner
            .epoch
            .fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    }

    /// The current epoch.
    pub fn current_epoch(&self) -> u64 {
        self.inner.epoch.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// Where the epoch lives, for compiled code (it never moves: the engine is shared behind
    /// an `Arc`).
    pub(crate) fn epoch_ptr(&self) -> *const u64 {
        self.inner.epoch.as_ptr() as *const u64
    }

    /// Whether two handles refer to the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// The engine-wide id of a signature.
    pub(crate) fn type_id(&self, ty: &FuncType) -> u32 {
        let mut ids = self.inner.type_ids.lock();
        let next = ids.len() as u32;
        *ids.entry(ty.clone()).or_insert(next)
    }
}

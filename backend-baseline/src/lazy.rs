//! [`LazyCode`]: a module's code, each function compiled by the baseline code generator on its
//! first call, and (when an optimizing backend is attached) recompiled by it once hot.
//!
//! The GOT holds one code pointer per defined function, starting at the function's stub. The
//! first call compiles the function (once, whichever thread gets there first) and stores the
//! code address in the GOT. Baseline code counts calls and loop iterations; at the threshold
//! it asks for tier-up, and a worker has the optimizing backend compile the function and
//! switches the GOT entry. A function the baseline backend cannot compile (a 64-bit memory,
//! say) is compiled by the optimizing backend right away, when there is one.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Instant;

use lazuli_backend_api::{
    CodeBackend, CodeFlags, CodePtr, CompileError, CompileOptions, CompileStats, CompiledCode,
    DefinedFuncIndex, ModuleInfo, OptLevel, Strategy, TaskRunner,
};

use crate::code_memory::CodeMemory;
use crate::lower::{lower_function, FunctionSettings, Profile};
use crate::stubs;

/// How many locks serialize compiles of the same function.
const COMPILE_LOCKS: usize = 64;

/// Code for one module.
pub(crate) struct LazyCode {
    shared: Arc<Shared>,
}

/// The optimizing tier behind the baseline one.
pub(crate) struct Optimizer {
    /// The backend that recompiles hot functions.
    pub backend: Arc<dyn CodeBackend>,
    /// Workers that run the recompiles.
    pub tasks: Weak<dyn TaskRunner>,
    /// Calls plus loop iterations after which a function is recompiled; 0: never.
    pub threshold: u32,
}

/// The state shared with stubs and workers.
pub(crate) struct Shared {
    info: Arc<ModuleInfo>,
    code: CodeFlags,
    got: Box<[AtomicPtr<u8>]>,
    compiled: Box<[OnceLock<usize>]>,
    compile_locks: Box<[Mutex<()>]>,
    counters: Box<[AtomicU32]>,
    memory: CodeMemory,
    /// Start address -> (end, function), for backtraces.
    code_map: RwLock<BTreeMap<usize, (usize, DefinedFuncIndex)>>,
    optimizer: Option<Optimizer>,
    /// The optimizing backend's code for this module, made on first need.
    optimized_code: OnceLock<Result<Box<dyn CompiledCode>, CompileError>>,
    /// Per function: the optimized code once installed.
    optimized: Box<[OnceLock<Result<usize, CompileError>>]>,
    last_error: Mutex<Option<CompileError>>,
    /// How many functions have code (from either tier).
    compiled_count: AtomicU32,
    stats: TierStats,
}

/// What one tier has compiled: functions, bytes of wasm bodies, time.
#[derive(Default)]
struct TierCounters {
    functions: AtomicU32,
    bytes: AtomicU64,
    nanos: AtomicU64,
}

impl TierCounters {
    /// Count one function of `bytes` bytes of wasm, compiled since `started`.
    fn record(&self, bytes: usize, started: Instant) {
        self.functions.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        self.nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }
}

/// Counters behind [`CompileStats`].
#[derive(Default)]
struct TierStats {
    baseline: TierCounters,
    optimized: TierCounters,
    tier_up_wait_nanos: AtomicU64,
    wait_nanos: AtomicU64,
}

impl LazyCode {
    /// Code for `info` whose functions all start as stubs.
    pub(crate) fn new(
        info: Arc<ModuleInfo>,
        opts: &CompileOptions,
        optimizer: Option<Optimizer>,
    ) -> Result<LazyCode, CompileError> {
        let n = info.bodies.len();
        let shared = Arc::new(Shared {
            code: opts.code,
            got: (0..n)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            compiled: (0..n).map(|_| OnceLock::new()).collect(),
            compile_locks: (0..COMPILE_LOCKS).map(|_| Mutex::new(())).collect(),
            counters: (0..n).map(|_| AtomicU32::new(0)).collect(),
            memory: CodeMemory::new(),
            code_map: RwLock::new(BTreeMap::new()),
            optimizer,
            optimized_code: OnceLock::new(),
            optimized: (0..n).map(|_| OnceLock::new()).collect(),
            last_error: Mutex::new(None),
            compiled_count: AtomicU32::new(0),
            stats: TierStats::default(),
            info,
        });
        // The stubs embed the address of the shared state, which never moves.
        let first = stubs::make_stubs(&shared.memory, n, Arc::as_ptr(&shared))?;
        for (i, entry) in shared.got.iter().enumerate() {
            entry.store(stubs::stub_address(first, i) as *mut u8, Ordering::Relaxed);
        }
        Ok(LazyCode { shared })
    }
}

impl Shared {
    /// Compile defined function `index` if needed, publish it in the GOT, return its code.
    pub(crate) fn resolve(self: &Arc<Self>, index: u32) -> Result<*const u8, CompileError> {
        let cell = self
            .compiled
            .get(index as usize)
            .ok_or_else(|| CompileError::new(format!("no defined function {index}")))?;
        if let Some(&done) = cell.get() {
            return Ok(done as *const u8);
        }
        let started = Instant::now();
        let lock = &self.compile_locks[index as usize % COMPILE_LOCKS];
        let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&done) = cell.get() {
            drop(guard);
            self.stats
                .wait_nanos
                .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
            return Ok(done as *const u8);
        }
        let code = match self.compile_baseline(DefinedFuncIndex(index)) {
            Ok(code) => code,
            Err(e) => {
                *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
                return Err(e);
            }
        };
        let _ = cell.set(code as usize);
        self.got[index as usize].store(code as *mut u8, Ordering::Release);
        self.compiled_count.fetch_add(1, Ordering::Relaxed);
        Ok(code)
    }

    fn compile_baseline(
        self: &Arc<Self>,
        index: DefinedFuncIndex,
    ) -> Result<*const u8, CompileError> {
        let started = Instant::now();
        let threshold = self.optimizer.as_ref().map_or(0, |o| o.threshold);
        let profile = (threshold > 0).then(|| Profile {
            counter: &self.counters[index.index()] as *const AtomicU32 as usize,
            threshold,
            request: tier_up_request as *const () as usize,
            context: Arc::as_ptr(self) as usize,
        });
        let settings = FunctionSettings {
            profile,
            code: self.code,
        };
        let lowered = match lower_function(&self.info, index, settings) {
            Ok(lowered) => lowered,
            // What the baseline tier cannot compile goes straight to the optimizing tier.
            Err(e) if self.optimizer.is_some() => {
                return self.compile_optimized(index).map_err(|o| {
                    CompileError::new(format!("{e}; the optimizing backend failed too: {o}"))
                })
            }
            Err(e) => return Err(e),
        };
        let code = self.memory.publish(&lowered.code)?;
        self.code_map
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(code as usize, (code as usize + lowered.code.len(), index));
        self.stats
            .baseline
            .record(self.info.bodies[index.index()].range.len(), started);
        Ok(code)
    }

    /// The optimizing backend's code for this module.
    fn optimizer_code(&self) -> Result<&dyn CompiledCode, CompileError> {
        let optimizer = self
            .optimizer
            .as_ref()
            .ok_or_else(|| CompileError::new("no optimizing backend is attached"))?;
        self.optimized_code
            .get_or_init(|| {
                optimizer.backend.compile(
                    self.info.clone(),
                    &CompileOptions {
                        strategy: Strategy::Lazy,
                        opt_level: OptLevel::Optimized,
                        tier_up_threshold: 0,
                        code: self.code,
                    },
                )
            })
            .as_ref()
            .map(|code| &**code)
            .map_err(Clone::clone)
    }

    /// Compile `index` with the optimizing backend (once) and return its code.
    fn compile_optimized(&self, index: DefinedFuncIndex) -> Result<*const u8, CompileError> {
        let cell = &self.optimized[index.index()];
        cell.get_or_init(|| {
            let started = Instant::now();
            let code = self.optimizer_code()?.resolve(index)?;
            self.stats
                .optimized
                .record(self.info.bodies[index.index()].range.len(), started);
            Ok(code.0 as usize)
        })
        .clone()
        .map(|p| p as *const u8)
    }

    /// Baseline code asks for tier-up here when function `index` gets hot: a worker compiles
    /// it optimized and switches its GOT entry.
    fn request_tier_up(self: &Arc<Self>, index: u32) {
        let Some(tasks) = self.optimizer.as_ref().and_then(|o| o.tasks.upgrade()) else {
            return;
        };
        let requested = Instant::now();
        let weak: Weak<Shared> = Arc::downgrade(self);
        tasks.spawn(Box::new(move || {
            let Some(shared) = weak.upgrade() else { return };
            if let Ok(code) = shared.compile_optimized(DefinedFuncIndex(index)) {
                shared.got[index as usize].store(code as *mut u8, Ordering::Release);
                shared
                    .stats
                    .tier_up_wait_nanos
                    .fetch_add(requested.elapsed().as_nanos() as u64, Ordering::Relaxed);
            }
        }));
    }
}

/// Called by baseline code when a function gets hot (see `Profile`).
///
/// # Safety
/// `context` is the address of the `Shared` whose code is running (alive while it runs).
unsafe extern "C" fn tier_up_request(context: usize, index: u32) {
    // SAFETY: per the contract, `context` points into a live `Arc<Shared>`; taking a strong
    // reference keeps it alive for the request.
    let shared = unsafe {
        let ptr = context as *const Shared;
        Arc::increment_strong_count(ptr);
        Arc::from_raw(ptr)
    };
    shared.request_tier_up(index);
}

impl CompiledCode for LazyCode {
    fn got(&self) -> *const CodePtr {
        // `AtomicPtr<u8>` has the layout of `*mut u8`, and `CodePtr` is a transparent `*const u8`.
        self.shared.got.as_ptr() as *const CodePtr
    }

    fn resolve(&self, f: DefinedFuncIndex) -> Result<CodePtr, CompileError> {
        self.shared.resolve(f.0).map(CodePtr)
    }

    fn is_compiled(&self, f: DefinedFuncIndex) -> bool {
        self.shared
            .compiled
            .get(f.index())
            .is_some_and(|c| c.get().is_some())
    }

    fn stats(&self) -> CompileStats {
        let s = &self.shared.stats;
        CompileStats {
            baseline: s.baseline.functions.load(Ordering::Relaxed),
            optimized: s.optimized.functions.load(Ordering::Relaxed),
            speculative: 0,
            compile_nanos: s.baseline.nanos.load(Ordering::Relaxed)
                + s.optimized.nanos.load(Ordering::Relaxed),
            wait_nanos: s.wait_nanos.load(Ordering::Relaxed),
            baseline_bytes: s.baseline.bytes.load(Ordering::Relaxed),
            baseline_nanos: s.baseline.nanos.load(Ordering::Relaxed),
            optimized_bytes: s.optimized.bytes.load(Ordering::Relaxed),
            optimized_nanos: s.optimized.nanos.load(Ordering::Relaxed),
            tier_up_wait_nanos: s.tier_up_wait_nanos.load(Ordering::Relaxed),
            ..CompileStats::default()
        }
    }

    fn last_error(&self) -> Option<CompileError> {
        self.shared
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn compiled_count(&self) -> usize {
        self.shared.compiled_count.load(Ordering::Relaxed) as usize
    }

    fn function_at(&self, pc: usize) -> Option<DefinedFuncIndex> {
        let found = {
            let map = self
                .shared
                .code_map
                .read()
                .unwrap_or_else(|p| p.into_inner());
            map.range(..=pc)
                .next_back()
                .and_then(|(_, (end, f))| (pc < *end).then_some(*f))
        };
        found.or_else(|| {
            self.shared
                .optimized_code
                .get()
                .and_then(|c| c.as_ref().ok())
                .and_then(|c| c.function_at(pc))
        })
    }

    fn serialize(&self) -> Result<Vec<u8>, CompileError> {
        match self.shared.optimizer_code() {
            Ok(code) => code.serialize(),
            Err(_) => Err(CompileError::new(
                "baseline code cannot be serialized: serialization needs the LLVM backend",
            )),
        }
    }
}

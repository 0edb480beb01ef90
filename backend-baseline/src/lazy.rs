//! [`LazyCode`]: a module's code, each function compiled by the baseline code generator on its
//! first call, and (when an optimizing backend is attached) recompiled by it once hot.
//!
//! The GOT holds one code pointer per defined function, starting at the function's stub. The
//! first call compiles the function (once, whichever thread gets there first) and stores the
//! code address in the GOT. Baseline code counts calls and loop iterations; at the threshold
//! it asks for tier-up, and a worker has the optimizing backend compile the function and
//! switches the GOT entry. A function the baseline backend cannot compile (a 64-bit memory,
//! say) is compiled by the optimizing backend right away, when there is one.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Instant;

use lazuli_backend_api::branch_profile::{complete_counts, BranchProfile, ENTRY_SLOT};
use lazuli_backend_api::{
    CodeBackend, CodeFlags, CodePtr, CompileError, CompileOptions, CompileStats, CompiledCode,
    DefinedFuncIndex, ModuleInfo, OptLevel, Strategy, TaskRunner,
};
use lazuli_jit::code_memory::CodeMemory;
use lazuli_jit::lazy::{Compile, Lazy};
use lazuli_jit::tier_up::TierUp;

use crate::lower::relocation::Targets;
use crate::lower::{lower_function, FunctionCode, FunctionSettings, Profile};

/// Code for one module.
pub(crate) struct LazyCode {
    pub(crate) shared: Arc<Lazy<Shared>>,
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

impl Optimizer {
    /// `backend` behind the baseline tier, recompiling on `tasks`' workers once a function's
    /// count reaches `threshold` (never without workers).
    pub(crate) fn new(
        backend: &Arc<dyn CodeBackend>,
        tasks: &Arc<dyn TaskRunner>,
        threshold: u32,
    ) -> Optimizer {
        Optimizer {
            backend: backend.clone(),
            tasks: Arc::downgrade(tasks),
            threshold: if tasks.workers() > 0 { threshold } else { 0 },
        }
    }
}

/// What the lazy driver compiles with; stubs and workers reach it.
pub(crate) struct Shared {
    info: Arc<ModuleInfo>,
    code: CodeFlags,
    memory: CodeMemory,
    /// Start address -> (end, function), for backtraces.
    code_map: RwLock<BTreeMap<usize, (usize, DefinedFuncIndex)>>,
    optimizer: Option<Optimizer>,
    /// The optimizing backend's code for this module, made on first need.
    optimized_code: OnceLock<Result<Box<dyn CompiledCode>, CompileError>>,
    /// Counts, optimized code and waiting requests (a function the baseline backend cannot
    /// compile gets its optimized code here too), and the branch counts of baseline code that
    /// counts (tier-up on), which the optimizing tier reads.
    tier_up: Arc<TierUp>,
    /// A profile the module was compiled with, which optimized compiles weigh branches by
    /// instead of the live counts.
    given_profile: Option<Arc<dyn BranchProfile>>,
    /// OSR entries asked for by first-tier frames, by function and loop.
    osr: Mutex<HashMap<(u32, u32), OsrEntry>>,
    stats: TierStats,
}

/// Where an OSR entry stands.
#[derive(Clone, Copy)]
enum OsrEntry {
    /// Not asked for yet: the function's call count at the loop's last ask.
    Watching { calls: u32 },
    /// A worker is compiling it.
    Compiling,
    /// Its code address.
    Ready(usize),
    /// Its compile failed; the frame goes on in first-tier code.
    Failed,
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
    tier_up_failures: AtomicU32,
    osr_entries: AtomicU32,
    optimized_loaded: AtomicU32,
}

impl LazyCode {
    /// Code for `info` whose functions all start as stubs.
    pub(crate) fn new(
        info: Arc<ModuleInfo>,
        opts: &CompileOptions,
        optimizer: Option<Optimizer>,
    ) -> Result<LazyCode, CompileError> {
        let n = info.bodies.len();
        let shared = Lazy::new(
            n,
            Shared {
                code: opts.code,
                memory: CodeMemory::new(),
                code_map: RwLock::new(BTreeMap::new()),
                optimizer,
                optimized_code: OnceLock::new(),
                tier_up: Arc::new(TierUp::new(n)),
                given_profile: opts.profile.clone(),
                osr: Mutex::new(HashMap::new()),
                stats: TierStats::default(),
                info,
            },
            opts.code.epoch_interruption,
        )?;
        Ok(LazyCode { shared })
    }
}

impl Compile for Shared {
    fn compile(lazy: &Arc<Lazy<Self>>, index: DefinedFuncIndex) -> Result<*const u8, CompileError> {
        // Optimized before its first call (prefetched or loaded): no first-tier code needed.
        if let Some(code) = lazy.tier_up.optimized(index.index()) {
            return Ok(code);
        }
        let started = Instant::now();
        let threshold = lazy.optimizer.as_ref().map_or(0, |o| o.threshold);
        let settings = FunctionSettings {
            profile: (threshold > 0).then_some(Profile { threshold }),
            code: lazy.code,
        };
        let lowered = match lower_function(&lazy.info, index, settings) {
            Ok(lowered) => lowered,
            // What the baseline tier cannot compile goes straight to the optimizing tier.
            Err(e) if lazy.optimizer.is_some() && !lazuli_jit::lazy::interrupted() => {
                return lazy.compile_optimized(index).map_err(|o| {
                    CompileError::new(format!("{e}; the optimizing backend failed too: {o}"))
                })
            }
            Err(e) => return Err(e),
        };
        let code = place(lazy, index, lowered)?;
        lazy.stats
            .baseline
            .record(lazy.info.bodies[index.index()].range.len(), started);
        Ok(code)
    }
}

/// Put baseline code of function `index` into the module's code memory: its counters made
/// (in code that counts), its relocations bound to this process, its range recorded for
/// backtraces. Returns its address.
pub(crate) fn place(
    lazy: &Arc<Lazy<Shared>>,
    index: DefinedFuncIndex,
    mut lowered: FunctionCode,
) -> Result<*const u8, CompileError> {
    let branches = lazy.tier_up.branches();
    let counters = if lowered.slots > 0 {
        branches.function(index.index(), lowered.slots, &lowered.loops)?
    } else {
        &[]
    };
    lowered.bind(&Targets {
        counters,
        counter: lazy.tier_up.counter(index.index()) as *const AtomicU32 as usize,
        request: tier_up_request as *const () as usize,
        context: Arc::as_ptr(lazy) as usize,
        osr_poll: osr_poll as *const () as usize,
    })?;
    let code = lazy.memory.publish(&lowered.code)?;
    lazuli_jit::perf_map::record(
        code as usize,
        lowered.code.len(),
        &lazy.info,
        index,
        "single-pass",
    );
    lazy.code_map
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(code as usize, (code as usize + lowered.code.len(), index));
    Ok(code)
}

impl Shared {
    /// The module's description.
    pub(crate) fn info(&self) -> &Arc<ModuleInfo> {
        &self.info
    }

    /// What every function's code must do.
    pub(crate) fn code_flags(&self) -> CodeFlags {
        self.code
    }

    /// The tier-up threshold baseline code counts to (0: it does not count).
    pub(crate) fn threshold(&self) -> u32 {
        self.optimizer.as_ref().map_or(0, |o| o.threshold)
    }

    /// Counts, optimized code and requests.
    pub(crate) fn tier_up(&self) -> &TierUp {
        &self.tier_up
    }

    /// The optimizing backend's code for this module.
    pub(crate) fn optimizer_code(&self) -> Result<&dyn CompiledCode, CompileError> {
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
                        profile: Some(self.given_profile.clone().unwrap_or_else(|| {
                            Arc::new(FirstTierProfile {
                                info: self.info.clone(),
                                tier_up: self.tier_up.clone(),
                            })
                        })),
                    },
                )
            })
            .as_ref()
            .map(|code| &**code)
            .map_err(Clone::clone)
    }

    /// Compile `index` with the optimizing backend (once it succeeds) and return its code.
    pub(crate) fn compile_optimized(
        &self,
        index: DefinedFuncIndex,
    ) -> Result<*const u8, CompileError> {
        if let Some(code) = self.tier_up.optimized(index.index()) {
            return Ok(code);
        }
        let started = Instant::now();
        let code = self.optimizer_code()?.resolve(index)?;
        if self.tier_up.set_optimized(index.index(), code.0) {
            self.stats
                .optimized
                .record(self.info.bodies[index.index()].range.len(), started);
        }
        Ok(code.0)
    }
}

/// Function `f`'s branch counts as baseline code left them, completed: the entry slot is the
/// function's call count (which tier-up keeps) and derived back edges are filled in.
fn first_tier_counts(info: &ModuleInfo, tier_up: &TierUp, f: DefinedFuncIndex) -> Option<Vec<u32>> {
    let mut counts = tier_up.branches().counts(f.index())?;
    if let Some(entry) = counts.get_mut(ENTRY_SLOT as usize) {
        *entry = tier_up.counter(f.index()).load(Ordering::Relaxed);
    }
    complete_counts(info.body_bytes(f), &mut counts).ok()?;
    Some(counts)
}

/// The counts of a module's baseline code, as the optimizing tier reads them.
struct FirstTierProfile {
    info: Arc<ModuleInfo>,
    tier_up: Arc<TierUp>,
}

impl BranchProfile for FirstTierProfile {
    fn function_counts(&self, f: DefinedFuncIndex) -> Option<Vec<u32>> {
        first_tier_counts(&self.info, &self.tier_up, f)
    }
}

/// Baseline code asks for tier-up here when function `index` gets hot: the request waits in the
/// module's queue, and a worker compiles the hottest function waiting (`TierUp::serve`) and
/// switches its GOT entry. A recompile that fails is counted (`CompileStats::tier_up_failures`)
/// and leaves the function on its baseline code until it asks again.
fn request_tier_up(lazy: &Arc<Lazy<Shared>>, index: u32) {
    let Some(tasks) = lazy.optimizer.as_ref().and_then(|o| o.tasks.upgrade()) else {
        return;
    };
    lazuli_jit::tier_up::request_tier_up(
        lazy,
        &*tasks,
        index,
        |shared| &shared.tier_up,
        |lazy, i| lazy.compile_optimized(DefinedFuncIndex(i)),
        |shared, served| match served.result {
            Ok(_) => {
                let waited = served.requested.elapsed().as_nanos() as u64;
                shared
                    .stats
                    .tier_up_wait_nanos
                    .fetch_add(waited, Ordering::Relaxed);
            }
            Err(_) => {
                shared
                    .stats
                    .tier_up_failures
                    .fetch_add(1, Ordering::Relaxed);
            }
        },
    );
}

/// Called by baseline code when a function gets hot (see `Profile`).
///
/// # Safety
/// `context` is the address of the `Lazy<Shared>` whose code is running (alive while it runs).
unsafe extern "C" fn tier_up_request(context: usize, index: u32) {
    // SAFETY: per the contract, `context` points into a live `Arc<Lazy<Shared>>`; taking a
    // strong reference keeps it alive for the request.
    let lazy = unsafe {
        let ptr = context as *const Lazy<Shared>;
        Arc::increment_strong_count(ptr);
        Arc::from_raw(ptr)
    };
    request_tier_up(&lazy, index);
}

/// Baseline code at the header of loop `loop_index` of function `index`, whose count is
/// `count`, asks whether it can leave for the loop's OSR entry (`lazuli_backend_api::osr`).
/// An entry is worth compiling for a hot loop (its count past the tier-up threshold) that one
/// frame keeps running: when the function's call count has not moved since the loop's previous
/// ask, `OSR_POLL_INTERVAL` iterations ago (`lower/osr.rs`). Then the ask queues the entry's
/// compile on a worker; asks return its address once it is ready, 0 until then (or if the
/// compile failed).
fn poll_osr(lazy: &Arc<Lazy<Shared>>, index: u32, loop_index: u32, count: u32) -> usize {
    let threshold = lazy.optimizer.as_ref().map_or(0, |o| o.threshold);
    if threshold == 0 || count < threshold {
        return 0;
    }
    let calls = lazy.tier_up.counter(index as usize).load(Ordering::Relaxed);
    let mut entries = lazy.osr.lock().unwrap_or_else(|p| p.into_inner());
    match entries.get(&(index, loop_index)) {
        Some(OsrEntry::Ready(code)) => return *code,
        Some(OsrEntry::Compiling | OsrEntry::Failed) => return 0,
        Some(OsrEntry::Watching { calls: before }) if *before == calls => {}
        Some(OsrEntry::Watching { .. }) | None => {
            entries.insert((index, loop_index), OsrEntry::Watching { calls });
            return 0;
        }
    }
    let Some(tasks) = lazy.optimizer.as_ref().and_then(|o| o.tasks.upgrade()) else {
        return 0;
    };
    entries.insert((index, loop_index), OsrEntry::Compiling);
    drop(entries);
    let weak = Arc::downgrade(lazy);
    tasks.spawn(Box::new(move || {
        // A module dropped in the meantime has no frame left to enter.
        let Some(lazy) = weak.upgrade() else { return };
        let entry = match lazy
            .optimizer_code()
            .and_then(|code| code.osr_entry(DefinedFuncIndex(index), loop_index))
        {
            Ok(code) => {
                lazy.stats.osr_entries.fetch_add(1, Ordering::Relaxed);
                OsrEntry::Ready(code.0 as usize)
            }
            Err(_) => {
                lazy.stats.tier_up_failures.fetch_add(1, Ordering::Relaxed);
                OsrEntry::Failed
            }
        };
        let mut entries = lazy.osr.lock().unwrap_or_else(|p| p.into_inner());
        entries.insert((index, loop_index), entry);
    }));
    0
}

/// Called by baseline code at a loop header that asks for its OSR entry (see `Profile`).
///
/// # Safety
/// `context` is the address of the `Lazy<Shared>` whose code is running (alive while it runs).
unsafe extern "C" fn osr_poll(context: usize, index: u32, loop_index: u32, count: u32) -> usize {
    // SAFETY: per the contract, `context` points into a live `Arc<Lazy<Shared>>`; taking a
    // strong reference keeps it alive for the call.
    let lazy = unsafe {
        let ptr = context as *const Lazy<Shared>;
        Arc::increment_strong_count(ptr);
        Arc::from_raw(ptr)
    };
    poll_osr(&lazy, index, loop_index, count)
}

impl CompiledCode for LazyCode {
    fn got(&self) -> *const CodePtr {
        self.shared.got()
    }

    fn resolve(&self, f: DefinedFuncIndex) -> Result<CodePtr, CompileError> {
        self.shared.resolve(f.0).map(CodePtr)
    }

    fn is_compiled(&self, f: DefinedFuncIndex) -> bool {
        self.shared.is_compiled(f.0)
    }

    fn stats(&self) -> CompileStats {
        let s = &self.shared.stats;
        let iterations = self.shared.tier_up.iterations();
        CompileStats {
            baseline: s.baseline.functions.load(Ordering::Relaxed),
            optimized: s.optimized.functions.load(Ordering::Relaxed),
            speculative: 0,
            compile_nanos: s.baseline.nanos.load(Ordering::Relaxed)
                + s.optimized.nanos.load(Ordering::Relaxed),
            wait_nanos: self.shared.counts().wait_nanos,
            baseline_bytes: s.baseline.bytes.load(Ordering::Relaxed),
            baseline_nanos: s.baseline.nanos.load(Ordering::Relaxed),
            optimized_bytes: s.optimized.bytes.load(Ordering::Relaxed),
            optimized_nanos: s.optimized.nanos.load(Ordering::Relaxed),
            tier_up_wait_nanos: s.tier_up_wait_nanos.load(Ordering::Relaxed),
            tier_up_failures: s.tier_up_failures.load(Ordering::Relaxed),
            first_tier_iterations: iterations.0,
            iterations_after_tier_up: iterations.1,
            osr_entries: s.osr_entries.load(Ordering::Relaxed),
            optimized_loaded: s.optimized_loaded.load(Ordering::Relaxed),
            ..CompileStats::default()
        }
    }

    fn counts(&self) -> Option<Vec<u32>> {
        let counting = self
            .shared
            .optimizer
            .as_ref()
            .is_some_and(|o| o.threshold > 0);
        counting.then(|| self.shared.tier_up.counts())
    }

    fn branch_counts(&self, f: DefinedFuncIndex) -> Option<Vec<u32>> {
        first_tier_counts(&self.shared.info, &self.shared.tier_up, f)
    }

    fn last_error(&self) -> Option<CompileError> {
        self.shared.last_error()
    }

    fn compiled_count(&self) -> usize {
        self.shared.counts().compiled as usize
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

    fn serialize_optimized(&self) -> Result<Vec<u8>, CompileError> {
        self.shared.optimizer_code()?.serialize_optimized()
    }

    fn prefetch_optimized(&self, f: DefinedFuncIndex) {
        if f.index() < self.shared.info.bodies.len() {
            request_tier_up(&self.shared, f.0);
        }
    }

    /// The optimizing tier loads the code; each function it holds switches to it as a tier-up
    /// would (before its first call: it is never compiled by the baseline tier).
    unsafe fn load_optimized(&self, bytes: &[u8]) -> Result<u32, CompileError> {
        let shared = &self.shared;
        let optimizer = shared.optimizer_code()?;
        // SAFETY: the caller vouches for `bytes` (this method's contract, passed on).
        unsafe { optimizer.load_optimized(bytes)? };
        let mut taken = 0;
        for index in 0..shared.info.bodies.len() as u32 {
            let f = DefinedFuncIndex(index);
            if !optimizer.is_compiled(f) || shared.tier_up.optimized(f.index()).is_some() {
                continue;
            }
            let code = optimizer.resolve(f)?.0;
            shared.tier_up.set_optimized(f.index(), code);
            if !shared.preset(index, code) {
                // Called already: the next calls take the loaded code.
                shared.install(index, code);
            }
            taken += 1;
        }
        shared
            .stats
            .optimized_loaded
            .fetch_add(taken, Ordering::Relaxed);
        Ok(taken)
    }

    /// An image with both tiers (`crate::image`).
    fn serialize(&self) -> Result<Vec<u8>, CompileError> {
        if self.shared.optimizer_code().is_err() {
            return Err(CompileError::new(
                "baseline code cannot be serialized: serialization needs the LLVM backend",
            ));
        }
        crate::image::write(&self.shared)
    }
}

//! [`LazyCode`]: a module's code, compiled one function at a time on first call, by LLVM.
//!
//! The GOT, its stubs and compile-once are `lazuli-jit`'s lazy driver ([`Lazy`]); this file
//! says how one function is compiled (lowered, optimized, linked into the module's JIT).
//!
//! With workers, compiling a function queues its direct callees for compilation in the
//! background (speculation), so that their first call usually finds them ready. Queued work
//! holds only a weak reference: dropping the module cancels what has not started.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use lazuli_backend_api::{
    CodeFlags, CodePtr, CompileError, CompileStats, CompiledCode, DefinedFuncIndex, ModuleInfo,
    OptLevel, TaskRunner,
};
use lazuli_jit::lazy::{Compile, Lazy};
use lazuli_jit::tier_up::TierUp;

use crate::code_map::{function_sizes, CodeMap};
use crate::jit::Jit;
use crate::lower::{func_symbol, lower_function, osr_symbol, FunctionInputs, Profile};
use lazuli_backend_api::branch_profile::BranchProfile;

/// Code for one module, compiled lazily into its own JIT.
pub(crate) struct LazyCode {
    shared: Arc<Lazy<Shared>>,
}

/// What the lazy driver compiles with; background workers reach it through weak references.
pub(crate) struct Shared {
    info: Arc<ModuleInfo>,
    level: OptLevel,
    /// Whether a function has been queued for speculative compilation.
    queued: Box<[AtomicBool]>,
    /// Calls plus iterations after which a function is recompiled optimized; 0: never.
    tier_up_threshold: u32,
    /// What the code must do at every tier (see `CompileOptions::code`).
    code: CodeFlags,
    /// Counts of baseline-level code, optimized code of functions that tiered up, and the
    /// requests waiting for a worker.
    tier_up: TierUp,
    /// The JIT for optimized code.
    jit_optimized: OnceLock<Result<Jit, CompileError>>,
    optimized_count: AtomicU32,
    tier_up_failures: AtomicU32,
    optimized_nanos: AtomicU64,
    jit: OnceLock<Result<Jit, CompileError>>,
    /// Where the compiled functions' code lies (baseline and optimized), for backtraces.
    code_map: CodeMap,
    /// A first tier's branch counts, which optimized compiles weigh branches by.
    branch_profile: Option<Arc<dyn BranchProfile>>,
    /// The object of each function compiled at the optimized level (and of each loaded), kept
    /// so that the code can be saved for a later process (`CompiledCode::serialize_optimized`).
    kept: Mutex<crate::saved_code::Objects>,
    /// Optimized code loaded from an earlier process, kept alive with the module.
    saved: Mutex<Vec<crate::saved_code::SavedCode>>,
    /// How many functions took loaded code.
    loaded_count: AtomicU32,
    /// OSR entries compiled so far, by function and loop (an entry is compiled once, held
    /// under the lock, since its symbol can be linked only once).
    osr_entries: Mutex<HashMap<(u32, u32), Result<usize, CompileError>>>,
    /// The workers, held weakly: the backend owns them, so that dropping the engine joins them
    /// even while one of them is compiling for this module (and holds it alive). A process must
    /// not exit while a worker is inside LLVM.
    tasks: Option<Weak<dyn TaskRunner>>,
}

impl LazyCode {
    /// Code for `info` whose functions all start as stubs; `tasks` runs speculation.
    pub(crate) fn new(
        info: Arc<ModuleInfo>,
        level: OptLevel,
        tier_up_threshold: u32,
        code: CodeFlags,
        branch_profile: Option<Arc<dyn BranchProfile>>,
        tasks: Option<Arc<dyn TaskRunner>>,
    ) -> Result<LazyCode, CompileError> {
        let n = info.bodies.len();
        let tasks = tasks.filter(|t| t.workers() > 0);
        // Tier-up recompiles on workers, and only baseline code has something to gain.
        let tier_up_threshold = if tasks.is_some() && level == OptLevel::Baseline {
            tier_up_threshold
        } else {
            0
        };
        let interruptible = code.epoch_interruption;
        let shared = Lazy::new(
            n,
            Shared {
                info,
                level,
                queued: (0..n).map(|_| AtomicBool::new(false)).collect(),
                tier_up_threshold,
                code,
                tier_up: TierUp::new(n),
                jit_optimized: OnceLock::new(),
                optimized_count: AtomicU32::new(0),
                tier_up_failures: AtomicU32::new(0),
                optimized_nanos: AtomicU64::new(0),
                jit: OnceLock::new(),
                code_map: CodeMap::default(),
                branch_profile,
                osr_entries: Mutex::new(HashMap::new()),
                kept: Mutex::new(Default::default()),
                saved: Mutex::new(Vec::new()),
                loaded_count: AtomicU32::new(0),
                tasks: tasks.as_ref().map(Arc::downgrade),
            },
            interruptible,
        )?;
        Ok(LazyCode { shared })
    }
}

impl Compile for Shared {
    fn compile(lazy: &Arc<Lazy<Self>>, index: DefinedFuncIndex) -> Result<*const u8, CompileError> {
        compile_at(lazy, index, lazy.level, None)
    }

    /// With workers, a compiled function's direct callees are queued for compilation.
    fn compiled(lazy: &Arc<Lazy<Self>>, index: DefinedFuncIndex) {
        for callee in lazy.info.direct_callees(index) {
            if let Some(defined) = lazy.info.defined_func_index(callee) {
                speculate(lazy, defined.0);
            }
        }
    }
}

/// Queue `index` for compilation on a worker, once, unless it is compiled already.
fn speculate(lazy: &Arc<Lazy<Shared>>, index: u32) {
    let Some(tasks) = lazy.tasks.as_ref().and_then(Weak::upgrade) else {
        return;
    };
    let Some(queued) = lazy.queued.get(index as usize) else {
        return;
    };
    if lazy.is_compiled(index) || queued.swap(true, Ordering::Relaxed) {
        return;
    }
    let weak = Arc::downgrade(lazy);
    tasks.spawn(Box::new(move || {
        // A module dropped in the meantime has cancelled this work.
        if let Some(lazy) = weak.upgrade() {
            let _ = lazy.resolve_speculatively(index);
        }
    }));
}

/// Baseline code asks for tier-up here, once, when function `index` gets hot: the request
/// waits in the module's queue, and a worker recompiles the hottest function waiting
/// (`TierUp::serve`) optimized; when done, its GOT entry switches to the new code. A recompile
/// that fails is counted (`CompileStats::tier_up_failures`) and leaves the function on its
/// baseline code until it asks again.
fn request_tier_up(lazy: &Arc<Lazy<Shared>>, index: u32) {
    let Some(tasks) = lazy.tasks.as_ref().and_then(Weak::upgrade) else {
        return;
    };
    lazuli_jit::tier_up::request_tier_up(
        lazy,
        &*tasks,
        index,
        |shared| &shared.tier_up,
        |lazy, i| compile_at(lazy, DefinedFuncIndex(i), OptLevel::Optimized, None),
        |shared, served| {
            match served.result {
                Ok((_, true)) => {
                    shared.optimized_count.fetch_add(1, Ordering::Relaxed);
                }
                Ok((_, false)) => {}
                Err(_) => {
                    shared.tier_up_failures.fetch_add(1, Ordering::Relaxed);
                }
            }
            shared
                .optimized_nanos
                .fetch_add(served.took.as_nanos() as u64, Ordering::Relaxed);
        },
    );
}

/// Lower, optimize and link defined function `index` at `level` into the JIT of that level
/// (or, given `osr_loop`, its OSR entry at that loop: `lazuli_backend_api::osr`).
fn compile_at(
    lazy: &Arc<Lazy<Shared>>,
    index: DefinedFuncIndex,
    level: OptLevel,
    osr_loop: Option<u32>,
) -> Result<*const u8, CompileError> {
    let tiered = level != lazy.level;
    let jit_cell = if tiered {
        &lazy.jit_optimized
    } else {
        &lazy.jit
    };
    let jit = jit_cell
        .get_or_init(|| Jit::new(level))
        .as_ref()
        .map_err(Clone::clone)?;
    let profile = (!tiered && lazy.tier_up_threshold > 0).then(|| Profile {
        counter: lazy.tier_up.counter(index.index()) as *const AtomicU32 as usize,
        threshold: lazy.tier_up_threshold,
        request: tier_up_request as *const () as usize,
        context: Arc::as_ptr(lazy) as usize,
    });
    let symbol = match osr_loop {
        Some(l) => osr_symbol(index, l),
        None => func_symbol(index),
    };
    let ctx = inkwell::context::Context::create();
    let module = ctx.create_module(&symbol);
    jit.prepare(&module);
    let branch_counts = match (level, &lazy.branch_profile) {
        (OptLevel::Optimized, Some(p)) => p.function_counts(index),
        _ => None,
    };
    let inputs = FunctionInputs {
        profile,
        code: lazy.code,
        branch_counts,
        osr_loop,
    };
    lower_function(&ctx, &module, &lazy.info, index, inputs)?;
    // LLVM's passes cannot stop midway: a call whose deadline passed while lowering does not
    // wait for them.
    if lazuli_jit::lazy::interrupted() {
        return Err(lazuli_jit::lazy::interrupted_error());
    }
    crate::optimize(&module, level)?;
    let (code, object) = jit.link(&module, &symbol)?;
    for (f, len) in function_sizes(&object)? {
        if f == index {
            lazy.code_map.insert(code as usize, len, f);
            let tier = match (level, osr_loop) {
                (_, Some(_)) => "LLVM O2, OSR entry",
                (OptLevel::Optimized, None) => "LLVM O2",
                (OptLevel::Baseline, None) => "LLVM O0",
            };
            lazuli_jit::perf_map::record(code as usize, len, &lazy.info, f, tier);
        }
    }
    if level == OptLevel::Optimized && osr_loop.is_none() {
        lazy.kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(index.0, object.into());
    }
    Ok(code)
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

    fn prefetch(&self, f: DefinedFuncIndex) {
        speculate(&self.shared, f.0);
    }

    fn stats(&self) -> CompileStats {
        let s = &self.shared;
        let counts = s.counts();
        let optimized_count = s.optimized_count.load(Ordering::Relaxed);
        let (baseline, optimized) = match s.level {
            OptLevel::Baseline => (counts.compiled, optimized_count),
            OptLevel::Optimized => (0, counts.compiled),
        };
        CompileStats {
            baseline,
            optimized,
            speculative: counts.speculative,
            compile_nanos: counts.compile_nanos + s.optimized_nanos.load(Ordering::Relaxed),
            wait_nanos: counts.wait_nanos,
            tier_up_failures: s.tier_up_failures.load(Ordering::Relaxed),
            optimized_loaded: s.loaded_count.load(Ordering::Relaxed),
            ..CompileStats::default()
        }
    }

    fn counts(&self) -> Option<Vec<u32>> {
        (self.shared.tier_up_threshold > 0).then(|| self.shared.tier_up.counts())
    }

    fn last_error(&self) -> Option<CompileError> {
        self.shared.last_error()
    }

    fn compiled_count(&self) -> usize {
        self.shared.counts().compiled as usize
    }

    fn function_at(&self, pc: usize) -> Option<DefinedFuncIndex> {
        self.shared.code_map.lookup(pc)
    }

    fn serialize_optimized(&self) -> Result<Vec<u8>, CompileError> {
        let kept = self.shared.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.is_empty() {
            return Err(CompileError::new("no function has optimized code to save"));
        }
        Ok(crate::saved_code::write(&kept))
    }

    unsafe fn load_optimized(&self, bytes: &[u8]) -> Result<u32, CompileError> {
        let shared = &self.shared;
        let saved = crate::saved_code::load(bytes, shared.info.num_defined_funcs())?;
        let mut taken = 0;
        let mut kept = shared.kept.lock().unwrap_or_else(|p| p.into_inner());
        for &(f, code, len) in &saved.functions {
            if shared.preset(f.0, code as *const u8) {
                shared.code_map.insert(code, len, f);
                lazuli_jit::perf_map::record(code, len, &shared.info, f, "LLVM O2, saved");
                if let Some(object) = saved.objects.get(&f.0) {
                    kept.insert(f.0, object.clone());
                }
                taken += 1;
            }
        }
        drop(kept);
        shared.loaded_count.fetch_add(taken, Ordering::Relaxed);
        shared
            .saved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(saved);
        Ok(taken)
    }

    fn osr_entry(&self, f: DefinedFuncIndex, loop_index: u32) -> Result<CodePtr, CompileError> {
        if f.index() >= self.shared.info.bodies.len() {
            return Err(CompileError::new(format!("no defined function {}", f.0)));
        }
        let mut entries = self
            .shared
            .osr_entries
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let entry = entries.entry((f.0, loop_index)).or_insert_with(|| {
            compile_at(&self.shared, f, OptLevel::Optimized, Some(loop_index))
                .map(|code| code as usize)
        });
        entry.clone().map(|code| CodePtr(code as *const u8))
    }

    /// A lazy module is serialized as eager code: every function is compiled, partition by
    /// partition, with the workers' help.
    fn serialize(&self) -> Result<Vec<u8>, CompileError> {
        let tasks = self.shared.tasks.as_ref().and_then(Weak::upgrade);
        let threads = crate::eager::compile_threads(tasks.as_deref());
        let (image, _) = crate::eager::compile_image(
            &self.shared.info,
            self.shared.level,
            self.shared.code,
            self.shared.branch_profile.as_deref(),
            threads,
            &|_, _| {},
        )?;
        Ok(crate::eager::header::write(self.shared.level, &image))
    }
}

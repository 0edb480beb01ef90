//! [`LazyCode`]: a module's code, compiled one function at a time on first call.
//!
//! The GOT holds one code pointer per defined function. It starts pointing at the function's
//! stub; the first call through the stub compiles the function (exactly once, whichever thread
//! gets there first; others wait for that result), stores the code address in the GOT and
//! continues into it. Later calls load the GOT entry and go straight to the code.
//!
//! With workers, compiling a function queues its direct callees for compilation in the
//! background (speculation), so that their first call usually finds them ready. Queued work
//! holds only a weak reference: dropping the module cancels what has not started.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Instant;

use lazuli_backend_api::{
    CodeFlags, CodePtr, CompileError, CompileStats, CompiledCode, DefinedFuncIndex, ModuleInfo,
    OptLevel, TaskRunner,
};

use crate::code_map::{function_sizes, CodeMap};
use crate::jit::Jit;
use crate::lower::{func_symbol, lower_function, Profile};
use crate::stubs::StubTable;

/// How many locks serialize compiles of the same function (see `Shared::compile_locks`).
const COMPILE_LOCKS: usize = 64;

/// Code for one module, compiled lazily into its own JIT.
pub(crate) struct LazyCode {
    shared: Arc<Shared>,
}

/// The part background workers share with the module (through weak references).
pub(crate) struct Shared {
    info: Arc<ModuleInfo>,
    level: OptLevel,
    got: Box<[AtomicPtr<u8>]>,
    /// Code of each compiled function. Only successes are kept: a failed compile (out of
    /// memory, say) is tried again on the next call rather than remembered for good.
    compiled: Box<[OnceLock<usize>]>,
    /// Locks that keep two threads from compiling the same function at once (a function uses
    /// the lock of its index modulo their number).
    compile_locks: Box<[Mutex<()>]>,
    /// Whether a function has been queued for speculative compilation.
    queued: Box<[AtomicBool]>,
    /// Per function: calls and loop iterations counted by baseline code (tier-up).
    counters: Box<[AtomicU32]>,
    /// Calls plus iterations after which a function is recompiled optimized; 0: never.
    tier_up_threshold: u32,
    /// What the code must do at every tier (see `CompileOptions::code`).
    code: CodeFlags,
    /// Optimized code of functions that tiered up.
    optimized: Box<[OnceLock<Result<usize, CompileError>>]>,
    /// The JIT for optimized code.
    jit_optimized: OnceLock<Result<Jit, CompileError>>,
    optimized_count: AtomicU32,
    stubs: OnceLock<StubTable>,
    jit: OnceLock<Result<Jit, CompileError>>,
    /// Where the compiled functions' code lies (baseline and optimized), for backtraces.
    code_map: CodeMap,
    /// The workers, held weakly: the backend owns them, so that dropping the engine joins them
    /// even while one of them is compiling for this module (and holds it alive). A process must
    /// not exit while a worker is inside LLVM.
    tasks: Option<Weak<dyn TaskRunner>>,
    last_error: Mutex<Option<CompileError>>,
    compiled_count: AtomicU32,
    speculative: AtomicU32,
    compile_nanos: AtomicU64,
    wait_nanos: AtomicU64,
}

impl LazyCode {
    /// Code for `info` whose functions all start as stubs; `tasks` runs speculation.
    pub(crate) fn new(
        info: Arc<ModuleInfo>,
        level: OptLevel,
        tier_up_threshold: u32,
        code: CodeFlags,
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
        let shared = Arc::new(Shared {
            info,
            level,
            got: (0..n)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            compiled: (0..n).map(|_| OnceLock::new()).collect(),
            compile_locks: (0..COMPILE_LOCKS).map(|_| Mutex::new(())).collect(),
            queued: (0..n).map(|_| AtomicBool::new(false)).collect(),
            counters: (0..n).map(|_| AtomicU32::new(0)).collect(),
            tier_up_threshold,
            code,
            optimized: (0..n).map(|_| OnceLock::new()).collect(),
            jit_optimized: OnceLock::new(),
            optimized_count: AtomicU32::new(0),
            stubs: OnceLock::new(),
            jit: OnceLock::new(),
            code_map: CodeMap::default(),
            tasks: tasks.as_ref().map(Arc::downgrade),
            last_error: Mutex::new(None),
            compiled_count: AtomicU32::new(0),
            speculative: AtomicU32::new(0),
            compile_nanos: AtomicU64::new(0),
            wait_nanos: AtomicU64::new(0),
        });
        // The stubs embed the address of the shared state, which never moves.
        let stubs = StubTable::new(n, Arc::as_ptr(&shared) as *const u8)?;
        for (i, entry) in shared.got.iter().enumerate() {
            entry.store(stubs.stub(i) as *mut u8, Ordering::Relaxed);
        }
        let _ = shared.stubs.set(stubs);
        Ok(LazyCode { shared })
    }
}

impl Shared {
    /// Compile defined function `index` if needed, publish it in the GOT, return its code.
    /// A caller that finds another thread compiling it waits for that result.
    pub(crate) fn resolve_index(self: &Arc<Self>, index: u32) -> Result<*const u8, CompileError> {
        self.resolve(index, false)
    }

    fn resolve(self: &Arc<Self>, index: u32, speculative: bool) -> Result<*const u8, CompileError> {
        let cell = self
            .compiled
            .get(index as usize)
            .ok_or_else(|| CompileError::new(format!("no defined function {index}")))?;
        if let Some(&done) = cell.get() {
            return Ok(done as *const u8);
        }
        let started = Instant::now();
        let lock = &self.compile_locks[index as usize % self.compile_locks.len()];
        let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&done) = cell.get() {
            // Another thread compiled it while this one waited.
            drop(guard);
            if !speculative {
                self.wait_nanos
                    .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
            }
            return Ok(done as *const u8);
        }
        let code = match self.compile_one(DefinedFuncIndex(index)) {
            Ok(code) => code,
            Err(e) => {
                *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
                return Err(e);
            }
        };
        let _ = cell.set(code as usize);
        self.got[index as usize].store(code as *mut u8, Ordering::Release);
        drop(guard);
        self.compiled_count.fetch_add(1, Ordering::Relaxed);
        if speculative {
            self.speculative.fetch_add(1, Ordering::Relaxed);
        }
        self.compile_nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        for callee in self.info.direct_callees(DefinedFuncIndex(index)) {
            if let Some(defined) = self.info.defined_func_index(callee) {
                self.speculate(defined.0);
            }
        }
        Ok(code)
    }

    /// Queue `index` for compilation on a worker, once, unless it is compiled already.
    fn speculate(self: &Arc<Self>, index: u32) {
        let Some(tasks) = self.tasks.as_ref().and_then(Weak::upgrade) else {
            return;
        };
        let Some(queued) = self.queued.get(index as usize) else {
            return;
        };
        if self.compiled[index as usize].get().is_some() || queued.swap(true, Ordering::Relaxed) {
            return;
        }
        let weak: Weak<Shared> = Arc::downgrade(self);
        tasks.spawn(Box::new(move || {
            // A module dropped in the meantime has cancelled this work.
            if let Some(shared) = weak.upgrade() {
                let _ = shared.resolve(index, true);
            }
        }));
    }

    /// Baseline code asks for tier-up here, once, when function `index` gets hot: queue an
    /// optimized recompile on a worker; when done, the GOT entry switches to the new code.
    fn request_tier_up(self: &Arc<Self>, index: u32) {
        let Some(tasks) = self.tasks.as_ref().and_then(Weak::upgrade) else {
            return;
        };
        let weak: Weak<Shared> = Arc::downgrade(self);
        tasks.spawn(Box::new(move || {
            let Some(shared) = weak.upgrade() else { return };
            let Some(cell) = shared.optimized.get(index as usize) else {
                return;
            };
            cell.get_or_init(|| {
                let started = Instant::now();
                let code = shared.compile_at(DefinedFuncIndex(index), OptLevel::Optimized)?;
                shared.got[index as usize].store(code as *mut u8, Ordering::Release);
                shared.optimized_count.fetch_add(1, Ordering::Relaxed);
                shared
                    .compile_nanos
                    .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
                Ok(code as usize)
            });
        }));
    }

    fn compile_one(&self, index: DefinedFuncIndex) -> Result<*const u8, CompileError> {
        self.compile_at(index, self.level)
    }

    fn compile_at(
        &self,
        index: DefinedFuncIndex,
        level: OptLevel,
    ) -> Result<*const u8, CompileError> {
        let tiered = level != self.level;
        let jit_cell = if tiered {
            &self.jit_optimized
        } else {
            &self.jit
        };
        let jit = jit_cell
            .get_or_init(|| Jit::new(level))
            .as_ref()
            .map_err(Clone::clone)?;
        let profile = (!tiered && self.tier_up_threshold > 0).then(|| Profile {
            counter: &self.counters[index.index()] as *const AtomicU32 as usize,
            threshold: self.tier_up_threshold,
            request: tier_up_request as *const () as usize,
            context: self as *const Shared as usize,
        });
        let ctx = inkwell::context::Context::create();
        let module = ctx.create_module(&func_symbol(index));
        jit.prepare(&module);
        lower_function(&ctx, &module, &self.info, index, profile, self.code)?;
        crate::optimize(&module, level)?;
        let object = jit.add_ir(&module)?;
        let code = jit.lookup(&func_symbol(index))?;
        for (f, len) in function_sizes(&object)? {
            if f == index {
                self.code_map.insert(code as usize, len, f);
            }
        }
        Ok(code)
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
        self.shared.resolve_index(f.0).map(CodePtr)
    }

    fn is_compiled(&self, f: DefinedFuncIndex) -> bool {
        self.shared
            .compiled
            .get(f.index())
            .is_some_and(|c| c.get().is_some())
    }

    fn prefetch(&self, f: DefinedFuncIndex) {
        self.shared.speculate(f.0);
    }

    fn stats(&self) -> CompileStats {
        let s = &self.shared;
        let compiled = s.compiled_count.load(Ordering::Relaxed);
        let (baseline, optimized) = match s.level {
            OptLevel::Baseline => (compiled, s.optimized_count.load(Ordering::Relaxed)),
            OptLevel::Optimized => (0, compiled),
        };
        CompileStats {
            baseline,
            optimized,
            speculative: s.speculative.load(Ordering::Relaxed),
            compile_nanos: s.compile_nanos.load(Ordering::Relaxed),
            wait_nanos: s.wait_nanos.load(Ordering::Relaxed),
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
        self.shared.code_map.lookup(pc)
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
            threads,
            &|_, _| {},
        )?;
        Ok(crate::eager::header::write(self.shared.level, &image))
    }
}

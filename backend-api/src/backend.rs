//! The [`CodeBackend`] trait a code generator implements, and what it hands back.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use alloc::sync::Arc;

use crate::branch_profile::BranchProfile;
use crate::index::DefinedFuncIndex;
use crate::module_info::ModuleInfo;
use crate::types::FuncType;

/// An address of machine code the runtime may call. Compiled code is immutable once published
/// and lives as long as the [`CompiledCode`] that produced it, so the address may be shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub struct CodePtr(pub *const u8);

// SAFETY: a `CodePtr` is only an address of immutable, published machine code; sharing the
// address between threads is no different from sharing a `usize`.
unsafe impl Send for CodePtr {}
// SAFETY: see `Send` above; the pointee is never written through a `CodePtr`.
unsafe impl Sync for CodePtr {}

/// When functions are compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Strategy {
    /// Each function on its first call, through a stub (the default).
    #[default]
    Lazy,
    /// All functions up front, into one object that can be serialized.
    Eager,
}

/// How hard the code generator optimizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum OptLevel {
    /// Fast instruction selection, few passes: the baseline tier.
    #[default]
    Baseline,
    /// Full optimization (like `-O2`).
    Optimized,
}

/// What every function's code must do, whatever its tier or optimization level: the part of
/// [`CompileOptions`] that code compiled at one tier and called from another must agree on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct CodeFlags {
    /// Compiled code checks the epoch against the store's deadline at every function entry
    /// and loop header, and raises `Interrupted` when it has passed.
    pub epoch_interruption: bool,
    /// `Some(guard)`: every linear memory of a store is reserved with its whole 4 GiB index
    /// space plus `guard` inaccessible bytes after it, its base never moves, and the runtime
    /// turns a fault of compiled code there into a `MemoryOutOfBounds` trap
    /// ([`crate::fault_regions`]). Code may then keep a memory's base in a register across
    /// calls and skip the bounds check of any access that [`CodeFlags::needs_bounds_check`]
    /// clears. `None`: every access is checked, and a base may move when its memory grows.
    pub memory_guard_bytes: Option<u64>,
}

impl CodeFlags {
    /// Whether an access of `size` bytes at a 32-bit index plus the static `offset` needs an
    /// explicit bounds check: always without a guard, else when the access may reach past it.
    pub fn needs_bounds_check(&self, offset: u64, size: u64) -> bool {
        match self.memory_guard_bytes {
            Some(guard) => offset.checked_add(size).is_none_or(|end| end > guard),
            None => true,
        }
    }

    /// Whether a memory's base stays where it is for the memory's whole life.
    pub fn memory_base_is_fixed(&self) -> bool {
        self.memory_guard_bytes.is_some()
    }
}

/// What the runtime asks of the backend when it compiles a module.
#[derive(Clone, Default)]
pub struct CompileOptions {
    /// Lazy or eager.
    pub strategy: Strategy,
    /// Optimization level of the first compile of each function.
    pub opt_level: OptLevel,
    /// Lazy baseline code counts calls and loop iterations per function; a function whose
    /// count reaches this is recompiled optimized in the background and its GOT entry switched
    /// to the new code. 0 turns tier-up off (it also needs background workers).
    pub tier_up_threshold: u32,
    /// What the code must do, at every tier.
    pub code: CodeFlags,
    /// Branch counts from a first tier, which an optimizing backend turns into branch weights
    /// and entry counts: a function's code follows its hot paths. `None`: no profile.
    pub profile: Option<Arc<dyn BranchProfile>>,
}

impl fmt::Debug for CompileOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompileOptions")
            .field("strategy", &self.strategy)
            .field("opt_level", &self.opt_level)
            .field("tier_up_threshold", &self.tier_up_threshold)
            .field("code", &self.code)
            .field("profile", &self.profile.is_some())
            .finish()
    }
}

/// Why compilation failed. Lowering a validated module should not fail; this reports code
/// generator limits, unsupported features and rejected serialized blobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// What went wrong, with enough context to act on.
    pub message: String,
}

impl CompileError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        CompileError {
            message: message.into(),
        }
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Runs background work for a backend (speculative compilation) on worker threads. The
/// runtime core defines no threads itself; a platform crate provides them.
pub trait TaskRunner: Send + Sync {
    /// Run `task` on a worker some time later. Never blocks the caller.
    fn spawn(&self, task: Box<dyn FnOnce() + Send>);
    /// How many workers there are; 0 means background work is off.
    fn workers(&self) -> usize;

    /// Block until no task is queued or running, unless called from one of the workers (which
    /// returns at once). Engines call it when they are dropped, so that background compilation
    /// never outlives the engine (and never runs while the process exits).
    fn wait_idle(&self) {}
}

/// What a module's code has cost so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompileStats {
    /// Functions compiled at the baseline tier.
    pub baseline: u32,
    /// Functions compiled at the optimized tier.
    pub optimized: u32,
    /// Of those, how many were compiled by background workers ahead of their first call.
    pub speculative: u32,
    /// Time spent compiling, summed over threads, in nanoseconds.
    pub compile_nanos: u64,
    /// Time callers spent waiting for a function another thread was compiling, in nanoseconds.
    pub wait_nanos: u64,
    /// Bytes of wasm function bodies compiled at the baseline tier.
    pub baseline_bytes: u64,
    /// Time spent compiling at the baseline tier, in nanoseconds.
    pub baseline_nanos: u64,
    /// Bytes of wasm function bodies compiled at the optimized tier.
    pub optimized_bytes: u64,
    /// Time spent compiling at the optimized tier, summed over threads, in nanoseconds.
    pub optimized_nanos: u64,
    /// Time hot functions waited from their tier-up request until their optimized code was
    /// installed, summed over functions, in nanoseconds.
    pub tier_up_wait_nanos: u64,
    /// Hot functions whose optimized recompile failed (out of JIT memory, say): they go on
    /// running their first-tier code.
    pub tier_up_failures: u32,
    /// Loop iterations the first tier's code ran (counted where it counts branches: the
    /// tiered mode's single-pass code).
    pub first_tier_iterations: u64,
    /// Of those, how many ran after the function's optimized code was installed, in frames
    /// entered before (a long loop that never returns): what on-stack replacement would
    /// move to optimized code.
    pub iterations_after_tier_up: u64,
    /// OSR entries compiled for first-tier frames still running a loop of a function that has
    /// optimized code (see [`crate::osr`]).
    pub osr_entries: u32,
    /// Functions whose optimized code was loaded ([`CompiledCode::load_optimized`]) rather
    /// than compiled (not counted in `optimized`).
    pub optimized_loaded: u32,
    /// Eager compilation: how many partitions the module was compiled in (0 when it was not).
    pub partitions: u32,
    /// Eager compilation: the compile time of the slowest partition, in nanoseconds. Against
    /// `compile_nanos` (all partitions) it bounds the speedup of more threads.
    pub largest_partition_nanos: u64,
}

/// A code generator. One instance serves every module of an engine, possibly from several
/// threads at once.
pub trait CodeBackend: Send + Sync {
    /// A short name for messages, e.g. `"llvm"`.
    fn name(&self) -> &str;

    /// The name serialized code is recorded under: blobs load only into a backend with the
    /// same one. By default [`CodeBackend::name`]; a backend that delegates serialization to
    /// another gives that one's.
    fn serialized_name(&self) -> &str {
        self.name()
    }

    /// Prepare code for a validated module. Lazy: return at once with a stub per function;
    /// eager: compile every function before returning.
    fn compile(
        &self,
        module: Arc<ModuleInfo>,
        opts: &CompileOptions,
    ) -> Result<Box<dyn CompiledCode>, CompileError> {
        self.compile_with_progress(module, opts, &|_, _| {})
    }

    /// As [`CodeBackend::compile`], telling `progress(done, total)` how many functions are
    /// compiled as it goes (eager mode; lazy mode compiles nothing here).
    fn compile_with_progress(
        &self,
        module: Arc<ModuleInfo>,
        opts: &CompileOptions,
        progress: &dyn Fn(u32, u32),
    ) -> Result<Box<dyn CompiledCode>, CompileError>;

    /// Check the header of [`CompiledCode::serialize`] output (what the code was made for:
    /// target, CPU, compiler version) without loading anything, so that code made elsewhere
    /// is refused for that before any other difference is named. By default, no check.
    fn check_serialized(&self, code: &[u8]) -> Result<(), CompileError> {
        let _ = code;
        Ok(())
    }

    /// Rebuild code from [`CompiledCode::serialize`] output, compiling nothing. Rejects a blob
    /// made by another version, target or configuration, or a damaged one.
    fn deserialize(
        &self,
        module: Arc<ModuleInfo>,
        bytes: &[u8],
    ) -> Result<Box<dyn CompiledCode>, CompileError>;

    /// As [`CodeBackend::deserialize`], for serialized code at `code` in a file mapped into
    /// memory: a backend may run the code where it lies instead of copying it, keeping `file`
    /// alive. By default the code is read from the mapping.
    fn deserialize_mapped(
        &self,
        module: Arc<ModuleInfo>,
        file: Arc<crate::MappedFile>,
        code: core::ops::Range<usize>,
    ) -> Result<Box<dyn CompiledCode>, CompileError> {
        let bytes = file
            .bytes()
            .get(code)
            .ok_or_else(|| CompileError::new("the code lies outside the file"))?;
        self.deserialize(module, bytes)
    }

    /// An adapter for host-to-wasm calls of signature `ty`:
    /// `extern "C" fn(code: *const u8, callee_vmctx: *mut u8, values: *mut ValRaw)`.
    /// It reads the arguments from the array, calls `code` and writes the results over it.
    /// The array is as long as the larger of the parameter and result counts.
    fn array_trampoline(&self, ty: &FuncType) -> Result<CodePtr, CompileError>;

    /// Code with the wasm calling convention for `ty` that calls a host function through a
    /// [`crate::vmcontext::VMHostContext`] passed as the callee context.
    fn host_trampoline(&self, ty: &FuncType) -> Result<CodePtr, CompileError>;

    /// Block until the backend's background work (speculation, tier-up) is done; see
    /// [`TaskRunner::wait_idle`]. The default has none.
    fn wait_idle(&self) {}
}

/// Code for one module, shared by all its instances and threads.
///
/// Compiled functions take the callee's `VMContext` first, then the wasm parameters, with the
/// target's C calling convention; how results are returned is the backend's choice, since only
/// its own code (functions and trampolines) calls them. The runtime calls them only through
/// [`CodeBackend::array_trampoline`].
pub trait CompiledCode: Send + Sync {
    /// The module's GOT: one code pointer per defined function, which compiled code calls
    /// through. Entries start as stubs (lazy) and are patched atomically when resolved.
    /// Valid as long as `self` lives.
    fn got(&self) -> *const CodePtr;

    /// Compile defined function `f` now if it is not yet compiled and return its code.
    /// Idempotent and thread-safe: a function is compiled at most once.
    fn resolve(&self, f: DefinedFuncIndex) -> Result<CodePtr, CompileError>;

    /// Whether defined function `f` has been compiled (rather than still being a stub).
    fn is_compiled(&self, f: DefinedFuncIndex) -> bool;

    /// Compile defined function `f` ahead of its first call, in the background if the backend
    /// has workers (speculation: the runtime calls this for start functions and exports).
    fn prefetch(&self, f: DefinedFuncIndex) {
        let _ = f;
    }

    /// What compiling this module's code has cost so far.
    fn stats(&self) -> CompileStats;

    /// The first tier's counts so far, one per defined function: its calls plus its loop
    /// iterations (what tier-up ranks by; a count wraps past `u32::MAX`). `None` when the code
    /// counts nothing (no tier-up, or optimized code only).
    fn counts(&self) -> Option<alloc::vec::Vec<u32>> {
        None
    }

    /// The first tier's branch counts of defined function `f` so far, one per slot
    /// ([`crate::branch_profile`]); `None` when `f` was not counted (not compiled by a counting
    /// first tier).
    fn branch_counts(&self, f: DefinedFuncIndex) -> Option<alloc::vec::Vec<u32>> {
        let _ = f;
        None
    }

    /// The optimized code compiled so far (by tier-up, plus any loaded by
    /// [`CompiledCode::load_optimized`]), as bytes a later process loads with
    /// `load_optimized` so that those functions start optimized. An error when there is none or
    /// the backend cannot save code.
    fn serialize_optimized(&self) -> Result<Vec<u8>, CompileError> {
        Err(CompileError::new("this backend cannot save optimized code"))
    }

    /// Give the functions in `bytes` (from [`CompiledCode::serialize_optimized`] of the same
    /// module, in a process of the same build and host) that code from now on, as if the
    /// optimizing tier had compiled it; functions compiled already keep their code. Returns
    /// how many functions took the loaded code.
    ///
    /// # Safety
    /// `bytes` are machine code that will run unchecked: they must have been made by
    /// `serialize_optimized` for this very module and kept where nobody else could change them
    /// (damage is detected only in the framing, not in the code).
    unsafe fn load_optimized(&self, bytes: &[u8]) -> Result<u32, CompileError> {
        let _ = bytes;
        Err(CompileError::new("this backend cannot load optimized code"))
    }

    /// Queue defined function `f` for the optimizing tier now, as if it had got hot (a saved
    /// profile says it will). Code without an optimizing tier ignores this.
    fn prefetch_optimized(&self, f: DefinedFuncIndex) {
        let _ = f;
    }

    /// The OSR entry of defined function `f` at its loop `loop_index` ([`crate::osr`]):
    /// compiled on the first request, then the same code. Backends without OSR say so.
    fn osr_entry(&self, f: DefinedFuncIndex, loop_index: u32) -> Result<CodePtr, CompileError> {
        let _ = (f, loop_index);
        Err(CompileError::new(
            "this backend does not compile OSR entries",
        ))
    }

    /// The most recent compilation failure, if any (a failure on a lazy call raises a
    /// `CompileError` trap; this says why).
    fn last_error(&self) -> Option<CompileError>;

    /// How many defined functions have been compiled so far.
    fn compiled_count(&self) -> usize;

    /// The defined function whose machine code contains the address `pc`, if any: how a
    /// return address found on the stack at a trap becomes a backtrace frame.
    fn function_at(&self, pc: usize) -> Option<DefinedFuncIndex>;

    /// The compiled code and the metadata needed to load it again without compiling.
    fn serialize(&self) -> Result<Vec<u8>, CompileError>;
}

//! [`Lazy`]: the lazy driver both backends use. A module's functions start as stubs in its GOT;
//! the first call of one compiles it (exactly once, whichever thread gets there first; others
//! wait for that result), stores the code address in the GOT and continues into it. Later calls
//! load the GOT entry and go straight to the code.
//!
//! The backend says how one function is compiled ([`Compile`]); the driver keeps the GOT, the
//! compile-once bookkeeping, the last error and the counts behind `CompileStats`. A failed
//! compile (out of memory, say) is not remembered: the next call tries again.

use std::cell::Cell;
use std::ops::Deref;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use lazuli_backend_api::vmcontext::VMRuntimeLimits;
use lazuli_backend_api::{CodePtr, CompileError, DefinedFuncIndex, TrapCode};

use crate::stubs::{ResolveFn, StubTable};

/// How many locks serialize compiles of the same function (a function uses the lock of its
/// index modulo their number).
const COMPILE_LOCKS: usize = 64;

/// What a backend brings to the driver: how one function is compiled.
pub trait Compile: Send + Sync + Sized + 'static {
    /// Compile defined function `index` and return its code. The driver calls it for one
    /// function at a time per function, never again once it succeeded.
    fn compile(lazy: &Arc<Lazy<Self>>, index: DefinedFuncIndex) -> Result<*const u8, CompileError>;

    /// `index` got its code from this driver (speculation queues its callees here).
    fn compiled(_lazy: &Arc<Lazy<Self>>, _index: DefinedFuncIndex) {}
}

/// One module's lazily compiled functions: the GOT and its stubs, over the backend's state `C`
/// (reachable through `Deref`).
#[repr(C)]
pub struct Lazy<C> {
    /// First, at the address the stubs carry: how they resolve (see `stubs`).
    resolve: ResolveFn,
    /// Whether a first call's compile stops when the caller's deadline passes (the code checks
    /// the epoch: `CodeFlags::epoch_interruption`).
    interruptible: bool,
    got: Box<[AtomicPtr<u8>]>,
    compiled: Box<[OnceLock<usize>]>,
    compile_locks: Box<[Mutex<()>]>,
    stubs: OnceLock<StubTable>,
    last_error: Mutex<Option<CompileError>>,
    counts: Counts,
    backend: C,
}

/// The driver's counts (see [`Lazy::counts`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LazyCounts {
    /// Functions that have code from the driver.
    pub compiled: u32,
    /// Of those, how many were compiled ahead of their first call (speculation).
    pub speculative: u32,
    /// Time spent compiling, in nanoseconds.
    pub compile_nanos: u64,
    /// Time callers spent waiting for another thread's compile of the same function.
    pub wait_nanos: u64,
}

#[derive(Default)]
struct Counts {
    compiled: AtomicU32,
    speculative: AtomicU32,
    compile_nanos: AtomicU64,
    wait_nanos: AtomicU64,
}

impl<C> Deref for Lazy<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.backend
    }
}

impl<C: Compile> Lazy<C> {
    /// `functions` defined functions, all starting at their stub, compiled by `backend`;
    /// `interruptible`: a compile for a call stops when the calling store's deadline passes
    /// (see [`interrupted`]), as the code's epoch checks would stop it.
    pub fn new(
        functions: usize,
        backend: C,
        interruptible: bool,
    ) -> Result<Arc<Lazy<C>>, CompileError> {
        let lazy = Arc::new(Lazy {
            resolve: resolve_from_stub::<C>,
            interruptible,
            got: (0..functions)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            compiled: (0..functions).map(|_| OnceLock::new()).collect(),
            compile_locks: (0..COMPILE_LOCKS).map(|_| Mutex::new(())).collect(),
            stubs: OnceLock::new(),
            last_error: Mutex::new(None),
            counts: Counts::default(),
            backend,
        });
        // The stubs embed the address of the driver, which never moves (it is in an `Arc`).
        let stubs = StubTable::new(functions, Arc::as_ptr(&lazy) as *const u8)?;
        for (i, entry) in lazy.got.iter().enumerate() {
            entry.store(stubs.stub(i) as *mut u8, Ordering::Relaxed);
        }
        let _ = lazy.stubs.set(stubs);
        Ok(lazy)
    }

    /// The GOT: one code pointer per defined function.
    pub fn got(&self) -> *const CodePtr {
        // `AtomicPtr<u8>` has the layout of `*mut u8`, and `CodePtr` is a transparent `*const u8`.
        self.got.as_ptr() as *const CodePtr
    }

    /// The number of defined functions.
    pub fn len(&self) -> usize {
        self.got.len()
    }

    /// Whether the module defines no function.
    pub fn is_empty(&self) -> bool {
        self.got.is_empty()
    }

    /// Compile defined function `index` if needed, publish it in the GOT, return its code.
    /// A caller that finds another thread compiling it waits for that result.
    pub fn resolve(self: &Arc<Self>, index: u32) -> Result<*const u8, CompileError> {
        self.resolve_for(index, false)
    }

    /// As [`resolve`](Self::resolve), ahead of the function's first call (counted as
    /// speculation; no waiting is counted).
    pub fn resolve_speculatively(self: &Arc<Self>, index: u32) -> Result<*const u8, CompileError> {
        self.resolve_for(index, true)
    }

    fn resolve_for(
        self: &Arc<Self>,
        index: u32,
        speculative: bool,
    ) -> Result<*const u8, CompileError> {
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
            // Another thread compiled it while this one waited.
            drop(guard);
            if !speculative {
                self.counts
                    .wait_nanos
                    .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
            }
            return Ok(done as *const u8);
        }
        let code = match C::compile(self, DefinedFuncIndex(index)) {
            Ok(code) => code,
            Err(e) => {
                self.record_error(e.clone());
                return Err(e);
            }
        };
        let _ = cell.set(code as usize);
        self.got[index as usize].store(code as *mut u8, Ordering::Release);
        drop(guard);
        self.counts.compiled.fetch_add(1, Ordering::Relaxed);
        if speculative {
            self.counts.speculative.fetch_add(1, Ordering::Relaxed);
        }
        self.counts
            .compile_nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        C::compiled(self, DefinedFuncIndex(index));
        Ok(code)
    }

    /// Whether defined function `index` has code from the driver.
    pub fn is_compiled(&self, index: u32) -> bool {
        self.compiled
            .get(index as usize)
            .is_some_and(|c| c.get().is_some())
    }

    /// Give defined function `index` `code` made elsewhere (loaded, not compiled), as if the
    /// driver had compiled it: its GOT entry points there and it is never compiled. False, and
    /// nothing changes, if the function has code already.
    pub fn preset(&self, index: u32, code: *const u8) -> bool {
        let Some(cell) = self.compiled.get(index as usize) else {
            return false;
        };
        let lock = &self.compile_locks[index as usize % COMPILE_LOCKS];
        let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
        if cell.set(code as usize).is_err() {
            return false;
        }
        self.got[index as usize].store(code as *mut u8, Ordering::Release);
        true
    }

    /// Switch defined function `index`'s GOT entry to `code` (tier-up): calls made from now on
    /// go there. `code` must take the function's arguments as the first code did.
    pub fn install(&self, index: u32, code: *const u8) {
        if let Some(entry) = self.got.get(index as usize) {
            entry.store(code as *mut u8, Ordering::Release);
        }
    }

    /// Remember `error` as the module's last compile error.
    pub fn record_error(&self, error: CompileError) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error);
    }

    /// The last compile error, if any compile failed.
    pub fn last_error(&self) -> Option<CompileError> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// What the driver has compiled so far.
    pub fn counts(&self) -> LazyCounts {
        let c = &self.counts;
        LazyCounts {
            compiled: c.compiled.load(Ordering::Relaxed),
            speculative: c.speculative.load(Ordering::Relaxed),
            compile_nanos: c.compile_nanos.load(Ordering::Relaxed),
            wait_nanos: c.wait_nanos.load(Ordering::Relaxed),
        }
    }
}

/// The [`ResolveFn`] of a `Lazy<C>`.
///
/// # Safety
/// `target` is the address of a live `Lazy<C>` held in an `Arc` (its stubs' code runs only while
/// the module is alive).
unsafe fn resolve_from_stub<C: Compile>(
    target: *const u8,
    index: u32,
    vmctx: *const u8,
) -> Result<*const u8, TrapCode> {
    // SAFETY: per the contract, `target` points into a live `Arc<Lazy<C>>`; taking another
    // strong reference keeps it alive for the compile. It is released before the stub's caller
    // may raise a trap, which would skip its destructor.
    let lazy = unsafe {
        let ptr = target as *const Lazy<C>;
        Arc::increment_strong_count(ptr);
        Arc::from_raw(ptr)
    };
    if !lazy.interruptible {
        return lazy.resolve(index).map_err(|_| TrapCode::CompileError);
    }
    let previous = CALLER.replace(vmctx);
    let result = lazy.resolve(index);
    CALLER.set(previous);
    result.map_err(|_| {
        // SAFETY: `vmctx` is the live VMContext of the call.
        if unsafe { VMRuntimeLimits::of(vmctx) }.deadline_passed() {
            TrapCode::Interrupted
        } else {
            TrapCode::CompileError
        }
    })
}

thread_local! {
    /// The VMContext of the call whose first call of a function this thread is compiling, if
    /// any (see [`interrupted`]).
    static CALLER: Cell<*const u8> = const { Cell::new(std::ptr::null()) };
}

/// Whether the compile this thread is running on behalf of a call should stop: the code checks
/// the epoch and the calling store's deadline has passed (`Store::set_epoch_deadline`). A backend asks now and then while
/// it compiles a function (every few thousand operators) and gives up with [`interrupted_error`];
/// the call then ends with the `Interrupted` trap. Compiles on workers (speculation, tier-up)
/// are never interrupted: no call waits for them.
pub fn interrupted() -> bool {
    let vmctx = CALLER.get();
    // SAFETY: `CALLER` is set only while `resolve_from_stub` runs for a call with that live
    // VMContext, on this thread.
    !vmctx.is_null() && unsafe { VMRuntimeLimits::of(vmctx) }.deadline_passed()
}

/// The error of a compile stopped because [`interrupted`] said so.
pub fn interrupted_error() -> CompileError {
    CompileError::new("the compile was interrupted: the store's deadline passed")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compiles every function to a `ret` with a count of compiles.
    struct Returns {
        memory: crate::code_memory::CodeMemory,
        compiles: AtomicU32,
        fail: bool,
    }

    impl Compile for Returns {
        fn compile(lazy: &Arc<Lazy<Self>>, _: DefinedFuncIndex) -> Result<*const u8, CompileError> {
            lazy.compiles.fetch_add(1, Ordering::Relaxed);
            if lazy.fail {
                return Err(CompileError::new("refused"));
            }
            lazy.memory.publish(&[0xc3])
        }
    }

    fn lazy(fail: bool) -> Arc<Lazy<Returns>> {
        Lazy::new(
            3,
            Returns {
                memory: Default::default(),
                compiles: AtomicU32::new(0),
                fail,
            },
            false,
        )
        .expect("lazy")
    }

    #[test]
    fn a_function_compiles_once_and_its_got_entry_follows() {
        let lazy = lazy(false);
        let got = lazy.got();
        // SAFETY: the GOT has three entries.
        let stub = unsafe { (*got.add(1)).0 };
        let code = lazy.resolve(1).expect("compile");
        assert_eq!(lazy.resolve(1).expect("again"), code);
        assert_eq!(lazy.compiles.load(Ordering::Relaxed), 1);
        // SAFETY: as above.
        assert_eq!(unsafe { (*got.add(1)).0 }, code);
        assert_ne!(stub, code);
        assert!(lazy.is_compiled(1) && !lazy.is_compiled(0));
        assert_eq!(lazy.counts().compiled, 1);
        assert!(lazy.resolve(3).is_err());
    }

    #[test]
    fn a_failed_compile_is_recorded_and_tried_again() {
        let lazy = lazy(true);
        assert!(lazy.resolve(0).is_err());
        assert!(lazy.resolve(0).is_err());
        assert_eq!(lazy.compiles.load(Ordering::Relaxed), 2);
        assert_eq!(
            lazy.last_error().map(|e| e.to_string()).as_deref(),
            Some("refused")
        );
    }
}

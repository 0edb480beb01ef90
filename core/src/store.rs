//! [`Store`]: owner of all runtime objects — functions, memories, tables, globals, instances and
//! host values — and of the state shared by compiled code running in it.
//!
//! Handles (`Func`, `Memory`, ...) are a store id and an index; using one with another store is
//! an [`Error::Usage`], never undefined behaviour. Objects that compiled code points to are
//! boxed, so their addresses stay put while the vectors holding them grow.

use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::backend::libcall::LIBCALL_COUNT;
use crate::backend::vmcontext::{VMFuncRef, VMRuntimeLimits};
use crate::backend::FuncType;
use crate::engine::Engine;
use crate::error::Error;
use crate::func::{Func, FuncData};
use crate::global::GlobalData;
use crate::instance::InstanceData;
use crate::memory::MemoryData;
use crate::table::TableData;
use crate::val::ExternRef;
use crate::FrameInfo;

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// All runtime objects of one embedding context. `Send` (it may move to another thread) but not
/// `Sync`.
pub struct Store {
    pub(crate) inner: Box<StoreInner>,
}

impl core::fmt::Debug for Store {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Store")
            .field("id", &self.inner.id)
            .field("funcs", &self.inner.funcs.len())
            .field("instances", &self.inner.instances.len())
            .finish()
    }
}

/// A function reference as compiled code sees it (`vm`), followed by the store's index of the
/// function, so that a reference read back from wasm maps to its [`Func`].
#[repr(C)]
pub(crate) struct FuncRefBox {
    pub vm: VMFuncRef,
    pub func: u32,
}

pub(crate) struct StoreInner {
    pub id: u64,
    pub engine: Engine,
    pub funcs: Vec<FuncData>,
    pub memories: Vec<Box<MemoryData>>,
    pub tables: Vec<Box<TableData>>,
    pub globals: Vec<Box<GlobalData>>,
    pub instances: Vec<Box<InstanceData>>,
    pub externs: Vec<Box<dyn Any + Send>>,
    pub limits: Box<VMRuntimeLimits>,
    pub libcalls: Box<[usize; LIBCALL_COUNT]>,
    /// The error unwinding wasm right now: a host function's, or a limit's
    /// ([`crate::Config::max_exception_bytes`]).
    pub host_error: Option<Error>,
    /// The panic of a host function, caught where it was called from wasm, to resume in the
    /// host code that called into wasm (with `std`: without it a panic aborts).
    #[cfg(feature = "std")]
    pub host_panic: Option<Box<dyn Any + Send>>,
    /// The wasm frames of the most recent trap, innermost first.
    pub backtrace: Vec<FrameInfo>,
    /// How many host->wasm calls are active on the stack.
    pub depth: u32,
    /// The `Store` value that entered wasm most recently (valid while `depth > 0`).
    pub entered: *mut Store,
    /// Bytes of linear memory held by the store's memories (against `max_memory_bytes`).
    pub memory_bytes: u64,
    /// Elements held by the store's tables (against `max_table_elements`).
    pub table_elements: u64,
    /// Bytes of address space reserved for the store's memories and tables (against
    /// `max_reserved_bytes`).
    pub reserved_bytes: u64,
    /// The embedder's data ([`Store::set_data`]).
    pub data: Option<Box<dyn Any + Send>>,
    /// Exception tags (exception handling).
    pub tags: Vec<crate::tag::TagData>,
    /// The store's live exceptions (an `exnref` points at one), reclaimed by collections.
    pub exceptions: crate::exceptions::Exceptions,
    /// An address in the host frame of the outermost call into wasm now running, above every
    /// wasm frame: where a collection of exceptions stops scanning the stack.
    pub stack_top: usize,
    /// The exception that reached the host uncaught, while its trap unwinds.
    pub uncaught: Option<u32>,
}

// SAFETY: the raw pointers in a store point to memory the store owns (boxed objects, instance
// VMContexts) or to immutable code of modules it keeps alive; moving the store to another thread
// moves all of that with it. The store is not `Sync`: it is only used through `&mut`.
unsafe impl Send for StoreInner {}

impl Store {
    /// An empty store for modules of `engine`.
    pub fn new(engine: &Engine) -> Store {
        Store {
            inner: Box::new(StoreInner {
                id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
                engine: engine.clone(),
                funcs: Vec::new(),
                memories: Vec::new(),
                tables: Vec::new(),
                globals: Vec::new(),
                instances: Vec::new(),
                externs: Vec::new(),
                limits: Box::new(VMRuntimeLimits {
                    epoch: engine.epoch_ptr(),
                    ..VMRuntimeLimits::default()
                }),
                libcalls: Box::new(crate::libcalls::table(engine)),
                host_error: None,
                #[cfg(feature = "std")]
                host_panic: None,
                backtrace: Vec::new(),
                depth: 0,
                entered: core::ptr::null_mut(),
                memory_bytes: 0,
                table_elements: 0,
                reserved_bytes: 0,
                data: None,
                tags: Vec::new(),
                exceptions: Default::default(),
                stack_top: 0,
                uncaught: None,
            }),
        }
    }

    /// Keep `data` in the store for host functions to reach ([`Store::data`] through
    /// [`crate::Caller::store`]), replacing what was there.
    pub fn set_data(&mut self, data: impl Any + Send) {
        self.inner.data = Some(Box::new(data));
    }

    /// The data kept with [`Store::set_data`], if it is a `T`.
    pub fn data<T: Any>(&self) -> Option<&T> {
        self.inner.data.as_ref()?.downcast_ref()
    }

    /// The data kept with [`Store::set_data`], writable, if it is a `T`.
    pub fn data_mut<T: Any>(&mut self) -> Option<&mut T> {
        self.inner.data.as_mut()?.downcast_mut()
    }

    /// The engine this store belongs to.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// How many exceptions the store holds alive, and the bytes they take (against
    /// [`crate::Config::max_exception_bytes`]). Exceptions nothing refers to any more are freed
    /// by a collection at a later throw.
    pub fn live_exceptions(&self) -> (usize, u64) {
        (self.inner.exceptions.live(), self.inner.exceptions.bytes())
    }

    /// Bytes of address space the store's memories and tables have reserved (against
    /// [`crate::Config::max_reserved_bytes`]).
    pub fn reserved_bytes(&self) -> u64 {
        self.inner.reserved_bytes
    }

    /// The wasm functions that were on the stack when code in this store last trapped (or
    /// called a host function that failed), innermost first; the platform records at most the
    /// innermost 64 frames (std-shim). Cleared when the host calls into wasm again.
    pub fn trap_backtrace(&self) -> &[FrameInfo] {
        &self.inner.backtrace
    }

    /// Interrupt wasm running in this store once the engine's epoch has advanced `ticks`
    /// beyond its current value ([`Engine::increment_epoch`]): the call then fails with an
    /// `Interrupted` trap, and the store stays usable. Needs [`crate::Config::epoch_interruption`];
    /// by default a store has no deadline.
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        let now = self.inner.engine.current_epoch();
        self.inner.limits.epoch_deadline = now.saturating_add(ticks);
    }

    /// The store's deadline as it stands, for host code that waits (a sleep, a read) to check
    /// from time to time, from any thread, so that it ends no later than compiled code would.
    pub fn deadline(&self) -> Deadline {
        Deadline {
            engine: self.inner.engine.clone(),
            epoch: self.inner.limits.epoch_deadline,
        }
    }

    /// Keep a host value in the store and return a reference wasm can hold as `externref`.
    pub fn extern_ref(&mut self, value: impl Any + Send) -> ExternRef {
        self.inner.externs.push(Box::new(value));
        ExternRef {
            store: self.inner.id,
            index: self.inner.externs.len() as u32 - 1,
        }
    }

    /// The host value behind an `externref`.
    pub fn extern_data(&self, r: ExternRef) -> Result<&(dyn Any + Send), Error> {
        self.inner.check(r.store, "externref")?;
        Ok(&*self.inner.externs[r.index as usize])
    }
}

impl StoreInner {
    /// Fail unless a handle with store id `id` belongs here.
    pub fn check(&self, id: u64, what: &str) -> Result<(), Error> {
        if id == self.id {
            Ok(())
        } else {
            Err(Error::Usage(format!("{what} belongs to another store")))
        }
    }

    /// The function reference compiled code uses for `f` (which must belong to this store).
    pub fn func_ref(&self, f: Func) -> *const VMFuncRef {
        self.funcs[f.index as usize].funcref as *const VMFuncRef
    }

    /// The [`Func`] of a raw reference read from compiled code (0 is null).
    pub fn func_from_ref(&self, raw: usize) -> Option<Func> {
        if raw == 0 {
            return None;
        }
        // SAFETY: every non-null funcref compiled code can hold was made by this store and points
        // at a live `FuncRefBox` (boxed in a `FuncData` or an instance).
        let index = unsafe { (*(raw as *const FuncRefBox)).func };
        Some(Func {
            store: self.id,
            index,
        })
    }

    /// Register a function and return its handle.
    pub fn push_func(&mut self, data: FuncData) -> Func {
        self.funcs.push(data);
        Func {
            store: self.id,
            index: self.funcs.len() as u32 - 1,
        }
    }

    /// The signature of a function of this store.
    pub fn func_type(&self, f: Func) -> &FuncType {
        &self.funcs[f.index as usize].ty
    }
}

/// A store's epoch deadline ([`Store::set_epoch_deadline`]), taken with [`Store::deadline`]:
/// whether it has passed, for host code that waits on the guest's behalf. Host functions that
/// find it passed end their call with [`crate::backend::TrapCode::Interrupted`], as compiled
/// code does.
#[derive(Clone)]
pub struct Deadline {
    engine: Engine,
    epoch: u64,
}

impl Deadline {
    /// Whether there is a deadline to keep: the store has one and the engine's code checks the
    /// epoch ([`crate::Config::epoch_interruption`]); host code need not watch it otherwise.
    pub fn is_set(&self) -> bool {
        self.epoch != u64::MAX && self.engine.config().epoch_interruption
    }

    /// Whether the deadline is set and the engine's epoch has reached it.
    pub fn passed(&self) -> bool {
        self.is_set() && self.engine.current_epoch() >= self.epoch
    }
}

impl core::fmt::Debug for Deadline {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Deadline")
            .field("epoch", &self.epoch)
            .finish()
    }
}

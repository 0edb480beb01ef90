//! [`Platform`]: the operating-system services the no_std core needs to run code, provided by
//! a platform crate (`lazuli-std-shim` on hosted targets).

/// What the runtime needs from the operating system to run compiled code.
pub trait Platform: Send + Sync {
    /// Call `f(data)`; if compiled code raises a trap inside it (through [`Platform::raise_trap`]),
    /// unwind to here and return the trap code. Nests: the innermost call catches.
    ///
    /// # Safety
    /// `f` must be safe to call with `data`, and every frame between here and a raise must be
    /// safe to skip (compiled code, trampolines, and runtime functions holding nothing to drop).
    unsafe fn catch_traps(&self, f: unsafe extern "C" fn(*mut u8), data: *mut u8) -> Option<u32>;

    /// The function that raises a trap: it unwinds to the innermost [`Platform::catch_traps`] on
    /// the current thread with the given code. Its signature is that of the `RaiseTrap` libcall.
    fn raise_trap(&self) -> unsafe extern "C" fn(*mut u8, u32) -> !;

    /// The lowest stack address compiled code may use on the current thread, leaving room
    /// below for the runtime, host functions and the compiler to run.
    fn stack_limit(&self) -> usize;

    /// The return addresses on the stack when the last trap on this thread was raised,
    /// innermost first, for backtraces. A platform that cannot walk the stack returns none.
    fn trap_frames(&self) -> alloc::vec::Vec<usize> {
        alloc::vec::Vec::new()
    }

    /// Reserve `size` bytes of address space, inaccessible and costing no memory, for a linear
    /// memory that grows in place. `None` if the platform has no reservations or the address
    /// space is exhausted (the memory then lives in an ordinary allocation).
    fn reserve(&self, size: usize) -> Option<*mut u8> {
        let _ = size;
        None
    }

    /// Make `[start, start + len)` of a reservation readable and writable; its bytes read as
    /// zero until written. False if the system refuses.
    ///
    /// # Safety
    /// The range lies in a reservation made by [`Platform::reserve`] and not released.
    unsafe fn commit(&self, start: *mut u8, len: usize) -> bool {
        let _ = (start, len);
        false
    }

    /// Give back a whole reservation.
    ///
    /// # Safety
    /// `start` and `size` are those of a reservation from [`Platform::reserve`]; nothing uses
    /// its memory any more.
    unsafe fn release(&self, start: *mut u8, size: usize) {
        let _ = (start, size);
    }

    /// Whether this platform reserves address space ([`Platform::reserve`]) and turns a fault
    /// of compiled code inside a registered memory reservation
    /// ([`crate::backend::fault_regions::is_wasm_memory_fault`]) into a `MemoryOutOfBounds`
    /// trap, unwinding as [`Platform::raise_trap`] does, installing what that takes on first
    /// call. Engines elide bounds checks only where this holds. The default: no.
    fn handles_memory_faults(&self) -> bool {
        false
    }

    /// Run `job(0) .. job(count - 1)`, on several threads if the platform has them, and return
    /// when all are done. The default runs them in order on the calling thread.
    fn run_parallel(&self, count: usize, job: &(dyn Fn(usize) + Sync)) {
        for i in 0..count {
            job(i);
        }
    }

    /// Map the file at `path` into memory, privately and copy-on-write (for
    /// [`crate::Module::deserialize_file`]). The default: this platform has no files.
    fn map_file(&self, path: &str) -> Result<crate::backend::MappedFile, alloc::string::String> {
        let _ = path;
        Err(alloc::string::String::from(
            "this platform cannot map files",
        ))
    }
}

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

    /// Run `job(0) .. job(count - 1)`, on several threads if the platform has them, and return
    /// when all are done. The default runs them in order on the calling thread.
    fn run_parallel(&self, count: usize, job: &(dyn Fn(usize) + Sync)) {
        for i in 0..count {
            job(i);
        }
    }
}

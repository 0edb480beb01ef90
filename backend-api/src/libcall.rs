//! Libcalls: runtime functions that compiled code calls through the table at
//! [`crate::vmcontext::VMOffsets::LIBCALLS`]. The runtime fills the table; a backend emits an
//! indirect call to entry `Libcall::X as usize` with the C signature documented on `X`.
//! Every libcall takes the caller's `vmctx` first.

/// The libcalls, numbered by their position in the libcall table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Libcall {
    /// `fn(vmctx, trap_code: u32) -> !`: unwind to the host call that entered wasm.
    RaiseTrap = 0,
    /// `fn(vmctx, defined_func: u32) -> *const u8`: compile a defined function if needed,
    /// patch its GOT entry and return its code (the lazy resolver the stubs call).
    /// Raises a `CompileError` trap on failure.
    ResolveFunc = 1,
    /// `fn(vmctx, memory: u32, delta_pages: u64) -> i64`: `memory.grow`; old size or -1.
    /// Addresses, lengths and page counts of memory libcalls are `u64` for every memory: a
    /// 32-bit memory's `i32` operands are passed zero-extended.
    MemoryGrow = 2,
    /// `fn(vmctx, table: u32, init: usize, delta: u64) -> i64`: `table.grow`; old size or -1.
    /// Indices, lengths and sizes of table libcalls are `u64` for every table: a 32-bit
    /// table's `i32` operands are passed zero-extended.
    TableGrow = 3,
    /// `fn(vmctx, memory: u32, dst: u64, val: u32, len: u64)`: `memory.fill`; traps when out of bounds.
    MemoryFill = 4,
    /// `fn(vmctx, dst_mem: u32, src_mem: u32, dst: u64, src: u64, len: u64)`: `memory.copy`.
    MemoryCopy = 5,
    /// `fn(vmctx, memory: u32, data: u32, dst: u64, src: u32, len: u32)`: `memory.init`.
    MemoryInit = 6,
    /// `fn(vmctx, data: u32)`: `data.drop`.
    DataDrop = 7,
    /// `fn(vmctx, dst_table: u32, src_table: u32, dst: u64, src: u64, len: u64)`: `table.copy`.
    TableCopy = 8,
    /// `fn(vmctx, table: u32, elem: u32, dst: u64, src: u32, len: u32)`: `table.init`.
    TableInit = 9,
    /// `fn(vmctx, elem: u32)`: `elem.drop`.
    ElemDrop = 10,
    /// `fn(vmctx, table: u32, dst: u64, val: usize, len: u64)`: `table.fill`.
    TableFill = 11,
    /// `fn(vmctx, tag: u32, values: *const ValRaw) -> !`: `throw` of the module's tag `tag`
    /// with its payload in `values` (one `ValRaw` each, in order): makes the exception and
    /// unwinds to the innermost handler (see [`crate::vmcontext::VMHandler`]).
    Throw = 12,
    /// `fn(vmctx, exception: *const VMException) -> !`: `throw_ref`; raises a `NullReference`
    /// trap for null.
    ThrowRef = 13,
    /// `fn(vmctx, handler: *mut VMHandler) -> u64`: enter a `try_table`. Saves the callee-saved
    /// registers, the stack pointer and the return address in `handler`, links it as the
    /// store's innermost handler and returns 0; returns again, with 1, when an exception
    /// unwinds to it (the handler unlinked, the exception in
    /// [`crate::vmcontext::VMRuntimeLimits::exception`]). Like `setjmp`, it returns twice.
    TryEnter = 14,
}

/// Number of entries in the libcall table.
pub const LIBCALL_COUNT: usize = 15;

/// Raise `code` through `vmctx`'s libcall table, as compiled code does: for runtime functions
/// that compiled code calls (the lazy resolvers), when they have to fail the call.
///
/// # Safety
/// `vmctx` is a live `VMContext` whose libcall table holds `RaiseTrap`, and every frame between
/// here and the host call that entered wasm is safe to skip (holds nothing to drop).
pub unsafe fn raise_trap(vmctx: *mut u8, code: crate::TrapCode) -> ! {
    // SAFETY: per the contract, `vmctx` has a libcall table pointer at `LIBCALLS`, whose
    // `RaiseTrap` entry has the documented signature and never returns.
    unsafe {
        let table =
            *(vmctx.add(crate::vmcontext::VMOffsets::LIBCALLS as usize) as *const *const usize);
        let raise: unsafe extern "C" fn(*mut u8, u32) -> ! =
            core::mem::transmute(*table.add(Libcall::RaiseTrap as usize));
        raise(vmctx, code as u32)
    }
}

//! The `VMContext`: the per-instance block of runtime state that compiled code receives as its
//! first argument, and the records it points to.
//!
//! The layout is computed by one function, [`VMOffsets::new`], that the runtime (which fills the
//! block) and every backend (which emits loads from it) both call. Fixed fields come first;
//! then arrays whose length depends on the module.
//!
//! ```text
//! offset                      field
//! 0                           magic: u64                         (VMCONTEXT_MAGIC)
//! 8                           libcalls: *const usize             (the libcall table)
//! 16                          got: *const AtomicPtr<u8>          (code of each defined function)
//! 24                          type_ids: *const u32               (engine-wide id per type index)
//! 32                          limits: *const VMRuntimeLimits     (shared by a store's instances)
//! 40                          func_refs: *const *const VMFuncRef (one per function index)
//! 48                          runtime: *mut ()                   (opaque, for libcalls)
//! 56                          instance_id: u64                   (opaque, for libcalls)
//! 64                          tags: *const u64                   (store tag index per tag)
//! imported_funcs              [VMFuncImport; imported funcs]
//! memories                    [*mut VMMemoryDefinition; memories]
//! tables                      [*mut VMTableDefinition; tables]
//! globals                     [*mut ValRaw; globals]
//! ```

use crate::module_info::ModuleInfo;

/// The first word of every `VMContext`, checked in debug builds.
pub const VMCONTEXT_MAGIC: u64 = u64::from_le_bytes(*b"lazulivm");

/// Pointer size of the targets Lazuli supports (64-bit hosts).
pub const POINTER_SIZE: u32 = 8;

/// Where a linear memory currently lives. The owner updates it when the memory grows;
/// compiled code reloads it after any call that may grow memory.
#[derive(Debug)]
#[repr(C)]
pub struct VMMemoryDefinition {
    /// Start of the memory's bytes.
    pub base: *mut u8,
    /// Current size in bytes.
    pub length: usize,
}

/// Where a table's elements currently live. Each element is a pointer-sized reference:
/// for `funcref` a `*const VMFuncRef`, for `externref` an opaque host handle; 0 is null.
#[derive(Debug)]
#[repr(C)]
pub struct VMTableDefinition {
    /// Start of the element array.
    pub base: *mut usize,
    /// Current number of elements.
    pub length: usize,
}

/// An imported function: its code and the `VMContext` it must be called with.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct VMFuncImport {
    /// Code with the wasm calling convention.
    pub code: *const u8,
    /// The callee's context (its own instance's, or a host function's).
    pub vmctx: *mut u8,
}

/// A function reference as stored in tables and produced by `ref.func`: enough to call the
/// function indirectly and check its signature.
#[derive(Debug)]
#[repr(C)]
pub struct VMFuncRef {
    /// Address of a code pointer to call through: a GOT entry for defined functions (so a
    /// reference follows lazy resolution), or a slot holding a host trampoline.
    pub code_slot: *const *const u8,
    /// Engine-wide signature id of the function's type.
    pub type_id: u32,
    /// Padding; always 0.
    pub _pad: u32,
    /// The `VMContext` to call the function with.
    pub vmctx: *mut u8,
}

/// Limits shared by every instance of a store; compiled code checks them.
#[derive(Debug)]
#[repr(C)]
pub struct VMRuntimeLimits {
    /// Lowest stack address compiled code may use; a function whose frame would go below it
    /// raises a `StackOverflow` trap. The check must cover the whole frame, whatever its size,
    /// before anything is written to it (a frame larger than the reserve below the limit must
    /// never reach past the stack's end). Set by the runtime on entry from the host.
    pub stack_limit: usize,
    /// The engine's epoch counter (a `u64` that other threads increment). Code compiled with
    /// epoch interruption reads it at every function entry and loop header.
    pub epoch: *const u64,
    /// When the epoch reaches this value, code compiled with epoch interruption raises an
    /// `Interrupted` trap. `u64::MAX`: never.
    pub epoch_deadline: u64,
    /// The innermost `try_table` handler of the running wasm code (a [`VMHandler`] in its
    /// frame), or null. Compiled code unlinks a handler when control leaves its `try_table`;
    /// the runtime clears the chain on entry from the host and restores it on return.
    pub handler: *mut VMHandler,
    /// The exception being delivered to the handler that `TryEnter` just returned 1 for.
    pub exception: *const VMException,
}

impl VMRuntimeLimits {
    /// Whether the epoch has reached the deadline (what epoch checks in compiled code test).
    pub fn deadline_passed(&self) -> bool {
        // SAFETY: `epoch` points at the engine's epoch (or a static), which outlives every
        // store's limits; other threads only increment it.
        let epoch = unsafe { core::ptr::read_volatile(self.epoch) };
        epoch >= self.epoch_deadline
    }

    /// The limits of the store whose VMContext is `vmctx`.
    ///
    /// # Safety
    /// `vmctx` is a live VMContext (its limits pointer is set when the instance is made).
    pub unsafe fn of<'a>(vmctx: *const u8) -> &'a VMRuntimeLimits {
        // SAFETY: per the contract; the pointer lies at `VMOffsets::RUNTIME_LIMITS`.
        unsafe {
            &**(vmctx.add(VMOffsets::RUNTIME_LIMITS as usize) as *const *const VMRuntimeLimits)
        }
    }
}

/// A `try_table`'s handler, in the frame of the function that entered it: what `TryEnter`
/// saved, so that a throw can resume there (x86-64: the callee-saved registers).
#[derive(Debug, Default)]
#[repr(C)]
pub struct VMHandler {
    /// The next outer handler (the chain's previous head).
    pub prev: usize,
    /// Saved rbx, rbp, r12, r13, r14, r15.
    pub callee_saved: [usize; 6],
    /// The stack pointer after `TryEnter` returns.
    pub sp: usize,
    /// Where `TryEnter` returns to.
    pub pc: usize,
}

/// Bytes a frame reserves for one [`VMHandler`] (16-byte aligned).
pub const HANDLER_SIZE: u32 = 80;

/// An exception: its tag (the store's tag index) and payload. An `exnref` is a pointer to one;
/// the runtime keeps every exception of a store alive as long as the store.
#[derive(Debug)]
#[repr(C)]
pub struct VMException {
    /// The store's index of the exception's tag.
    pub tag: u64,
    /// Number of payload values.
    pub len: u64,
    /// The store's index of the exception itself.
    pub index: u64,
    /// Padding; 0.
    pub _pad: u64,
    // Then `len` `ValRaw`s.
}

/// Offset of an exception's first payload value.
pub const EXCEPTION_VALUES: u32 = 32;

impl Default for VMRuntimeLimits {
    fn default() -> Self {
        /// An epoch that never moves, for limits not yet tied to an engine.
        static NEVER: u64 = 0;
        VMRuntimeLimits {
            stack_limit: 0,
            epoch: &NEVER,
            epoch_deadline: u64::MAX,
            handler: core::ptr::null_mut(),
            exception: core::ptr::null(),
        }
    }
}

/// The context a host function is called with, in place of a `VMContext`. The runtime keeps
/// its own data after this header (the struct is its first field).
///
/// A backend's host trampoline of signature `T` has the wasm calling convention for `T` with
/// `*mut VMHostContext` as the callee context. It stores the arguments into an array of
/// [`crate::ValRaw`] (as long as the larger of the parameter and result counts), calls `call`,
/// and, if that returns non-zero, calls `raise_trap(ctx, returned - 1)`; otherwise it loads
/// the results from the array and returns them.
#[derive(Debug)]
#[repr(C)]
pub struct VMHostContext {
    /// [`VMHOST_MAGIC`].
    pub magic: u64,
    /// Runs the host function on the values in the array; 0 on success, trap code + 1 on error.
    pub call: unsafe extern "C" fn(ctx: *mut VMHostContext, values: *mut crate::ValRaw) -> u32,
    /// Unwinds to the host call that entered wasm, with the given trap code.
    pub raise_trap: unsafe extern "C" fn(ctx: *mut u8, code: u32) -> !,
}

/// The first word of every [`VMHostContext`].
pub const VMHOST_MAGIC: u64 = u64::from_le_bytes(*b"lazulihf");

/// Byte offsets of every field of a module's `VMContext`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VMOffsets {
    /// Number of imported functions.
    pub num_imported_funcs: u32,
    /// Number of memories (imported and defined).
    pub num_memories: u32,
    /// Number of tables (imported and defined).
    pub num_tables: u32,
    /// Number of globals (imported and defined).
    pub num_globals: u32,
    imported_funcs: u32,
    memories: u32,
    tables: u32,
    globals: u32,
    size: u32,
}

impl VMOffsets {
    /// Offset of the magic word.
    pub const MAGIC: u32 = 0;
    /// Offset of the libcall table pointer.
    pub const LIBCALLS: u32 = 8;
    /// Offset of the GOT pointer (array of code pointers, one per defined function).
    pub const GOT: u32 = 16;
    /// Offset of the type id array pointer.
    pub const TYPE_IDS: u32 = 24;
    /// Offset of the pointer to the store's [`VMRuntimeLimits`].
    pub const RUNTIME_LIMITS: u32 = 32;
    /// Offset of the pointer to the array of function references (one `*const VMFuncRef` per
    /// function index).
    pub const FUNC_REFS: u32 = 40;
    /// Offset of the opaque runtime pointer.
    pub const RUNTIME: u32 = 48;
    /// Offset of the runtime's identifier for the instance (opaque to compiled code).
    pub const INSTANCE_ID: u32 = 56;
    /// Offset of the pointer to the array of the store's tag indices (one `u64` per tag index
    /// of the module), which exceptions carry and handlers compare.
    pub const TAGS: u32 = 64;
    const FIXED_END: u32 = 72;

    /// The layout for a module.
    pub fn new(module: &ModuleInfo) -> VMOffsets {
        Self::from_counts(
            module.num_imported_funcs,
            module.memories.len() as u32,
            module.tables.len() as u32,
            module.globals.len() as u32,
        )
    }

    /// The layout for the given entity counts.
    pub fn from_counts(
        num_imported_funcs: u32,
        num_memories: u32,
        num_tables: u32,
        num_globals: u32,
    ) -> VMOffsets {
        let imported_funcs = Self::FIXED_END;
        let memories = imported_funcs + num_imported_funcs * 2 * POINTER_SIZE;
        let tables = memories + num_memories * POINTER_SIZE;
        let globals = tables + num_tables * POINTER_SIZE;
        let size = globals + num_globals * POINTER_SIZE;
        VMOffsets {
            num_imported_funcs,
            num_memories,
            num_tables,
            num_globals,
            imported_funcs,
            memories,
            tables,
            globals,
            size,
        }
    }

    /// Offset of imported function `i`'s [`VMFuncImport`].
    pub fn imported_func(&self, i: u32) -> u32 {
        debug_assert!(i < self.num_imported_funcs);
        self.imported_funcs + i * 2 * POINTER_SIZE
    }

    /// Offset of the pointer to memory `i`'s [`VMMemoryDefinition`].
    pub fn memory(&self, i: u32) -> u32 {
        debug_assert!(i < self.num_memories);
        self.memories + i * POINTER_SIZE
    }

    /// Offset of the pointer to table `i`'s [`VMTableDefinition`].
    pub fn table(&self, i: u32) -> u32 {
        debug_assert!(i < self.num_tables);
        self.tables + i * POINTER_SIZE
    }

    /// Offset of the pointer to global `i`'s storage (a [`crate::ValRaw`]).
    pub fn global(&self, i: u32) -> u32 {
        debug_assert!(i < self.num_globals);
        self.globals + i * POINTER_SIZE
    }

    /// Total size of the `VMContext` in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_packed_in_declared_order() {
        let o = VMOffsets::from_counts(2, 1, 3, 4);
        assert_eq!(o.imported_func(0), 72);
        assert_eq!(o.imported_func(1), 88);
        assert_eq!(o.memory(0), 104);
        assert_eq!(o.table(0), 112);
        assert_eq!(o.table(2), 128);
        assert_eq!(o.global(0), 136);
        assert_eq!(o.size(), 168);
        assert_eq!(core::mem::size_of::<VMHandler>() as u32, 72);
        assert!(HANDLER_SIZE as usize >= core::mem::size_of::<VMHandler>());
        assert_eq!(
            core::mem::size_of::<VMFuncImport>() as u32,
            2 * POINTER_SIZE
        );
        assert_eq!(core::mem::size_of::<VMFuncRef>(), 24);
    }
}

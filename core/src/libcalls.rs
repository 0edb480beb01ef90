//! The libcalls compiled code calls (see `lazuli_backend_api::libcall`): memory and table
//! growth and the bulk operations, with the spec's bounds checks. A failing check raises a
//! trap through the platform; each libcall drops everything it holds before raising.

use crate::backend::libcall::{Libcall, LIBCALL_COUNT};
use crate::backend::vmcontext::{VMException, VMHandler, VMOffsets};
use crate::backend::{DefinedFuncIndex, TrapCode, ValRaw};
use crate::engine::Engine;
use crate::error::Error;
use crate::instance::InstanceData;
use crate::store::StoreInner;

/// The libcall table for stores of `engine`.
pub(crate) fn table(engine: &Engine) -> [usize; LIBCALL_COUNT] {
    let mut t = [0usize; LIBCALL_COUNT];
    if let Ok((_, platform)) = engine.runner() {
        t[Libcall::RaiseTrap as usize] = platform.raise_trap() as *const () as usize;
    }
    t[Libcall::ResolveFunc as usize] = resolve_func as *const () as usize;
    t[Libcall::MemoryGrow as usize] = memory_grow as *const () as usize;
    t[Libcall::TableGrow as usize] = table_grow as *const () as usize;
    t[Libcall::MemoryFill as usize] = memory_fill as *const () as usize;
    t[Libcall::MemoryCopy as usize] = memory_copy as *const () as usize;
    t[Libcall::MemoryInit as usize] = memory_init as *const () as usize;
    t[Libcall::DataDrop as usize] = data_drop as *const () as usize;
    t[Libcall::TableCopy as usize] = table_copy as *const () as usize;
    t[Libcall::TableInit as usize] = table_init as *const () as usize;
    t[Libcall::ElemDrop as usize] = elem_drop as *const () as usize;
    t[Libcall::TableFill as usize] = table_fill as *const () as usize;
    t[Libcall::Throw as usize] = throw as *const () as usize;
    t[Libcall::ThrowRef as usize] = throw_ref as *const () as usize;
    #[cfg(target_arch = "x86_64")]
    {
        t[Libcall::TryEnter as usize] = crate::backend::unwind::try_enter_address();
    }
    t
}

/// `throw`: make the exception of the module's tag `tag` with the payload at `values`, then
/// unwind to the innermost handler.
unsafe extern "C" fn throw(vmctx: *mut u8, tag: u32, values: *const ValRaw) -> ! {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    let store_tag = instance(store, i).tag_ids[tag as usize] as u32;
    let n = store.tags[store_tag as usize].ty.params().len();
    // SAFETY: compiled code passes one `ValRaw` per payload value of the tag's type.
    let values = unsafe { core::slice::from_raw_parts(values, n) };
    match store.new_exception(store_tag, values) {
        // SAFETY: as above; nothing is held.
        Ok(exception) => unsafe { unwind(vmctx, exception) },
        Err(limit) => {
            // The call ends with the limit's error, as with a failed host function's.
            store.host_error = Some(limit);
            // SAFETY: as above; nothing is held.
            unsafe { finish(vmctx, Err(TrapCode::HostError)) }
        }
    }
}

/// `throw_ref`: unwind `exception` again, or trap on null.
unsafe extern "C" fn throw_ref(vmctx: *mut u8, exception: *const VMException) -> ! {
    if exception.is_null() {
        // SAFETY: called by compiled code with its own VMContext; nothing is held.
        unsafe { finish::<()>(vmctx, Err(TrapCode::NullReference)) };
    }
    // SAFETY: as above; a non-null exnref points at one of the store's exceptions.
    unsafe { unwind(vmctx, exception) }
}

/// Deliver `exception` to the innermost handler, or, with none in this host call, end the call
/// with an `UncaughtException` trap that the host receives as [`Error::Exception`].
///
/// # Safety
/// As for [`context`]; the caller holds nothing that needs dropping.
unsafe fn unwind(vmctx: *mut u8, exception: *const VMException) -> ! {
    // SAFETY: per the contract.
    let (store, _) = unsafe { context(vmctx) };
    let handler = store.limits.handler;
    if handler.is_null() {
        // SAFETY: `exception` is one of the store's (made by `throw`, or a validated exnref).
        store.uncaught = Some(unsafe { (*exception).index } as u32);
        // SAFETY: per the contract.
        unsafe { finish::<()>(vmctx, Err(TrapCode::UncaughtException)) };
        unreachable!("finish raises on an error");
    }
    // SAFETY: per the contract, with a handler to resume at.
    unsafe { deliver(store, exception) }
}

/// Unlink the innermost handler and resume there with `exception`.
///
/// # Safety
/// The store's handler chain is not empty; it holds only handlers of live frames of the current
/// host call (compiled code unlinks each as control leaves its `try_table`; the runtime clears
/// the chain on entry from the host); the frames between the caller and the handler hold
/// nothing to drop.
pub(crate) unsafe fn deliver(store: &mut StoreInner, exception: *const VMException) -> ! {
    let handler = store.limits.handler;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: per the contract.
    unsafe {
        store.limits.handler = (*handler).prev as *mut VMHandler;
        store.limits.exception = exception;
        crate::backend::unwind::resume(handler)
    }
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!("exception handling is only compiled for x86-64")
}

/// The store and instance index a VMContext belongs to.
///
/// # Safety
/// `vmctx` is the VMContext of a live instance, called from compiled code running inside a
/// host->wasm call of its store (so no other reference to the store is in use).
unsafe fn context<'a>(vmctx: *mut u8) -> (&'a mut StoreInner, usize) {
    // SAFETY: per the contract, the RUNTIME and INSTANCE_ID words were written at instantiation.
    unsafe {
        let store = *(vmctx.add(VMOffsets::RUNTIME as usize) as *const *mut StoreInner);
        let instance = *(vmctx.add(VMOffsets::INSTANCE_ID as usize) as *const u64);
        (&mut *store, instance as usize)
    }
}

/// Raise `code` if `result` is an error.
///
/// # Safety
/// As for [`context`]; the caller holds nothing that needs dropping.
unsafe fn finish<T>(vmctx: *mut u8, result: Result<T, TrapCode>) -> T {
    match result {
        Ok(v) => v,
        Err(code) => {
            // SAFETY: as for `context`; the libcall table's first entry raises and never returns.
            unsafe {
                let (store, _) = context(vmctx);
                let raise: unsafe extern "C" fn(*mut u8, u32) -> ! =
                    core::mem::transmute(store.libcalls[Libcall::RaiseTrap as usize]);
                raise(vmctx, code as u32)
            }
        }
    }
}

fn trap_of(e: Error) -> TrapCode {
    e.trap_code().unwrap_or(TrapCode::HostError)
}

fn instance(store: &StoreInner, index: usize) -> &InstanceData {
    &store.instances[index]
}

unsafe extern "C" fn resolve_func(vmctx: *mut u8, f: u32) -> *const u8 {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    let result = instance(store, i)
        .module
        .code()
        .ok()
        .and_then(|c| c.resolve(DefinedFuncIndex(f)).ok());
    let result = result.map(|p| p.0).ok_or(TrapCode::CompileError);
    // SAFETY: nothing is held across the raise.
    unsafe { finish(vmctx, result) }
}

unsafe extern "C" fn memory_grow(vmctx: *mut u8, memory: u32, delta: u64) -> i64 {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    let m = instance(store, i).memories[memory as usize];
    store
        .grow_memory(m.index as usize, delta)
        .map_or(-1, |old| old as i64)
}

unsafe extern "C" fn table_grow(vmctx: *mut u8, table: u32, init: usize, delta: u64) -> i64 {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    let t = instance(store, i).tables[table as usize];
    store
        .grow_table(t.index as usize, delta, init)
        .map_or(-1, |old| old as i64)
}

unsafe extern "C" fn memory_fill(vmctx: *mut u8, memory: u32, dst: u64, val: u32, len: u64) {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    let m = instance(store, i).memories[memory as usize];
    let md = &mut store.memories[m.index as usize];
    let result = md
        .range(dst, len)
        .map(|r| md.bytes_mut()[r].fill(val as u8))
        .map_err(trap_of);
    // SAFETY: nothing is held across the raise.
    unsafe { finish(vmctx, result) }
}

unsafe extern "C" fn memory_copy(
    vmctx: *mut u8,
    dst_mem: u32,
    src_mem: u32,
    dst: u64,
    src: u64,
    len: u64,
) {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    let inst = instance(store, i);
    let (dm, sm) = (
        inst.memories[dst_mem as usize],
        inst.memories[src_mem as usize],
    );
    let result = if dm == sm {
        let md = &mut store.memories[dm.index as usize];
        md.range(src, len)
            .and_then(|s| {
                md.range(dst, len)
                    .map(|d| md.bytes_mut().copy_within(s, d.start))
            })
            .map_err(trap_of)
    } else {
        let source = store.memories[sm.index as usize]
            .range(src, len)
            .map(|r| store.memories[sm.index as usize].bytes()[r].to_vec());
        source
            .and_then(|bytes| {
                let md = &mut store.memories[dm.index as usize];
                md.range(dst, len)
                    .map(|d| md.bytes_mut()[d].copy_from_slice(&bytes))
            })
            .map_err(trap_of)
    };
    // SAFETY: nothing is held across the raise.
    unsafe { finish(vmctx, result) }
}

unsafe extern "C" fn memory_init(
    vmctx: *mut u8,
    memory: u32,
    data: u32,
    dst: u64,
    src: u32,
    len: u32,
) {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    let inst = instance(store, i);
    let m = inst.memories[memory as usize];
    let module = inst.module.clone();
    let segment = if inst.data_dropped[data as usize] {
        &[][..]
    } else {
        &module.info().bytes[module.info().data[data as usize].range.clone()]
    };
    let result = (|| {
        let end = (src as u64)
            .checked_add(len as u64)
            .filter(|e| *e <= segment.len() as u64)
            .ok_or(TrapCode::MemoryOutOfBounds)?;
        let md = &mut store.memories[m.index as usize];
        let d = md.range(dst, len as u64).map_err(trap_of)?;
        md.bytes_mut()[d].copy_from_slice(&segment[src as usize..end as usize]);
        Ok(())
    })();
    drop(module);
    // SAFETY: nothing is held across the raise (the module handle was dropped above).
    unsafe { finish(vmctx, result) }
}

unsafe extern "C" fn data_drop(vmctx: *mut u8, data: u32) {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    store.instances[i].data_dropped[data as usize] = true;
}

unsafe extern "C" fn table_copy(
    vmctx: *mut u8,
    dst_table: u32,
    src_table: u32,
    dst: u64,
    src: u64,
    len: u64,
) {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    let inst = instance(store, i);
    let (dt, st) = (
        inst.tables[dst_table as usize],
        inst.tables[src_table as usize],
    );
    let result = (|| {
        let s = store.tables[st.index as usize]
            .range(src, len)
            .map_err(trap_of)?;
        let items: alloc::vec::Vec<usize> = store.tables[st.index as usize].elements()[s].to_vec();
        let td = &mut store.tables[dt.index as usize];
        let d = td.range(dst, len).map_err(trap_of)?;
        td.elements_mut()[d].copy_from_slice(&items);
        Ok(())
    })();
    // SAFETY: nothing is held across the raise.
    unsafe { finish(vmctx, result) }
}

unsafe extern "C" fn table_init(
    vmctx: *mut u8,
    table: u32,
    elem: u32,
    dst: u64,
    src: u32,
    len: u32,
) {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    let inst = instance(store, i);
    let t = inst.tables[table as usize];
    let segment = &inst.elements[elem as usize];
    let items = (src as u64)
        .checked_add(len as u64)
        .filter(|e| *e <= segment.len() as u64)
        .map(|end| segment[src as usize..end as usize].to_vec());
    let result = (|| {
        let items: alloc::vec::Vec<usize> = items.ok_or(TrapCode::TableOutOfBounds)?;
        let td = &mut store.tables[t.index as usize];
        let d = td.range(dst, len as u64).map_err(trap_of)?;
        td.elements_mut()[d].copy_from_slice(&items);
        Ok(())
    })();
    // SAFETY: nothing is held across the raise.
    unsafe { finish(vmctx, result) }
}

unsafe extern "C" fn elem_drop(vmctx: *mut u8, elem: u32) {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    store.instances[i].elements[elem as usize] = alloc::boxed::Box::new([]);
}

unsafe extern "C" fn table_fill(vmctx: *mut u8, table: u32, dst: u64, val: usize, len: u64) {
    // SAFETY: called by compiled code with its own VMContext.
    let (store, i) = unsafe { context(vmctx) };
    let t = instance(store, i).tables[table as usize];
    let td = &mut store.tables[t.index as usize];
    let result = td
        .range(dst, len)
        .map(|r| td.elements_mut()[r].fill(val))
        .map_err(trap_of);
    // SAFETY: nothing is held across the raise.
    unsafe { finish(vmctx, result) }
}

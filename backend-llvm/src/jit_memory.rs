//! JIT memory for LLVM's RuntimeDyld: the ORC C API's callback-based memory manager over
//! [`ObjectMemory`] (`lazuli-jit`), and the bound on what linking one object may allocate.
//!
//! RuntimeDyld ends the process when an allocation returns nothing ("Unable to allocate section
//! memory!"). So before an object is linked, [`Jit::link`](crate::jit::Jit) reserves what its
//! sections can take at most ([`link_bound`], read from the object file) and links it inside
//! [`ObjectMemory::linking`]: memory that cannot be had is an error for that compile, and the
//! allocator LLVM creates for the object draws on the reservation.

use std::ffi::{c_char, c_uint, c_void, CString};

use lazuli_backend_api::CompileError;
use lazuli_jit::object_memory::{ObjectAllocator, ObjectMemory};
use llvm_sys::prelude::LLVMBool;

/// Bytes each relocation may add to text and to data: RuntimeDyld makes a stub (at most 16
/// bytes on x86-64, with its alignment) in the section that needs one, and a GOT entry (8 bytes)
/// in a data section of its own.
const STUB_BOUND: usize = 32;
const GOT_ENTRY_BOUND: usize = 16;
/// Bytes RuntimeDyld may add to each section: padding after `.eh_frame`, one byte for an
/// empty section.
const SECTION_PADDING: usize = 16;

/// The most text (code and read-only data) and data that linking `object` can allocate, as
/// RuntimeDyld places it: every allocated section with its alignment and padding, a stub and a
/// GOT entry per relocation, and common symbols.
pub(crate) fn link_bound(object: &[u8]) -> Result<(usize, usize), CompileError> {
    use object::{Object, ObjectSection, ObjectSymbol, SectionFlags};
    let file = object::File::parse(object)
        .map_err(|e| CompileError::new(format!("cannot read the object LLVM emitted: {e}")))?;
    let (mut text, mut data, mut relocations) = (0usize, 0usize, 0usize);
    let add = |total: &mut usize, n: u64| {
        *total = total.saturating_add(usize::try_from(n).unwrap_or(usize::MAX));
    };
    for section in file.sections() {
        relocations = relocations.saturating_add(section.relocations().count());
        let SectionFlags::Elf { sh_flags } = section.flags() else {
            continue;
        };
        if sh_flags & u64::from(object::elf::SHF_ALLOC) == 0 {
            continue;
        }
        let need = section
            .size()
            .saturating_add(section.align())
            .saturating_add(SECTION_PADDING as u64);
        if sh_flags & u64::from(object::elf::SHF_WRITE) != 0 {
            add(&mut data, need);
        } else {
            add(&mut text, need);
        }
    }
    for symbol in file.symbols().filter(|s| s.is_common()) {
        add(
            &mut data,
            symbol.size().saturating_mul(2).saturating_add(16),
        );
    }
    text = text.saturating_add(relocations.saturating_mul(STUB_BOUND));
    data = data.saturating_add(relocations.saturating_mul(GOT_ENTRY_BOUND));
    Ok((text, data))
}

/// `CreateContext`: the allocator for one object (taking this thread's reservation).
extern "C" fn create_context(memory: *mut c_void) -> *mut c_void {
    // SAFETY: `memory` is the JIT's `ObjectMemory`, which outlives every object of the JIT (see
    // `Jit`).
    let allocator = unsafe { ObjectAllocator::new(memory as *const ObjectMemory) };
    Box::into_raw(Box::new(allocator)) as *mut c_void
}

extern "C" fn notify_terminating(_memory: *mut c_void) {}

/// The allocator behind `object`.
///
/// # Safety
/// `object` is a context `create_context` made and `destroy` has not freed, used by one linker
/// at a time.
unsafe fn allocator<'a>(object: *mut c_void) -> &'a mut ObjectAllocator {
    // SAFETY: per the contract.
    unsafe { &mut *(object as *mut ObjectAllocator) }
}

extern "C" fn allocate_code(
    object: *mut c_void,
    size: usize,
    align: c_uint,
    _section: c_uint,
    _name: *const c_char,
) -> *mut u8 {
    // SAFETY: LLVM passes the context `create_context` made for this object.
    let object = unsafe { allocator(object) };
    object
        .allocate(true, size, align as usize)
        .unwrap_or(std::ptr::null_mut())
}

extern "C" fn allocate_data(
    object: *mut c_void,
    size: usize,
    align: c_uint,
    _section: c_uint,
    _name: *const c_char,
    read_only: LLVMBool,
) -> *mut u8 {
    // SAFETY: as in `allocate_code`.
    let object = unsafe { allocator(object) };
    // Read-only data shares the object's text pages: never written after linking either.
    object
        .allocate(read_only != 0, size, align as usize)
        .unwrap_or(std::ptr::null_mut())
}

extern "C" fn finalize(object: *mut c_void, error: *mut *mut c_char) -> LLVMBool {
    // SAFETY: as in `allocate_code`.
    let object = unsafe { allocator(object) };
    match object.finalize() {
        Ok(()) => 0,
        Err(e) => {
            if !error.is_null() {
                let text = CString::new(e.message).unwrap_or_default();
                // SAFETY: LLVM frees the message with `free`, so it is allocated with `malloc`
                // (`strdup`).
                unsafe { *error = libc::strdup(text.as_ptr()) };
            }
            1
        }
    }
}

extern "C" fn destroy(object: *mut c_void) {
    // SAFETY: `object` came from `Box::into_raw` in `create_context` and is destroyed once.
    // Its pages stay in the memory until the JIT's memory is dropped.
    drop(unsafe { Box::from_raw(object as *mut ObjectAllocator) });
}

/// The ORC object linking layer creator: RuntimeDyld over an [`ObjectMemory`] (passed as
/// `ctx`).
pub(crate) extern "C" fn create_object_layer(
    ctx: *mut c_void,
    session: llvm_sys::orc2::LLVMOrcExecutionSessionRef,
    _triple: *const c_char,
) -> llvm_sys::orc2::LLVMOrcObjectLayerRef {
    // SAFETY: the callbacks match the C API's contract; `ctx` is an `ObjectMemory` that outlives
    // the layer.
    unsafe {
        llvm_sys::orc2::ee::LLVMOrcCreateRTDyldObjectLinkingLayerWithMCJITMemoryManagerLikeCallbacks(
            session,
            ctx,
            create_context,
            notify_terminating,
            allocate_code,
            allocate_data,
            finalize,
            Some(destroy),
        )
    }
}

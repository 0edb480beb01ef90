//! JIT memory: where the code and data of linked objects live, allocated from large slabs
//! instead of one mapping (or more) per object.
//!
//! A lazily compiled function is one object, and a process may link hundreds of thousands of
//! them: the kernel's limit on memory mappings (`vm.max_map_count`, 65,530 by default) must not
//! be what ends a program. Each [`JitMemory`] reserves address space in 64 MiB slabs
//! (`PROT_NONE`, nothing committed) and hands out page runs from them:
//! - code and read-only data of an object share its *text* runs, writable while the object is
//!   linked and then made read + execute for good (never writable again: W^X);
//! - writable data goes to *data* runs.
//!
//! Runs are carved in address order, so the finalized text of consecutive objects is one
//! read + execute range and the kernel keeps it as one mapping: a slab costs a few mappings,
//! whatever the number of objects in it. An object uses at least one page of text.
//!
//! Text slabs are registered in [`fault_regions::CODE`]: a fault of code there on a linear
//! memory's guard pages is a wasm trap.
//!
//! The memory manager is given to LLVM's RuntimeDyld through the ORC C API's callback-based
//! memory manager; LLVM creates one [`ObjectMemory`] per linked object.

use std::ffi::{c_char, c_uint, c_void, CString};
use std::sync::Mutex;

use lazuli_backend_api::fault_regions::{self, Region};
use llvm_sys::prelude::LLVMBool;

/// Bytes of address space reserved at a time.
const SLAB_SIZE: usize = 64 << 20;

/// The page size (x86-64 Linux).
pub(crate) const PAGE: usize = 4096;

/// A fresh private anonymous mapping of `len` bytes (a page multiple), readable and writable;
/// the caller unmaps it.
pub(crate) fn map_writable(len: usize) -> std::io::Result<*mut u8> {
    // SAFETY: a fresh anonymous private mapping; no existing memory is touched.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    Ok(base as *mut u8)
}

fn round_up(n: usize, to: usize) -> Option<usize> {
    n.checked_add(to - 1).map(|n| n & !(to - 1))
}

/// A run of pages committed for one object.
#[derive(Clone, Copy)]
struct Run {
    start: usize,
    len: usize,
}

/// One kind of memory: slabs of reserved address space, carved front to back.
#[derive(Default)]
struct Arena {
    slabs: Vec<Run>,
    /// Next free address in the last slab, and its end.
    cursor: usize,
    end: usize,
    /// The slabs registered as code (text arenas only).
    regions: Vec<Region>,
}

impl Arena {
    /// Commit `len` bytes (a multiple of the page size), readable and writable; a new slab of
    /// `text` is registered as code.
    fn commit(&mut self, text: bool, len: usize) -> Option<Run> {
        if self.end - self.cursor < len {
            let size = round_up(len.max(SLAB_SIZE), PAGE)?;
            // SAFETY: a fresh anonymous reservation; nothing else refers to it.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    size,
                    libc::PROT_NONE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                    -1,
                    0,
                )
            };
            if base == libc::MAP_FAILED {
                return None;
            }
            if text {
                let Some(region) = fault_regions::CODE.register(base as usize, size) else {
                    // SAFETY: unmapping the reservation just made, which nothing uses.
                    unsafe { libc::munmap(base, size) };
                    return None;
                };
                self.regions.push(region);
            }
            self.slabs.push(Run {
                start: base as usize,
                len: size,
            });
            self.cursor = base as usize;
            self.end = base as usize + size;
        }
        let run = Run {
            start: self.cursor,
            len,
        };
        // SAFETY: the run lies inside a slab this arena reserved and has handed out to no one.
        let ok = unsafe {
            libc::mprotect(
                run.start as *mut c_void,
                len,
                libc::PROT_READ | libc::PROT_WRITE,
            )
        } == 0;
        if !ok {
            return None;
        }
        self.cursor += len;
        Some(run)
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // Unregistered first: no fault at these addresses is a trap once they are unmapped.
        self.regions.clear();
        for slab in &self.slabs {
            // SAFETY: the slab was mapped by `commit`; the JIT that ran code from it is gone.
            unsafe { libc::munmap(slab.start as *mut c_void, slab.len) };
        }
    }
}

/// The memory of one JIT: its text and data arenas. It must outlive the JIT (the JIT's objects
/// live in it) and it never moves (LLVM holds its address).
#[derive(Default)]
pub(crate) struct JitMemory {
    text: Mutex<Arena>,
    data: Mutex<Arena>,
}

impl JitMemory {
    fn commit(&self, text: bool, len: usize) -> Option<Run> {
        let arena = if text { &self.text } else { &self.data };
        arena
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .commit(text, len)
    }
}

/// The memory of one object being linked: the runs it has, and how far each current run is
/// used.
struct ObjectMemory {
    memory: *const JitMemory,
    text_runs: Vec<Run>,
    /// Current (run, used bytes) for text and for data.
    current: [Option<(Run, usize)>; 2],
}

impl ObjectMemory {
    fn allocate(&mut self, text: bool, size: usize, align: usize) -> *mut u8 {
        let align = align.max(1);
        if !align.is_power_of_two() || align > PAGE {
            return std::ptr::null_mut();
        }
        let kind = usize::from(!text);
        if let Some((run, used)) = &mut self.current[kind] {
            if let Some(at) = round_up(run.start + *used, align) {
                if at + size <= run.start + run.len {
                    *used = at + size - run.start;
                    return at as *mut u8;
                }
            }
        }
        let Some(len) = round_up(size.max(1), PAGE) else {
            return std::ptr::null_mut();
        };
        // SAFETY: `memory` outlives every object of its JIT (see `JitMemory`).
        let memory = unsafe { &*self.memory };
        let Some(run) = memory.commit(text, len) else {
            return std::ptr::null_mut();
        };
        if text {
            self.text_runs.push(run);
        }
        self.current[kind] = Some((run, size));
        run.start as *mut u8
    }

    /// Make the text read + execute: the object is linked and will not be written again.
    fn finalize(&mut self) -> Result<(), String> {
        for run in &self.text_runs {
            // SAFETY: the run was committed for this object, which LLVM has finished writing.
            let rc = unsafe {
                libc::mprotect(
                    run.start as *mut c_void,
                    run.len,
                    libc::PROT_READ | libc::PROT_EXEC,
                )
            };
            if rc != 0 {
                return Err(format!(
                    "cannot make JIT code executable: {}",
                    std::io::Error::last_os_error()
                ));
            }
        }
        // No more code goes into these runs.
        self.text_runs.clear();
        self.current[0] = None;
        Ok(())
    }
}

/// `CreateContext`: a fresh [`ObjectMemory`] for one object.
extern "C" fn create_context(memory: *mut c_void) -> *mut c_void {
    Box::into_raw(Box::new(ObjectMemory {
        memory: memory as *const JitMemory,
        text_runs: Vec::new(),
        current: [None, None],
    })) as *mut c_void
}

extern "C" fn notify_terminating(_memory: *mut c_void) {}

extern "C" fn allocate_code(
    object: *mut c_void,
    size: usize,
    align: c_uint,
    _section: c_uint,
    _name: *const c_char,
) -> *mut u8 {
    // SAFETY: `object` is the context `create_context` made, used by one linker at a time.
    let object = unsafe { &mut *(object as *mut ObjectMemory) };
    object.allocate(true, size, align as usize)
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
    let object = unsafe { &mut *(object as *mut ObjectMemory) };
    // Read-only data shares the object's text pages: never written after linking either.
    object.allocate(read_only != 0, size, align as usize)
}

extern "C" fn finalize(object: *mut c_void, error: *mut *mut c_char) -> LLVMBool {
    // SAFETY: as in `allocate_code`.
    let object = unsafe { &mut *(object as *mut ObjectMemory) };
    match object.finalize() {
        Ok(()) => 0,
        Err(message) => {
            if !error.is_null() {
                let text = CString::new(message).unwrap_or_default();
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
    // Its pages stay in the arena until the JIT's memory is dropped.
    drop(unsafe { Box::from_raw(object as *mut ObjectMemory) });
}

/// The ORC object linking layer creator: RuntimeDyld with [`JitMemory`] (passed as `ctx`).
pub(crate) extern "C" fn create_object_layer(
    ctx: *mut c_void,
    session: llvm_sys::orc2::LLVMOrcExecutionSessionRef,
    _triple: *const c_char,
) -> llvm_sys::orc2::LLVMOrcObjectLayerRef {
    // SAFETY: the callbacks match the C API's contract; `ctx` is a `JitMemory` that outlives
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

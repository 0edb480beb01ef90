//! [`MappedFile`]: a file the platform mapped into memory, copy-on-write, so that a backend can
//! run serialized code where it lies instead of copying it.

use core::ptr::NonNull;

/// A whole file mapped privately into readable memory, page aligned. Dropping it unmaps the
/// file. The platform makes it (`Platform::map_file` in the runtime) and shares it: the
/// module's description keeps its data segments there ([`crate::WasmBytes`]), and a backend that
/// keeps the code it loads from it keeps it alive too, and may change the protection of the
/// pages of that code (only those; the rest stays readable): a page made writable and written
/// becomes this process's own copy, never changing the file.
pub struct MappedFile {
    start: NonNull<u8>,
    len: usize,
    unmap: unsafe fn(*mut u8, usize),
}

// SAFETY: the mapping is plain memory owned by this value; nothing in it is tied to a thread.
unsafe impl Send for MappedFile {}
// SAFETY: shared access only reads (`bytes`); writes go through `start`, by the owner.
unsafe impl Sync for MappedFile {}

impl MappedFile {
    /// Take ownership of the `len` bytes mapped at `start`, which `unmap(start, len)` unmaps.
    ///
    /// # Safety
    /// `start` is page aligned and `[start, start + len)` is one private (copy-on-write)
    /// mapping, readable, used by nothing else, that `unmap` releases.
    pub unsafe fn new(start: NonNull<u8>, len: usize, unmap: unsafe fn(*mut u8, usize)) -> Self {
        MappedFile { start, len, unmap }
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the mapping is `len` readable bytes while `self` lives (`new`'s contract);
        // a backend changing protections keeps them readable.
        unsafe { core::slice::from_raw_parts(self.start.as_ptr(), self.len) }
    }

    /// The first byte of the mapping (page aligned).
    pub fn start(&self) -> *mut u8 {
        self.start.as_ptr()
    }

    /// The file's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        // SAFETY: the mapping is ours (`new`'s contract) and nothing uses it any more.
        unsafe { (self.unmap)(self.start.as_ptr(), self.len) }
    }
}

impl core::fmt::Debug for MappedFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MappedFile")
            .field("start", &self.start)
            .field("len", &self.len)
            .finish()
    }
}

//! [`LoadedImage`]: an image ([`crate::image`]) in executable memory, either copied into a
//! fresh mapping or run where a mapped file holds it. Loading writes the import slots and any
//! relative words, then makes the code read + execute and the data read-only (W^X), and
//! registers the code with the fault handler.

use lazuli_backend_api::fault_regions::{self, Region};
use lazuli_backend_api::{CompileError, MappedFile};

use crate::image::{import_address, PAGE};

/// What loading patches: the import slots and the relative words of an image.
pub(crate) struct Patches<'a> {
    /// Each import's name and the offset of its slot.
    pub imports: &'a [(String, u32)],
    /// Offsets of words holding image offsets.
    pub relative: &'a [u32],
}

/// Where the image's memory comes from, and how it is given back.
enum Memory {
    /// An anonymous mapping of `len` bytes made for the image.
    Anonymous { len: usize },
    /// Inside a mapped file, unmapped when its last holder (this, the description's data
    /// bytes) drops it.
    File { _file: std::sync::Arc<MappedFile> },
}

/// An image ready to run.
pub(crate) struct LoadedImage {
    base: *mut u8,
    len: usize,
    code_len: usize,
    memory: Memory,
    /// Registers the code with the fault handler while the image lives.
    _region: Option<Region>,
}

// SAFETY: the image's memory is immutable once loaded and owned by this value.
unsafe impl Send for LoadedImage {}
// SAFETY: see `Send`.
unsafe impl Sync for LoadedImage {}

fn os_error(what: &str) -> CompileError {
    CompileError::new(format!("{what}: {}", std::io::Error::last_os_error()))
}

impl LoadedImage {
    /// Copy `bytes` (an image whose first `code_len` bytes are code) into fresh memory and load
    /// it there.
    pub(crate) fn copy(
        bytes: &[u8],
        code_len: usize,
        patches: &Patches<'_>,
    ) -> Result<LoadedImage, CompileError> {
        let len = bytes.len().max(1).next_multiple_of(PAGE);
        let base = lazuli_jit::pages::map_writable(len)
            .map_err(|e| CompileError::new(format!("cannot map memory for compiled code: {e}")))?;
        // SAFETY: the mapping is `len >= bytes.len()` writable bytes, not shared with `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), base, bytes.len()) };
        let memory = Memory::Anonymous { len };
        // SAFETY: `base` holds the image's `bytes.len()` bytes, writable.
        unsafe { Self::finish(base, bytes.len(), code_len, patches, memory) }
    }

    /// Load the image at `range` of `file` where it lies; `range.start` is page aligned.
    pub(crate) fn in_place(
        file: std::sync::Arc<MappedFile>,
        range: std::ops::Range<usize>,
        code_len: usize,
        patches: &Patches<'_>,
    ) -> Result<LoadedImage, CompileError> {
        if !range.start.is_multiple_of(PAGE) || range.end > file.len() || range.start > range.end {
            return Err(CompileError::new(
                "the image is not page aligned in its file",
            ));
        }
        // SAFETY: the range lies in the file's mapping, checked above.
        let base = unsafe { file.start().add(range.start) };
        // SAFETY: a mapped file is private memory that may be made writable (`MappedFile`'s
        // contract), owned by `file`, which the image keeps.
        unsafe {
            Self::finish(
                base,
                range.len(),
                code_len,
                patches,
                Memory::File { _file: file },
            )
        }
    }

    /// Patch, protect and register the image of `len` bytes at `base`.
    ///
    /// # Safety
    /// `[base, base + len)` is memory holding the image, owned by `memory`, whose data part
    /// (from `code_len`) is writable when there is anything to patch; `base` is page aligned.
    unsafe fn finish(
        base: *mut u8,
        len: usize,
        code_len: usize,
        patches: &Patches<'_>,
        memory: Memory,
    ) -> Result<LoadedImage, CompileError> {
        // Whatever happens next, the memory is given back if loading fails.
        let mut image = LoadedImage {
            base,
            len,
            code_len,
            memory,
            _region: None,
        };
        if !code_len.is_multiple_of(PAGE) || code_len > len {
            return Err(CompileError::new("the image's code is not whole pages"));
        }
        let word = |offset: u32| -> Result<*mut u64, CompileError> {
            let offset = offset as usize;
            if !offset.is_multiple_of(8) || offset < code_len || offset + 8 > len {
                return Err(CompileError::new(
                    "a patched word lies outside the image's data",
                ));
            }
            // SAFETY: checked to lie in the image, 8-aligned from a page-aligned base.
            Ok(unsafe { base.add(offset) } as *mut u64)
        };
        // A page of a private file mapping is copied when first written: only the data pages
        // that hold patched words are.
        if !patches.imports.is_empty() || !patches.relative.is_empty() {
            image.protect(code_len, len, libc::PROT_READ | libc::PROT_WRITE)?;
        }
        for (name, slot) in patches.imports {
            let address = import_address(name).ok_or_else(|| {
                CompileError::new(format!("the code imports `{name}`, which is not available"))
            })?;
            // SAFETY: `word` checked the slot lies in the writable image.
            unsafe { word(*slot)?.write(address as u64) };
        }
        for offset in patches.relative {
            let at = word(*offset)?;
            // SAFETY: as above.
            unsafe { at.write(at.read().wrapping_add(base as u64)) };
        }
        if matches!(image.memory, Memory::File { .. }) && code_len > 0 {
            // Reading the file (its checksum) mapped the code's pages read-only. Changing the
            // protection of mapped pages costs more than unmapping them: they are mapped again
            // from the file, with their final protection, when the code first runs. (Advice
            // only: if it fails, the protection is changed with the pages mapped.)
            // SAFETY: the code pages lie in the image's file mapping and are never written
            // (patches lie past `code_len`), so dropping them loses nothing: they read back
            // from the file as they were.
            unsafe { libc::madvise(base as *mut libc::c_void, code_len, libc::MADV_DONTNEED) };
        }
        image.protect(0, code_len, libc::PROT_READ | libc::PROT_EXEC)?;
        image.protect(code_len, len, libc::PROT_READ)?;
        image._region = Some(
            fault_regions::CODE
                .register(base as usize, code_len)
                .ok_or_else(|| CompileError::new("too many code regions registered"))?,
        );
        Ok(image)
    }

    /// Set the protection of the pages of `[from, to)`.
    fn protect(&self, from: usize, to: usize, protection: i32) -> Result<(), CompileError> {
        let to = to.next_multiple_of(PAGE);
        if to <= from {
            return Ok(());
        }
        // SAFETY: the pages lie in memory this image owns (a whole page past `len` still lies
        // in the mapping, which is page granular).
        let failed = unsafe {
            libc::mprotect(
                self.base.add(from) as *mut libc::c_void,
                to - from,
                protection,
            )
        } != 0;
        if failed {
            return Err(os_error("cannot protect compiled code"));
        }
        Ok(())
    }

    /// The image's first byte.
    pub(crate) fn base(&self) -> *const u8 {
        self.base
    }

    /// The image's bytes as they were linked: import slots zero and relative words as image
    /// offsets again, for serializing.
    pub(crate) fn unpatched(&self, patches: &Patches<'_>) -> Vec<u8> {
        // SAFETY: the image's `len` bytes are readable while it lives.
        let mut bytes = unsafe { std::slice::from_raw_parts(self.base, self.len) }.to_vec();
        for (_, slot) in patches.imports {
            let at = *slot as usize;
            bytes[at..at + 8].fill(0);
        }
        for &offset in patches.relative {
            let at = offset as usize;
            let value = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
            bytes[at..at + 8].copy_from_slice(&value.wrapping_sub(self.base as u64).to_le_bytes());
        }
        bytes
    }

    /// The code's length in bytes.
    pub(crate) fn code_len(&self) -> usize {
        self.code_len
    }
}

impl Drop for LoadedImage {
    fn drop(&mut self) {
        if let Memory::Anonymous { len } = self.memory {
            // SAFETY: the mapping was made by `copy` and nothing runs its code any more (the
            // code's owner is being dropped).
            unsafe { libc::munmap(self.base as *mut libc::c_void, len) };
        }
        // A mapped file is unmapped by its own drop.
    }
}

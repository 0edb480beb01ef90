//! [`CodeMemory`]: executable memory for finished code (single-pass functions, trampolines),
//! allocated from slabs that double from 256 KiB to 64 MiB (`pages::next_slab_size`).
//!
//! Each slab is a memory file mapped twice: once read+execute, where code runs, and once
//! read+write, where it is copied in. No mapping is ever writable and executable at once, code
//! of many functions shares pages (one small function does not take a page of its own), and
//! a module's code takes two mappings per slab however many functions it has: a small module
//! half a megabyte of address space, a large one two mappings per 64 MiB. Bytes are never
//! reused while the `CodeMemory` lives: code, once published, stays valid.

use std::sync::Mutex;

use lazuli_backend_api::fault_regions::{self, Region};
use lazuli_backend_api::CompileError;

use crate::pages::{memory_error, next_slab_size};

/// Alignment of each piece of code.
const CODE_ALIGN: usize = 16;

/// A growing set of slabs with a bump pointer in the newest.
pub struct CodeMemory {
    inner: Mutex<Slabs>,
}

struct Slab {
    exec: *mut u8,
    write: *mut u8,
    size: usize,
    /// The executable mapping, registered as code whose memory faults are wasm traps.
    region: Option<Region>,
}

struct Slabs {
    slabs: Vec<Slab>,
    used: usize,
}

// SAFETY: the raw pointers are mappings owned by this value; the mutex serializes writes, and
// published code is only read afterwards.
unsafe impl Send for CodeMemory {}
// SAFETY: see `Send`.
unsafe impl Sync for CodeMemory {}

impl Default for CodeMemory {
    fn default() -> CodeMemory {
        CodeMemory::new()
    }
}

impl CodeMemory {
    /// No memory yet; slabs are made when code first arrives.
    pub fn new() -> CodeMemory {
        CodeMemory {
            inner: Mutex::new(Slabs {
                slabs: Vec::new(),
                used: 0,
            }),
        }
    }

    /// Copy `code` into executable memory and return its address there.
    pub fn publish(&self, code: &[u8]) -> Result<*const u8, CompileError> {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let start = s.used.next_multiple_of(CODE_ALIGN);
        let fits = s
            .slabs
            .last()
            .is_some_and(|slab| start + code.len() <= slab.size);
        let start = if fits {
            start
        } else {
            let previous = s.slabs.last().map_or(0, |slab| slab.size);
            let size = next_slab_size(previous, code.len())
                .ok_or_else(|| CompileError::new("a piece of code larger than memory"))?;
            let slab = Slab::new(size)?;
            s.slabs.push(slab);
            0
        };
        let slab = s.slabs.last().expect("a slab was just ensured");
        // SAFETY: `start + code.len()` lies within the slab (checked above); these bytes were
        // never handed out, so no code runs from them yet.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), slab.write.add(start), code.len()) };
        let exec = slab.exec.wrapping_add(start) as *const u8;
        s.used = start + code.len();
        Ok(exec)
    }
}

impl Slab {
    fn new(size: usize) -> Result<Slab, CompileError> {
        let fail = |what: &str| memory_error(what, size, std::io::Error::last_os_error());
        // SAFETY: a plain system call with a constant name; the descriptor is ours.
        let fd = unsafe { libc::memfd_create(c"lazuli-code".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(fail("create a memory file"));
        }
        let map = |prot| {
            // SAFETY: a new shared mapping of our own memory file; nothing else is affected.
            unsafe { libc::mmap(std::ptr::null_mut(), size, prot, libc::MAP_SHARED, fd, 0) }
        };
        // SAFETY: `fd` is our memory file.
        let sized = unsafe { libc::ftruncate(fd, size as libc::off_t) } == 0;
        let exec = if sized {
            map(libc::PROT_READ | libc::PROT_EXEC)
        } else {
            libc::MAP_FAILED
        };
        let write = if exec != libc::MAP_FAILED {
            map(libc::PROT_READ | libc::PROT_WRITE)
        } else {
            libc::MAP_FAILED
        };
        let error = (write == libc::MAP_FAILED).then(|| fail("map memory"));
        // SAFETY: the mappings keep the file alive; the descriptor is no longer needed.
        unsafe { libc::close(fd) };
        if let Some(e) = error {
            if exec != libc::MAP_FAILED {
                // SAFETY: unmapping the mapping made above.
                unsafe { libc::munmap(exec, size) };
            }
            return Err(e);
        }
        let mut slab = Slab {
            exec: exec as *mut u8,
            write: write as *mut u8,
            size,
            region: None,
        };
        // Dropping `slab` on this error unmaps it.
        slab.region = Some(
            fault_regions::CODE
                .register(exec as usize, size)
                .ok_or_else(|| {
                    CompileError::new(format!(
                        "out of memory for compiled code: {} pieces of code memory are \
                         registered in this process, the most it can hold",
                        fault_regions::CODE.capacity()
                    ))
                })?,
        );
        Ok(slab)
    }
}

impl Drop for Slab {
    fn drop(&mut self) {
        // Unregistered first: no fault at these addresses is a trap once they are unmapped.
        drop(self.region.take());
        // SAFETY: both mappings are ours; the owner drops code memory only when no code in it
        // can run any more.
        unsafe {
            libc::munmap(self.exec as *mut libc::c_void, self.size);
            libc::munmap(self.write as *mut libc::c_void, self.size);
        }
    }
}

//! Pages and anonymous mappings: the one place that knows the page size.

use lazuli_backend_api::CompileError;

/// The page size (x86-64 Linux).
pub const PAGE: usize = 4096;

/// The size of the first slab of code memory (of a module, or of a JIT).
pub const FIRST_SLAB_SIZE: usize = 256 << 10;

/// The largest slab: each slab is twice the one before, up to this.
pub const SLAB_SIZE: usize = 64 << 20;

/// The size of the slab after one of `previous` bytes (0: none yet) that must hold `need`
/// bytes: twice the previous, from [`FIRST_SLAB_SIZE`] up to [`SLAB_SIZE`], or `need` if
/// larger, in whole pages. Small modules take little address space (which `ulimit -v` bounds),
/// large ones few slabs (each is a registered code region and a mapping or two).
pub fn next_slab_size(previous: usize, need: usize) -> Option<usize> {
    let grown = previous.saturating_mul(2).clamp(FIRST_SLAB_SIZE, SLAB_SIZE);
    round_up(need.max(grown), PAGE)
}

/// `n` rounded up to a multiple of `to` (a power of two), or `None` on overflow.
pub fn round_up(n: usize, to: usize) -> Option<usize> {
    n.checked_add(to - 1).map(|n| n & !(to - 1))
}

/// A fresh private anonymous mapping of `len` bytes (a page multiple), readable and writable;
/// the caller unmaps it.
pub fn map_writable(len: usize) -> std::io::Result<*mut u8> {
    map(len, libc::PROT_READ | libc::PROT_WRITE, 0)
}

/// A fresh reservation of `len` bytes of address space (a page multiple): inaccessible, nothing
/// committed. The caller unmaps it.
pub fn reserve(len: usize) -> std::io::Result<*mut u8> {
    map(len, libc::PROT_NONE, libc::MAP_NORESERVE)
}

fn map(len: usize, prot: libc::c_int, flags: libc::c_int) -> std::io::Result<*mut u8> {
    // SAFETY: a fresh anonymous private mapping; no existing memory is touched.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | flags,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    Ok(base as *mut u8)
}

/// Set the protection of `len` bytes at `start` (page aligned), which the caller owns.
///
/// # Safety
/// `[start, start + len)` is memory of the caller's own mappings that no one else accesses in a
/// way the new protection forbids.
pub unsafe fn protect(start: usize, len: usize, prot: libc::c_int) -> std::io::Result<()> {
    // SAFETY: per the contract, the range is the caller's.
    if unsafe { libc::mprotect(start as *mut libc::c_void, len, prot) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// A [`CompileError`] for memory that could not be had: `what`, how many bytes, why.
pub fn memory_error(what: &str, len: usize, error: std::io::Error) -> CompileError {
    CompileError::new(format!(
        "out of memory for compiled code: cannot {what} ({len} bytes): {error}"
    ))
}

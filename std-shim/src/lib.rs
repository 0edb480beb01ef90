//! Operating-system services for the Lazuli runtime, which `lazuli-core` (no_std) reaches
//! through its traits: trap unwinding (sigsetjmp/siglongjmp in a small C helper), signal
//! handlers that turn guard-page faults of compiled code into traps, memory reservations and
//! the current thread's stack bounds ([`StdPlatform`], a `Platform`), and worker threads for
//! speculative compilation ([`Workers`], a `TaskRunner`).
#![deny(missing_docs)]

mod workers;

pub use workers::Workers;

use lazuli_core::backend::{fault_regions, TrapCode};
use lazuli_core::Platform;

extern "C" {
    fn lazuli_catch(f: unsafe extern "C" fn(*mut u8), data: *mut u8) -> i32;
    fn lazuli_raise(vmctx: *mut u8, code: u32) -> !;
    fn lazuli_trap_frames(pcs: *mut *const usize) -> usize;
    fn lazuli_fault_trap_count() -> u64;
    fn lazuli_install_fault_handlers(
        is_wasm_fault: extern "C" fn(usize, usize) -> i32,
        trap_code: u32,
    ) -> i32;
}

/// The fault handler's question: is this a wasm access to a memory's inaccessible pages?
/// Lock-free and allocation-free, as a signal handler needs.
extern "C" fn is_wasm_fault(pc: usize, address: usize) -> i32 {
    fault_regions::is_wasm_memory_fault(pc, address) as i32
}

/// Room left below the stack limit for the runtime, host functions and lazy compilation
/// (LLVM runs on the calling thread's stack when a stub is hit).
const STACK_RESERVE: usize = 512 * 1024;

/// The platform for hosted targets with a C library (Linux).
#[derive(Debug, Default, Clone, Copy)]
pub struct StdPlatform;

impl StdPlatform {
    /// The platform.
    pub fn new() -> StdPlatform {
        StdPlatform
    }
}

impl StdPlatform {
    /// How many memory faults of compiled code have become traps in this process (accesses
    /// out of bounds whose bounds check was left to the guard region).
    pub fn memory_fault_traps() -> u64 {
        // SAFETY: reads a counter; no arguments.
        unsafe { lazuli_fault_trap_count() }
    }
}

impl Platform for StdPlatform {
    unsafe fn catch_traps(&self, f: unsafe extern "C" fn(*mut u8), data: *mut u8) -> Option<u32> {
        // SAFETY: forwarded contract: `f(data)` is callable and the frames it may skip are safe
        // to skip.
        let code = unsafe { lazuli_catch(f, data) };
        if code == 0 {
            None
        } else {
            Some(code as u32 - 1)
        }
    }

    fn raise_trap(&self) -> unsafe extern "C" fn(*mut u8, u32) -> ! {
        lazuli_raise
    }

    /// Computed once per thread: a thread's stack does not move, and asking the C library
    /// costs a read of `/proc/self/maps` on the main thread (tens of microseconds, on every
    /// call from the host otherwise).
    fn stack_limit(&self) -> usize {
        thread_local! {
            static LIMIT: usize = stack_low_address().map_or(0, |low| low + STACK_RESERVE);
        }
        LIMIT.with(|limit| *limit)
    }

    fn trap_frames(&self) -> Vec<usize> {
        let mut pcs = std::ptr::null();
        // SAFETY: the helper points `pcs` at this thread's record of the last raise and returns
        // how many entries of it are valid (at most its fixed capacity).
        let n = unsafe { lazuli_trap_frames(&mut pcs) };
        if pcs.is_null() {
            return Vec::new();
        }
        // SAFETY: `pcs` points to `n` initialized entries owned by this thread.
        unsafe { std::slice::from_raw_parts(pcs, n) }.to_vec()
    }

    /// An anonymous `PROT_NONE` mapping without swap reservation: address space only.
    fn reserve(&self, size: usize) -> Option<*mut u8> {
        // SAFETY: a new private anonymous mapping; no existing memory is affected.
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
        (base != libc::MAP_FAILED).then_some(base as *mut u8)
    }

    unsafe fn commit(&self, start: *mut u8, len: usize) -> bool {
        // SAFETY: per the contract, the range lies in one of our reservations; its pages are
        // still the kernel's zero pages.
        unsafe {
            libc::mprotect(
                start as *mut libc::c_void,
                len,
                libc::PROT_READ | libc::PROT_WRITE,
            ) == 0
        }
    }

    unsafe fn release(&self, start: *mut u8, size: usize) {
        // SAFETY: per the contract, this is a whole reservation that nothing uses any more.
        unsafe { libc::munmap(start as *mut libc::c_void, size) };
    }

    /// SIGSEGV and SIGBUS handlers, installed on first call for the whole process: a fault of
    /// registered compiled code in a registered memory reservation, inside a host->wasm call,
    /// becomes the `MemoryOutOfBounds` trap; any other fault goes to the previous handler.
    fn handles_memory_faults(&self) -> bool {
        static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *INSTALLED.get_or_init(|| {
            // SAFETY: installs process-wide handlers once; the classifier they call only reads
            // the lock-free region tables, and chaining keeps every other fault's behaviour.
            unsafe {
                lazuli_install_fault_handlers(is_wasm_fault, TrapCode::MemoryOutOfBounds as u32)
                    != 0
            }
        })
    }

    /// Jobs are taken in order by the calling thread and up to one helper thread per other
    /// core (scoped threads: none outlives the call).
    fn run_parallel(&self, count: usize, job: &(dyn Fn(usize) + Sync)) {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(count);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if i >= count {
                break;
            }
            job(i);
        };
        std::thread::scope(|scope| {
            for _ in 1..threads {
                // A helper that cannot start leaves its share to the others.
                let _ = std::thread::Builder::new()
                    .name("lazuli-validate".into())
                    .spawn_scoped(scope, work);
            }
            work();
        });
    }

    fn map_file(&self, path: &str) -> Result<lazuli_core::backend::MappedFile, String> {
        map_file(std::path::Path::new(path)).map_err(|e| e.to_string())
    }
}

/// The lowest address of the current thread's stack.
fn stack_low_address() -> Option<usize> {
    // SAFETY: `pthread_getattr_np` fills `attr` for the calling thread; it is destroyed after
    // reading the stack bounds.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr = std::ptr::null_mut();
        let mut size = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(&mut attr);
        ok.then_some(addr as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn raises(data: *mut u8) {
        let raise = StdPlatform.raise_trap();
        // SAFETY: called inside `catch_traps`.
        unsafe { raise(data, 7) }
    }

    unsafe extern "C" fn returns(data: *mut u8) {
        // SAFETY: `data` points to a live u32.
        unsafe { *(data as *mut u32) = 42 };
    }

    #[test]
    fn catch_returns_the_raised_code_and_nests() {
        let mut x = 0u32;
        // SAFETY: both callbacks are safe with these arguments and hold nothing to drop.
        unsafe {
            assert_eq!(
                StdPlatform.catch_traps(returns, &mut x as *mut u32 as *mut u8),
                None
            );
            assert_eq!(x, 42);
            assert_eq!(
                StdPlatform.catch_traps(raises, std::ptr::null_mut()),
                Some(7)
            );
            assert_eq!(
                StdPlatform.catch_traps(raises, std::ptr::null_mut()),
                Some(7)
            );
        }
    }

    #[test]
    fn stack_limit_is_below_the_current_frame() {
        let local = std::hint::black_box(0u8);
        let here = std::hint::black_box(&local) as *const u8 as usize;
        let limit = StdPlatform.stack_limit();
        assert!(
            limit > 0 && limit < here,
            "limit {limit:#x}, frame {here:#x}"
        );
    }
}

/// Map the whole file at `path` privately (copy-on-write), readable.
fn map_file(path: &std::path::Path) -> std::io::Result<lazuli_core::backend::MappedFile> {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(path)?;
    let len = usize::try_from(file.metadata()?.len())
        .map_err(|_| std::io::Error::other("the file is too large to map"))?;
    if len == 0 {
        return Err(std::io::Error::other("the file is empty"));
    }
    // SAFETY: maps `len` bytes of an open file privately; no existing memory is touched. The
    // mapping outlives the descriptor, which is closed when `file` drops.
    let start = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            // Not populated: the checksum's pass faults the pages in, many per fault (the
            // kernel maps the page cache's neighbouring pages too), which measured faster than
            // MAP_POPULATE's page-by-page walk. Read-only, so those pages are shared with the
            // page cache instead of copied.
            libc::MAP_PRIVATE,
            file.as_raw_fd(),
            0,
        )
    };
    if start == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    unsafe fn unmap(start: *mut u8, len: usize) {
        // SAFETY: the caller (`MappedFile`'s drop) passes the mapping made above.
        unsafe { libc::munmap(start as *mut libc::c_void, len) };
    }
    let start = std::ptr::NonNull::new(start as *mut u8)
        .ok_or_else(|| std::io::Error::other("the file was mapped at address 0"))?;
    // SAFETY: `start` is a fresh page-aligned private mapping of `len` readable bytes, which
    // `unmap` releases.
    Ok(unsafe { lazuli_core::backend::MappedFile::new(start, len, unmap) })
}

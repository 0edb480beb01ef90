//! A `no_std` consumer of lazuli-core: validates a module with nothing but `alloc`.
#![no_std]

extern crate alloc;

use core::alloc::{GlobalAlloc, Layout};
use core::sync::atomic::{AtomicUsize, Ordering};

/// A bump allocator over a static arena: enough to validate small modules, never frees.
struct Arena;

const ARENA_SIZE: usize = 1 << 20;
static mut ARENA: [u8; ARENA_SIZE] = [0; ARENA_SIZE];
static NEXT: AtomicUsize = AtomicUsize::new(0);

// SAFETY: hands out disjoint, suitably aligned ranges of the arena, reserved atomically.
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = core::ptr::addr_of_mut!(ARENA) as usize;
        let mut next = NEXT.load(Ordering::Relaxed);
        loop {
            let start = (base + next).next_multiple_of(layout.align()) - base;
            let end = start + layout.size();
            if end > ARENA_SIZE {
                return core::ptr::null_mut();
            }
            match NEXT.compare_exchange(next, end, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return (base + start) as *mut u8,
                Err(seen) => next = seen,
            }
        }
    }

    unsafe fn dealloc(&self, _ptr: *mut u8, _layout: Layout) {}
}

#[global_allocator]
static ALLOCATOR: Arena = Arena;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

/// Validates the given module; returns 1 if valid, 0 if not.
#[no_mangle]
pub extern "C" fn lazuli_no_std_validate(ptr: *const u8, len: usize) -> i32 {
    // SAFETY: the caller passes a readable buffer of `len` bytes.
    let bytes = unsafe { core::slice::from_raw_parts(ptr, len) };
    let engine = lazuli_core::Engine::new(lazuli_core::Config::default());
    lazuli_core::Module::validate(&engine, bytes).is_ok() as i32
}

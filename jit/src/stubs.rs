//! Lazy-compilation stubs: the PLT of a module's GOT (x86-64 System V), for both backends.
//!
//! Each defined function gets a 32-byte stub in executable memory:
//!
//! ```text
//! movabs r11, <&Lazy>          ; which module
//! mov    eax, <defined index>  ; which function
//! movabs r10, <resolve_common>
//! jmp    r10
//! ```
//!
//! `resolve_common` saves every argument register, calls `resolve_from_stub` (which asks the
//! module's [`Lazy`](crate::lazy::Lazy) for the code: it compiles the function and patches its
//! GOT entry), restores the registers and jumps to the code, so the original call continues as
//! if it had gone there directly. r10, r11 and rax carry nothing into a call under the ABI
//! (`lazuli_backend_api::abi`; rax carries only the vector-register count of variadic calls,
//! which wasm never makes), so the stub may use them.

use lazuli_backend_api::{CompileError, TrapCode};
use std::arch::global_asm;

use crate::pages::{map_writable, memory_error, PAGE};

/// Size of one stub in bytes.
pub const STUB_SIZE: usize = 32;

/// Executable memory holding one stub per defined function.
pub struct StubTable {
    base: *mut u8,
    len: usize,
}

// SAFETY: the stub memory is written once, before it is shared, and is read-only/executable
// afterwards.
unsafe impl Send for StubTable {}
// SAFETY: see `Send`.
unsafe impl Sync for StubTable {}

impl StubTable {
    /// Stubs for `count` functions that resolve through `target`, the address of a value whose
    /// first word is a [`ResolveFn`] taking that address (a [`Lazy`](crate::lazy::Lazy)).
    pub(crate) fn new(count: usize, target: *const u8) -> Result<StubTable, CompileError> {
        if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
            return Err(CompileError::new(
                "lazy compilation stubs exist only for x86-64 Linux; use eager mode",
            ));
        }
        let len = count
            .checked_mul(STUB_SIZE)
            .and_then(|n| n.max(1).checked_next_multiple_of(PAGE))
            .ok_or_else(|| CompileError::new("too many functions for lazy stubs"))?;
        let base = map_writable(len).map_err(|e| memory_error("map lazy stubs", len, e))?;
        let common = resolve_common_address() as u64;
        for i in 0..count {
            let mut stub = [0xccu8; STUB_SIZE];
            stub[0..2].copy_from_slice(&[0x49, 0xbb]);
            stub[2..10].copy_from_slice(&(target as u64).to_le_bytes());
            stub[10] = 0xb8;
            stub[11..15].copy_from_slice(&(i as u32).to_le_bytes());
            stub[15..17].copy_from_slice(&[0x49, 0xba]);
            stub[17..25].copy_from_slice(&common.to_le_bytes());
            stub[25..28].copy_from_slice(&[0x41, 0xff, 0xe2]);
            // SAFETY: stub `i` lies inside the mapping, which is writable until protected below.
            unsafe {
                std::ptr::copy_nonoverlapping(stub.as_ptr(), base.add(i * STUB_SIZE), STUB_SIZE)
            };
        }
        // SAFETY: the mapping is ours; from now on it is only executed.
        if unsafe {
            libc::mprotect(
                base as *mut libc::c_void,
                len,
                libc::PROT_READ | libc::PROT_EXEC,
            )
        } != 0
        {
            // SAFETY: unmapping our own mapping.
            unsafe { libc::munmap(base as *mut libc::c_void, len) };
            return Err(CompileError::new("cannot make lazy stubs executable"));
        }
        Ok(StubTable { base, len })
    }

    /// The address of stub `i`.
    pub fn stub(&self, i: usize) -> *const u8 {
        debug_assert!(i * STUB_SIZE < self.len);
        self.base.wrapping_add(i * STUB_SIZE)
    }
}

impl Drop for StubTable {
    fn drop(&mut self) {
        // SAFETY: the mapping is ours and no code can reach the stubs once the module is gone.
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.len) };
    }
}

/// How a stub's target compiles function `index` for a call with `vmctx`: given the target's
/// own address, returns the code or the trap the call ends with.
pub type ResolveFn =
    unsafe fn(target: *const u8, index: u32, vmctx: *const u8) -> Result<*const u8, TrapCode>;

/// Called by `resolve_common`: compile the function and return its code. On failure it raises
/// the target's trap through the caller's VMContext and does not return.
///
/// # Safety
/// `target` is the address the stub was made for, alive while its code runs, whose first word
/// is a [`ResolveFn`]; `vmctx` is the VMContext the function was called with.
unsafe extern "C" fn resolve_from_stub(target: *const u8, index: u32, vmctx: *mut u8) -> *const u8 {
    // SAFETY: per the contract, `target` starts with its `ResolveFn`, which is given `target`.
    let result = unsafe {
        let resolve = *(target as *const ResolveFn);
        resolve(target, index, vmctx)
    };
    let code = match result {
        Ok(code) => return code,
        Err(trap) => trap,
    };
    // SAFETY: `vmctx` is a live VMContext whose libcall table holds `RaiseTrap`, and the frames
    // up to the wasm caller (the resolver's) hold nothing to drop.
    unsafe { lazuli_backend_api::libcall::raise_trap(vmctx, code) }
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
global_asm!(
    ".pushsection .text.lazuli_resolve_common,\"ax\",@progbits",
    ".p2align 4",
    ".globl lazuli_resolve_common",
    ".hidden lazuli_resolve_common",
    "lazuli_resolve_common:",
    "push rbp",
    "mov rbp, rsp",
    "sub rsp, 176",
    "mov [rsp], rdi",
    "mov [rsp + 8], rsi",
    "mov [rsp + 16], rdx",
    "mov [rsp + 24], rcx",
    "mov [rsp + 32], r8",
    "mov [rsp + 40], r9",
    "movdqu [rsp + 48], xmm0",
    "movdqu [rsp + 64], xmm1",
    "movdqu [rsp + 80], xmm2",
    "movdqu [rsp + 96], xmm3",
    "movdqu [rsp + 112], xmm4",
    "movdqu [rsp + 128], xmm5",
    "movdqu [rsp + 144], xmm6",
    "movdqu [rsp + 160], xmm7",
    "mov rdx, rdi",
    "mov rdi, r11",
    "mov esi, eax",
    "call {resolve}",
    "mov r11, rax",
    "mov rdi, [rsp]",
    "mov rsi, [rsp + 8]",
    "mov rdx, [rsp + 16]",
    "mov rcx, [rsp + 24]",
    "mov r8, [rsp + 32]",
    "mov r9, [rsp + 40]",
    "movdqu xmm0, [rsp + 48]",
    "movdqu xmm1, [rsp + 64]",
    "movdqu xmm2, [rsp + 80]",
    "movdqu xmm3, [rsp + 96]",
    "movdqu xmm4, [rsp + 112]",
    "movdqu xmm5, [rsp + 128]",
    "movdqu xmm6, [rsp + 144]",
    "movdqu xmm7, [rsp + 160]",
    "mov rsp, rbp",
    "pop rbp",
    "jmp r11",
    ".popsection",
    resolve = sym resolve_from_stub,
);

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
fn resolve_common_address() -> *const u8 {
    extern "C" {
        fn lazuli_resolve_common();
    }
    lazuli_resolve_common as *const u8
}

#[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
fn resolve_common_address() -> *const u8 {
    std::ptr::null()
}

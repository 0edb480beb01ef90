//! Lazy-compilation stubs: the PLT of a module's GOT, for baseline code.
//!
//! A defined function's GOT entry starts at its 32-byte stub:
//!
//! ```text
//! movabs r11, <&Shared>        ; which module
//! mov    eax, <defined index>  ; which function
//! movabs r10, <resolve_common>
//! jmp    r10
//! ```
//!
//! `resolve_common` (made once per process) saves the argument registers, calls
//! [`resolve_from_stub`], which compiles the function and patches its GOT entry, restores them
//! and jumps to the code, as if the call had gone there directly. r10, r11 and rax carry
//! nothing into a call under the ABI (`lazuli_backend_api::abi`), so the stub may use them.

use std::sync::{Arc, OnceLock};

use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, VecAssembler};
use lazuli_backend_api::{CompileError, TrapCode};

use crate::code_memory::CodeMemory;
use crate::lazy::Shared;

/// Size of one stub in bytes.
const STUB_SIZE: usize = 32;

/// Make the stubs of `count` functions resolving through `shared`; returns the first stub's
/// address (stub `i` is `STUB_SIZE * i` bytes further).
pub(crate) fn make_stubs(
    memory: &CodeMemory,
    count: usize,
    shared: *const Shared,
) -> Result<*const u8, CompileError> {
    let common = resolve_common()? as i64;
    let mut asm: VecAssembler<X64Relocation> = VecAssembler::new(0);
    for i in 0..count {
        let start = asm.offset().0;
        dynasm!(asm
            ; .arch x64
            ; mov r11, QWORD shared as i64
            ; mov eax, i as i32
            ; mov r10, QWORD common
            ; jmp r10
        );
        while asm.offset().0 < start + STUB_SIZE {
            dynasm!(asm ; .arch x64 ; int3);
        }
    }
    let code = asm
        .finalize()
        .map_err(|e| CompileError::new(format!("baseline assembler: {e}")))?;
    memory.publish(&code)
}

/// The address of stub `i` given the first one's.
pub(crate) fn stub_address(first: *const u8, i: usize) -> *const u8 {
    first.wrapping_add(i * STUB_SIZE)
}

/// The shared resolver the stubs jump to, made on first use.
fn resolve_common() -> Result<*const u8, CompileError> {
    static COMMON: OnceLock<Result<usize, CompileError>> = OnceLock::new();
    static MEMORY: OnceLock<CodeMemory> = OnceLock::new();
    COMMON
        .get_or_init(|| {
            let mut asm: VecAssembler<X64Relocation> = VecAssembler::new(0);
            let resolve = resolve_from_stub as *const () as i64;
            dynasm!(asm
                ; .arch x64
                ; push rbp
                ; mov rbp, rsp
                ; sub rsp, 176
                ; mov [rsp], rdi
                ; mov [rsp + 8], rsi
                ; mov [rsp + 16], rdx
                ; mov [rsp + 24], rcx
                ; mov [rsp + 32], r8
                ; mov [rsp + 40], r9
                ; movdqu [rsp + 48], xmm0
                ; movdqu [rsp + 64], xmm1
                ; movdqu [rsp + 80], xmm2
                ; movdqu [rsp + 96], xmm3
                ; movdqu [rsp + 112], xmm4
                ; movdqu [rsp + 128], xmm5
                ; movdqu [rsp + 144], xmm6
                ; movdqu [rsp + 160], xmm7
                ; mov rdx, rdi
                ; mov rdi, r11
                ; mov esi, eax
                ; mov rax, QWORD resolve
                ; call rax
                ; mov r11, rax
                ; mov rdi, [rsp]
                ; mov rsi, [rsp + 8]
                ; mov rdx, [rsp + 16]
                ; mov rcx, [rsp + 24]
                ; mov r8, [rsp + 32]
                ; mov r9, [rsp + 40]
                ; movdqu xmm0, [rsp + 48]
                ; movdqu xmm1, [rsp + 64]
                ; movdqu xmm2, [rsp + 80]
                ; movdqu xmm3, [rsp + 96]
                ; movdqu xmm4, [rsp + 112]
                ; movdqu xmm5, [rsp + 128]
                ; movdqu xmm6, [rsp + 144]
                ; movdqu xmm7, [rsp + 160]
                ; mov rsp, rbp
                ; pop rbp
                ; jmp r11
            );
            let code = asm
                .finalize()
                .map_err(|e| CompileError::new(format!("baseline assembler: {e}")))?;
            let memory = MEMORY.get_or_init(CodeMemory::new);
            memory.publish(&code).map(|p| p as usize)
        })
        .clone()
        .map(|p| p as *const u8)
}

/// Called by `resolve_common`: compile the function and return its code. On failure it raises
/// a `CompileError` trap through the caller's VMContext and does not return.
///
/// # Safety
/// `shared` is the `Arc<Shared>` pointer the stub was made for (alive while its code runs);
/// `vmctx` is the VMContext the function was called with.
unsafe extern "C" fn resolve_from_stub(
    shared: *const Shared,
    index: u32,
    vmctx: *mut u8,
) -> *const u8 {
    // SAFETY: per the contract, `shared` points into a live `Arc<Shared>` (the module's code is
    // alive while its functions run); taking another strong reference keeps it so.
    let shared = unsafe {
        Arc::increment_strong_count(shared);
        Arc::from_raw(shared)
    };
    let result = shared.resolve(index);
    // Released before a possible raise, which would skip its destructor.
    drop(shared);
    match result {
        Ok(code) => code,
        // SAFETY: `vmctx` is the live VMContext the function was called with, and the frames
        // up to the wasm caller (the resolver's) hold nothing to drop.
        Err(_) => unsafe { lazuli_backend_api::libcall::raise_trap(vmctx, TrapCode::CompileError) },
    }
}

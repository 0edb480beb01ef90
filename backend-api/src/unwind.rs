//! Exception handling's two machine-level pieces (x86-64): entering a `try_table` (the
//! [`crate::libcall::Libcall::TryEnter`] libcall, which returns twice, like `setjmp`) and
//! resuming at a handler (like `longjmp`). See [`crate::vmcontext::VMHandler`].

use crate::vmcontext::{VMHandler, VMOffsets, VMRuntimeLimits};

#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".pushsection .text.lazuli_try_enter,\"ax\",@progbits",
    ".globl lazuli_try_enter",
    ".hidden lazuli_try_enter",
    ".type lazuli_try_enter,@function",
    ".p2align 4",
    // rdi = vmctx, rsi = the handler to fill and link.
    "lazuli_try_enter:",
    "    mov rax, [rdi + {limits}]",
    "    mov rcx, [rax + {handler}]",
    "    mov [rsi], rcx",
    "    mov [rsi + 8], rbx",
    "    mov [rsi + 16], rbp",
    "    mov [rsi + 24], r12",
    "    mov [rsi + 32], r13",
    "    mov [rsi + 40], r14",
    "    mov [rsi + 48], r15",
    "    lea rcx, [rsp + 8]",
    "    mov [rsi + 56], rcx",
    "    mov rcx, [rsp]",
    "    mov [rsi + 64], rcx",
    "    mov [rax + {handler}], rsi",
    "    xor eax, eax",
    "    ret",
    ".size lazuli_try_enter, . - lazuli_try_enter",
    ".popsection",
    ".pushsection .text.lazuli_resume,\"ax\",@progbits",
    ".globl lazuli_resume",
    ".hidden lazuli_resume",
    ".type lazuli_resume,@function",
    ".p2align 4",
    // rdi = the handler: its registers back, then `TryEnter` returns 1 a second time.
    "lazuli_resume:",
    "    mov rbx, [rdi + 8]",
    "    mov rbp, [rdi + 16]",
    "    mov r12, [rdi + 24]",
    "    mov r13, [rdi + 32]",
    "    mov r14, [rdi + 40]",
    "    mov r15, [rdi + 48]",
    "    mov rsp, [rdi + 56]",
    "    mov eax, 1",
    "    jmp qword ptr [rdi + 64]",
    ".size lazuli_resume, . - lazuli_resume",
    ".popsection",
    limits = const VMOffsets::RUNTIME_LIMITS,
    handler = const core::mem::offset_of!(VMRuntimeLimits, handler),
);

#[cfg(target_arch = "x86_64")]
extern "C" {
    fn lazuli_try_enter();
    fn lazuli_resume(handler: *const VMHandler) -> !;
}

/// The address of the `TryEnter` libcall, for the libcall table.
#[cfg(target_arch = "x86_64")]
pub fn try_enter_address() -> usize {
    lazuli_try_enter as *const () as usize
}

/// Resume at `handler`: its `TryEnter` call returns 1 with the registers it saved.
///
/// # Safety
/// `handler` was filled by `TryEnter` in a frame that is still live (an ancestor of the
/// caller's frames, in wasm code of the same host call), it is already unlinked, and every
/// frame in between is safe to skip (holds nothing to drop).
#[cfg(target_arch = "x86_64")]
pub unsafe fn resume(handler: *const VMHandler) -> ! {
    // SAFETY: per the contract.
    unsafe { lazuli_resume(handler) }
}

/// The deepest nesting of `try_table`s and legacy `try`s in a function body (0 without any):
/// how many handlers its frame needs.
#[cfg(feature = "wasmparser")]
pub fn try_table_depth(body: &[u8]) -> Result<u32, wasmparser::BinaryReaderError> {
    use wasmparser::Operator;
    let body = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(body, 0));
    let mut ops = body.get_operators_reader()?;
    // One entry per open block: whether it is a try_table.
    let mut open: alloc::vec::Vec<bool> = alloc::vec::Vec::new();
    let (mut depth, mut deepest) = (0u32, 0u32);
    while !ops.eof() {
        match ops.read()? {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                open.push(false)
            }
            Operator::TryTable { .. } | Operator::Try { .. } => {
                open.push(true);
                depth += 1;
                deepest = deepest.max(depth);
            }
            Operator::End | Operator::Delegate { .. } => {
                if open.pop() == Some(true) {
                    depth -= 1;
                }
            }
            _ => {}
        }
    }
    Ok(deepest)
}

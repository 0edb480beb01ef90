//! The stack probe: how a function whose frame is larger than a page checks, before its
//! prologue moves the stack pointer, that the whole frame stays above the store's stack limit.
//!
//! Every compiled function compares its frame address with the limit at entry, which covers
//! frames smaller than the reserve below the limit. A larger frame could move the stack pointer
//! past the reserve and the guard page before that check runs. So compiled functions carry
//! LLVM's `"probe-stack"` attribute naming [`PROBE_SYMBOL`]: for any frame of a page or more,
//! the prologue calls it with the frame size in `rax`, before allocating the frame. The probe
//! raises a `StackOverflow` trap if the new stack pointer would be below the limit; otherwise it
//! returns with every register unchanged. It finds the limit through the `VMContext`, still in
//! `rdi` (the first argument) in the prologue.

use lazuli_backend_api::libcall::Libcall;
use lazuli_backend_api::vmcontext::{VMOffsets, VMRuntimeLimits};
use lazuli_backend_api::TrapCode;

/// The symbol compiled functions call as their stack probe.
pub(crate) const PROBE_SYMBOL: &str = "__lazuli_probestack";

/// Frames of at least this many bytes are probed (LLVM's `"stack-probe-size"`, its default).
/// Smaller ones are covered by the entry check, since the reserve below the limit is larger.
pub(crate) const PROBE_SIZE: u32 = 4096;

#[cfg(target_arch = "x86_64")]
std::arch::global_asm!(
    ".pushsection .text.__lazuli_probestack,\"ax\",@progbits",
    ".globl __lazuli_probestack",
    ".hidden __lazuli_probestack",
    ".type __lazuli_probestack,@function",
    ".p2align 4",
    "__lazuli_probestack:",
    // On entry: rax = frame size, rdi = VMContext, [rsp] = return address. The stack pointer
    // after the frame is allocated will be (rsp + 8) - rax.
    "    push r11",
    "    lea r11, [rsp + 16]",
    "    sub r11, rax",
    "    jb 2f",
    "    push r10",
    "    mov r10, [rdi + {limits}]",
    "    cmp r11, [r10 + {stack_limit}]",
    "    pop r10",
    "    jb 2f",
    "    pop r11",
    "    ret",
    // Too deep: raise the trap through the libcall table. The frame below the limit is never
    // touched; the raise runs in the reserve, on an aligned stack.
    "2:",
    "    mov esi, {stack_overflow}",
    "    mov r11, [rdi + {libcalls}]",
    "    mov r11, [r11 + {raise_trap}]",
    "    and rsp, -16",
    "    call r11",
    "    ud2",
    ".size __lazuli_probestack, . - __lazuli_probestack",
    ".popsection",
    limits = const VMOffsets::RUNTIME_LIMITS,
    stack_limit = const std::mem::offset_of!(VMRuntimeLimits, stack_limit),
    libcalls = const VMOffsets::LIBCALLS,
    raise_trap = const Libcall::RaiseTrap as usize * std::mem::size_of::<usize>(),
    stack_overflow = const TrapCode::StackOverflow as u32,
);

extern "C" {
    #[link_name = "__lazuli_probestack"]
    fn lazuli_probestack();
}

/// The probe's address, defined in every JIT under [`PROBE_SYMBOL`].
pub(crate) fn address() -> usize {
    lazuli_probestack as *const () as usize
}

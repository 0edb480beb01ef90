//! The calling convention of compiled wasm functions, written down once for every backend
//! (x86-64 System V, the only target so far).
//!
//! A wasm function `(p1 .. pn) -> (r1 .. rm)` is a function
//! `fn(vmctx: *mut u8, p1 .. pn [, results: *mut u8]) -> R` in LLVM's `tailcc` convention for
//! x86-64: the registers of System V C, but the callee pops its stack arguments, so that a tail
//! call may pass more stack arguments than its caller received:
//! - `vmctx` is the callee's `VMContext` (or a [`crate::vmcontext::VMHostContext`] for host
//!   functions), always the first integer argument (`rdi`); lazy stubs rely on that.
//! - `i32`, `i64` and references take the next of `rdi rsi rdx rcx r8 r9`; `f32` and `f64` the
//!   next of `xmm0..xmm7`; once those run out, each takes the next 8-byte stack slot, in order.
//!   An `i32` occupies the low half of its register or slot; the high half is undefined.
//!   `v128` is an `i128`: two consecutive integer registers if two are left, else a 16-byte
//!   aligned 16-byte stack slot; a later integer argument still takes a register left over
//!   (`tests/tests/tiers.rs` checks this against LLVM's code). When a `v128` is on the stack,
//!   an unused 16-byte pad may end the arguments (see [`ArgLocations::stack_pad`]).
//! - With no result `R` is void; with one, it is returned in `rax` (integers, references),
//!   `xmm0` (floats) or `rax:rdx` (`v128`). With several, the caller passes one more integer
//!   argument, a pointer to a record laid out by [`results_layout`], which the callee fills.
//! - The stack-argument area at the call is [`ArgLocations::stack_bytes`] long, a multiple of 16
//!   plus 8 and never empty (LLVM's rounding for `tailcc`), and the callee pops it (`ret n`):
//!   after the call `rsp` is that much higher than at it.
//! - `rbx rbp r12..r15` are preserved; every other register may be clobbered. `rsp` is 16-byte
//!   aligned at the call. Code keeps a frame-pointer chain (`push rbp; mov rbp, rsp`) so the
//!   runtime can walk wasm frames for backtraces.
//! - Before a function writes its frame it checks that `rsp - frame size` does not go below
//!   [`crate::vmcontext::VMRuntimeLimits::stack_limit`], else it raises `StackOverflow`.
//! - Traps are raised by calling [`crate::libcall::Libcall::RaiseTrap`], which never returns.
//! - Lazily compiled baseline code counts calls and loop iterations in a per-function `u32`
//!   and, when the count reaches the tier-up threshold, calls the backend's request function
//!   once; a tier's code is reached only through the GOT, so either tier may call the other.

use alloc::vec::Vec;

use crate::types::ValType;

/// Integer argument registers in order, as x86-64 register numbers (rdi, rsi, rdx, rcx, r8, r9).
pub const INT_ARG_REGS: [u8; 6] = [7, 6, 2, 1, 8, 9];
/// Number of float argument registers (`xmm0` to `xmm7`).
pub const FLOAT_ARG_REGS: u8 = 8;

/// Where one argument travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgLocation {
    /// An integer register (x86-64 number); for `v128`, the low half (the high half is the next
    /// register of [`INT_ARG_REGS`]).
    Int(u8),
    /// Float register `xmm{n}`.
    Float(u8),
    /// At this byte offset from the stack pointer at the call (the callee sees it at
    /// `rbp + 16 + offset`).
    Stack(u32),
}

/// Where the arguments of a signature travel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgLocations {
    /// The location of each wasm parameter, in order (the `vmctx` is not included).
    pub params: Vec<ArgLocation>,
    /// Where the results-record pointer goes, for signatures with several results.
    pub results_pointer: Option<ArgLocation>,
    /// Where a 16-byte pad lies that ends the stack arguments at a multiple of 16, if they hold
    /// a `v128` and would otherwise end 8 bytes past one. LLVM 22 sizes a `tailcc` stack area
    /// rounded to its largest argument alignment at calls but unrounded in callees, so without
    /// the pad a caller and its callee would disagree by 16 bytes on what the callee pops.
    /// Compiled code passes an unused `i128` there, after the results pointer.
    pub stack_pad: Option<u32>,
    /// Bytes of the stack-argument area, which the callee pops: the arguments' bytes rounded up
    /// to a multiple of 16 plus 8, so at least 8 (LLVM's `tailcc`).
    pub stack_bytes: u32,
}

/// The argument locations of a function with these parameters and results.
pub fn arg_locations(params: &[ValType], results: &[ValType]) -> ArgLocations {
    let params_types = params;
    let mut next_int = 1usize; // rdi holds the vmctx
    let mut next_float = 0u8;
    let mut stack = 0u32;
    let mut place = |ty: ValType| -> ArgLocation {
        match ty {
            ValType::F32 | ValType::F64 if next_float < FLOAT_ARG_REGS => {
                next_float += 1;
                ArgLocation::Float(next_float - 1)
            }
            ValType::V128 if next_int + 2 <= INT_ARG_REGS.len() => {
                next_int += 2;
                ArgLocation::Int(INT_ARG_REGS[next_int - 2])
            }
            ValType::V128 => {
                // Later integer arguments still take the registers left (as LLVM does).
                stack = stack.next_multiple_of(16);
                stack += 16;
                ArgLocation::Stack(stack - 16)
            }
            ValType::I32
            | ValType::I64
            | ValType::FuncRef
            | ValType::ExternRef
            | ValType::ExnRef
                if next_int < INT_ARG_REGS.len() =>
            {
                next_int += 1;
                ArgLocation::Int(INT_ARG_REGS[next_int - 1])
            }
            _ => {
                stack += 8;
                ArgLocation::Stack(stack - 8)
            }
        }
    };
    let params: Vec<ArgLocation> = params.iter().map(|t| place(*t)).collect();
    let results_pointer = (results.len() > 1).then(|| place(ValType::I64));
    let v128_on_stack = params
        .iter()
        .zip(params_types)
        .any(|(loc, t)| *t == ValType::V128 && matches!(loc, ArgLocation::Stack(_)));
    let stack_pad = (v128_on_stack && stack % 16 != 0).then(|| {
        stack = stack.next_multiple_of(16) + 16;
        stack - 16
    });
    ArgLocations {
        params,
        results_pointer,
        stack_pad,
        stack_bytes: (stack + 8).next_multiple_of(16) - 8,
    }
}

/// Size and alignment of a value in memory (in a results record).
pub fn size_of(ty: ValType) -> u32 {
    match ty {
        ValType::I32 | ValType::F32 => 4,
        ValType::I64 | ValType::F64 | ValType::FuncRef | ValType::ExternRef | ValType::ExnRef => 8,
        ValType::V128 => 16,
    }
}

/// The record several results are returned in: each field at its natural alignment, in order
/// (a C struct). Returns the offset of each result and the record's size.
pub fn results_layout(results: &[ValType]) -> (Vec<u32>, u32) {
    let mut offset = 0u32;
    let mut align = 1u32;
    let offsets = results
        .iter()
        .map(|t| {
            let size = size_of(*t);
            align = align.max(size);
            offset = offset.next_multiple_of(size);
            offset += size;
            offset - size
        })
        .collect();
    (offsets, offset.next_multiple_of(align))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use ValType::*;

    #[test]
    fn integers_then_stack() {
        let locs = arg_locations(&[I32, F64, I64, I64, I64, I64, I64, F32], &[I32, I64]);
        assert_eq!(locs.params[0], ArgLocation::Int(6));
        assert_eq!(locs.params[1], ArgLocation::Float(0));
        assert_eq!(locs.params[5], ArgLocation::Int(9));
        assert_eq!(locs.params[6], ArgLocation::Stack(0));
        assert_eq!(locs.params[7], ArgLocation::Float(1));
        assert_eq!(locs.results_pointer, Some(ArgLocation::Stack(8)));
        assert_eq!(locs.stack_bytes, 24);
    }

    #[test]
    fn v128_needs_two_registers() {
        let locs = arg_locations(&[I64, I64, I64, I64, V128, I32], &[I32, I64]);
        assert_eq!(locs.params[4], ArgLocation::Stack(0));
        assert_eq!(locs.params[5], ArgLocation::Int(9));
        assert_eq!(locs.results_pointer, Some(ArgLocation::Stack(16)));
        assert_eq!(locs.stack_pad, Some(32));
        assert_eq!(locs.stack_bytes, 56);
    }

    #[test]
    fn the_stack_area_is_never_empty() {
        assert_eq!(arg_locations(&[I32], &[]).stack_bytes, 8);
    }

    #[test]
    fn results_are_naturally_aligned() {
        assert_eq!(results_layout(&[I32, I64, F32]), (vec![0, 8, 16], 24));
        assert_eq!(results_layout(&[I32, V128]), (vec![0, 16], 32));
    }
}

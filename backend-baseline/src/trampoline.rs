//! Adapters between the runtime's value arrays and the calling convention of compiled code
//! (`lazuli_backend_api::abi`): array trampolines (host -> wasm) and host trampolines
//! (wasm -> host), one per signature.

use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi, VecAssembler};
use lazuli_backend_api::abi::{self, ArgLocation};
use lazuli_backend_api::{CompileError, FuncType, ValType};

/// Bytes of one `ValRaw`.
const VAL_SIZE: i32 = 16;

/// The integer argument register after `r` (the high half of a `v128`).
fn next_int_arg(r: u8) -> u8 {
    let regs = abi::INT_ARG_REGS;
    regs[regs
        .iter()
        .position(|x| *x == r)
        .expect("an integer argument register")
        + 1]
}

fn finish(asm: VecAssembler<X64Relocation>) -> Result<Vec<u8>, CompileError> {
    asm.finalize()
        .map_err(|e| CompileError::new(format!("baseline assembler: {e}")))
}

/// `extern "C" fn(code, callee_vmctx, values: *mut ValRaw)`: arguments from the array into
/// their ABI locations, the call, results back over the array.
pub(crate) fn array(ty: &FuncType) -> Result<Vec<u8>, CompileError> {
    let locs = abi::arg_locations(ty.params(), ty.results());
    let (offsets, record_size) = abi::results_layout(ty.results());
    // The record is 16-byte aligned (LLVM code may store a `v128` result with `movdqa`).
    let record_at = locs.stack_bytes.next_multiple_of(16) as i32;
    let frame = (record_at as u32 + record_size).next_multiple_of(16) as i32;
    let mut asm: VecAssembler<X64Relocation> = VecAssembler::new(0);
    // rbx keeps the array, r12 the code (both callee-saved); two pushes keep rsp aligned.
    dynasm!(asm
        ; .arch x64
        ; push rbp
        ; mov rbp, rsp
        ; push rbx
        ; push r12
        ; sub rsp, frame
        ; mov r12, rdi
        ; mov rbx, rdx
        ; mov rdi, rsi
    );
    for (k, (loc, t)) in locs.params.iter().zip(ty.params()).enumerate() {
        let at = VAL_SIZE * k as i32;
        match (*loc, t) {
            (ArgLocation::Int(r), ValType::V128) => dynasm!(asm
                ; .arch x64
                ; mov Rq(r), QWORD [rbx + at]
                ; mov Rq(next_int_arg(r)), QWORD [rbx + at + 8]
            ),
            (ArgLocation::Stack(off), ValType::V128) => dynasm!(asm
                ; .arch x64
                ; movdqu xmm15, [rbx + at]
                ; movdqu [rsp + off as i32], xmm15
            ),
            (ArgLocation::Int(r), _) => dynasm!(asm ; .arch x64 ; mov Rq(r), QWORD [rbx + at]),
            (ArgLocation::Float(x), _) => dynasm!(asm ; .arch x64 ; movsd Rx(x), QWORD [rbx + at]),
            (ArgLocation::Stack(off), _) => dynasm!(asm
                ; .arch x64
                ; mov rax, QWORD [rbx + at]
                ; mov QWORD [rsp + off as i32], rax
            ),
        }
    }
    match locs.results_pointer {
        Some(ArgLocation::Int(r)) => dynasm!(asm ; .arch x64 ; lea Rq(r), [rsp + record_at]),
        Some(ArgLocation::Stack(off)) => dynasm!(asm
            ; .arch x64
            ; lea rax, [rsp + record_at]
            ; mov QWORD [rsp + off as i32], rax
        ),
        _ => {}
    }
    // The callee pops the stack-argument area; the record lies above it.
    let popped = locs.stack_bytes as i32;
    dynasm!(asm ; .arch x64 ; call r12 ; sub rsp, popped);
    match ty.results() {
        [] => {}
        [ValType::V128] => {
            dynasm!(asm ; .arch x64 ; mov QWORD [rbx], rax ; mov QWORD [rbx + 8], rdx)
        }
        [t] if matches!(t, ValType::F32 | ValType::F64) => {
            dynasm!(asm ; .arch x64 ; movsd QWORD [rbx], xmm0)
        }
        [_] => dynasm!(asm ; .arch x64 ; mov QWORD [rbx], rax),
        results => {
            for (k, (t, off)) in results.iter().zip(offsets).enumerate() {
                let at = VAL_SIZE * k as i32;
                let from = record_at + off as i32;
                if *t == ValType::V128 {
                    dynasm!(asm ; .arch x64 ; movdqu xmm15, [rsp + from] ; movdqu [rbx + at], xmm15);
                } else if abi::size_of(*t) == 4 {
                    dynasm!(asm ; .arch x64 ; mov eax, DWORD [rsp + from] ; mov QWORD [rbx + at], rax);
                } else {
                    dynasm!(asm ; .arch x64 ; mov rax, QWORD [rsp + from] ; mov QWORD [rbx + at], rax);
                }
            }
        }
    }
    dynasm!(asm
        ; .arch x64
        ; lea rsp, [rbp - 16]
        ; pop r12
        ; pop rbx
        ; pop rbp
        ; ret
    );
    finish(asm)
}

/// Wasm calling convention for `ty` with a `VMHostContext` as the callee context: arguments
/// into an array on the stack, `ctx.call(ctx, values)`, a trap raised if it failed, results
/// from the array.
pub(crate) fn host(ty: &FuncType) -> Result<Vec<u8>, CompileError> {
    let locs = abi::arg_locations(ty.params(), ty.results());
    let (offsets, _) = abi::results_layout(ty.results());
    let slots = ty.params().len().max(ty.results().len()).max(1) as i32;
    let frame = (VAL_SIZE * slots + 15) & !15;
    let call = std::mem::offset_of!(lazuli_backend_api::vmcontext::VMHostContext, call) as i32;
    let raise =
        std::mem::offset_of!(lazuli_backend_api::vmcontext::VMHostContext, raise_trap) as i32;
    let mut asm: VecAssembler<X64Relocation> = VecAssembler::new(0);
    let failed = asm.new_dynamic_label();
    dynasm!(asm
        ; .arch x64
        ; push rbp
        ; mov rbp, rsp
        ; push rbx
        ; push r12
        ; sub rsp, frame
        ; mov rbx, rdi
    );
    for (k, (loc, t)) in locs.params.iter().zip(ty.params()).enumerate() {
        let at = VAL_SIZE * k as i32;
        match *loc {
            ArgLocation::Int(r) if *t == ValType::V128 => dynasm!(asm
                ; .arch x64
                ; mov QWORD [rsp + at], Rq(r)
                ; mov QWORD [rsp + at + 8], Rq(next_int_arg(r))
            ),
            ArgLocation::Stack(off) if *t == ValType::V128 => dynasm!(asm
                ; .arch x64
                ; movdqu xmm15, [rbp + 16 + off as i32]
                ; movdqu [rsp + at], xmm15
            ),
            ArgLocation::Int(r) => dynasm!(asm ; .arch x64 ; mov QWORD [rsp + at], Rq(r)),
            ArgLocation::Float(x) => dynasm!(asm ; .arch x64 ; movsd QWORD [rsp + at], Rx(x)),
            ArgLocation::Stack(off) => dynasm!(asm
                ; .arch x64
                ; mov rax, QWORD [rbp + 16 + off as i32]
                ; mov QWORD [rsp + at], rax
            ),
        }
    }
    match locs.results_pointer {
        Some(ArgLocation::Int(r)) => dynasm!(asm ; .arch x64 ; mov r12, Rq(r)),
        Some(ArgLocation::Stack(off)) => {
            dynasm!(asm ; .arch x64 ; mov r12, QWORD [rbp + 16 + off as i32])
        }
        _ => {}
    }
    dynasm!(asm
        ; .arch x64
        ; mov rsi, rsp
        ; call QWORD [rbx + call]
        ; test eax, eax
        ; jnz =>failed
    );
    match ty.results() {
        [] => {}
        [ValType::V128] => {
            dynasm!(asm ; .arch x64 ; mov rax, QWORD [rsp] ; mov rdx, QWORD [rsp + 8])
        }
        [t] if matches!(t, ValType::F32 | ValType::F64) => {
            dynasm!(asm ; .arch x64 ; movsd xmm0, QWORD [rsp])
        }
        [_] => dynasm!(asm ; .arch x64 ; mov rax, QWORD [rsp]),
        results => {
            for (k, (t, off)) in results.iter().zip(offsets).enumerate() {
                let at = VAL_SIZE * k as i32;
                if *t == ValType::V128 {
                    dynasm!(asm ; .arch x64 ; movdqu xmm15, [rsp + at] ; movdqu [r12 + off as i32], xmm15);
                } else if abi::size_of(*t) == 4 {
                    dynasm!(asm ; .arch x64 ; mov eax, DWORD [rsp + at] ; mov DWORD [r12 + off as i32], eax);
                } else {
                    dynasm!(asm ; .arch x64 ; mov rax, QWORD [rsp + at] ; mov QWORD [r12 + off as i32], rax);
                }
            }
        }
    }
    let incoming = locs.stack_bytes as i16;
    dynasm!(asm
        ; .arch x64
        ; lea rsp, [rbp - 16]
        ; pop r12
        ; pop rbx
        ; pop rbp
        ; ret incoming
        ; =>failed
        ; mov rdi, rbx
        ; lea esi, [rax - 1]
        ; call QWORD [rbx + raise]
        ; ud2
    );
    finish(asm)
}

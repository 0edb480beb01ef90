//! Calls: direct calls through the GOT (defined functions) or the import table, `call_indirect`
//! with its null and signature checks, `call_ref` with its null check, their tail-call forms
//! (`return_call`, `return_call_indirect`, `return_call_ref`), and libcalls into the runtime. Operands in registers are spilled
//! first (every allocatable register is caller-saved).

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use lazuli_backend_api::abi::{self, ArgLocation};
use lazuli_backend_api::libcall::Libcall;
use lazuli_backend_api::vmcontext::VMOffsets;
use lazuli_backend_api::{FuncIndex, FuncType, TrapCode, ValType};
use wasmparser::Operator;

use super::{FuncLowering, Location, Result};
use crate::regs::{RegClass, RAX, SCRATCH, SCRATCH2, VMCTX, XSCRATCH};

/// Whom a call goes to.
#[derive(Clone, Copy)]
enum Callee {
    /// A defined function, through its GOT entry.
    Defined(u32),
    /// An imported function, through its `VMFuncImport`.
    Imported(u32),
    /// The `VMFuncRef` in r10.
    FuncRef,
}

impl FuncLowering<'_> {
    pub(crate) fn call_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::Call { function_index } => {
                let (ty, callee) = self.direct_callee(function_index);
                self.call(&ty, callee)?;
            }
            Operator::CallIndirect {
                type_index,
                table_index,
            } => {
                let ty = self.module.types[type_index as usize].clone();
                self.load_func_ref(type_index, table_index);
                self.call(&ty, Callee::FuncRef)?;
            }
            Operator::ReturnCall { function_index } => {
                let (ty, callee) = self.direct_callee(function_index);
                self.tail_call(&ty, callee);
            }
            Operator::ReturnCallIndirect {
                type_index,
                table_index,
            } => {
                let ty = self.module.types[type_index as usize].clone();
                self.load_func_ref(type_index, table_index);
                self.tail_call(&ty, Callee::FuncRef);
            }
            Operator::CallRef { type_index } => {
                let ty = self.module.types[type_index as usize].clone();
                self.pop_non_null_func_ref();
                self.call(&ty, Callee::FuncRef)?;
            }
            Operator::ReturnCallRef { type_index } => {
                let ty = self.module.types[type_index as usize].clone();
                self.pop_non_null_func_ref();
                self.tail_call(&ty, Callee::FuncRef);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The signature of function `function_index` and how to reach it.
    fn direct_callee(&self, function_index: u32) -> (FuncType, Callee) {
        let f = FuncIndex(function_index);
        let ty = self.module.func_type(f).clone();
        let callee = match self.module.defined_func_index(f) {
            Some(d) => Callee::Defined(d.0),
            None => Callee::Imported(function_index),
        };
        (ty, callee)
    }

    /// Pop a function reference and leave it in r10, trapping if it is null. Its type is the
    /// one the validator saw, so no signature check is needed.
    fn pop_non_null_func_ref(&mut self) {
        let (_, reference) = self.pop_to_reg();
        let null = self.trap_label(TrapCode::NullFunctionReference);
        dynasm!(self.asm
            ; .arch x64
            ; mov Rq(SCRATCH2), Rq(reference)
            ; test Rq(SCRATCH2), Rq(SCRATCH2)
            ; jz =>null
        );
        self.regs.release(RegClass::Gpr, reference);
    }

    /// Pop a table index and leave the checked `VMFuncRef` pointer in r10.
    fn load_func_ref(&mut self, type_index: u32, table: u32) {
        let (_, index) = self.pop_to_reg();
        self.table_element(table, index);
        let null = self.trap_label(TrapCode::IndirectCallToNull);
        let mismatch = self.trap_label(TrapCode::BadSignature);
        let type_ids = VMOffsets::TYPE_IDS as i32;
        dynasm!(self.asm
            ; .arch x64
            ; mov Rq(SCRATCH2), QWORD [Rq(SCRATCH) + Rq(index) * 8]
            ; test Rq(SCRATCH2), Rq(SCRATCH2)
            ; jz =>null
            ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + type_ids]
            ; mov Rd(SCRATCH), DWORD [Rq(SCRATCH) + 4 * type_index as i32]
            ; cmp Rd(SCRATCH), DWORD [Rq(SCRATCH2) + 8]
            ; jne =>mismatch
        );
        self.regs.release(RegClass::Gpr, index);
    }

    /// Move the top `ty.params().len()` operands to their ABI locations for a call (stack
    /// arguments at the bottom of the frame); returns the depth of the first one.
    fn place_arguments(&mut self, ty: &FuncType, locs: &abi::ArgLocations) -> usize {
        self.max_outgoing = self.max_outgoing.max(locs.stack_bytes);
        let base = self.stack.len() - ty.params().len();
        for (k, loc) in locs.params.iter().enumerate() {
            let op = self.stack[base + k];
            match *loc {
                ArgLocation::Int(r) if op.ty == ValType::V128 => {
                    let high = super::next_int_arg(r);
                    self.load_operand(op, base + k, XSCRATCH);
                    dynasm!(self.asm
                        ; .arch x64
                        ; movq Rq(r), Rx(XSCRATCH)
                        ; pextrq Rq(high), Rx(XSCRATCH), 1
                    );
                }
                ArgLocation::Int(r) | ArgLocation::Float(r) => self.load_operand(op, base + k, r),
                ArgLocation::Stack(off) => {
                    let scratch = match RegClass::of(op.ty) {
                        RegClass::Gpr => SCRATCH,
                        RegClass::Xmm => XSCRATCH,
                    };
                    self.load_operand(op, base + k, scratch);
                    self.store_to(op.ty, scratch, 4, off as i32);
                }
            }
        }
        base
    }

    /// Call with signature `ty`: arguments from the stack to their ABI locations, the call,
    /// results pushed.
    fn call(&mut self, ty: &FuncType, callee: Callee) -> Result<()> {
        self.spill_regs();
        let locs = abi::arg_locations(ty.params(), ty.results());
        let base = self.place_arguments(ty, &locs);
        let results = ty.results();
        // Several results come back in a record in the slots above where they will live.
        let record = if let Some(loc) = locs.results_pointer {
            let lowest = base + 2 * results.len() - 1;
            self.max_depth = self.max_depth.max(lowest as u32 + 1);
            let off = self.slot_offset(lowest);
            match loc {
                ArgLocation::Int(r) => dynasm!(self.asm ; .arch x64 ; lea Rq(r), [rbp + off]),
                ArgLocation::Stack(s) => dynasm!(self.asm
                    ; .arch x64
                    ; lea Rq(SCRATCH), [rbp + off]
                    ; mov QWORD [rsp + s as i32], Rq(SCRATCH)
                ),
                ArgLocation::Float(_) => unreachable!("a pointer travels in an integer location"),
            }
            Some(off)
        } else {
            None
        };
        self.truncate(base);
        self.save_homes();
        self.load_callee(callee);
        dynasm!(self.asm ; .arch x64 ; call rax);
        // The callee popped the stack-argument area; the frame keeps it.
        dynasm!(self.asm ; .arch x64 ; sub rsp, locs.stack_bytes as i32);
        self.reload_memory_base();
        self.restore_homes();
        match (results, record) {
            ([], _) => {}
            ([ValType::V128], _) => {
                self.regs.take(RegClass::Xmm, 0);
                dynasm!(self.asm ; .arch x64 ; movq xmm0, rax ; pinsrq xmm0, rdx, 1);
                self.push_reg(ValType::V128, 0);
            }
            ([t], _) => {
                let reg = if RegClass::of(*t) == RegClass::Xmm {
                    0
                } else {
                    RAX
                };
                self.regs.take(RegClass::of(*t), reg);
                self.push_reg(*t, reg);
            }
            (_, Some(record)) => {
                let (offsets, _) = abi::results_layout(results);
                for (t, off) in results.iter().zip(offsets) {
                    let depth = self.stack.len();
                    let dst = self.slot_offset(depth);
                    match t {
                        ValType::V128 => dynasm!(self.asm
                            ; .arch x64
                            ; movdqu Rx(XSCRATCH), [rbp + record + off as i32]
                            ; movdqu [rbp + dst], Rx(XSCRATCH)
                        ),
                        ValType::I32 | ValType::F32 => dynasm!(self.asm
                            ; .arch x64
                            ; mov Rd(SCRATCH), DWORD [rbp + record + off as i32]
                            ; mov DWORD [rbp + dst], Rd(SCRATCH)
                        ),
                        _ => dynasm!(self.asm
                            ; .arch x64
                            ; mov Rq(SCRATCH), QWORD [rbp + record + off as i32]
                            ; mov QWORD [rbp + dst], Rq(SCRATCH)
                        ),
                    }
                    self.push(*t, Location::Slot);
                }
            }
            (_, None) => unreachable!("several results have a record"),
        }
        Ok(())
    }

    /// Tail call with signature `ty`: this function's frame is replaced by the callee's, which
    /// returns to this function's caller. The arguments are placed as for a call; then the
    /// saved registers are restored, the stack arguments move up to where the caller's stack
    /// arguments began (minus what the callee needs more), the return address goes below them,
    /// and the code jumps. The callee pops its own stack arguments, so the caller finds `rsp`
    /// where it expects it (`lazuli_backend_api::abi`).
    fn tail_call(&mut self, ty: &FuncType, callee: Callee) {
        self.spill_regs();
        let locs = abi::arg_locations(ty.params(), ty.results());
        let base = self.place_arguments(ty, &locs);
        // The same results: the callee writes them where this function's caller asked.
        match locs.results_pointer {
            Some(ArgLocation::Int(r)) => {
                dynasm!(self.asm ; .arch x64 ; mov Rq(r), QWORD [rbp + super::RESULTS_POINTER])
            }
            Some(ArgLocation::Stack(s)) => dynasm!(self.asm
                ; .arch x64
                ; mov Rq(SCRATCH), QWORD [rbp + super::RESULTS_POINTER]
                ; mov QWORD [rsp + s as i32], Rq(SCRATCH)
            ),
            Some(ArgLocation::Float(_)) => unreachable!("a pointer travels in an integer location"),
            None => {}
        }
        self.truncate(base);
        self.load_callee(callee);
        // The frame goes away: so do the handlers of its try_tables.
        self.leave_try_tables(0);
        self.restore_callee_saved();
        // Stack arguments from the bottom of the frame to the top of the incoming ones. The
        // destination lies higher (the frame holds at least the outgoing area and the fixed
        // part), so copying from the highest word down never overwrites a word still to copy.
        // The return address and saved rbp are read first: the new arguments may cover them.
        let incoming = self.incoming_stack_bytes() as i32;
        let outgoing = locs.stack_bytes as i32;
        let destination = 16 + incoming - outgoing;
        dynasm!(self.asm
            ; .arch x64
            ; mov Rq(SCRATCH), QWORD [rbp + 8]
            ; mov Rq(SCRATCH2), QWORD [rbp]
        );
        for word in (0..outgoing / 8).rev() {
            dynasm!(self.asm
                ; .arch x64
                ; movq Rx(XSCRATCH), QWORD [rsp + 8 * word]
                ; movq QWORD [rbp + destination + 8 * word], Rx(XSCRATCH)
            );
        }
        dynasm!(self.asm
            ; .arch x64
            ; lea rsp, [rbp + destination - 8]
            ; mov QWORD [rsp], Rq(SCRATCH)
            ; mov rbp, Rq(SCRATCH2)
            ; jmp rax
        );
        self.set_unreachable();
    }

    /// The callee's code address into rax and its `VMContext` into rdi.
    fn load_callee(&mut self, callee: Callee) {
        match callee {
            Callee::Defined(d) => {
                let got = VMOffsets::GOT as i32;
                dynasm!(self.asm
                    ; .arch x64
                    ; mov rax, QWORD [Rq(VMCTX) + got]
                    ; mov rdi, Rq(VMCTX)
                    ; mov rax, QWORD [rax + 8 * d as i32]
                );
            }
            Callee::Imported(i) => {
                let at = self.offsets.imported_func(i) as i32;
                dynasm!(self.asm
                    ; .arch x64
                    ; mov rdi, QWORD [Rq(VMCTX) + at + 8]
                    ; mov rax, QWORD [Rq(VMCTX) + at]
                );
            }
            Callee::FuncRef => dynasm!(self.asm
                ; .arch x64
                ; mov rdi, QWORD [Rq(SCRATCH2) + 16]
                ; mov rax, QWORD [Rq(SCRATCH2)]
                ; mov rax, QWORD [rax]
            ),
        }
    }

    /// Call libcall `which` with `vmctx`, the immediates, then the top `operands` operands as
    /// integer arguments; push its `i32` result if it has one.
    pub(crate) fn libcall(
        &mut self,
        which: Libcall,
        immediates: &[i64],
        operands: usize,
        result: Option<ValType>,
    ) {
        self.spill_regs();
        let base = self.stack.len() - operands;
        let mut args = abi::INT_ARG_REGS[1..].iter().copied();
        for &imm in immediates {
            let r = args.next().expect("libcalls take at most five arguments");
            self.load_imm64(r, imm);
        }
        for k in 0..operands {
            let r = args.next().expect("libcalls take at most five arguments");
            let op = self.stack[base + k];
            self.load_operand(op, base + k, r);
            if op.ty == ValType::I32 {
                // Libcalls take u32 arguments in full registers.
                dynasm!(self.asm ; .arch x64 ; mov Rd(r), Rd(r));
            }
        }
        self.truncate(base);
        self.save_homes();
        let libcalls = VMOffsets::LIBCALLS as i32;
        dynasm!(self.asm
            ; .arch x64
            ; mov rdi, Rq(VMCTX)
            ; mov rax, QWORD [Rq(VMCTX) + libcalls]
            ; call QWORD [rax + 8 * which as i32]
        );
        self.reload_memory_base();
        self.restore_homes();
        if let Some(t) = result {
            self.regs.take(RegClass::Gpr, RAX);
            self.push_reg(t, RAX);
        }
    }
}

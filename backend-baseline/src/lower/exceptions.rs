//! Exception handling: `try_table` (a handler in the frame, entered through the `TryEnter`
//! libcall, which returns a second time when an exception arrives; then the catch clauses are
//! tried in order), `throw` and `throw_ref` through libcalls, and unlinking a handler whenever
//! control leaves its `try_table` (its end, a branch out, a return, a tail call). Functions
//! with a `try_table` keep their locals in the frame: registers would come back from the
//! handler with the values they had on entry.

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use lazuli_backend_api::libcall::Libcall;
use lazuli_backend_api::vmcontext::{VMOffsets, VMRuntimeLimits, EXCEPTION_VALUES, HANDLER_SIZE};
use lazuli_backend_api::{TypeIndex, ValType};
use wasmparser::{Catch, Operator};

use super::control::ControlKind;
use super::{FuncLowering, Location, Result};
use crate::regs::{RegClass, SCRATCH, SCRATCH2, VMCTX, XSCRATCH};

/// Offset of the handler chain's head in `VMRuntimeLimits`.
const HANDLER_HEAD: i32 = core::mem::offset_of!(VMRuntimeLimits, handler) as i32;
/// Offset of the exception being delivered in `VMRuntimeLimits`.
const EXCEPTION: i32 = core::mem::offset_of!(VMRuntimeLimits, exception) as i32;

impl FuncLowering<'_> {
    pub(crate) fn exception_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::TryTable { try_table } => self.try_table(try_table)?,
            Operator::Throw { tag_index } => self.throw(*tag_index),
            Operator::ThrowRef => {
                self.libcall(Libcall::ThrowRef, &[], 1, None);
                dynasm!(self.asm ; .arch x64 ; ud2);
                self.set_unreachable();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The payload types of the module's tag `tag`.
    fn tag_params(&self, tag: u32) -> Vec<ValType> {
        let ty: TypeIndex = self.module.tags[tag as usize];
        self.module.types[ty.index()].params().to_vec()
    }

    fn try_table(&mut self, try_table: &wasmparser::TryTable) -> Result<()> {
        let depth = self
            .controls
            .iter()
            .filter(|c| matches!(c.kind, ControlKind::TryTable { .. }))
            .count() as i32;
        let handler = self.frame.handlers_start - HANDLER_SIZE as i32 * depth;
        let label = self.asm.new_dynamic_label();
        self.open(ControlKind::TryTable { handler }, label, try_table.ty);
        let body = self.asm.new_dynamic_label();
        let libcalls = VMOffsets::LIBCALLS as i32;
        dynasm!(self.asm
            ; .arch x64
            ; mov rdi, Rq(VMCTX)
            ; lea rsi, [rbp + handler]
            ; mov rax, QWORD [Rq(VMCTX) + libcalls]
            ; call QWORD [rax + 8 * Libcall::TryEnter as i32]
            ; test eax, eax
            ; jz =>body
        );
        // An exception arrived: the handler is unlinked, the registers are as on entry.
        self.reload_memory_base();
        let limits = VMOffsets::RUNTIME_LIMITS as i32;
        let tags = VMOffsets::TAGS as i32;
        let height = self.stack.len();
        for catch in &try_table.catches {
            let (tag, label, with_ref) = match *catch {
                Catch::One { tag, label } => (Some(tag), label, false),
                Catch::OneRef { tag, label } => (Some(tag), label, true),
                Catch::All { label } => (None, label, false),
                Catch::AllRef { label } => (None, label, true),
            };
            // The exception in r10, reloaded for each clause (a branch may clobber it).
            dynasm!(self.asm
                ; .arch x64
                ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + limits]
                ; mov Rq(SCRATCH2), QWORD [Rq(SCRATCH) + EXCEPTION]
            );
            let next = self.asm.new_dynamic_label();
            if let Some(tag) = tag {
                dynasm!(self.asm
                    ; .arch x64
                    ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + tags]
                    ; mov Rq(SCRATCH), QWORD [Rq(SCRATCH) + 8 * tag as i32]
                    ; cmp Rq(SCRATCH), QWORD [Rq(SCRATCH2)]
                    ; jne =>next
                );
                for (i, ty) in self.tag_params(tag).into_iter().enumerate() {
                    let from = EXCEPTION_VALUES as i32 + 16 * i as i32;
                    let to = self.slot_offset(self.stack.len());
                    if ty == ValType::V128 {
                        dynasm!(self.asm
                            ; .arch x64
                            ; movdqu Rx(XSCRATCH), [Rq(SCRATCH2) + from]
                            ; movdqu [rbp + to], Rx(XSCRATCH)
                        );
                    } else {
                        dynasm!(self.asm
                            ; .arch x64
                            ; mov Rq(SCRATCH), QWORD [Rq(SCRATCH2) + from]
                            ; mov QWORD [rbp + to], Rq(SCRATCH)
                        );
                    }
                    self.push(ty, Location::Slot);
                }
            }
            if with_ref {
                let to = self.slot_offset(self.stack.len());
                dynasm!(self.asm ; .arch x64 ; mov QWORD [rbp + to], Rq(SCRATCH2));
                self.push(ValType::ExnRef, Location::Slot);
            }
            // Catch labels count from outside the try_table, which is on the control stack.
            let target = self.controls.len() - 2 - label as usize;
            self.branch(target);
            self.truncate(height);
            dynasm!(self.asm ; .arch x64 ; =>next);
        }
        // No clause matched: on to the next handler out.
        dynasm!(self.asm
            ; .arch x64
            ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + limits]
            ; mov rsi, QWORD [Rq(SCRATCH) + EXCEPTION]
            ; mov rdi, Rq(VMCTX)
            ; mov rax, QWORD [Rq(VMCTX) + libcalls]
            ; call QWORD [rax + 8 * Libcall::ThrowRef as i32]
            ; ud2
            ; =>body
        );
        Ok(())
    }

    /// `throw`: the payload into the outgoing-argument area, then the libcall.
    fn throw(&mut self, tag: u32) {
        self.spill_regs();
        let params = self.tag_params(tag);
        let n = params.len();
        self.max_outgoing = self.max_outgoing.max(16 * n as u32);
        let base = self.stack.len() - n;
        for k in 0..n {
            let op = self.stack[base + k];
            let scratch = match RegClass::of(op.ty) {
                RegClass::Gpr => SCRATCH,
                RegClass::Xmm => XSCRATCH,
            };
            self.load_operand(op, base + k, scratch);
            self.store_to(op.ty, scratch, 4, 16 * k as i32);
        }
        self.truncate(base);
        let libcalls = VMOffsets::LIBCALLS as i32;
        dynasm!(self.asm
            ; .arch x64
            ; mov rdi, Rq(VMCTX)
            ; mov esi, tag as i32
            ; mov rdx, rsp
            ; mov rax, QWORD [Rq(VMCTX) + libcalls]
            ; call QWORD [rax + 8 * Libcall::Throw as i32]
            ; ud2
        );
        self.set_unreachable();
    }

    /// Before control leaves the frames from `target` up (a branch to `target`, or 0 for a
    /// return or tail call): unlink the handlers of the `try_table`s among them, making the
    /// head what it was when the outermost of them was entered.
    pub(crate) fn leave_try_tables(&mut self, target: usize) {
        let outermost = self.controls[target..].iter().find_map(|c| match c.kind {
            ControlKind::TryTable { handler } => Some(handler),
            _ => None,
        });
        if let Some(handler) = outermost {
            let limits = VMOffsets::RUNTIME_LIMITS as i32;
            dynasm!(self.asm
                ; .arch x64
                ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + limits]
                ; mov Rq(SCRATCH2), QWORD [rbp + handler]
                ; mov QWORD [Rq(SCRATCH) + HANDLER_HEAD], Rq(SCRATCH2)
            );
        }
    }

    /// Whether a branch to `target` leaves a `try_table`.
    pub(crate) fn leaves_try_table(&self, target: usize) -> bool {
        self.controls[target..]
            .iter()
            .any(|c| matches!(c.kind, ControlKind::TryTable { .. }))
    }
}

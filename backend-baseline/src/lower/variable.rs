//! Locals, globals, `drop` and `select`.
//!
//! `local.get` pushes a reference to the local rather than loading it; a later write to the
//! local first gives such operands their own copy.

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use lazuli_backend_api::ValType;
use wasmparser::Operator;

use super::{FuncLowering, Location, Result};
use crate::regs::{RegClass, SCRATCH, SCRATCH2, VMCTX, XSCRATCH};

impl FuncLowering<'_> {
    pub(crate) fn variable_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::LocalGet { local_index } => {
                let ty = self.locals[local_index as usize];
                self.push(ty, Location::Local(local_index));
            }
            Operator::LocalSet { local_index } => self.local_set(local_index, false),
            Operator::LocalTee { local_index } => self.local_set(local_index, true),
            Operator::GlobalGet { global_index } => {
                let ty = ValType::from(self.module.globals[global_index as usize].content);
                let at = self.offsets.global(global_index) as i32;
                let r = self.alloc(RegClass::of(ty));
                dynasm!(self.asm ; .arch x64 ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + at]);
                self.load_from(ty, r, SCRATCH, 0);
                self.push_reg(ty, r);
            }
            Operator::GlobalSet { global_index } => {
                let value = self.pop();
                let depth = self.stack.len();
                let scratch = match RegClass::of(value.ty) {
                    RegClass::Gpr => SCRATCH,
                    RegClass::Xmm => XSCRATCH,
                };
                let r = self.operand_reg(value, depth, scratch);
                let at = self.offsets.global(global_index) as i32;
                dynasm!(self.asm ; .arch x64 ; mov Rq(SCRATCH2), QWORD [Rq(VMCTX) + at]);
                self.store_to(value.ty, r, SCRATCH2, 0);
                self.release(value);
            }
            Operator::Drop => {
                let op = self.pop();
                self.release(op);
            }
            Operator::Select | Operator::TypedSelect { .. } => self.select(),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn local_set(&mut self, i: u32, tee: bool) {
        let value = self.pop();
        let depth = self.stack.len();
        if value.loc == Location::Local(i) {
            // Writing a local to itself.
            if tee {
                self.push(value.ty, value.loc);
            }
            return;
        }
        self.detach_local(i);
        if let Some(home) = self.home(i) {
            self.load_operand(value, depth, home);
        } else {
            self.store_local_in_memory(i, value, depth);
        }
        if tee {
            // The value stays where it is (a register or constant is as good as the local).
            match value.loc {
                Location::Reg(_) | Location::Const(_) => self.push(value.ty, value.loc),
                _ => self.push(value.ty, Location::Local(i)),
            }
        } else {
            self.release(value);
        }
    }

    /// Write `value` (popped from `depth`) to local `i`'s frame slot.
    fn store_local_in_memory(&mut self, i: u32, value: super::Operand, depth: usize) {
        let off = self.local_offset(i);
        match value.loc {
            Location::Reg(r) => self.store_reg(value.ty, r, off),
            Location::Const(bits) => self.store_const(value.ty, bits, off),
            Location::Local(j) => self.copy_local(value.ty, j, off),
            Location::Slot => {
                let src = self.slot_offset(depth);
                self.copy_mem(value.ty, src, off);
            }
            Location::Flags(cond) => {
                cond.set(&mut self.asm, SCRATCH);
                self.store_reg(value.ty, SCRATCH, off);
            }
        }
    }

    /// `select`: the first value if the condition is non-zero, else the second.
    fn select(&mut self) {
        let cond = self.pop();
        let cond_depth = self.stack.len();
        let c = self.operand_reg(cond, cond_depth, SCRATCH2);
        let b = self.pop();
        let b_depth = self.stack.len();
        let (ty, a) = self.pop_to_reg();
        match RegClass::of(ty) {
            RegClass::Gpr => {
                let rb = self.operand_reg(b, b_depth, SCRATCH);
                dynasm!(self.asm ; .arch x64 ; test Rd(c), Rd(c) ; cmovz Rq(a), Rq(rb));
            }
            RegClass::Xmm => {
                let rb = self.operand_reg(b, b_depth, XSCRATCH);
                let keep = self.asm.new_dynamic_label();
                dynasm!(self.asm
                    ; .arch x64
                    ; test Rd(c), Rd(c)
                    ; jnz =>keep
                    ; movaps Rx(a), Rx(rb)
                    ; =>keep
                );
            }
        }
        self.release(b);
        self.release(cond);
        self.push_reg(ty, a);
    }
}

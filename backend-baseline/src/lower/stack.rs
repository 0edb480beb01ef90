//! The abstract value stack: where each wasm operand lives (register, constant, local or its
//! spill slot), and the moves that put values where an instruction or a merge wants them.
//!
//! The operand at depth `d` has a fixed spill slot in the frame, so spilling never searches for
//! space and every merge point agrees where values are: at block boundaries and calls, every
//! register-held value is spilled to its slot.
//!
//! Lowering stays linear in the stack's depth: an [`OperandIndex`] says which operand holds
//! each register and which operands still read each local, and how deep the stack is settled
//! (constants and slots only), so no operator scans the whole stack.

use dynasmrt::{dynasm, DynasmApi};
use lazuli_backend_api::ValType;

use super::condition::Cond;
use super::FuncLowering;
use crate::regs::{RegClass, SCRATCH, XSCRATCH};

/// Where a value on the operand stack lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// A constant, as raw bits (`i32` and `f32` in the low half).
    Const(u64),
    /// A register of the value type's class.
    Reg(u8),
    /// Still in local `i` (nothing has written the local since it was read).
    Local(u32),
    /// In the operand's own spill slot.
    Slot,
    /// An `i32` comparison result still in the CPU flags (only ever the top operand, and only
    /// until the next operator: see `FuncLowering::operator`).
    Flags(Cond),
}

/// One operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Operand {
    pub ty: ValType,
    pub loc: Location,
}

/// Where to find operands without scanning the stack.
#[derive(Default)]
pub(crate) struct OperandIndex {
    /// Per register class (`RegClass as usize`) and register: 1 + the depth of the operand it
    /// holds, 0 when no operand on the stack does.
    reg_owner: [[u32; 16]; 2],
    /// Per local: 1 + the index in `local_refs` of the latest operand pushed as `Local(i)`
    /// (0: none), grown to the highest local read.
    local_latest: Vec<u32>,
    /// Operands pushed as a local's value, as (depth, 1 + the index of the local's previous
    /// one): a chain per local, newest first. Some may have been spilled or popped since
    /// (checked when used); popping the newest one unlinks it.
    local_refs: Vec<(u32, u32)>,
    /// Every operand below this depth is a constant or in its slot.
    settled: usize,
}

impl OperandIndex {
    /// Record that the operand at `depth` reads local `i`.
    fn push_local(&mut self, i: u32, depth: usize) {
        let i = i as usize;
        if i >= self.local_latest.len() {
            self.local_latest.resize(i + 1, 0);
        }
        self.local_refs.push((depth as u32, self.local_latest[i]));
        self.local_latest[i] = self.local_refs.len() as u32;
    }

    /// The operand at `depth`, which read local `i`, is popped.
    fn pop_local(&mut self, i: u32, depth: usize) {
        let Some(latest) = self.local_latest.get_mut(i as usize) else {
            return;
        };
        if *latest == 0 {
            return;
        }
        let (at, previous) = self.local_refs[*latest as usize - 1];
        if at as usize == depth {
            if *latest as usize == self.local_refs.len() {
                self.local_refs.pop();
            }
            *latest = previous;
        }
    }

    /// Forget local `i`'s chain; returns its head (walk it with `local_refs`).
    fn take_local(&mut self, i: u32) -> u32 {
        self.local_latest
            .get_mut(i as usize)
            .map_or(0, core::mem::take)
    }

    fn owner(&mut self, class: RegClass, reg: u8) -> &mut u32 {
        &mut self.reg_owner[class as usize][reg as usize & 15]
    }

    /// The deepest operand held in a register of `class`.
    fn deepest_in(&self, class: RegClass) -> Option<usize> {
        self.reg_owner[class as usize]
            .iter()
            .filter(|&&o| o > 0)
            .min()
            .map(|&o| o as usize - 1)
    }
}

/// Bytes of one local or spill slot: any value fits, a `v128` included, 16-byte aligned.
pub(crate) const SLOT_SIZE: i32 = 16;

/// Whether an operand of `ty` takes a full 64-bit move in memory.
fn is_wide(ty: ValType) -> bool {
    !matches!(ty, ValType::I32 | ValType::F32)
}

impl FuncLowering<'_> {
    /// Push an operand.
    pub(crate) fn push(&mut self, ty: ValType, loc: Location) {
        let depth = self.stack.len();
        match loc {
            Location::Reg(r) => *self.operands.owner(RegClass::of(ty), r) = depth as u32 + 1,
            Location::Local(i) => self.operands.push_local(i, depth),
            _ => {}
        }
        self.stack.push(Operand { ty, loc });
        self.max_depth = self.max_depth.max(self.stack.len() as u32);
    }

    /// Push a value just computed into `reg`.
    pub(crate) fn push_reg(&mut self, ty: ValType, reg: u8) {
        self.push(ty, Location::Reg(reg));
    }

    /// Pop the top operand. A register it holds stays taken until [`Self::release`].
    pub(crate) fn pop(&mut self) -> Operand {
        let op = self
            .stack
            .pop()
            .expect("validated code never pops an empty stack");
        let depth = self.stack.len();
        match op.loc {
            Location::Reg(r) => *self.operands.owner(RegClass::of(op.ty), r) = 0,
            Location::Local(i) => self.operands.pop_local(i, depth),
            _ => {}
        }
        self.operands.settled = self.operands.settled.min(depth);
        op
    }

    /// Free the register a popped operand held, if any.
    pub(crate) fn release(&mut self, op: Operand) {
        if let Location::Reg(r) = op.loc {
            self.regs.release(RegClass::of(op.ty), r);
        }
    }

    /// Drop operands down to `height`, freeing their registers.
    pub(crate) fn truncate(&mut self, height: usize) {
        while self.stack.len() > height {
            let op = self.pop();
            self.release(op);
        }
    }

    /// rbp-relative offset of the spill slot at `depth`.
    pub(crate) fn slot_offset(&self, depth: usize) -> i32 {
        self.frame.slots_start - SLOT_SIZE * depth as i32
    }

    /// rbp-relative offset of local `i`.
    pub(crate) fn local_offset(&self, i: u32) -> i32 {
        self.frame.locals_start - SLOT_SIZE * i as i32
    }

    /// A free register of `class`, spilling the deepest register-held operand if none is.
    pub(crate) fn alloc(&mut self, class: RegClass) -> u8 {
        if let Some(r) = self.regs.take_any(class) {
            return r;
        }
        let depth = self
            .operands
            .deepest_in(class)
            .expect("a register class with no free register has a value on the stack");
        self.spill_at(depth);
        self.regs
            .take_any(class)
            .expect("spilling freed a register")
    }

    /// Take register `reg` of `class` for an instruction that needs exactly it, moving the
    /// operand that holds it (if any) elsewhere.
    pub(crate) fn alloc_specific(&mut self, class: RegClass, reg: u8) {
        if !self.regs.is_free(class, reg) {
            let owner = *self.operands.owner(class, reg);
            assert!(owner > 0, "an allocated register belongs to an operand");
            self.spill_at(owner as usize - 1);
        }
        self.regs.take(class, reg);
    }

    /// Write the operand at `depth` to its spill slot.
    pub(crate) fn spill_at(&mut self, depth: usize) {
        let op = self.stack[depth];
        let off = self.slot_offset(depth);
        match op.loc {
            Location::Slot => return,
            Location::Reg(r) => {
                self.store_reg(op.ty, r, off);
                self.regs.release(RegClass::of(op.ty), r);
                *self.operands.owner(RegClass::of(op.ty), r) = 0;
            }
            Location::Const(bits) => self.store_const(op.ty, bits, off),
            Location::Local(i) => self.copy_local(op.ty, i, off),
            Location::Flags(cond) => {
                cond.set(&mut self.asm, SCRATCH);
                self.store_reg(op.ty, SCRATCH, off);
            }
        }
        self.stack[depth].loc = Location::Slot;
    }

    /// Spill every operand held in a register (before a call: locals survive calls).
    pub(crate) fn spill_regs(&mut self) {
        for class in 0..2 {
            for reg in 0..16 {
                let owner = self.operands.reg_owner[class][reg];
                if owner > 0 {
                    let depth = owner as usize - 1;
                    debug_assert!(matches!(self.stack[depth].loc, Location::Reg(_)));
                    self.spill_at(depth);
                }
            }
        }
    }

    /// Spill every operand held in a register or still in a local (before a merge point or a
    /// call: only constants and slots stay).
    pub(crate) fn spill_all(&mut self) {
        let mut settled = None;
        for depth in self.operands.settled..self.stack.len() {
            match self.stack[depth].loc {
                Location::Reg(_) | Location::Local(_) => self.spill_at(depth),
                Location::Flags(_) => {
                    settled.get_or_insert(depth);
                }
                Location::Const(_) | Location::Slot => {}
            }
        }
        self.operands.settled = settled.unwrap_or(self.stack.len());
    }

    /// Before local `i` is written: operands that still read it get their own copy.
    pub(crate) fn detach_local(&mut self, i: u32) {
        let mut next = self.operands.take_local(i);
        while next > 0 {
            let (depth, previous) = self.operands.local_refs[next as usize - 1];
            next = previous;
            let depth = depth as usize;
            if self
                .stack
                .get(depth)
                .is_some_and(|o| o.loc == Location::Local(i))
            {
                self.spill_at(depth);
            }
        }
    }

    /// Pop the top operand into a register this code owns (it may write it).
    pub(crate) fn pop_to_reg(&mut self) -> (ValType, u8) {
        let op = self.pop();
        if let Location::Reg(r) = op.loc {
            return (op.ty, r);
        }
        let r = self.alloc(RegClass::of(op.ty));
        let depth = self.stack.len();
        self.load_operand(op, depth, r);
        (op.ty, r)
    }

    /// Load operand `op` (that was at `depth`) into register `r` of its class.
    pub(crate) fn load_operand(&mut self, op: Operand, depth: usize, r: u8) {
        match op.loc {
            Location::Reg(s) => self.move_reg(op.ty, r, s),
            Location::Const(bits) => self.load_const(op.ty, bits, r),
            Location::Local(i) => match self.home(i) {
                Some(home) => self.move_reg(op.ty, r, home),
                None => {
                    let off = self.local_offset(i);
                    self.load_mem(op.ty, r, off);
                }
            },
            Location::Slot => {
                let off = self.slot_offset(depth);
                self.load_mem(op.ty, r, off);
            }
            Location::Flags(cond) => cond.set(&mut self.asm, r),
        }
    }

    /// rbp-relative address of an operand that lives in memory, if it does.
    pub(crate) fn memory_of(&self, op: Operand, depth: usize) -> Option<i32> {
        match op.loc {
            Location::Local(i) if self.home(i).is_none() => Some(self.local_offset(i)),
            Location::Slot => Some(self.slot_offset(depth)),
            _ => None,
        }
    }

    /// `dst = src` between registers of `ty`'s class.
    pub(crate) fn move_reg(&mut self, ty: ValType, dst: u8, src: u8) {
        if dst == src {
            return;
        }
        match RegClass::of(ty) {
            RegClass::Gpr => dynasm!(self.asm ; .arch x64 ; mov Rq(dst), Rq(src)),
            RegClass::Xmm => dynasm!(self.asm ; .arch x64 ; movaps Rx(dst), Rx(src)),
        }
    }

    /// Load a constant of `ty` into register `r`.
    pub(crate) fn load_const(&mut self, ty: ValType, bits: u64, r: u8) {
        match ty {
            ValType::I32 => dynasm!(self.asm ; .arch x64 ; mov Rd(r), bits as i32),
            ValType::F32 | ValType::F64 if bits == 0 => {
                dynasm!(self.asm ; .arch x64 ; xorps Rx(r), Rx(r))
            }
            ValType::F32 => dynasm!(self.asm
                ; .arch x64
                ; mov Rd(SCRATCH), bits as i32
                ; movd Rx(r), Rd(SCRATCH)
            ),
            ValType::F64 => dynasm!(self.asm
                ; .arch x64
                ; mov Rq(SCRATCH), QWORD bits as i64
                ; movq Rx(r), Rq(SCRATCH)
            ),
            _ => self.load_imm64(r, bits as i64),
        }
    }

    /// `r = imm` for a 64-bit integer register, in the shortest form.
    pub(crate) fn load_imm64(&mut self, r: u8, imm: i64) {
        if imm == 0 {
            dynasm!(self.asm ; .arch x64 ; xor Rd(r), Rd(r));
        } else if imm as u64 <= u32::MAX as u64 {
            dynasm!(self.asm ; .arch x64 ; mov Rd(r), imm as i32);
        } else if imm as i32 as i64 == imm {
            dynasm!(self.asm ; .arch x64 ; mov Rq(r), imm as i32);
        } else {
            dynasm!(self.asm ; .arch x64 ; mov Rq(r), QWORD imm);
        }
    }

    /// Load a value of `ty` from `[rbp + off]` into register `r`.
    pub(crate) fn load_mem(&mut self, ty: ValType, r: u8, off: i32) {
        match ty {
            ValType::I32 => dynasm!(self.asm ; .arch x64 ; mov Rd(r), DWORD [rbp + off]),
            ValType::F32 => dynasm!(self.asm ; .arch x64 ; movss Rx(r), DWORD [rbp + off]),
            ValType::F64 => dynasm!(self.asm ; .arch x64 ; movsd Rx(r), QWORD [rbp + off]),
            ValType::V128 => dynasm!(self.asm ; .arch x64 ; movdqu Rx(r), [rbp + off]),
            _ => dynasm!(self.asm ; .arch x64 ; mov Rq(r), QWORD [rbp + off]),
        }
    }

    /// Store register `r` holding a `ty` to `[rbp + off]`.
    pub(crate) fn store_reg(&mut self, ty: ValType, r: u8, off: i32) {
        match ty {
            ValType::I32 => dynasm!(self.asm ; .arch x64 ; mov DWORD [rbp + off], Rd(r)),
            ValType::F32 => dynasm!(self.asm ; .arch x64 ; movss DWORD [rbp + off], Rx(r)),
            ValType::F64 => dynasm!(self.asm ; .arch x64 ; movsd QWORD [rbp + off], Rx(r)),
            ValType::V128 => dynasm!(self.asm ; .arch x64 ; movdqu [rbp + off], Rx(r)),
            _ => dynasm!(self.asm ; .arch x64 ; mov QWORD [rbp + off], Rq(r)),
        }
    }

    /// Store a constant of `ty` to `[rbp + off]`.
    pub(crate) fn store_const(&mut self, ty: ValType, bits: u64, off: i32) {
        if !is_wide(ty) {
            dynasm!(self.asm ; .arch x64 ; mov DWORD [rbp + off], bits as i32);
        } else if bits as i64 as i32 as i64 == bits as i64 {
            dynasm!(self.asm ; .arch x64 ; mov QWORD [rbp + off], bits as i32);
        } else {
            dynasm!(self.asm
                ; .arch x64
                ; mov Rq(SCRATCH), QWORD bits as i64
                ; mov QWORD [rbp + off], Rq(SCRATCH)
            );
        }
    }

    /// Copy a `ty` from `[rbp + src]` to `[rbp + dst]`.
    pub(crate) fn copy_mem(&mut self, ty: ValType, src: i32, dst: i32) {
        if src == dst {
            return;
        }
        if ty == ValType::V128 {
            dynasm!(self.asm
                ; .arch x64
                ; movdqu Rx(XSCRATCH), [rbp + src]
                ; movdqu [rbp + dst], Rx(XSCRATCH)
            );
        } else {
            dynasm!(self.asm
                ; .arch x64
                ; mov Rq(SCRATCH), QWORD [rbp + src]
                ; mov QWORD [rbp + dst], Rq(SCRATCH)
            );
        }
    }

    /// Copy local `i`'s value to `[rbp + dst]`.
    pub(crate) fn copy_local(&mut self, ty: ValType, i: u32, dst: i32) {
        match self.home(i) {
            Some(home) => self.store_reg(ty, home, dst),
            None => {
                let src = self.local_offset(i);
                self.copy_mem(ty, src, dst);
            }
        }
    }

    /// Write the operand at `depth` into the spill slot at `target` (a lower or equal depth),
    /// for a branch that passes it to a block.
    pub(crate) fn move_to_slot(&mut self, depth: usize, target: usize) {
        let op = self.stack[depth];
        let dst = self.slot_offset(target);
        match op.loc {
            Location::Reg(r) => self.store_reg(op.ty, r, dst),
            Location::Const(bits) => self.store_const(op.ty, bits, dst),
            Location::Local(i) => self.copy_local(op.ty, i, dst),
            Location::Slot => {
                let src = self.slot_offset(depth);
                self.copy_mem(op.ty, src, dst);
            }
            Location::Flags(cond) => {
                cond.set(&mut self.asm, SCRATCH);
                self.store_reg(op.ty, SCRATCH, dst);
            }
        }
    }
}

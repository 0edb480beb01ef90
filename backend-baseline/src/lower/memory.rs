//! Linear memory: loads and stores (with an explicit bounds check unless the memory's guard
//! region covers the access), `memory.size`, `memory.grow` and the bulk memory operators
//! (through libcalls).

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use lazuli_backend_api::libcall::Libcall;
use lazuli_backend_api::{TrapCode, ValType};
use wasmparser::{MemArg, Operator};

use super::{FuncLowering, Location, Result};
use crate::regs::{RegClass, MEMORY_BASE, MEMORY_DEF, SCRATCH, SCRATCH2, VMCTX};

/// How a load reads memory.
#[derive(Clone, Copy)]
enum Load {
    I32,
    I64,
    F32,
    F64,
    S8To32,
    U8To32,
    S16To32,
    U16To32,
    S8To64,
    U8To64,
    S16To64,
    U16To64,
    S32To64,
    U32To64,
}

/// How many bytes a store writes.
#[derive(Clone, Copy)]
enum Store {
    B8,
    B16,
    B32,
    B64,
    F32,
    F64,
}

impl FuncLowering<'_> {
    pub(crate) fn memory_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        match *op {
            O::I32Load { memarg } => self.load(&memarg, Load::I32)?,
            O::I64Load { memarg } => self.load(&memarg, Load::I64)?,
            O::F32Load { memarg } => self.load(&memarg, Load::F32)?,
            O::F64Load { memarg } => self.load(&memarg, Load::F64)?,
            O::I32Load8S { memarg } => self.load(&memarg, Load::S8To32)?,
            O::I32Load8U { memarg } => self.load(&memarg, Load::U8To32)?,
            O::I32Load16S { memarg } => self.load(&memarg, Load::S16To32)?,
            O::I32Load16U { memarg } => self.load(&memarg, Load::U16To32)?,
            O::I64Load8S { memarg } => self.load(&memarg, Load::S8To64)?,
            O::I64Load8U { memarg } => self.load(&memarg, Load::U8To64)?,
            O::I64Load16S { memarg } => self.load(&memarg, Load::S16To64)?,
            O::I64Load16U { memarg } => self.load(&memarg, Load::U16To64)?,
            O::I64Load32S { memarg } => self.load(&memarg, Load::S32To64)?,
            O::I64Load32U { memarg } => self.load(&memarg, Load::U32To64)?,
            O::I32Store { memarg } => self.store(&memarg, Store::B32)?,
            O::I64Store { memarg } => self.store(&memarg, Store::B64)?,
            O::F32Store { memarg } => self.store(&memarg, Store::F32)?,
            O::F64Store { memarg } => self.store(&memarg, Store::F64)?,
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => self.store(&memarg, Store::B8)?,
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                self.store(&memarg, Store::B16)?
            }
            O::I64Store32 { memarg } => self.store(&memarg, Store::B32)?,
            O::MemorySize { mem } => {
                let r = self.alloc(RegClass::Gpr);
                let at = self.offsets.memory(mem) as i32;
                dynasm!(self.asm
                    ; .arch x64
                    ; mov Rq(r), QWORD [Rq(VMCTX) + at]
                    ; mov Rq(r), QWORD [Rq(r) + 8]
                    ; shr Rq(r), 16
                );
                let ty = self.address_type(mem);
                self.push_reg(ty, r);
            }
            O::MemoryGrow { mem } => {
                let ty = self.address_type(mem);
                self.libcall(Libcall::MemoryGrow, &[mem as i64], 1, Some(ty));
            }
            O::MemoryFill { mem } => self.libcall(Libcall::MemoryFill, &[mem as i64], 3, None),
            O::MemoryCopy { dst_mem, src_mem } => self.libcall(
                Libcall::MemoryCopy,
                &[dst_mem as i64, src_mem as i64],
                3,
                None,
            ),
            O::MemoryInit { data_index, mem } => self.libcall(
                Libcall::MemoryInit,
                &[mem as i64, data_index as i64],
                3,
                None,
            ),
            O::DataDrop { data_index } => {
                self.libcall(Libcall::DataDrop, &[data_index as i64], 0, None)
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The type of memory `mem`'s addresses, sizes and page counts.
    fn address_type(&self, mem: u32) -> ValType {
        match self.module.memories.get(mem as usize) {
            Some(m) if m.memory64 => ValType::I64,
            _ => ValType::I32,
        }
    }

    /// Pop an address and check an access of `size` bytes at it, unless the guard region covers
    /// it (the access then faults, and the fault is the trap). Returns the register holding
    /// the zero-extended address (owned), the displacement and the register holding the
    /// memory's base.
    pub(crate) fn address(&mut self, memarg: &MemArg, size: u64) -> Result<(u8, i32, u8)> {
        let wasmparser::MemArgTarget::Memory(memory) = memarg.target else {
            return Err(lazuli_backend_api::CompileError::new(
                "the baseline backend does not implement GC array accesses",
            ));
        };
        let memory64 = self.address_type(memory) == ValType::I64;
        let (_, index) = self.pop_to_reg();
        let at = self.offsets.memory(memory) as i32;
        let cached = memory == 0 && self.memory0_cached;
        let (def, base) = if cached {
            (MEMORY_DEF, MEMORY_BASE)
        } else {
            (SCRATCH2, SCRATCH2)
        };
        if !memory64 {
            // A 32-bit address: the register's upper half is undefined.
            dynasm!(self.asm ; .arch x64 ; mov Rd(index), Rd(index));
        }
        if !cached {
            dynasm!(self.asm ; .arch x64 ; mov Rq(SCRATCH2), QWORD [Rq(VMCTX) + at]);
        }
        if memory64 || self.settings.code.needs_bounds_check(memarg.offset, size) {
            let oob = self.trap_label(TrapCode::MemoryOutOfBounds);
            match memarg.offset.checked_add(size) {
                // A 32-bit address plus a 32-bit offset cannot wrap.
                Some(end) if !memory64 && end <= i32::MAX as u64 => {
                    dynasm!(self.asm ; .arch x64 ; lea Rq(SCRATCH), [Rq(index) + end as i32]);
                }
                Some(end) => {
                    // A 64-bit address may: a carry is out of bounds too.
                    dynasm!(self.asm
                        ; .arch x64
                        ; mov Rq(SCRATCH), QWORD end as i64
                        ; add Rq(SCRATCH), Rq(index)
                        ; jc =>oob
                    );
                }
                None => dynasm!(self.asm ; .arch x64 ; jmp =>oob),
            }
            dynasm!(self.asm
                ; .arch x64
                ; cmp Rq(SCRATCH), QWORD [Rq(def) + 8]
                ; ja =>oob
            );
        }
        if !cached {
            dynasm!(self.asm ; .arch x64 ; mov Rq(SCRATCH2), QWORD [Rq(SCRATCH2)]);
        }
        if memarg.offset <= i32::MAX as u64 {
            Ok((index, memarg.offset as i32, base))
        } else {
            dynasm!(self.asm
                ; .arch x64
                ; mov Rq(SCRATCH), QWORD memarg.offset as i64
                ; add Rq(index), Rq(SCRATCH)
            );
            Ok((index, 0, base))
        }
    }

    fn load(&mut self, memarg: &MemArg, kind: Load) -> Result<()> {
        let size = match kind {
            Load::I32 | Load::F32 | Load::S32To64 | Load::U32To64 => 4,
            Load::I64 | Load::F64 => 8,
            Load::S8To32 | Load::U8To32 | Load::S8To64 | Load::U8To64 => 1,
            Load::S16To32 | Load::U16To32 | Load::S16To64 | Load::U16To64 => 2,
        };
        let (a, d, b) = self.address(memarg, size)?;
        let ty = match kind {
            Load::F32 | Load::F64 => {
                self.regs.release(RegClass::Gpr, a);
                let x = self.alloc(RegClass::Xmm);
                if matches!(kind, Load::F32) {
                    dynasm!(self.asm ; .arch x64 ; movss Rx(x), DWORD [Rq(b) + Rq(a) + d]);
                    self.push_reg(ValType::F32, x);
                } else {
                    dynasm!(self.asm ; .arch x64 ; movsd Rx(x), QWORD [Rq(b) + Rq(a) + d]);
                    self.push_reg(ValType::F64, x);
                }
                return Ok(());
            }
            Load::I32 => {
                dynasm!(self.asm ; .arch x64 ; mov Rd(a), DWORD [Rq(b) + Rq(a) + d]);
                ValType::I32
            }
            Load::I64 => {
                dynasm!(self.asm ; .arch x64 ; mov Rq(a), QWORD [Rq(b) + Rq(a) + d]);
                ValType::I64
            }
            Load::S8To32 => {
                dynasm!(self.asm ; .arch x64 ; movsx Rd(a), BYTE [Rq(b) + Rq(a) + d]);
                ValType::I32
            }
            Load::U8To32 => {
                dynasm!(self.asm ; .arch x64 ; movzx Rd(a), BYTE [Rq(b) + Rq(a) + d]);
                ValType::I32
            }
            Load::S16To32 => {
                dynasm!(self.asm ; .arch x64 ; movsx Rd(a), WORD [Rq(b) + Rq(a) + d]);
                ValType::I32
            }
            Load::U16To32 => {
                dynasm!(self.asm ; .arch x64 ; movzx Rd(a), WORD [Rq(b) + Rq(a) + d]);
                ValType::I32
            }
            Load::S8To64 => {
                dynasm!(self.asm ; .arch x64 ; movsx Rq(a), BYTE [Rq(b) + Rq(a) + d]);
                ValType::I64
            }
            Load::U8To64 => {
                dynasm!(self.asm ; .arch x64 ; movzx Rd(a), BYTE [Rq(b) + Rq(a) + d]);
                ValType::I64
            }
            Load::S16To64 => {
                dynasm!(self.asm ; .arch x64 ; movsx Rq(a), WORD [Rq(b) + Rq(a) + d]);
                ValType::I64
            }
            Load::U16To64 => {
                dynasm!(self.asm ; .arch x64 ; movzx Rd(a), WORD [Rq(b) + Rq(a) + d]);
                ValType::I64
            }
            Load::S32To64 => {
                dynasm!(self.asm ; .arch x64 ; movsxd Rq(a), DWORD [Rq(b) + Rq(a) + d]);
                ValType::I64
            }
            Load::U32To64 => {
                dynasm!(self.asm ; .arch x64 ; mov Rd(a), DWORD [Rq(b) + Rq(a) + d]);
                ValType::I64
            }
        };
        self.push_reg(ty, a);
        Ok(())
    }

    fn store(&mut self, memarg: &MemArg, kind: Store) -> Result<()> {
        let size = match kind {
            Store::B8 => 1,
            Store::B16 => 2,
            Store::B32 | Store::F32 => 4,
            Store::B64 | Store::F64 => 8,
        };
        let value = self.pop();
        let value_depth = self.stack.len();
        // The value in a register of its own, so that computing the address cannot clobber it.
        let v = match value.loc {
            Location::Reg(r) => r,
            _ => {
                let r = self.alloc(RegClass::of(value.ty));
                self.load_operand(value, value_depth, r);
                r
            }
        };
        let (a, d, b) = self.address(memarg, size)?;
        match kind {
            Store::B8 => dynasm!(self.asm ; .arch x64 ; mov BYTE [Rq(b) + Rq(a) + d], Rb(v)),
            Store::B16 => dynasm!(self.asm ; .arch x64 ; mov WORD [Rq(b) + Rq(a) + d], Rw(v)),
            Store::B32 => dynasm!(self.asm ; .arch x64 ; mov DWORD [Rq(b) + Rq(a) + d], Rd(v)),
            Store::B64 => dynasm!(self.asm ; .arch x64 ; mov QWORD [Rq(b) + Rq(a) + d], Rq(v)),
            Store::F32 => dynasm!(self.asm ; .arch x64 ; movss DWORD [Rq(b) + Rq(a) + d], Rx(v)),
            Store::F64 => dynasm!(self.asm ; .arch x64 ; movsd QWORD [Rq(b) + Rq(a) + d], Rx(v)),
        }
        self.regs.release(RegClass::Gpr, a);
        self.regs.release(RegClass::of(value.ty), v);
        Ok(())
    }
}

//! Tables and references: `table.get`/`set`/`size` inline, the other table operators through
//! libcalls, and `ref.null`, `ref.is_null`, `ref.as_non_null`, `ref.func`. A 64-bit table (table64) takes `i64`
//! indices and sizes; the libcalls take every index and length as `u64`.

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use lazuli_backend_api::libcall::Libcall;
use lazuli_backend_api::vmcontext::VMOffsets;
use lazuli_backend_api::{RefType, TrapCode, ValType};
use wasmparser::Operator;

use super::{FuncLowering, Location, Result};
use crate::regs::{RegClass, SCRATCH, SCRATCH2, VMCTX};

impl FuncLowering<'_> {
    pub(crate) fn table_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        match *op {
            O::TableGet { table } => {
                let ty = self.table_type(table);
                let (_, index) = self.pop_to_reg();
                self.table_element(table, index);
                dynasm!(self.asm ; .arch x64 ; mov Rq(index), QWORD [Rq(SCRATCH) + Rq(index) * 8]);
                self.push_reg(ty, index);
            }
            O::TableSet { table } => {
                let value = self.pop();
                let value_depth = self.stack.len();
                let v = match value.loc {
                    Location::Reg(r) => r,
                    _ => {
                        let r = self.alloc(RegClass::Gpr);
                        self.load_operand(value, value_depth, r);
                        r
                    }
                };
                let (_, index) = self.pop_to_reg();
                self.table_element(table, index);
                dynasm!(self.asm ; .arch x64 ; mov QWORD [Rq(SCRATCH) + Rq(index) * 8], Rq(v));
                self.regs.release(RegClass::Gpr, index);
                self.regs.release(RegClass::Gpr, v);
            }
            O::TableSize { table } => {
                let r = self.alloc(RegClass::Gpr);
                let at = self.offsets.table(table) as i32;
                dynasm!(self.asm
                    ; .arch x64
                    ; mov Rq(r), QWORD [Rq(VMCTX) + at]
                    ; mov Rq(r), QWORD [Rq(r) + 8]
                );
                self.push_reg(self.table_index_type(table), r);
            }
            O::TableGrow { table } => {
                // The libcall returns an i64; a 32-bit table's -1 is its low half.
                let ty = self.table_index_type(table);
                self.libcall(Libcall::TableGrow, &[table as i64], 2, Some(ty))
            }
            O::TableFill { table } => self.libcall(Libcall::TableFill, &[table as i64], 3, None),
            O::TableCopy {
                dst_table,
                src_table,
            } => self.libcall(
                Libcall::TableCopy,
                &[dst_table as i64, src_table as i64],
                3,
                None,
            ),
            O::TableInit { elem_index, table } => self.libcall(
                Libcall::TableInit,
                &[table as i64, elem_index as i64],
                3,
                None,
            ),
            O::ElemDrop { elem_index } => {
                self.libcall(Libcall::ElemDrop, &[elem_index as i64], 0, None)
            }
            O::RefNull { hty } => {
                let ty = match RefType::from(hty) {
                    RefType::FuncRef => ValType::FuncRef,
                    RefType::ExternRef => ValType::ExternRef,
                    RefType::ExnRef => ValType::ExnRef,
                };
                self.push(ty, Location::Const(0));
            }
            O::RefAsNonNull => {
                let (ty, r) = self.pop_to_reg();
                let null = self.trap_label(TrapCode::NullReference);
                dynasm!(self.asm
                    ; .arch x64
                    ; test Rq(r), Rq(r)
                    ; jz =>null
                );
                self.push_reg(ty, r);
            }
            O::RefIsNull => {
                let (_, r) = self.pop_to_reg();
                dynasm!(self.asm
                    ; .arch x64
                    ; test Rq(r), Rq(r)
                    ; sete Rb(r)
                    ; movzx Rd(r), Rb(r)
                );
                self.push_reg(ValType::I32, r);
            }
            O::RefFunc { function_index } => {
                let r = self.alloc(RegClass::Gpr);
                let refs = VMOffsets::FUNC_REFS as i32;
                dynasm!(self.asm
                    ; .arch x64
                    ; mov Rq(r), QWORD [Rq(VMCTX) + refs]
                    ; mov Rq(r), QWORD [Rq(r) + 8 * function_index as i32]
                );
                self.push_reg(ValType::FuncRef, r);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn table_type(&self, table: u32) -> ValType {
        ValType::from(self.module.tables[table as usize].element)
    }

    /// `i32`, or `i64` for a 64-bit table.
    fn table_index_type(&self, table: u32) -> ValType {
        self.module.tables[table as usize].index_type()
    }

    /// Bounds-check the element index in `index` (zero-extended in place for a 32-bit table)
    /// against table `table`; leaves the element array's base in r11.
    pub(crate) fn table_element(&mut self, table: u32, index: u8) {
        let at = self.offsets.table(table) as i32;
        let oob = self.trap_label(TrapCode::TableOutOfBounds);
        if !self.module.tables[table as usize].table64 {
            dynasm!(self.asm ; .arch x64 ; mov Rd(index), Rd(index));
        }
        dynasm!(self.asm
            ; .arch x64
            ; mov Rq(SCRATCH2), QWORD [Rq(VMCTX) + at]
            ; cmp Rq(index), QWORD [Rq(SCRATCH2) + 8]
            ; jae =>oob
            ; mov Rq(SCRATCH), QWORD [Rq(SCRATCH2)]
        );
    }
}

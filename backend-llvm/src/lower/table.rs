//! Tables: table.get/set/size/grow/fill inline or through libcalls, and the bulk operations
//! table.copy, table.init and elem.drop through libcalls.

use lazuli_backend_api::libcall::Libcall;
use lazuli_backend_api::TrapCode;
use wasmparser::Operator;

use super::{Lowering, Result};

impl<'ctx> Lowering<'ctx, '_> {
    pub(super) fn table_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        let t = self.types;
        match *op {
            Operator::TableGet { table } => {
                let index = self.pop_int();
                let v = self.table_element(table, index, TrapCode::TableOutOfBounds)?;
                self.push(v);
            }
            Operator::TableSet { table } => {
                let value = self.pop();
                let index = self.pop_int();
                let slot = self.table_slot(table, index, TrapCode::TableOutOfBounds)?;
                self.builder.build_store(slot, value)?;
            }
            Operator::TableSize { table } => {
                let def = self.load_ptr_field(self.vmctx, self.offsets.table(table), "table")?;
                let len = self
                    .load_field(t.i64, def, 8, "table_len")?
                    .into_int_value();
                let len = self.builder.build_int_truncate(len, t.i32, "")?;
                self.push(len);
            }
            Operator::TableGrow { table } => {
                let delta = self.pop();
                let init = self.pop();
                let r = self.libcall(
                    Libcall::TableGrow,
                    Some(t.i32.into()),
                    &[self.i32_const(table).into(), init, delta],
                )?;
                self.push(r.expect("table.grow returns"));
            }
            Operator::TableFill { table } => {
                let args = self.pop_n(3);
                self.libcall(
                    Libcall::TableFill,
                    None,
                    &[self.i32_const(table).into(), args[0], args[1], args[2]],
                )?;
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let args = self.pop_n(3);
                let (d, s) = (
                    self.i32_const(dst_table).into(),
                    self.i32_const(src_table).into(),
                );
                self.libcall(Libcall::TableCopy, None, &[d, s, args[0], args[1], args[2]])?;
            }
            Operator::TableInit { elem_index, table } => {
                let args = self.pop_n(3);
                let (tb, e) = (
                    self.i32_const(table).into(),
                    self.i32_const(elem_index).into(),
                );
                self.libcall(
                    Libcall::TableInit,
                    None,
                    &[tb, e, args[0], args[1], args[2]],
                )?;
            }
            Operator::ElemDrop { elem_index } => {
                self.libcall(
                    Libcall::ElemDrop,
                    None,
                    &[self.i32_const(elem_index).into()],
                )?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

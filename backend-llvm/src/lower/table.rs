//! Tables: table.get/set/size/grow/fill inline or through libcalls, and the bulk operations
//! table.copy, table.init and elem.drop through libcalls. A 64-bit table (table64) takes `i64`
//! indices and sizes; the libcalls take every index and length as `u64`.

use inkwell::values::{BasicValueEnum, IntValue};
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
                self.push_table_size(table, len)?;
            }
            Operator::TableGrow { table } => {
                let delta = self.pop_int();
                let delta = self.widen(delta)?.into();
                let init = self.pop();
                let old = self
                    .libcall(
                        Libcall::TableGrow,
                        Some(t.i64.into()),
                        &[self.i32_const(table).into(), init, delta],
                    )?
                    .expect("table.grow returns")
                    .into_int_value();
                self.push_table_size(table, old)?;
            }
            Operator::TableFill { table } => {
                let args = self.pop_n(3);
                let (dst, len) = (
                    self.widen(args[0].into_int_value())?.into(),
                    self.widen(args[2].into_int_value())?.into(),
                );
                self.libcall(
                    Libcall::TableFill,
                    None,
                    &[self.i32_const(table).into(), dst, args[1], len],
                )?;
            }
            Operator::TableCopy {
                dst_table,
                src_table,
            } => {
                let args = self.pop_n(3);
                let args = self.widen_all(&args)?;
                let (d, s) = (
                    self.i32_const(dst_table).into(),
                    self.i32_const(src_table).into(),
                );
                self.libcall(Libcall::TableCopy, None, &[d, s, args[0], args[1], args[2]])?;
            }
            Operator::TableInit { elem_index, table } => {
                // The destination is an index of the table; the source and length are `i32`
                // positions in the segment.
                let args = self.pop_n(3);
                let dst = self.widen(args[0].into_int_value())?.into();
                let (tb, e) = (
                    self.i32_const(table).into(),
                    self.i32_const(elem_index).into(),
                );
                self.libcall(Libcall::TableInit, None, &[tb, e, dst, args[1], args[2]])?;
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

    /// Push a table size the way `table.size` and `table.grow` give it: `i64` for a 64-bit
    /// table, else truncated to `i32` (so -1 stays -1).
    fn push_table_size(&mut self, table: u32, size: IntValue<'ctx>) -> Result<()> {
        if self.info.tables[table as usize].table64 {
            self.push(size);
        } else {
            let size = self.builder.build_int_truncate(size, self.types.i32, "")?;
            self.push(size);
        }
        Ok(())
    }

    /// Every value of `args` as the `u64` the table libcalls take.
    fn widen_all(&self, args: &[BasicValueEnum<'ctx>]) -> Result<Vec<BasicValueEnum<'ctx>>> {
        args.iter()
            .map(|a| self.widen(a.into_int_value()).map(BasicValueEnum::from))
            .collect()
    }
}

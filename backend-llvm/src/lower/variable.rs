//! Locals and globals: local.get/set/tee, global.get/set.

use wasmparser::Operator;

use super::{Lowering, Result};

impl<'ctx> Lowering<'ctx, '_> {
    pub(super) fn variable_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::LocalGet { local_index } => {
                let (slot, ty) = self.locals[local_index as usize];
                let v = self.builder.build_load(ty, slot, "local")?;
                self.push(v);
            }
            Operator::LocalSet { local_index } => {
                let v = self.pop();
                self.builder
                    .build_store(self.locals[local_index as usize].0, v)?;
            }
            Operator::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated");
                self.builder
                    .build_store(self.locals[local_index as usize].0, v)?;
            }
            Operator::GlobalGet { global_index } => {
                let slot = self.global_slot(global_index)?;
                let ty = self
                    .types
                    .val(self.info.globals[global_index as usize].content);
                let v = self.builder.build_load(ty, slot, "global")?;
                self.push(v);
            }
            Operator::GlobalSet { global_index } => {
                let v = self.pop();
                let slot = self.global_slot(global_index)?;
                self.builder.build_store(slot, v)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Pointer to a global's storage (a `ValRaw`).
    fn global_slot(&self, index: u32) -> Result<inkwell::values::PointerValue<'ctx>> {
        self.load_ptr_field(self.vmctx, self.offsets.global(index), "global_slot")
    }
}

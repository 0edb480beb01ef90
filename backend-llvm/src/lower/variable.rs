//! Locals and globals: local.get/set/tee, global.get/set.

use inkwell::values::BasicValue;
use wasmparser::Operator;

use super::{Lowering, Result};

impl<'ctx> Lowering<'ctx, '_> {
    pub(super) fn variable_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::LocalGet { local_index } => {
                let (slot, ty) = self.locals[local_index as usize];
                let v = self.builder.build_load(ty, slot, "local")?;
                self.keep_local_in_memory(v.as_instruction_value())?;
                self.push(v);
            }
            Operator::LocalSet { local_index } => {
                let v = self.pop();
                let store = self
                    .builder
                    .build_store(self.locals[local_index as usize].0, v)?;
                self.keep_local_in_memory(Some(store))?;
            }
            Operator::LocalTee { local_index } => {
                let v = *self.stack.last().expect("validated");
                let store = self
                    .builder
                    .build_store(self.locals[local_index as usize].0, v)?;
                self.keep_local_in_memory(Some(store))?;
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

    /// In a function with a `try_table`, make a local's load or store volatile: the local then
    /// stays in memory, where a handler finds its last value (registers come back from the
    /// handler as they were when its `try_table` was entered).
    fn keep_local_in_memory(
        &self,
        access: Option<inkwell::values::InstructionValue<'ctx>>,
    ) -> Result<()> {
        if self.has_try {
            if let Some(access) = access {
                access
                    .set_volatile(true)
                    .map_err(|e| super::LowerError::Unsupported(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// Pointer to a global's storage (a `ValRaw`).
    fn global_slot(&self, index: u32) -> Result<inkwell::values::PointerValue<'ctx>> {
        self.load_ptr_field(self.vmctx, self.offsets.global(index), "global_slot")
    }
}

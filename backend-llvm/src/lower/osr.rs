//! OSR entries ([`lazuli_backend_api::osr`]): the function compiled again to be entered at one
//! loop's header from first-tier code, with the locals read from that code's frame.

use inkwell::values::BasicValue;
use lazuli_backend_api::osr;

use super::{LowerError, Lowering, Result};

impl<'ctx> Lowering<'ctx, '_> {
    /// In an OSR entry's prologue: every local's value from the buffer the entry receives.
    pub(super) fn load_osr_locals(&mut self) -> Result<()> {
        let buffer = self
            .function
            .get_nth_param(1)
            .expect("an OSR entry takes the locals' address")
            .into_int_value();
        let base = self
            .builder
            .build_int_to_ptr(buffer, self.types.ptr, "osr_locals")?;
        for (i, (slot, ty)) in self.locals.clone().into_iter().enumerate() {
            let offset = self
                .types
                .i64
                .const_int(osr::local_offset(i as u32) as u64, true);
            let address = self.byte_offset(base, offset)?;
            let value = self.builder.build_load(ty, address, "osr_local")?;
            if let Some(load) = value.as_instruction_value() {
                // Each local's 16 bytes are at least 8-byte aligned (`osr` module).
                load.set_alignment(8)
                    .map_err(|e| LowerError::Unsupported(format!("OSR load: {e}")))?;
            }
            self.builder.build_store(slot, value)?;
        }
        Ok(())
    }

    /// At the header of the loop just opened (`params` parameters, the operand stack below it
    /// already popped): if this OSR entry enters here, make its prologue jump to `header`.
    pub(super) fn enter_osr_loop(
        &mut self,
        header: inkwell::basic_block::BasicBlock<'ctx>,
        params: usize,
    ) -> Result<()> {
        let Some(entry) = self.osr else {
            return Ok(());
        };
        if entry.loop_index + 1 != self.loops_read || !self.reachable {
            return Ok(());
        }
        let inside_try = self.control.iter().any(|f| {
            matches!(
                f.kind,
                super::FrameKind::TryTable { .. } | super::FrameKind::LegacyTry { .. }
            )
        });
        if !osr::loop_is_enterable(self.stack.len(), params, inside_try) {
            return Err(LowerError::Unsupported(format!(
                "loop {} cannot be entered from first-tier code (operands on the stack, loop \
                 parameters or an enclosing try)",
                entry.loop_index
            )));
        }
        let here = self.builder.get_insert_block().expect("positioned");
        self.builder.position_at_end(entry.jump_from);
        self.builder.build_unconditional_branch(header)?;
        self.builder.position_at_end(here);
        Ok(())
    }
}

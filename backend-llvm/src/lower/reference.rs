//! Reference values: ref.null, ref.is_null, ref.as_non_null, ref.func.

use lazuli_backend_api::vmcontext::VMOffsets;
use lazuli_backend_api::TrapCode;
use wasmparser::Operator;

use super::{Lowering, Result};

impl<'ctx> Lowering<'ctx, '_> {
    pub(super) fn reference_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::RefNull { .. } => self.push(self.types.ptr.const_null()),
            Operator::RefIsNull => {
                let v = self.pop().into_pointer_value();
                let c = self.builder.build_is_null(v, "")?;
                self.push_bool(c)?;
            }
            Operator::RefAsNonNull => {
                let reference = self.pop();
                let is_null = self
                    .builder
                    .build_is_null(reference.into_pointer_value(), "")?;
                self.trap_if(is_null, TrapCode::NullReference)?;
                self.push(reference);
            }
            Operator::RefFunc { function_index } => {
                let refs = self.load_ptr_field(self.vmctx, VMOffsets::FUNC_REFS, "func_refs")?;
                let r = self.load_ptr_field(refs, function_index * 8, "func_ref")?;
                self.push(r);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

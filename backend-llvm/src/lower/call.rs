//! Calls: `call` to imported functions (through their `VMFuncImport`) and to defined ones
//! (through the module's GOT, whose entry is a lazy-compilation stub until resolved),
//! `call_indirect` through a table with null and signature checks, `call_ref` with a null
//! check, and their tail-call forms (`return_call`, `return_call_indirect`, `return_call_ref`)
//! as `tail` calls, which `tailcc` guarantees.

use inkwell::values::{BasicMetadataValueEnum, BasicValueEnum, PointerValue};
use inkwell::IntPredicate;
use lazuli_backend_api::vmcontext::VMOffsets;
use lazuli_backend_api::{FuncIndex, FuncType, TrapCode};
use wasmparser::Operator;

use super::{Lowering, Result};

impl<'ctx> Lowering<'ctx, '_> {
    pub(super) fn call_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        let (function_index, tail) = match *op {
            Operator::Call { function_index } => (function_index, false),
            Operator::ReturnCall { function_index } => (function_index, true),
            Operator::CallIndirect {
                type_index,
                table_index,
            } => {
                return self
                    .call_indirect(type_index, table_index, false)
                    .map(|()| true)
            }
            Operator::ReturnCallIndirect {
                type_index,
                table_index,
            } => {
                return self
                    .call_indirect(type_index, table_index, true)
                    .map(|()| true)
            }
            Operator::CallRef { type_index } => {
                return self.call_ref(type_index, false).map(|()| true)
            }
            Operator::ReturnCallRef { type_index } => {
                return self.call_ref(type_index, true).map(|()| true)
            }
            _ => return Ok(false),
        };
        let f = FuncIndex(function_index);
        let ty = self.info.func_type(f).clone();
        let (code, callee_vmctx) = match self.info.defined_func_index(f) {
            None => {
                let at = self.offsets.imported_func(function_index);
                (
                    self.load_ptr_field(self.vmctx, at, "import_code")?,
                    self.load_ptr_field(self.vmctx, at + 8, "import_vmctx")?,
                )
            }
            Some(defined) => {
                let got = self.load_ptr_field(self.vmctx, VMOffsets::GOT, "got")?;
                (self.load_ptr_field(got, defined.0 * 8, "code")?, self.vmctx)
            }
        };
        self.call_code(&ty, code, callee_vmctx, tail)?;
        Ok(true)
    }

    /// `call_ref` (or its tail form) of type `type_index`: a null check, then the call through
    /// the `VMFuncRef` (its type is the one the validator saw).
    fn call_ref(&mut self, type_index: u32, tail: bool) -> Result<()> {
        let ty = self.info.types[type_index as usize].clone();
        let funcref = self.pop().into_pointer_value();
        let is_null = self.builder.build_is_null(funcref, "")?;
        self.trap_if(is_null, TrapCode::NullFunctionReference)?;
        let slot = self.load_ptr_field(funcref, 0, "code_slot")?;
        let code = self.load_ptr_field(slot, 0, "code")?;
        let callee_vmctx = self.load_ptr_field(funcref, 16, "callee_vmctx")?;
        self.call_code(&ty, code, callee_vmctx, tail)
    }

    /// `call_indirect` (or its tail form) of type `type_index` through table `table_index`.
    fn call_indirect(&mut self, type_index: u32, table_index: u32, tail: bool) -> Result<()> {
        let ty = self.info.types[type_index as usize].clone();
        let index = self.pop_int();
        let funcref = self.table_element(table_index, index, TrapCode::TableOutOfBounds)?;
        let is_null = self.builder.build_is_null(funcref, "")?;
        self.trap_if(is_null, TrapCode::IndirectCallToNull)?;
        let actual = self
            .load_field(self.types.i32, funcref, 8, "type_id")?
            .into_int_value();
        let ids = self.load_ptr_field(self.vmctx, VMOffsets::TYPE_IDS, "type_ids")?;
        let expected = self
            .load_field(self.types.i32, ids, type_index * 4, "expected_id")?
            .into_int_value();
        let mismatch = self
            .builder
            .build_int_compare(IntPredicate::NE, actual, expected, "")?;
        self.trap_if(mismatch, TrapCode::BadSignature)?;
        let slot = self.load_ptr_field(funcref, 0, "code_slot")?;
        let code = self.load_ptr_field(slot, 0, "code")?;
        let callee_vmctx = self.load_ptr_field(funcref, 16, "callee_vmctx")?;
        self.call_code(&ty, code, callee_vmctx, tail)
    }

    /// Pop the arguments of `ty`, call `code` with `callee_vmctx`, push the results. A `tail`
    /// call returns what the callee returns instead (several results go straight to this
    /// function's caller's record).
    fn call_code(
        &mut self,
        ty: &FuncType,
        code: PointerValue<'ctx>,
        callee_vmctx: PointerValue<'ctx>,
        tail: bool,
    ) -> Result<()> {
        let args = self.pop_n(ty.params().len());
        let results = ty.results();
        let mut call_args: Vec<BasicMetadataValueEnum<'ctx>> = vec![callee_vmctx.into()];
        call_args.extend(args.iter().map(|a| BasicMetadataValueEnum::from(*a)));
        let out = match (results.len() > 1, tail) {
            (false, _) => None,
            (true, false) => Some(self.entry_alloca(self.types.results_struct(results).into())?),
            (true, true) => Some(self.types.results_pointer(self.function, &self.signature)),
        };
        if let Some(out) = out {
            call_args.push(out.into());
        }
        self.types.finish_args(ty, &mut call_args);
        if tail {
            // The frame goes away: so do the handlers of its try_tables.
            self.leave_try_tables(self.control.len() as u32 - 1)?;
        }
        let call =
            self.builder
                .build_indirect_call(self.types.func(ty), code, &call_args, "call")?;
        call.set_call_convention(crate::abi::WASM_CALL_CONV);
        if tail {
            // `tail`, which `tailcc` guarantees in tail position. Not `musttail`: LLVM 22
            // drops the stack arguments of a `musttail` call that needs more of them than its
            // caller received.
            call.set_tail_call_kind(llvm_sys::LLVMTailCallKind::LLVMTailCallKindTail);
            match call.try_as_basic_value().basic() {
                Some(v) if out.is_none() => self.builder.build_return(Some(&v))?,
                _ => self.builder.build_return(None)?,
            };
            self.reachable = false;
            return Ok(());
        }
        // Every other wasm call takes a stack frame, so that unbounded recursion reaches the
        // stack limit and traps instead of becoming a loop through tail-call optimization.
        call.set_tail_call_kind(llvm_sys::LLVMTailCallKind::LLVMTailCallKindNoTail);
        match out {
            None => {
                if let Some(v) = call.try_as_basic_value().basic() {
                    self.push(v);
                }
            }
            Some(slot) => {
                let st = self.types.results_struct(results);
                for i in 0..results.len() {
                    let field = self.builder.build_struct_gep(st, slot, i as u32, "")?;
                    let v: BasicValueEnum<'ctx> =
                        self.builder
                            .build_load(self.types.val(results[i]), field, "result")?;
                    self.push(v);
                }
            }
        }
        Ok(())
    }

    /// Element `index` of table `table` (a pointer-sized reference), trapping with `oob`
    /// when the index is out of bounds.
    pub(crate) fn table_element(
        &mut self,
        table: u32,
        index: inkwell::values::IntValue<'ctx>,
        oob: TrapCode,
    ) -> Result<PointerValue<'ctx>> {
        let slot = self.table_slot(table, index, oob)?;
        Ok(self
            .builder
            .build_load(self.types.ptr, slot, "elem")?
            .into_pointer_value())
    }

    /// Address of element `index` of table `table`, trapping with `oob` when out of bounds.
    pub(crate) fn table_slot(
        &mut self,
        table: u32,
        index: inkwell::values::IntValue<'ctx>,
        oob: TrapCode,
    ) -> Result<PointerValue<'ctx>> {
        let def = self.load_ptr_field(self.vmctx, self.offsets.table(table), "table")?;
        let base = self.load_ptr_field(def, 0, "table_base")?;
        let len = self
            .load_field(self.types.i64, def, 8, "table_len")?
            .into_int_value();
        let index = self.widen(index)?;
        let out = self
            .builder
            .build_int_compare(IntPredicate::UGE, index, len, "")?;
        self.trap_if(out, oob)?;
        let offset = self.builder.build_int_mul(index, self.i64_const(8), "")?;
        self.byte_offset(base, offset)
    }
}

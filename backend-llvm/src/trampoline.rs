//! Trampolines between the host's array convention and compiled code's typed convention.
//!
//! - array: `fn(code, vmctx, values: *mut ValRaw)` loads the arguments from `values`, calls
//!   `code(vmctx, args..)` and stores the results back into `values` (host -> wasm);
//! - host: the typed convention for a host function, with a `VMHostContext` as callee context
//!   (wasm -> host); see `lazuli_backend_api::vmcontext::VMHostContext`.

use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::values::{BasicMetadataValueEnum, BasicValueEnum, FunctionValue, PointerValue};
use inkwell::IntPredicate;
use lazuli_backend_api::{FuncType, ValType};

use crate::abi::Types;
use crate::lower::{LowerError, Result};

const VAL_RAW_SIZE: u64 = 16;

fn slot<'ctx>(
    t: &Types<'ctx>,
    b: &inkwell::builder::Builder<'ctx>,
    values: PointerValue<'ctx>,
    i: usize,
) -> Result<PointerValue<'ctx>> {
    let offset = t.i64.const_int(i as u64 * VAL_RAW_SIZE, false);
    // SAFETY: builds a GEP instruction; nothing is dereferenced at compile time.
    Ok(unsafe { b.build_gep(t.i8, values, &[offset], "slot")? })
}

/// Build `name` as the array trampoline of `ty`.
pub(crate) fn build_array<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    name: &str,
    ty: &FuncType,
) -> Result<FunctionValue<'ctx>> {
    let t = Types::new(ctx);
    let fn_ty = ctx
        .void_type()
        .fn_type(&[t.ptr.into(), t.ptr.into(), t.ptr.into()], false);
    let f = module.add_function(name, fn_ty, None);
    crate::lower::keep_frame_pointer(ctx, f);
    let b = ctx.create_builder();
    b.position_at_end(ctx.append_basic_block(f, "entry"));
    let code = f.get_nth_param(0).expect("code").into_pointer_value();
    let vmctx = f.get_nth_param(1).expect("vmctx").into_pointer_value();
    let values = f.get_nth_param(2).expect("values").into_pointer_value();
    let mut args: Vec<BasicMetadataValueEnum<'ctx>> = vec![vmctx.into()];
    for (i, p) in ty.params().iter().enumerate() {
        let v = b.build_load(t.val(*p), slot(&t, &b, values, i)?, "arg")?;
        args.push(v.into());
    }
    let results = ty.results();
    let out = if results.len() > 1 {
        let st = t.results_struct(results);
        let out = b.build_alloca(st, "results")?;
        args.push(out.into());
        Some(out)
    } else {
        None
    };
    t.finish_args(ty, &mut args);
    let call = b.build_indirect_call(t.func(ty), code, &args, "call")?;
    call.set_call_convention(crate::abi::WASM_CALL_CONV);
    match out {
        None => {
            if let Some(v) = call.try_as_basic_value().basic() {
                b.build_store(slot(&t, &b, values, 0)?, v)?;
            }
        }
        Some(out) => {
            let st = t.results_struct(results);
            for (i, r) in results.iter().enumerate() {
                let field = b.build_struct_gep(st, out, i as u32, "")?;
                let v = b.build_load(t.val(*r), field, "")?;
                b.build_store(slot(&t, &b, values, i)?, v)?;
            }
        }
    }
    b.build_return(None)?;
    Ok(f)
}

/// Build `name` as the host trampoline of `ty`.
pub(crate) fn build_host<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    name: &str,
    ty: &FuncType,
) -> Result<FunctionValue<'ctx>> {
    let t = Types::new(ctx);
    let f = module.add_function(name, t.func(ty), None);
    f.set_call_conventions(crate::abi::WASM_CALL_CONV);
    crate::lower::keep_frame_pointer(ctx, f);
    let b = ctx.create_builder();
    b.position_at_end(ctx.append_basic_block(f, "entry"));
    let host_ctx = f
        .get_nth_param(0)
        .expect("host context")
        .into_pointer_value();
    let n = ty.params().len().max(ty.results().len()).max(1);
    let array_ty = t.i128.array_type(n as u32);
    let values = b.build_alloca(array_ty, "values")?;
    if let Some(i) = inkwell::values::BasicValue::as_instruction_value(&values) {
        let _ = i.set_alignment(16);
    }
    for i in 0..ty.params().len() {
        let v = f.get_nth_param(i as u32 + 1).expect("declared parameter");
        // Clear the slot first so narrow values leave no stale upper bytes.
        b.build_store(slot(&t, &b, values, i)?, t.i128.const_zero())?;
        b.build_store(slot(&t, &b, values, i)?, v)?;
    }
    let load_field = |offset: u64, name: &str| -> Result<PointerValue<'ctx>> {
        // SAFETY: builds a GEP instruction; nothing is dereferenced at compile time.
        let at = unsafe { b.build_gep(t.i8, host_ctx, &[t.i64.const_int(offset, false)], name)? };
        Ok(b.build_load(t.ptr, at, name)?.into_pointer_value())
    };
    let call_fn = load_field(8, "call")?;
    let call_ty = t.i32.fn_type(&[t.ptr.into(), t.ptr.into()], false);
    let status = b
        .build_indirect_call(
            call_ty,
            call_fn,
            &[host_ctx.into(), values.into()],
            "status",
        )?
        .try_as_basic_value()
        .basic()
        .ok_or_else(|| LowerError::Unsupported("host call returns nothing".into()))?
        .into_int_value();
    let failed = b.build_int_compare(IntPredicate::NE, status, t.i32.const_zero(), "failed")?;
    let fail_block = ctx.append_basic_block(f, "failed");
    let ok_block = ctx.append_basic_block(f, "ok");
    b.build_conditional_branch(failed, fail_block, ok_block)?;

    b.position_at_end(fail_block);
    let raise = load_field(16, "raise_trap")?;
    let code = b.build_int_sub(status, t.i32.const_int(1, false), "code")?;
    let raise_ty = ctx
        .void_type()
        .fn_type(&[t.ptr.into(), t.i32.into()], false);
    b.build_indirect_call(raise_ty, raise, &[host_ctx.into(), code.into()], "")?;
    b.build_unreachable()?;

    b.position_at_end(ok_block);
    let results = ty.results();
    let loaded: Vec<BasicValueEnum<'ctx>> = results
        .iter()
        .enumerate()
        .map(|(i, r)| Ok(b.build_load(t.val(*r), slot(&t, &b, values, i)?, "result")?))
        .collect::<Result<_>>()?;
    match loaded.as_slice() {
        [] => {
            b.build_return(None)?;
        }
        [one] => {
            b.build_return(Some(one))?;
        }
        many => {
            let out = t.results_pointer(f, ty);
            let st = t.results_struct(results);
            for (i, v) in many.iter().enumerate() {
                let field = b.build_struct_gep(st, out, i as u32, "")?;
                b.build_store(field, *v)?;
            }
            b.build_return(None)?;
        }
    }
    Ok(f)
}

/// A name for a trampoline of `ty` that is unique in one JIT.
pub(crate) fn symbol(kind: &str, ty: &FuncType, serial: usize) -> String {
    let code = |v: &ValType| match v {
        ValType::I32 => 'i',
        ValType::I64 => 'I',
        ValType::F32 => 'f',
        ValType::F64 => 'F',
        ValType::V128 => 'v',
        ValType::FuncRef => 'r',
        ValType::ExternRef => 'e',
        ValType::ExnRef => 'x',
    };
    let params: String = ty.params().iter().map(code).collect();
    let results: String = ty.results().iter().map(code).collect();
    format!("lazuli_{kind}_{params}_{results}_{serial}")
}

//! How WebAssembly types and signatures map to LLVM, so that LLVM's code follows the calling
//! convention defined in `lazuli_backend_api::abi` (which the baseline backend follows too).
//!
//! A wasm function `(p1 .. pn) -> (r1 .. rm)` becomes `fn(vmctx: ptr, p1 .. pn) -> R` with the
//! `tailcc` calling convention ([`WASM_CALL_CONV`]: C's registers, callee-popped stack
//! arguments, guaranteed tail calls), where `R` is `void` (m = 0) or the result itself (m = 1). With several
//! results (m > 1) it takes one more parameter, a pointer to a literal struct `{r1 .. rm}` (laid
//! out as `abi::results_layout` says) that the caller allocates and the callee fills, and
//! returns `void`; an unused `i128` may follow (`abi::ArgLocations::stack_pad`). `v128` is `i128`; references are pointers. `tests/tests/tiers.rs` checks that
//! the two backends' code calls each other.

use inkwell::context::Context;
use inkwell::types::{
    BasicMetadataTypeEnum, BasicType, BasicTypeEnum, FloatType, FunctionType, IntType, PointerType,
    StructType,
};
use inkwell::AddressSpace;
use lazuli_backend_api::{FuncType, ValType};

/// LLVM's `tailcc` (`CallingConv::Tail`): the convention of every compiled wasm function, its
/// host trampolines and every call between them. Libcalls stay C functions.
pub(crate) const WASM_CALL_CONV: u32 = 18;

/// The LLVM types compiled code uses, made once per context.
#[derive(Clone, Copy)]
pub(crate) struct Types<'ctx> {
    pub ctx: &'ctx Context,
    pub i8: IntType<'ctx>,
    pub i32: IntType<'ctx>,
    pub i64: IntType<'ctx>,
    pub i128: IntType<'ctx>,
    pub f32: FloatType<'ctx>,
    pub f64: FloatType<'ctx>,
    pub ptr: PointerType<'ctx>,
}

impl<'ctx> Types<'ctx> {
    pub(crate) fn new(ctx: &'ctx Context) -> Self {
        Types {
            ctx,
            i8: ctx.i8_type(),
            i32: ctx.i32_type(),
            i64: ctx.i64_type(),
            i128: ctx.i128_type(),
            f32: ctx.f32_type(),
            f64: ctx.f64_type(),
            ptr: ctx.ptr_type(AddressSpace::default()),
        }
    }

    /// The LLVM type of a wasm value.
    pub(crate) fn val(&self, t: ValType) -> BasicTypeEnum<'ctx> {
        match t {
            ValType::I32 => self.i32.into(),
            ValType::I64 => self.i64.into(),
            ValType::F32 => self.f32.into(),
            ValType::F64 => self.f64.into(),
            ValType::V128 => self.i128.into(),
            ValType::FuncRef | ValType::ExternRef | ValType::ExnRef => self.ptr.into(),
        }
    }

    /// The struct that several results are written to.
    pub(crate) fn results_struct(&self, results: &[ValType]) -> StructType<'ctx> {
        let fields: Vec<BasicTypeEnum<'ctx>> = results.iter().map(|t| self.val(*t)).collect();
        self.ctx.struct_type(&fields, false)
    }

    /// The LLVM signature of a compiled wasm function.
    pub(crate) fn func(&self, ty: &FuncType) -> FunctionType<'ctx> {
        let mut params: Vec<BasicMetadataTypeEnum<'ctx>> = vec![self.ptr.into()];
        params.extend(
            ty.params()
                .iter()
                .map(|t| BasicMetadataTypeEnum::from(self.val(*t))),
        );
        if ty.results().len() > 1 {
            params.push(self.ptr.into());
        }
        if has_stack_pad(ty) {
            params.push(self.i128.into());
        }
        match ty.results() {
            [one] => self.val(*one).fn_type(&params, false),
            _ => self.ctx.void_type().fn_type(&params, false),
        }
    }

    /// Append what a call passes after the parameters and the results pointer: the unused
    /// stack pad, if `ty` has one.
    pub(crate) fn finish_args(
        &self,
        ty: &FuncType,
        args: &mut Vec<inkwell::values::BasicMetadataValueEnum<'ctx>>,
    ) {
        if has_stack_pad(ty) {
            args.push(self.i128.get_undef().into());
        }
    }
}

/// Whether calls of `ty` end their stack arguments with a pad (`abi::ArgLocations::stack_pad`).
fn has_stack_pad(ty: &FuncType) -> bool {
    lazuli_backend_api::abi::arg_locations(ty.params(), ty.results())
        .stack_pad
        .is_some()
}

impl<'ctx> Types<'ctx> {
    /// Parameter `1 + params` of a function of type `ty` with several results: where they go.
    pub(crate) fn results_pointer(
        &self,
        f: inkwell::values::FunctionValue<'ctx>,
        ty: &FuncType,
    ) -> inkwell::values::PointerValue<'ctx> {
        f.get_nth_param(1 + ty.params().len() as u32)
            .expect("functions with several results take a results pointer")
            .into_pointer_value()
    }
}

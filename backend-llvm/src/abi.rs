//! How WebAssembly types and signatures map to LLVM, so that LLVM's code follows the calling
//! convention defined in `lazuli_backend_api::abi` (which the baseline backend follows too).
//!
//! A wasm function `(p1 .. pn) -> (r1 .. rm)` becomes `fn(vmctx: ptr, p1 .. pn) -> R` with the C
//! calling convention, where `R` is `void` (m = 0) or the result itself (m = 1). With several
//! results (m > 1) it takes one more parameter, a pointer to a literal struct `{r1 .. rm}` (laid
//! out as `abi::results_layout` says) that the caller allocates and the callee fills, and
//! returns `void`. `v128` is `i128`; references are pointers. `tests/tests/tiers.rs` checks that
//! the two backends' code calls each other.

use inkwell::context::Context;
use inkwell::types::{
    BasicMetadataTypeEnum, BasicType, BasicTypeEnum, FloatType, FunctionType, IntType, PointerType,
    StructType,
};
use inkwell::AddressSpace;
use lazuli_backend_api::{FuncType, ValType};

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
            ValType::FuncRef | ValType::ExternRef => self.ptr.into(),
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
        match ty.results() {
            [] => self.ctx.void_type().fn_type(&params, false),
            [one] => self.val(*one).fn_type(&params, false),
            _ => {
                params.push(self.ptr.into());
                self.ctx.void_type().fn_type(&params, false)
            }
        }
    }
}

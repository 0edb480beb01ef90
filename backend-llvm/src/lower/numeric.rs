//! Integer and float arithmetic, bitwise operations and comparisons, with the spec's exact
//! semantics: trapping division, shifts and rotates modulo the width, NaN-propagating min/max
//! that order -0 below +0, round-to-nearest-even `nearest`.

use inkwell::values::{BasicValueEnum, FloatValue, IntValue};
use inkwell::{FloatPredicate, IntPredicate};
use lazuli_backend_api::TrapCode;
use wasmparser::Operator;

use super::{Lowering, Result};

#[derive(Clone, Copy)]
enum IntBin {
    Add,
    Sub,
    Mul,
    And,
    Or,
    Xor,
    Shl,
    ShrS,
    ShrU,
    Rotl,
    Rotr,
    DivS,
    DivU,
    RemS,
    RemU,
}

#[derive(Clone, Copy)]
enum FloatBin {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
    Copysign,
}

impl<'ctx> Lowering<'ctx, '_> {
    pub(super) fn numeric_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        match *op {
            O::I32Const { value } => self.push(self.i32_const(value as u32)),
            O::I64Const { value } => self.push(self.i64_const(value as u64)),
            O::F32Const { value } => {
                let v = self
                    .builder
                    .build_bit_cast(self.i32_const(value.bits()), self.types.f32, "")?
                    .into_float_value();
                let v = self.opaque_float(v)?;
                self.push(v)
            }
            O::F64Const { value } => {
                let v = self
                    .builder
                    .build_bit_cast(self.i64_const(value.bits()), self.types.f64, "")?
                    .into_float_value();
                let v = self.opaque_float(v)?;
                self.push(v)
            }

            O::I32Eqz | O::I64Eqz => {
                let v = self.pop_int();
                let zero = v.get_type().const_zero();
                let c = self
                    .builder
                    .build_int_compare(IntPredicate::EQ, v, zero, "")?;
                self.push_bool(c)?;
            }
            O::I32Eq | O::I64Eq => self.int_cmp(IntPredicate::EQ)?,
            O::I32Ne | O::I64Ne => self.int_cmp(IntPredicate::NE)?,
            O::I32LtS | O::I64LtS => self.int_cmp(IntPredicate::SLT)?,
            O::I32LtU | O::I64LtU => self.int_cmp(IntPredicate::ULT)?,
            O::I32GtS | O::I64GtS => self.int_cmp(IntPredicate::SGT)?,
            O::I32GtU | O::I64GtU => self.int_cmp(IntPredicate::UGT)?,
            O::I32LeS | O::I64LeS => self.int_cmp(IntPredicate::SLE)?,
            O::I32LeU | O::I64LeU => self.int_cmp(IntPredicate::ULE)?,
            O::I32GeS | O::I64GeS => self.int_cmp(IntPredicate::SGE)?,
            O::I32GeU | O::I64GeU => self.int_cmp(IntPredicate::UGE)?,

            O::F32Eq | O::F64Eq => self.float_cmp(FloatPredicate::OEQ)?,
            O::F32Ne | O::F64Ne => self.float_cmp(FloatPredicate::UNE)?,
            O::F32Lt | O::F64Lt => self.float_cmp(FloatPredicate::OLT)?,
            O::F32Gt | O::F64Gt => self.float_cmp(FloatPredicate::OGT)?,
            O::F32Le | O::F64Le => self.float_cmp(FloatPredicate::OLE)?,
            O::F32Ge | O::F64Ge => self.float_cmp(FloatPredicate::OGE)?,

            O::I32Clz | O::I64Clz => self.int_unary_intrinsic("llvm.ctlz", true)?,
            O::I32Ctz | O::I64Ctz => self.int_unary_intrinsic("llvm.cttz", true)?,
            O::I32Popcnt | O::I64Popcnt => self.int_unary_intrinsic("llvm.ctpop", false)?,

            O::I32Add | O::I64Add => self.int_bin(IntBin::Add)?,
            O::I32Sub | O::I64Sub => self.int_bin(IntBin::Sub)?,
            O::I32Mul | O::I64Mul => self.int_bin(IntBin::Mul)?,
            O::I32DivS | O::I64DivS => self.int_bin(IntBin::DivS)?,
            O::I32DivU | O::I64DivU => self.int_bin(IntBin::DivU)?,
            O::I32RemS | O::I64RemS => self.int_bin(IntBin::RemS)?,
            O::I32RemU | O::I64RemU => self.int_bin(IntBin::RemU)?,
            O::I32And | O::I64And => self.int_bin(IntBin::And)?,
            O::I32Or | O::I64Or => self.int_bin(IntBin::Or)?,
            O::I32Xor | O::I64Xor => self.int_bin(IntBin::Xor)?,
            O::I32Shl | O::I64Shl => self.int_bin(IntBin::Shl)?,
            O::I32ShrS | O::I64ShrS => self.int_bin(IntBin::ShrS)?,
            O::I32ShrU | O::I64ShrU => self.int_bin(IntBin::ShrU)?,
            O::I32Rotl | O::I64Rotl => self.int_bin(IntBin::Rotl)?,
            O::I32Rotr | O::I64Rotr => self.int_bin(IntBin::Rotr)?,

            O::F32Abs | O::F64Abs => self.float_unary_intrinsic("llvm.fabs")?,
            O::F32Neg | O::F64Neg => {
                let v = self.pop().into_float_value();
                let r = self.builder.build_float_neg(v, "")?;
                self.push(r);
            }
            O::F32Ceil | O::F64Ceil => self.float_unary_intrinsic("llvm.ceil")?,
            O::F32Floor | O::F64Floor => self.float_unary_intrinsic("llvm.floor")?,
            O::F32Trunc | O::F64Trunc => self.float_unary_intrinsic("llvm.trunc")?,
            O::F32Nearest | O::F64Nearest => self.float_unary_intrinsic("llvm.roundeven")?,
            O::F32Sqrt | O::F64Sqrt => self.float_unary_intrinsic("llvm.sqrt")?,
            O::F32Add | O::F64Add => self.float_bin(FloatBin::Add)?,
            O::F32Sub | O::F64Sub => self.float_bin(FloatBin::Sub)?,
            O::F32Mul | O::F64Mul => self.float_bin(FloatBin::Mul)?,
            O::F32Div | O::F64Div => self.float_bin(FloatBin::Div)?,
            O::F32Min | O::F64Min => self.float_bin(FloatBin::Min)?,
            O::F32Max | O::F64Max => self.float_bin(FloatBin::Max)?,
            O::F32Copysign | O::F64Copysign => self.float_bin(FloatBin::Copysign)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Push an `i1` as a wasm `i32` boolean.
    pub(crate) fn push_bool(&mut self, c: IntValue<'ctx>) -> Result<()> {
        let v = self.builder.build_int_z_extend(c, self.types.i32, "")?;
        self.push(v);
        Ok(())
    }

    fn int_cmp(&mut self, p: IntPredicate) -> Result<()> {
        let b = self.pop_int();
        let a = self.pop_int();
        let c = self.builder.build_int_compare(p, a, b, "")?;
        self.push_bool(c)
    }

    fn float_cmp(&mut self, p: FloatPredicate) -> Result<()> {
        let b = self.pop().into_float_value();
        let a = self.pop().into_float_value();
        let c = self.builder.build_float_compare(p, a, b, "")?;
        self.push_bool(c)
    }

    fn int_unary_intrinsic(&mut self, name: &str, zero_is_poison_flag: bool) -> Result<()> {
        let v = self.pop_int();
        let ty = v.get_type();
        let r = if zero_is_poison_flag {
            // The flag `false` makes a zero input well defined (result = bit width).
            let flag = self.ctx.bool_type().const_zero();
            self.intrinsic(name, &[ty.into()], &[v.into(), flag.into()])?
        } else {
            self.intrinsic(name, &[ty.into()], &[v.into()])?
        };
        self.push(r);
        Ok(())
    }

    fn float_unary_intrinsic(&mut self, name: &str) -> Result<()> {
        let v = self.pop().into_float_value();
        let r = self.intrinsic(name, &[v.get_type().into()], &[v.into()])?;
        self.push(r);
        Ok(())
    }

    fn int_bin(&mut self, op: IntBin) -> Result<()> {
        let b = self.pop_int();
        let a = self.pop_int();
        let ty = a.get_type();
        let bits = ty.get_bit_width() as u64;
        let b_builder = &self.builder;
        let r: IntValue<'ctx> = match op {
            IntBin::Add => b_builder.build_int_add(a, b, "")?,
            IntBin::Sub => b_builder.build_int_sub(a, b, "")?,
            IntBin::Mul => b_builder.build_int_mul(a, b, "")?,
            IntBin::And => b_builder.build_and(a, b, "")?,
            IntBin::Or => b_builder.build_or(a, b, "")?,
            IntBin::Xor => b_builder.build_xor(a, b, "")?,
            IntBin::Shl | IntBin::ShrS | IntBin::ShrU => {
                let amount = b_builder.build_and(b, ty.const_int(bits - 1, false), "")?;
                match op {
                    IntBin::Shl => b_builder.build_left_shift(a, amount, "")?,
                    IntBin::ShrS => b_builder.build_right_shift(a, amount, true, "")?,
                    _ => b_builder.build_right_shift(a, amount, false, "")?,
                }
            }
            IntBin::Rotl | IntBin::Rotr => {
                // Funnel shifts take the amount modulo the width, as wasm rotates do.
                let name = if matches!(op, IntBin::Rotl) {
                    "llvm.fshl"
                } else {
                    "llvm.fshr"
                };
                self.intrinsic(name, &[ty.into()], &[a.into(), a.into(), b.into()])?
                    .into_int_value()
            }
            IntBin::DivU | IntBin::RemU => {
                let zero = b_builder.build_int_compare(IntPredicate::EQ, b, ty.const_zero(), "")?;
                self.trap_if(zero, TrapCode::IntegerDivisionByZero)?;
                if matches!(op, IntBin::DivU) {
                    self.builder.build_int_unsigned_div(a, b, "")?
                } else {
                    self.builder.build_int_unsigned_rem(a, b, "")?
                }
            }
            IntBin::DivS | IntBin::RemS => {
                let zero = b_builder.build_int_compare(IntPredicate::EQ, b, ty.const_zero(), "")?;
                self.trap_if(zero, TrapCode::IntegerDivisionByZero)?;
                let min = ty.const_int(1u64 << (bits - 1), false);
                let a_is_min = self
                    .builder
                    .build_int_compare(IntPredicate::EQ, a, min, "")?;
                let b_is_neg1 =
                    self.builder
                        .build_int_compare(IntPredicate::EQ, b, ty.const_all_ones(), "")?;
                let overflow = self.builder.build_and(a_is_min, b_is_neg1, "")?;
                if matches!(op, IntBin::DivS) {
                    self.trap_if(overflow, TrapCode::IntegerOverflow)?;
                    self.builder.build_int_signed_div(a, b, "")?
                } else {
                    // INT_MIN % -1 is 0 in wasm but undefined in LLVM: divide by 1 instead.
                    let divisor = self
                        .builder
                        .build_select(overflow, ty.const_int(1, false), b, "")?
                        .into_int_value();
                    self.builder.build_int_signed_rem(a, divisor, "")?
                }
            }
        };
        self.push(r);
        Ok(())
    }

    fn float_bin(&mut self, op: FloatBin) -> Result<()> {
        let b = self.pop().into_float_value();
        let a = self.pop().into_float_value();
        let r: BasicValueEnum<'ctx> = match op {
            FloatBin::Add => self.builder.build_float_add(a, b, "")?.into(),
            FloatBin::Sub => self.builder.build_float_sub(a, b, "")?.into(),
            FloatBin::Mul => self.builder.build_float_mul(a, b, "")?.into(),
            FloatBin::Div => self.builder.build_float_div(a, b, "")?.into(),
            FloatBin::Min => self.float_min_max(a, b, true)?,
            FloatBin::Max => self.float_min_max(a, b, false)?,
            FloatBin::Copysign => self.float_intrinsic2("llvm.copysign", a, b)?,
        };
        self.push(r);
        Ok(())
    }

    /// Wasm `min`/`max`: a NaN operand gives a quiet NaN (`a + b` quiets it), equal operands
    /// combine their bits so that -0 is below +0, otherwise the smaller/larger one.
    fn float_min_max(
        &self,
        a: FloatValue<'ctx>,
        b: FloatValue<'ctx>,
        min: bool,
    ) -> Result<BasicValueEnum<'ctx>> {
        let b_ = &self.builder;
        let int_ty = if a.get_type() == self.types.f32 {
            self.types.i32
        } else {
            self.types.i64
        };
        let any_nan = b_.build_float_compare(FloatPredicate::UNO, a, b, "")?;
        let nan = b_.build_float_add(a, b, "")?;
        let equal = b_.build_float_compare(FloatPredicate::OEQ, a, b, "")?;
        let (ai, bi) = (
            b_.build_bit_cast(a, int_ty, "")?.into_int_value(),
            b_.build_bit_cast(b, int_ty, "")?.into_int_value(),
        );
        let merged = if min {
            b_.build_or(ai, bi, "")?
        } else {
            b_.build_and(ai, bi, "")?
        };
        let merged = b_
            .build_bit_cast(merged, a.get_type(), "")?
            .into_float_value();
        let pick_a = b_.build_float_compare(
            if min {
                FloatPredicate::OLT
            } else {
                FloatPredicate::OGT
            },
            a,
            b,
            "",
        )?;
        let ordered = b_.build_select(pick_a, a, b, "")?.into_float_value();
        let ordered = b_
            .build_select(equal, merged, ordered, "")?
            .into_float_value();
        Ok(b_.build_select(any_nan, nan, ordered, "")?)
    }

    fn float_intrinsic2(
        &self,
        name: &str,
        a: FloatValue<'ctx>,
        b: FloatValue<'ctx>,
    ) -> Result<BasicValueEnum<'ctx>> {
        self.intrinsic(name, &[a.get_type().into()], &[a.into(), b.into()])
    }
}

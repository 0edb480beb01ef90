//! Conversions between value types: wrap, extend, sign-extension, trapping and saturating
//! float-to-int truncation, int-to-float conversion, demote/promote and reinterpret.

use inkwell::types::{BasicTypeEnum, FloatType, IntType};
use inkwell::FloatPredicate;
use lazuli_backend_api::TrapCode;
use wasmparser::Operator;

use super::{Lowering, Result};

impl<'ctx> Lowering<'ctx, '_> {
    pub(super) fn conversion_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        let t = self.types;
        match *op {
            O::I32WrapI64 => {
                let v = self.pop_int();
                let r = self.builder.build_int_truncate(v, t.i32, "")?;
                self.push(r);
            }
            O::I64ExtendI32S => self.extend(t.i32, t.i64, true)?,
            O::I64ExtendI32U => self.extend(t.i32, t.i64, false)?,
            O::I32Extend8S => self.extend(t.i8, t.i32, true)?,
            O::I32Extend16S => self.extend(t.ctx.i16_type(), t.i32, true)?,
            O::I64Extend8S => self.extend(t.i8, t.i64, true)?,
            O::I64Extend16S => self.extend(t.ctx.i16_type(), t.i64, true)?,
            O::I64Extend32S => self.extend(t.i32, t.i64, true)?,

            O::I32TruncF32S => self.trunc(t.f32, t.i32, true)?,
            O::I32TruncF32U => self.trunc(t.f32, t.i32, false)?,
            O::I32TruncF64S => self.trunc(t.f64, t.i32, true)?,
            O::I32TruncF64U => self.trunc(t.f64, t.i32, false)?,
            O::I64TruncF32S => self.trunc(t.f32, t.i64, true)?,
            O::I64TruncF32U => self.trunc(t.f32, t.i64, false)?,
            O::I64TruncF64S => self.trunc(t.f64, t.i64, true)?,
            O::I64TruncF64U => self.trunc(t.f64, t.i64, false)?,

            O::I32TruncSatF32S | O::I32TruncSatF64S => self.trunc_sat(t.i32, true)?,
            O::I32TruncSatF32U | O::I32TruncSatF64U => self.trunc_sat(t.i32, false)?,
            O::I64TruncSatF32S | O::I64TruncSatF64S => self.trunc_sat(t.i64, true)?,
            O::I64TruncSatF32U | O::I64TruncSatF64U => self.trunc_sat(t.i64, false)?,

            O::F32ConvertI32S | O::F32ConvertI64S => self.convert(t.f32, true)?,
            O::F32ConvertI32U | O::F32ConvertI64U => self.convert(t.f32, false)?,
            O::F64ConvertI32S | O::F64ConvertI64S => self.convert(t.f64, true)?,
            O::F64ConvertI32U | O::F64ConvertI64U => self.convert(t.f64, false)?,

            O::F32DemoteF64 => {
                let v = self.pop().into_float_value();
                let r = self.builder.build_float_trunc(v, t.f32, "")?;
                self.push(r);
            }
            O::F64PromoteF32 => {
                let v = self.pop().into_float_value();
                let r = self.builder.build_float_ext(v, t.f64, "")?;
                let r = self.opaque_float(r)?;
                self.push(r);
            }
            O::I32ReinterpretF32 => self.reinterpret(t.i32.into())?,
            O::I64ReinterpretF64 => self.reinterpret(t.i64.into())?,
            O::F32ReinterpretI32 => self.reinterpret(t.f32.into())?,
            O::F64ReinterpretI64 => self.reinterpret(t.f64.into())?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Sign- or zero-extend the low `from` bits of the top value to `to`.
    fn extend(&mut self, from: IntType<'ctx>, to: IntType<'ctx>, signed: bool) -> Result<()> {
        let v = self.pop_int();
        let narrow = if v.get_type() == from {
            v
        } else {
            self.builder.build_int_truncate(v, from, "")?
        };
        let r = if signed {
            self.builder.build_int_s_extend(narrow, to, "")?
        } else {
            self.builder.build_int_z_extend(narrow, to, "")?
        };
        self.push(r);
        Ok(())
    }

    /// Trapping truncation: NaN is an invalid conversion, out of range an integer overflow.
    fn trunc(&mut self, from: FloatType<'ctx>, to: IntType<'ctx>, signed: bool) -> Result<()> {
        let v = self.pop().into_float_value();
        let is_nan = self
            .builder
            .build_float_compare(FloatPredicate::UNO, v, v, "")?;
        self.trap_if(is_nan, TrapCode::BadConversionToInteger)?;
        // Exclusive bounds: the nearest values of `from` outside the target range.
        let is_f32 = from == self.types.f32;
        let (low, high) = match (to.get_bit_width(), signed, is_f32) {
            (32, true, true) => (-2147483904.0, 2147483648.0),
            (32, true, false) => (-2147483649.0, 2147483648.0),
            (32, false, _) => (-1.0, 4294967296.0),
            (64, true, true) => (-9223373136366403584.0, 9223372036854775808.0),
            (64, true, false) => (-9223372036854777856.0, 9223372036854775808.0),
            _ => (-1.0, 18446744073709551616.0),
        };
        let above =
            self.builder
                .build_float_compare(FloatPredicate::OGT, v, from.const_float(low), "")?;
        let below =
            self.builder
                .build_float_compare(FloatPredicate::OLT, v, from.const_float(high), "")?;
        let in_range = self.builder.build_and(above, below, "")?;
        let out = self.builder.build_not(in_range, "")?;
        self.trap_if(out, TrapCode::IntegerOverflow)?;
        let r = if signed {
            self.builder.build_float_to_signed_int(v, to, "")?
        } else {
            self.builder.build_float_to_unsigned_int(v, to, "")?
        };
        self.push(r);
        Ok(())
    }

    fn trunc_sat(&mut self, to: IntType<'ctx>, signed: bool) -> Result<()> {
        let v = self.pop().into_float_value();
        let name = if signed {
            "llvm.fptosi.sat"
        } else {
            "llvm.fptoui.sat"
        };
        let r = self.intrinsic(name, &[to.into(), v.get_type().into()], &[v.into()])?;
        self.push(r);
        Ok(())
    }

    fn convert(&mut self, to: FloatType<'ctx>, signed: bool) -> Result<()> {
        let v = self.pop_int();
        let r = if signed {
            self.builder.build_signed_int_to_float(v, to, "")?
        } else {
            self.builder.build_unsigned_int_to_float(v, to, "")?
        };
        self.push(r);
        Ok(())
    }

    fn reinterpret(&mut self, to: BasicTypeEnum<'ctx>) -> Result<()> {
        let v = self.pop();
        let r = self.builder.build_bit_cast(v, to, "")?;
        self.push(r);
        Ok(())
    }
}

//! 128-bit SIMD: every v128 instruction, lowered to LLVM vector operations so that it becomes
//! vector machine code. On the value stack a v128 is an `i128`; each operation bitcasts it to
//! the lane shape it works on (`<16 x i8>`, `<8 x i16>`, `<4 x i32>`, `<2 x i64>`, `<4 x float>`,
//! `<2 x double>`) and back.

use inkwell::types::{BasicTypeEnum, IntType, VectorType};
use inkwell::values::{BasicValueEnum, IntValue, VectorValue};
use inkwell::{FloatPredicate, IntPredicate};
use wasmparser::{MemArg, Operator};

use super::{Lowering, Result};

/// The lane shapes of a v128.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    I8x16,
    I16x8,
    I32x4,
    I64x2,
    F32x4,
    F64x2,
}

impl Shape {
    fn lanes(self) -> u32 {
        match self {
            Shape::I8x16 => 16,
            Shape::I16x8 => 8,
            Shape::I32x4 | Shape::F32x4 => 4,
            Shape::I64x2 | Shape::F64x2 => 2,
        }
    }

    fn lane_bits(self) -> u32 {
        128 / self.lanes()
    }

    /// The integer shape with lanes twice as wide (for extends).
    fn wider(self) -> Shape {
        match self {
            Shape::I8x16 => Shape::I16x8,
            Shape::I16x8 => Shape::I32x4,
            _ => Shape::I64x2,
        }
    }
}

#[derive(Clone, Copy)]
enum IntBinOp {
    Add,
    Sub,
    Mul,
    Intrinsic(&'static str),
}

impl<'ctx> Lowering<'ctx, '_> {
    fn vec_type(&self, s: Shape) -> VectorType<'ctx> {
        let t = &self.types;
        match s {
            Shape::I8x16 => t.i8.vec_type(16),
            Shape::I16x8 => t.ctx.i16_type().vec_type(8),
            Shape::I32x4 => t.i32.vec_type(4),
            Shape::I64x2 => t.i64.vec_type(2),
            Shape::F32x4 => t.f32.vec_type(4),
            Shape::F64x2 => t.f64.vec_type(2),
        }
    }

    /// The integer type of `bits` bits (8 to 128, or a lane count for bitmasks).
    fn int_type(&self, bits: u32) -> IntType<'ctx> {
        self.types
            .ctx
            .custom_width_int_type(std::num::NonZeroU32::new(bits).expect("nonzero width"))
            .expect("valid width")
    }

    fn lane_int_type(&self, s: Shape) -> IntType<'ctx> {
        self.int_type(s.lane_bits())
    }

    /// The integer vector type with the lane count of `s` (what comparisons produce).
    fn int_vec_of(&self, s: Shape) -> VectorType<'ctx> {
        self.lane_int_type(s).vec_type(s.lanes())
    }

    /// Pop a v128 as a vector of shape `s`.
    fn pop_vec(&mut self, s: Shape) -> Result<VectorValue<'ctx>> {
        let v = self.pop();
        Ok(self
            .builder
            .build_bit_cast(v, self.vec_type(s), "")?
            .into_vector_value())
    }

    /// Push a 128-bit vector as a v128.
    fn push_vec(&mut self, v: VectorValue<'ctx>) -> Result<()> {
        let r = self.builder.build_bit_cast(v, self.types.i128, "")?;
        self.push(r);
        Ok(())
    }

    fn const_lanes(&self, ty: IntType<'ctx>, values: &[u64]) -> VectorValue<'ctx> {
        let lanes: Vec<IntValue<'ctx>> = values.iter().map(|v| ty.const_int(*v, false)).collect();
        VectorType::const_vector(&lanes)
    }

    /// A vector with every lane `v`.
    fn splat(&self, v: BasicValueEnum<'ctx>, lanes: u32) -> Result<VectorValue<'ctx>> {
        let vty = match v.get_type() {
            BasicTypeEnum::IntType(t) => t.vec_type(lanes),
            BasicTypeEnum::FloatType(t) => t.vec_type(lanes),
            _ => unreachable!("lanes are numbers"),
        };
        let zero = self.types.i32.const_zero();
        let one = self
            .builder
            .build_insert_element(vty.get_undef(), v, zero, "")?;
        let mask = self.types.i32.vec_type(lanes).const_zero();
        Ok(self
            .builder
            .build_shuffle_vector(one, vty.get_undef(), mask, "splat")?)
    }

    /// Select lanes `indices` from the concatenation of `a` and `b`.
    fn shuffle(
        &self,
        a: VectorValue<'ctx>,
        b: VectorValue<'ctx>,
        indices: &[u64],
    ) -> Result<VectorValue<'ctx>> {
        let mask = self.const_lanes(self.types.i32, indices);
        Ok(self.builder.build_shuffle_vector(a, b, mask, "")?)
    }

    /// The low or high half of the lanes of `v`, extended to twice the width.
    fn extend_half(
        &self,
        v: VectorValue<'ctx>,
        s: Shape,
        high: bool,
        signed: bool,
    ) -> Result<VectorValue<'ctx>> {
        let half = s.lanes() as u64 / 2;
        let start = if high { half } else { 0 };
        let indices: Vec<u64> = (start..start + half).collect();
        let part = self.shuffle(v, v, &indices)?;
        let to = self.int_vec_of(s.wider());
        Ok(if signed {
            self.builder.build_int_s_extend(part, to, "")?
        } else {
            self.builder.build_int_z_extend(part, to, "")?
        })
    }

    /// Every lane of `v` extended to twice the width (a vector of twice the bits).
    fn extend_all(
        &self,
        v: VectorValue<'ctx>,
        s: Shape,
        signed: bool,
    ) -> Result<VectorValue<'ctx>> {
        let to = self.int_type(s.lane_bits() * 2).vec_type(s.lanes());
        Ok(if signed {
            self.builder.build_int_s_extend(v, to, "")?
        } else {
            self.builder.build_int_z_extend(v, to, "")?
        })
    }

    fn vec_intrinsic(&self, name: &str, v: &[VectorValue<'ctx>]) -> Result<VectorValue<'ctx>> {
        let args: Vec<_> = v.iter().map(|x| (*x).into()).collect();
        Ok(self
            .intrinsic(name, &[v[0].get_type().into()], &args)?
            .into_vector_value())
    }

    fn int_binary(&mut self, s: Shape, op: IntBinOp) -> Result<()> {
        let b = self.pop_vec(s)?;
        let a = self.pop_vec(s)?;
        let r = match op {
            IntBinOp::Add => self.builder.build_int_add(a, b, "")?,
            IntBinOp::Sub => self.builder.build_int_sub(a, b, "")?,
            IntBinOp::Mul => self.builder.build_int_mul(a, b, "")?,
            IntBinOp::Intrinsic(name) => self.vec_intrinsic(name, &[a, b])?,
        };
        self.push_vec(r)
    }

    fn int_compare(&mut self, s: Shape, p: IntPredicate) -> Result<()> {
        let b = self.pop_vec(s)?;
        let a = self.pop_vec(s)?;
        let c = self.builder.build_int_compare(p, a, b, "")?;
        let r = self.builder.build_int_s_extend(c, self.int_vec_of(s), "")?;
        self.push_vec(r)
    }

    fn float_compare(&mut self, s: Shape, p: FloatPredicate) -> Result<()> {
        let b = self.pop_vec(s)?;
        let a = self.pop_vec(s)?;
        let c = self.builder.build_float_compare(p, a, b, "")?;
        let r = self.builder.build_int_s_extend(c, self.int_vec_of(s), "")?;
        self.push_vec(r)
    }

    fn shift(&mut self, s: Shape, kind: u8) -> Result<()> {
        let amount = self.pop_int();
        let v = self.pop_vec(s)?;
        let masked = self
            .builder
            .build_and(amount, self.i32_const(s.lane_bits() - 1), "")?;
        let lane_ty = self.lane_int_type(s);
        let lane_amount = if s.lane_bits() < 32 {
            self.builder.build_int_truncate(masked, lane_ty, "")?
        } else if s.lane_bits() > 32 {
            self.builder.build_int_z_extend(masked, lane_ty, "")?
        } else {
            masked
        };
        let amounts = self.splat(lane_amount.into(), s.lanes())?;
        let r = match kind {
            0 => self.builder.build_left_shift(v, amounts, "")?,
            1 => self.builder.build_right_shift(v, amounts, true, "")?,
            _ => self.builder.build_right_shift(v, amounts, false, "")?,
        };
        self.push_vec(r)
    }

    fn all_true(&mut self, s: Shape) -> Result<()> {
        let v = self.pop_vec(s)?;
        let zero = self.int_vec_of(s).const_zero();
        let nonzero = self
            .builder
            .build_int_compare(IntPredicate::NE, v, zero, "")?;
        let all = self
            .intrinsic(
                "llvm.vector.reduce.and",
                &[nonzero.get_type().into()],
                &[nonzero.into()],
            )?
            .into_int_value();
        self.push_bool(all)
    }

    fn bitmask(&mut self, s: Shape) -> Result<()> {
        let v = self.pop_vec(s)?;
        let zero = self.int_vec_of(s).const_zero();
        let negative = self
            .builder
            .build_int_compare(IntPredicate::SLT, v, zero, "")?;
        let bits = self
            .builder
            .build_bit_cast(negative, self.int_type(s.lanes()), "")?
            .into_int_value();
        let r = self.builder.build_int_z_extend(bits, self.types.i32, "")?;
        self.push(r);
        Ok(())
    }

    /// Narrow the lanes of two vectors of shape `from` into one of half-width lanes, saturating.
    fn narrow(&mut self, from: Shape, signed: bool) -> Result<()> {
        let b = self.pop_vec(from)?;
        let a = self.pop_vec(from)?;
        let n = from.lanes() as u64;
        let both = self.shuffle(a, b, &(0..2 * n).collect::<Vec<_>>())?;
        let wide = self.lane_int_type(from);
        let narrow_bits = from.lane_bits() / 2;
        let (lo, hi) = if signed {
            (
                -(1i64 << (narrow_bits - 1)) as u64,
                ((1i64 << (narrow_bits - 1)) - 1) as u64,
            )
        } else {
            (0, (1u64 << narrow_bits) - 1)
        };
        let lo_v = self.splat(wide.const_int(lo, true).into(), 2 * n as u32)?;
        let hi_v = self.splat(wide.const_int(hi, false).into(), 2 * n as u32)?;
        // The input is signed in both cases: clamp as signed.
        let clamped = self.vec_intrinsic("llvm.smax", &[both, lo_v])?;
        let clamped = self.vec_intrinsic("llvm.smin", &[clamped, hi_v])?;
        let to = self.int_type(narrow_bits).vec_type(2 * n as u32);
        let r = self.builder.build_int_truncate(clamped, to, "")?;
        self.push_vec(r)
    }

    fn extmul(&mut self, s: Shape, high: bool, signed: bool) -> Result<()> {
        let b = self.pop_vec(s)?;
        let a = self.pop_vec(s)?;
        let a = self.extend_half(a, s, high, signed)?;
        let b = self.extend_half(b, s, high, signed)?;
        let r = self.builder.build_int_mul(a, b, "")?;
        self.push_vec(r)
    }

    fn extadd_pairwise(&mut self, s: Shape, signed: bool) -> Result<()> {
        let v = self.pop_vec(s)?;
        let wide = self.extend_all(v, s, signed)?;
        let n = s.lanes() as u64;
        let even = self.shuffle(wide, wide, &(0..n / 2).map(|i| 2 * i).collect::<Vec<_>>())?;
        let odd = self.shuffle(
            wide,
            wide,
            &(0..n / 2).map(|i| 2 * i + 1).collect::<Vec<_>>(),
        )?;
        let r = self.builder.build_int_add(even, odd, "")?;
        self.push_vec(r)
    }

    fn float_unary(&mut self, s: Shape, intrinsic: &str) -> Result<()> {
        let v = self.pop_vec(s)?;
        let r = self.vec_intrinsic(intrinsic, &[v])?;
        self.push_vec(r)
    }

    fn float_binary(&mut self, s: Shape, op: u8) -> Result<()> {
        let b = self.pop_vec(s)?;
        let a = self.pop_vec(s)?;
        let r = match op {
            0 => self.builder.build_float_add(a, b, "")?,
            1 => self.builder.build_float_sub(a, b, "")?,
            2 => self.builder.build_float_mul(a, b, "")?,
            _ => self.builder.build_float_div(a, b, "")?,
        };
        self.push_vec(r)
    }

    /// Lane-wise wasm `min`/`max` (see the scalar version in `numeric`).
    fn float_min_max_vec(&mut self, s: Shape, min: bool) -> Result<()> {
        let b = self.pop_vec(s)?;
        let a = self.pop_vec(s)?;
        let bd = &self.builder;
        let ity = self.int_vec_of(s);
        let any_nan = bd.build_float_compare(FloatPredicate::UNO, a, b, "")?;
        let nan = bd.build_float_add(a, b, "")?;
        let equal = bd.build_float_compare(FloatPredicate::OEQ, a, b, "")?;
        let (ai, bi) = (
            bd.build_bit_cast(a, ity, "")?.into_vector_value(),
            bd.build_bit_cast(b, ity, "")?.into_vector_value(),
        );
        let merged = if min {
            bd.build_or(ai, bi, "")?
        } else {
            bd.build_and(ai, bi, "")?
        };
        let merged = bd
            .build_bit_cast(merged, a.get_type(), "")?
            .into_vector_value();
        let pick_a = bd.build_float_compare(
            if min {
                FloatPredicate::OLT
            } else {
                FloatPredicate::OGT
            },
            a,
            b,
            "",
        )?;
        let ordered = bd.build_select(pick_a, a, b, "")?.into_vector_value();
        let ordered = bd
            .build_select(equal, merged, ordered, "")?
            .into_vector_value();
        let r = bd
            .build_select(any_nan, nan, ordered, "")?
            .into_vector_value();
        self.push_vec(r)
    }

    /// `pmin`/`pmax`: `b < a ? b : a` and `a < b ? b : a`, exactly as written (no NaN rules).
    fn float_pmin_pmax(&mut self, s: Shape, min: bool) -> Result<()> {
        let b = self.pop_vec(s)?;
        let a = self.pop_vec(s)?;
        let take_b = if min {
            self.builder
                .build_float_compare(FloatPredicate::OLT, b, a, "")?
        } else {
            self.builder
                .build_float_compare(FloatPredicate::OLT, a, b, "")?
        };
        let r = self
            .builder
            .build_select(take_b, b, a, "")?
            .into_vector_value();
        self.push_vec(r)
    }

    fn extract_lane(&mut self, s: Shape, lane: u8, signed: bool) -> Result<()> {
        let v = self.pop_vec(s)?;
        let x = self
            .builder
            .build_extract_element(v, self.i32_const(lane as u32), "")?;
        let x: BasicValueEnum<'ctx> = match s {
            Shape::I8x16 | Shape::I16x8 => {
                let x = x.into_int_value();
                if signed {
                    self.builder
                        .build_int_s_extend(x, self.types.i32, "")?
                        .into()
                } else {
                    self.builder
                        .build_int_z_extend(x, self.types.i32, "")?
                        .into()
                }
            }
            _ => x,
        };
        self.push(x);
        Ok(())
    }

    fn replace_lane(&mut self, s: Shape, lane: u8) -> Result<()> {
        let x = self.pop();
        let v = self.pop_vec(s)?;
        let x: BasicValueEnum<'ctx> = match s {
            Shape::I8x16 | Shape::I16x8 => self
                .builder
                .build_int_truncate(x.into_int_value(), self.lane_int_type(s), "")?
                .into(),
            _ => x,
        };
        let r = self
            .builder
            .build_insert_element(v, x, self.i32_const(lane as u32), "")?;
        self.push_vec(r)
    }

    fn splat_op(&mut self, s: Shape) -> Result<()> {
        let x = self.pop();
        let x: BasicValueEnum<'ctx> = match s {
            Shape::I8x16 | Shape::I16x8 => self
                .builder
                .build_int_truncate(x.into_int_value(), self.lane_int_type(s), "")?
                .into(),
            _ => x,
        };
        let r = self.splat(x, s.lanes())?;
        self.push_vec(r)
    }

    fn load_bytes(
        &mut self,
        memarg: MemArg,
        ty: BasicTypeEnum<'ctx>,
        size: u64,
    ) -> Result<BasicValueEnum<'ctx>> {
        self.load_memory(memarg, ty, size)
    }

    fn load_lanes_extend(&mut self, memarg: MemArg, s: Shape, signed: bool) -> Result<()> {
        let half = self.lane_int_type(s).vec_type(s.lanes() / 2);
        let v = self.load_bytes(memarg, half.into(), 8)?.into_vector_value();
        let to = self.int_vec_of(s.wider());
        let r = if signed {
            self.builder.build_int_s_extend(v, to, "")?
        } else {
            self.builder.build_int_z_extend(v, to, "")?
        };
        self.push_vec(r)
    }

    fn load_splat(&mut self, memarg: MemArg, s: Shape) -> Result<()> {
        let ty = self.lane_int_type(s);
        let x = self.load_bytes(memarg, ty.into(), s.lane_bits() as u64 / 8)?;
        let r = self.splat(x, s.lanes())?;
        self.push_vec(r)
    }

    fn load_zero(&mut self, memarg: MemArg, s: Shape) -> Result<()> {
        let ty = self.lane_int_type(s);
        let x = self.load_bytes(memarg, ty.into(), s.lane_bits() as u64 / 8)?;
        let r = self.builder.build_insert_element(
            self.int_vec_of(s).const_zero(),
            x,
            self.i32_const(0),
            "",
        )?;
        self.push_vec(r)
    }

    fn load_lane(&mut self, memarg: MemArg, s: Shape, lane: u8) -> Result<()> {
        let v = self.pop_vec(s)?;
        let ty = self.lane_int_type(s);
        let x = self.load_bytes(memarg, ty.into(), s.lane_bits() as u64 / 8)?;
        let r = self
            .builder
            .build_insert_element(v, x, self.i32_const(lane as u32), "")?;
        self.push_vec(r)
    }

    fn store_lane(&mut self, memarg: MemArg, s: Shape, lane: u8) -> Result<()> {
        let v = self.pop_vec(s)?;
        let x = self
            .builder
            .build_extract_element(v, self.i32_const(lane as u32), "")?;
        self.store_memory(memarg, x, s.lane_bits() as u64 / 8)
    }

    /// `i8x16.swizzle`: lane i of the result is `a[s[i]]`, or 0 when `s[i] >= 16`.
    fn swizzle(&mut self) -> Result<()> {
        let s = self.pop_vec(Shape::I8x16)?;
        let a = self.pop_vec(Shape::I8x16)?;
        let r = if crate::host_has_feature("+ssse3") {
            // `pshufb` zeroes lanes whose index has the top bit set and otherwise uses the low
            // four bits; adding 0x70 with unsigned saturation maps 0..15 to 0x70..0x7f and
            // everything from 16 up to 0x80 or more.
            let bias = self.splat(self.types.i8.const_int(0x70, false).into(), 16)?;
            let index = self.vec_intrinsic("llvm.uadd.sat", &[s, bias])?;
            self.intrinsic("llvm.x86.ssse3.pshuf.b.128", &[], &[a.into(), index.into()])?
                .into_vector_value()
        } else {
            // Without a byte shuffle instruction: pick each lane by its index.
            let sixteen = self.splat(self.types.i8.const_int(16, false).into(), 16)?;
            let in_range = self
                .builder
                .build_int_compare(IntPredicate::ULT, s, sixteen, "")?;
            let mut r = self.vec_type(Shape::I8x16).const_zero();
            for lane in 0..16u32 {
                let i = self.i32_const(lane);
                let idx = self
                    .builder
                    .build_extract_element(s, i, "")?
                    .into_int_value();
                let idx = self
                    .builder
                    .build_and(idx, self.types.i8.const_int(15, false), "")?;
                let byte = self.builder.build_extract_element(a, idx, "")?;
                r = self.builder.build_insert_element(r, byte, i, "")?;
            }
            let zero = self.vec_type(Shape::I8x16).const_zero();
            self.builder
                .build_select(in_range, r, zero, "")?
                .into_vector_value()
        };
        self.push_vec(r)
    }

    fn q15mulr_sat(&mut self) -> Result<()> {
        let b = self.pop_vec(Shape::I16x8)?;
        let a = self.pop_vec(Shape::I16x8)?;
        let a = self.extend_all(a, Shape::I16x8, true)?;
        let b = self.extend_all(b, Shape::I16x8, true)?;
        let product = self.builder.build_int_mul(a, b, "")?;
        let round = self.splat(self.types.i32.const_int(0x4000, false).into(), 8)?;
        let sum = self.builder.build_int_add(product, round, "")?;
        let fifteen = self.splat(self.types.i32.const_int(15, false).into(), 8)?;
        let shifted = self.builder.build_right_shift(sum, fifteen, true, "")?;
        let max = self.splat(self.types.i32.const_int(0x7fff, false).into(), 8)?;
        let clamped = self.vec_intrinsic("llvm.smin", &[shifted, max])?;
        let r = self
            .builder
            .build_int_truncate(clamped, self.int_vec_of(Shape::I16x8), "")?;
        self.push_vec(r)
    }

    fn dot_i16x8(&mut self) -> Result<()> {
        let b = self.pop_vec(Shape::I16x8)?;
        let a = self.pop_vec(Shape::I16x8)?;
        let a = self.extend_all(a, Shape::I16x8, true)?;
        let b = self.extend_all(b, Shape::I16x8, true)?;
        let p = self.builder.build_int_mul(a, b, "")?;
        let even = self.shuffle(p, p, &[0, 2, 4, 6])?;
        let odd = self.shuffle(p, p, &[1, 3, 5, 7])?;
        let r = self.builder.build_int_add(even, odd, "")?;
        self.push_vec(r)
    }

    fn avgr_u(&mut self, s: Shape) -> Result<()> {
        let b = self.pop_vec(s)?;
        let a = self.pop_vec(s)?;
        let a = self.extend_all(a, s, false)?;
        let b = self.extend_all(b, s, false)?;
        let wide_lane = self.int_type(s.lane_bits() * 2);
        let one = self.splat(wide_lane.const_int(1, false).into(), s.lanes())?;
        let sum = self.builder.build_int_add(a, b, "")?;
        let sum = self.builder.build_int_add(sum, one, "")?;
        let half = self.builder.build_right_shift(sum, one, false, "")?;
        let r = self
            .builder
            .build_int_truncate(half, self.int_vec_of(s), "")?;
        self.push_vec(r)
    }

    fn lanes_trunc_sat(&mut self, from: Shape, signed: bool) -> Result<()> {
        let v = self.pop_vec(from)?;
        let name = if signed {
            "llvm.fptosi.sat"
        } else {
            "llvm.fptoui.sat"
        };
        let to = self.types.i32.vec_type(from.lanes());
        let r = self
            .intrinsic(name, &[to.into(), v.get_type().into()], &[v.into()])?
            .into_vector_value();
        let r = if from == Shape::F64x2 {
            self.shuffle(r, to.const_zero(), &[0, 1, 2, 3])?
        } else {
            r
        };
        self.push_vec(r)
    }

    fn lanes_convert(&mut self, to: Shape, signed: bool, low_half: bool) -> Result<()> {
        let v = self.pop_vec(Shape::I32x4)?;
        let v = if low_half {
            self.shuffle(v, v, &[0, 1])?
        } else {
            v
        };
        let to_ty = self.vec_type(to);
        let r = if signed {
            self.builder.build_signed_int_to_float(v, to_ty, "")?
        } else {
            self.builder.build_unsigned_int_to_float(v, to_ty, "")?
        };
        self.push_vec(r)
    }

    /// Relaxed `madd` (`a * b + c`) or `nmadd` (`c - a * b`), rounded twice (see
    /// `lazuli_backend_api::relaxed`).
    fn relaxed_madd(&mut self, s: Shape, negate: bool) -> Result<()> {
        let c = self.pop_vec(s)?;
        let b = self.pop_vec(s)?;
        let a = self.pop_vec(s)?;
        let product = self.builder.build_float_mul(a, b, "")?;
        let r = if negate {
            self.builder.build_float_sub(c, product, "")?
        } else {
            self.builder.build_float_add(product, c, "")?
        };
        self.push_vec(r)
    }

    /// Relaxed dot products of signed bytes: adjacent pairs summed into 16-bit lanes
    /// (wrapping), or with `accumulate` groups of four summed into 32-bit lanes plus the
    /// popped accumulator.
    fn relaxed_dot(&mut self, accumulate: bool) -> Result<()> {
        let c = if accumulate {
            Some(self.pop_vec(Shape::I32x4)?)
        } else {
            None
        };
        let b = self.pop_vec(Shape::I8x16)?;
        let a = self.pop_vec(Shape::I8x16)?;
        let wide = self.int_type(if accumulate { 32 } else { 16 });
        let a = self.builder.build_int_s_extend(a, wide.vec_type(16), "")?;
        let b = self.builder.build_int_s_extend(b, wide.vec_type(16), "")?;
        let p = self.builder.build_int_mul(a, b, "")?;
        let r = match c {
            None => {
                let even = self.shuffle(p, p, &[0, 2, 4, 6, 8, 10, 12, 14])?;
                let odd = self.shuffle(p, p, &[1, 3, 5, 7, 9, 11, 13, 15])?;
                self.builder.build_int_add(even, odd, "")?
            }
            Some(c) => {
                let mut sum = c;
                for k in 0..4u64 {
                    let part = self.shuffle(p, p, &[k, 4 + k, 8 + k, 12 + k])?;
                    sum = self.builder.build_int_add(sum, part, "")?;
                }
                sum
            }
        };
        self.push_vec(r)
    }

    pub(super) fn simd_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        use IntPredicate as IP;
        use Operator as O;
        use Shape::*;
        if let Some(equivalent) = lazuli_backend_api::relaxed::deterministic_equivalent(op) {
            return self.simd_op(&equivalent);
        }
        let t = self.types;
        match *op {
            O::F32x4RelaxedMadd => self.relaxed_madd(F32x4, false)?,
            O::F32x4RelaxedNmadd => self.relaxed_madd(F32x4, true)?,
            O::F64x2RelaxedMadd => self.relaxed_madd(F64x2, false)?,
            O::F64x2RelaxedNmadd => self.relaxed_madd(F64x2, true)?,
            O::I16x8RelaxedDotI8x16I7x16S => self.relaxed_dot(false)?,
            O::I32x4RelaxedDotI8x16I7x16AddS => self.relaxed_dot(true)?,
            O::V128Const { value } => {
                let bits = u128::from_le_bytes(*value.bytes());
                let v = t
                    .i128
                    .const_int_arbitrary_precision(&[bits as u64, (bits >> 64) as u64]);
                self.push(v);
            }
            O::V128Load { memarg } => {
                let v = self.load_bytes(memarg, t.i128.into(), 16)?;
                self.push(v);
            }
            O::V128Store { memarg } => {
                let v = self.pop();
                self.store_memory(memarg, v, 16)?;
            }
            O::V128Load8x8S { memarg } => self.load_lanes_extend(memarg, I8x16, true)?,
            O::V128Load8x8U { memarg } => self.load_lanes_extend(memarg, I8x16, false)?,
            O::V128Load16x4S { memarg } => self.load_lanes_extend(memarg, I16x8, true)?,
            O::V128Load16x4U { memarg } => self.load_lanes_extend(memarg, I16x8, false)?,
            O::V128Load32x2S { memarg } => self.load_lanes_extend(memarg, I32x4, true)?,
            O::V128Load32x2U { memarg } => self.load_lanes_extend(memarg, I32x4, false)?,
            O::V128Load8Splat { memarg } => self.load_splat(memarg, I8x16)?,
            O::V128Load16Splat { memarg } => self.load_splat(memarg, I16x8)?,
            O::V128Load32Splat { memarg } => self.load_splat(memarg, I32x4)?,
            O::V128Load64Splat { memarg } => self.load_splat(memarg, I64x2)?,
            O::V128Load32Zero { memarg } => self.load_zero(memarg, I32x4)?,
            O::V128Load64Zero { memarg } => self.load_zero(memarg, I64x2)?,
            O::V128Load8Lane { memarg, lane } => self.load_lane(memarg, I8x16, lane)?,
            O::V128Load16Lane { memarg, lane } => self.load_lane(memarg, I16x8, lane)?,
            O::V128Load32Lane { memarg, lane } => self.load_lane(memarg, I32x4, lane)?,
            O::V128Load64Lane { memarg, lane } => self.load_lane(memarg, I64x2, lane)?,
            O::V128Store8Lane { memarg, lane } => self.store_lane(memarg, I8x16, lane)?,
            O::V128Store16Lane { memarg, lane } => self.store_lane(memarg, I16x8, lane)?,
            O::V128Store32Lane { memarg, lane } => self.store_lane(memarg, I32x4, lane)?,
            O::V128Store64Lane { memarg, lane } => self.store_lane(memarg, I64x2, lane)?,

            O::I8x16Shuffle { lanes } => {
                let b = self.pop_vec(I8x16)?;
                let a = self.pop_vec(I8x16)?;
                let indices: Vec<u64> = lanes.iter().map(|l| *l as u64).collect();
                let r = self.shuffle(a, b, &indices)?;
                self.push_vec(r)?;
            }
            O::I8x16Swizzle => self.swizzle()?,
            O::I8x16Splat => self.splat_op(I8x16)?,
            O::I16x8Splat => self.splat_op(I16x8)?,
            O::I32x4Splat => self.splat_op(I32x4)?,
            O::I64x2Splat => self.splat_op(I64x2)?,
            O::F32x4Splat => self.splat_op(F32x4)?,
            O::F64x2Splat => self.splat_op(F64x2)?,
            O::I8x16ExtractLaneS { lane } => self.extract_lane(I8x16, lane, true)?,
            O::I8x16ExtractLaneU { lane } => self.extract_lane(I8x16, lane, false)?,
            O::I16x8ExtractLaneS { lane } => self.extract_lane(I16x8, lane, true)?,
            O::I16x8ExtractLaneU { lane } => self.extract_lane(I16x8, lane, false)?,
            O::I32x4ExtractLane { lane } => self.extract_lane(I32x4, lane, false)?,
            O::I64x2ExtractLane { lane } => self.extract_lane(I64x2, lane, false)?,
            O::F32x4ExtractLane { lane } => self.extract_lane(F32x4, lane, false)?,
            O::F64x2ExtractLane { lane } => self.extract_lane(F64x2, lane, false)?,
            O::I8x16ReplaceLane { lane } => self.replace_lane(I8x16, lane)?,
            O::I16x8ReplaceLane { lane } => self.replace_lane(I16x8, lane)?,
            O::I32x4ReplaceLane { lane } => self.replace_lane(I32x4, lane)?,
            O::I64x2ReplaceLane { lane } => self.replace_lane(I64x2, lane)?,
            O::F32x4ReplaceLane { lane } => self.replace_lane(F32x4, lane)?,
            O::F64x2ReplaceLane { lane } => self.replace_lane(F64x2, lane)?,

            O::I8x16Eq => self.int_compare(I8x16, IP::EQ)?,
            O::I8x16Ne => self.int_compare(I8x16, IP::NE)?,
            O::I8x16LtS => self.int_compare(I8x16, IP::SLT)?,
            O::I8x16LtU => self.int_compare(I8x16, IP::ULT)?,
            O::I8x16GtS => self.int_compare(I8x16, IP::SGT)?,
            O::I8x16GtU => self.int_compare(I8x16, IP::UGT)?,
            O::I8x16LeS => self.int_compare(I8x16, IP::SLE)?,
            O::I8x16LeU => self.int_compare(I8x16, IP::ULE)?,
            O::I8x16GeS => self.int_compare(I8x16, IP::SGE)?,
            O::I8x16GeU => self.int_compare(I8x16, IP::UGE)?,
            O::I16x8Eq => self.int_compare(I16x8, IP::EQ)?,
            O::I16x8Ne => self.int_compare(I16x8, IP::NE)?,
            O::I16x8LtS => self.int_compare(I16x8, IP::SLT)?,
            O::I16x8LtU => self.int_compare(I16x8, IP::ULT)?,
            O::I16x8GtS => self.int_compare(I16x8, IP::SGT)?,
            O::I16x8GtU => self.int_compare(I16x8, IP::UGT)?,
            O::I16x8LeS => self.int_compare(I16x8, IP::SLE)?,
            O::I16x8LeU => self.int_compare(I16x8, IP::ULE)?,
            O::I16x8GeS => self.int_compare(I16x8, IP::SGE)?,
            O::I16x8GeU => self.int_compare(I16x8, IP::UGE)?,
            O::I32x4Eq => self.int_compare(I32x4, IP::EQ)?,
            O::I32x4Ne => self.int_compare(I32x4, IP::NE)?,
            O::I32x4LtS => self.int_compare(I32x4, IP::SLT)?,
            O::I32x4LtU => self.int_compare(I32x4, IP::ULT)?,
            O::I32x4GtS => self.int_compare(I32x4, IP::SGT)?,
            O::I32x4GtU => self.int_compare(I32x4, IP::UGT)?,
            O::I32x4LeS => self.int_compare(I32x4, IP::SLE)?,
            O::I32x4LeU => self.int_compare(I32x4, IP::ULE)?,
            O::I32x4GeS => self.int_compare(I32x4, IP::SGE)?,
            O::I32x4GeU => self.int_compare(I32x4, IP::UGE)?,
            O::I64x2Eq => self.int_compare(I64x2, IP::EQ)?,
            O::I64x2Ne => self.int_compare(I64x2, IP::NE)?,
            O::I64x2LtS => self.int_compare(I64x2, IP::SLT)?,
            O::I64x2GtS => self.int_compare(I64x2, IP::SGT)?,
            O::I64x2LeS => self.int_compare(I64x2, IP::SLE)?,
            O::I64x2GeS => self.int_compare(I64x2, IP::SGE)?,
            O::F32x4Eq => self.float_compare(F32x4, FloatPredicate::OEQ)?,
            O::F32x4Ne => self.float_compare(F32x4, FloatPredicate::UNE)?,
            O::F32x4Lt => self.float_compare(F32x4, FloatPredicate::OLT)?,
            O::F32x4Gt => self.float_compare(F32x4, FloatPredicate::OGT)?,
            O::F32x4Le => self.float_compare(F32x4, FloatPredicate::OLE)?,
            O::F32x4Ge => self.float_compare(F32x4, FloatPredicate::OGE)?,
            O::F64x2Eq => self.float_compare(F64x2, FloatPredicate::OEQ)?,
            O::F64x2Ne => self.float_compare(F64x2, FloatPredicate::UNE)?,
            O::F64x2Lt => self.float_compare(F64x2, FloatPredicate::OLT)?,
            O::F64x2Gt => self.float_compare(F64x2, FloatPredicate::OGT)?,
            O::F64x2Le => self.float_compare(F64x2, FloatPredicate::OLE)?,
            O::F64x2Ge => self.float_compare(F64x2, FloatPredicate::OGE)?,

            O::V128Not => {
                let v = self.pop_int();
                let r = self.builder.build_not(v, "")?;
                self.push(r);
            }
            O::V128And | O::V128Or | O::V128Xor | O::V128AndNot => {
                let b = self.pop_int();
                let a = self.pop_int();
                let r = match op {
                    O::V128And => self.builder.build_and(a, b, "")?,
                    O::V128Or => self.builder.build_or(a, b, "")?,
                    O::V128Xor => self.builder.build_xor(a, b, "")?,
                    _ => {
                        let nb = self.builder.build_not(b, "")?;
                        self.builder.build_and(a, nb, "")?
                    }
                };
                self.push(r);
            }
            O::V128Bitselect => {
                let c = self.pop_int();
                let b = self.pop_int();
                let a = self.pop_int();
                let from_a = self.builder.build_and(a, c, "")?;
                let nc = self.builder.build_not(c, "")?;
                let from_b = self.builder.build_and(b, nc, "")?;
                let r = self.builder.build_or(from_a, from_b, "")?;
                self.push(r);
            }
            O::V128AnyTrue => {
                let v = self.pop_int();
                let c = self
                    .builder
                    .build_int_compare(IP::NE, v, t.i128.const_zero(), "")?;
                self.push_bool(c)?;
            }

            O::I8x16Abs => self.int_abs(I8x16)?,
            O::I16x8Abs => self.int_abs(I16x8)?,
            O::I32x4Abs => self.int_abs(I32x4)?,
            O::I64x2Abs => self.int_abs(I64x2)?,
            O::I8x16Neg => self.int_neg(I8x16)?,
            O::I16x8Neg => self.int_neg(I16x8)?,
            O::I32x4Neg => self.int_neg(I32x4)?,
            O::I64x2Neg => self.int_neg(I64x2)?,
            O::I8x16Popcnt => {
                let v = self.pop_vec(I8x16)?;
                let r = self.vec_intrinsic("llvm.ctpop", &[v])?;
                self.push_vec(r)?;
            }
            O::I8x16AllTrue => self.all_true(I8x16)?,
            O::I16x8AllTrue => self.all_true(I16x8)?,
            O::I32x4AllTrue => self.all_true(I32x4)?,
            O::I64x2AllTrue => self.all_true(I64x2)?,
            O::I8x16Bitmask => self.bitmask(I8x16)?,
            O::I16x8Bitmask => self.bitmask(I16x8)?,
            O::I32x4Bitmask => self.bitmask(I32x4)?,
            O::I64x2Bitmask => self.bitmask(I64x2)?,
            O::I8x16NarrowI16x8S => self.narrow(I16x8, true)?,
            O::I8x16NarrowI16x8U => self.narrow(I16x8, false)?,
            O::I16x8NarrowI32x4S => self.narrow(I32x4, true)?,
            O::I16x8NarrowI32x4U => self.narrow(I32x4, false)?,
            O::I16x8ExtendLowI8x16S => self.extend_op(I8x16, false, true)?,
            O::I16x8ExtendHighI8x16S => self.extend_op(I8x16, true, true)?,
            O::I16x8ExtendLowI8x16U => self.extend_op(I8x16, false, false)?,
            O::I16x8ExtendHighI8x16U => self.extend_op(I8x16, true, false)?,
            O::I32x4ExtendLowI16x8S => self.extend_op(I16x8, false, true)?,
            O::I32x4ExtendHighI16x8S => self.extend_op(I16x8, true, true)?,
            O::I32x4ExtendLowI16x8U => self.extend_op(I16x8, false, false)?,
            O::I32x4ExtendHighI16x8U => self.extend_op(I16x8, true, false)?,
            O::I64x2ExtendLowI32x4S => self.extend_op(I32x4, false, true)?,
            O::I64x2ExtendHighI32x4S => self.extend_op(I32x4, true, true)?,
            O::I64x2ExtendLowI32x4U => self.extend_op(I32x4, false, false)?,
            O::I64x2ExtendHighI32x4U => self.extend_op(I32x4, true, false)?,
            O::I8x16Shl => self.shift(I8x16, 0)?,
            O::I8x16ShrS => self.shift(I8x16, 1)?,
            O::I8x16ShrU => self.shift(I8x16, 2)?,
            O::I16x8Shl => self.shift(I16x8, 0)?,
            O::I16x8ShrS => self.shift(I16x8, 1)?,
            O::I16x8ShrU => self.shift(I16x8, 2)?,
            O::I32x4Shl => self.shift(I32x4, 0)?,
            O::I32x4ShrS => self.shift(I32x4, 1)?,
            O::I32x4ShrU => self.shift(I32x4, 2)?,
            O::I64x2Shl => self.shift(I64x2, 0)?,
            O::I64x2ShrS => self.shift(I64x2, 1)?,
            O::I64x2ShrU => self.shift(I64x2, 2)?,
            O::I8x16Add => self.int_binary(I8x16, IntBinOp::Add)?,
            O::I16x8Add => self.int_binary(I16x8, IntBinOp::Add)?,
            O::I32x4Add => self.int_binary(I32x4, IntBinOp::Add)?,
            O::I64x2Add => self.int_binary(I64x2, IntBinOp::Add)?,
            O::I8x16Sub => self.int_binary(I8x16, IntBinOp::Sub)?,
            O::I16x8Sub => self.int_binary(I16x8, IntBinOp::Sub)?,
            O::I32x4Sub => self.int_binary(I32x4, IntBinOp::Sub)?,
            O::I64x2Sub => self.int_binary(I64x2, IntBinOp::Sub)?,
            O::I16x8Mul => self.int_binary(I16x8, IntBinOp::Mul)?,
            O::I32x4Mul => self.int_binary(I32x4, IntBinOp::Mul)?,
            O::I64x2Mul => self.int_binary(I64x2, IntBinOp::Mul)?,
            O::I8x16AddSatS => self.int_binary(I8x16, IntBinOp::Intrinsic("llvm.sadd.sat"))?,
            O::I8x16AddSatU => self.int_binary(I8x16, IntBinOp::Intrinsic("llvm.uadd.sat"))?,
            O::I8x16SubSatS => self.int_binary(I8x16, IntBinOp::Intrinsic("llvm.ssub.sat"))?,
            O::I8x16SubSatU => self.int_binary(I8x16, IntBinOp::Intrinsic("llvm.usub.sat"))?,
            O::I16x8AddSatS => self.int_binary(I16x8, IntBinOp::Intrinsic("llvm.sadd.sat"))?,
            O::I16x8AddSatU => self.int_binary(I16x8, IntBinOp::Intrinsic("llvm.uadd.sat"))?,
            O::I16x8SubSatS => self.int_binary(I16x8, IntBinOp::Intrinsic("llvm.ssub.sat"))?,
            O::I16x8SubSatU => self.int_binary(I16x8, IntBinOp::Intrinsic("llvm.usub.sat"))?,
            O::I8x16MinS => self.int_binary(I8x16, IntBinOp::Intrinsic("llvm.smin"))?,
            O::I8x16MinU => self.int_binary(I8x16, IntBinOp::Intrinsic("llvm.umin"))?,
            O::I8x16MaxS => self.int_binary(I8x16, IntBinOp::Intrinsic("llvm.smax"))?,
            O::I8x16MaxU => self.int_binary(I8x16, IntBinOp::Intrinsic("llvm.umax"))?,
            O::I16x8MinS => self.int_binary(I16x8, IntBinOp::Intrinsic("llvm.smin"))?,
            O::I16x8MinU => self.int_binary(I16x8, IntBinOp::Intrinsic("llvm.umin"))?,
            O::I16x8MaxS => self.int_binary(I16x8, IntBinOp::Intrinsic("llvm.smax"))?,
            O::I16x8MaxU => self.int_binary(I16x8, IntBinOp::Intrinsic("llvm.umax"))?,
            O::I32x4MinS => self.int_binary(I32x4, IntBinOp::Intrinsic("llvm.smin"))?,
            O::I32x4MinU => self.int_binary(I32x4, IntBinOp::Intrinsic("llvm.umin"))?,
            O::I32x4MaxS => self.int_binary(I32x4, IntBinOp::Intrinsic("llvm.smax"))?,
            O::I32x4MaxU => self.int_binary(I32x4, IntBinOp::Intrinsic("llvm.umax"))?,
            O::I8x16AvgrU => self.avgr_u(I8x16)?,
            O::I16x8AvgrU => self.avgr_u(I16x8)?,
            O::I16x8Q15MulrSatS => self.q15mulr_sat()?,
            O::I32x4DotI16x8S => self.dot_i16x8()?,
            O::I16x8ExtAddPairwiseI8x16S => self.extadd_pairwise(I8x16, true)?,
            O::I16x8ExtAddPairwiseI8x16U => self.extadd_pairwise(I8x16, false)?,
            O::I32x4ExtAddPairwiseI16x8S => self.extadd_pairwise(I16x8, true)?,
            O::I32x4ExtAddPairwiseI16x8U => self.extadd_pairwise(I16x8, false)?,
            O::I16x8ExtMulLowI8x16S => self.extmul(I8x16, false, true)?,
            O::I16x8ExtMulHighI8x16S => self.extmul(I8x16, true, true)?,
            O::I16x8ExtMulLowI8x16U => self.extmul(I8x16, false, false)?,
            O::I16x8ExtMulHighI8x16U => self.extmul(I8x16, true, false)?,
            O::I32x4ExtMulLowI16x8S => self.extmul(I16x8, false, true)?,
            O::I32x4ExtMulHighI16x8S => self.extmul(I16x8, true, true)?,
            O::I32x4ExtMulLowI16x8U => self.extmul(I16x8, false, false)?,
            O::I32x4ExtMulHighI16x8U => self.extmul(I16x8, true, false)?,
            O::I64x2ExtMulLowI32x4S => self.extmul(I32x4, false, true)?,
            O::I64x2ExtMulHighI32x4S => self.extmul(I32x4, true, true)?,
            O::I64x2ExtMulLowI32x4U => self.extmul(I32x4, false, false)?,
            O::I64x2ExtMulHighI32x4U => self.extmul(I32x4, true, false)?,

            O::F32x4Ceil => self.float_unary(F32x4, "llvm.ceil")?,
            O::F32x4Floor => self.float_unary(F32x4, "llvm.floor")?,
            O::F32x4Trunc => self.float_unary(F32x4, "llvm.trunc")?,
            O::F32x4Nearest => self.float_unary(F32x4, "llvm.roundeven")?,
            O::F32x4Abs => self.float_unary(F32x4, "llvm.fabs")?,
            O::F32x4Sqrt => self.float_unary(F32x4, "llvm.sqrt")?,
            O::F64x2Ceil => self.float_unary(F64x2, "llvm.ceil")?,
            O::F64x2Floor => self.float_unary(F64x2, "llvm.floor")?,
            O::F64x2Trunc => self.float_unary(F64x2, "llvm.trunc")?,
            O::F64x2Nearest => self.float_unary(F64x2, "llvm.roundeven")?,
            O::F64x2Abs => self.float_unary(F64x2, "llvm.fabs")?,
            O::F64x2Sqrt => self.float_unary(F64x2, "llvm.sqrt")?,
            O::F32x4Neg | O::F64x2Neg => {
                let s = if matches!(op, O::F32x4Neg) {
                    F32x4
                } else {
                    F64x2
                };
                let v = self.pop_vec(s)?;
                let r = self.builder.build_float_neg(v, "")?;
                self.push_vec(r)?;
            }
            O::F32x4Add => self.float_binary(F32x4, 0)?,
            O::F32x4Sub => self.float_binary(F32x4, 1)?,
            O::F32x4Mul => self.float_binary(F32x4, 2)?,
            O::F32x4Div => self.float_binary(F32x4, 3)?,
            O::F64x2Add => self.float_binary(F64x2, 0)?,
            O::F64x2Sub => self.float_binary(F64x2, 1)?,
            O::F64x2Mul => self.float_binary(F64x2, 2)?,
            O::F64x2Div => self.float_binary(F64x2, 3)?,
            O::F32x4Min => self.float_min_max_vec(F32x4, true)?,
            O::F32x4Max => self.float_min_max_vec(F32x4, false)?,
            O::F64x2Min => self.float_min_max_vec(F64x2, true)?,
            O::F64x2Max => self.float_min_max_vec(F64x2, false)?,
            O::F32x4PMin => self.float_pmin_pmax(F32x4, true)?,
            O::F32x4PMax => self.float_pmin_pmax(F32x4, false)?,
            O::F64x2PMin => self.float_pmin_pmax(F64x2, true)?,
            O::F64x2PMax => self.float_pmin_pmax(F64x2, false)?,

            O::I32x4TruncSatF32x4S => self.lanes_trunc_sat(F32x4, true)?,
            O::I32x4TruncSatF32x4U => self.lanes_trunc_sat(F32x4, false)?,
            O::I32x4TruncSatF64x2SZero => self.lanes_trunc_sat(F64x2, true)?,
            O::I32x4TruncSatF64x2UZero => self.lanes_trunc_sat(F64x2, false)?,
            O::F32x4ConvertI32x4S => self.lanes_convert(F32x4, true, false)?,
            O::F32x4ConvertI32x4U => self.lanes_convert(F32x4, false, false)?,
            O::F64x2ConvertLowI32x4S => self.lanes_convert(F64x2, true, true)?,
            O::F64x2ConvertLowI32x4U => self.lanes_convert(F64x2, false, true)?,
            O::F32x4DemoteF64x2Zero => {
                let v = self.pop_vec(F64x2)?;
                let narrow = self.builder.build_float_trunc(v, t.f32.vec_type(2), "")?;
                let r = self.shuffle(narrow, t.f32.vec_type(2).const_zero(), &[0, 1, 2, 3])?;
                self.push_vec(r)?;
            }
            O::F64x2PromoteLowF32x4 => {
                let v = self.pop_vec(F32x4)?;
                let low = self.shuffle(v, v, &[0, 1])?;
                let r = self.builder.build_float_ext(low, t.f64.vec_type(2), "")?;
                self.push_vec(r)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn int_abs(&mut self, s: Shape) -> Result<()> {
        let v = self.pop_vec(s)?;
        let poison_flag = self.types.ctx.bool_type().const_zero();
        let r = self
            .intrinsic(
                "llvm.abs",
                &[v.get_type().into()],
                &[v.into(), poison_flag.into()],
            )?
            .into_vector_value();
        self.push_vec(r)
    }

    fn int_neg(&mut self, s: Shape) -> Result<()> {
        let v = self.pop_vec(s)?;
        let r = self
            .builder
            .build_int_sub(self.int_vec_of(s).const_zero(), v, "")?;
        self.push_vec(r)
    }

    fn extend_op(&mut self, from: Shape, high: bool, signed: bool) -> Result<()> {
        let v = self.pop_vec(from)?;
        let r = self.extend_half(v, from, high, signed)?;
        self.push_vec(r)
    }
}

//! Relaxed SIMD, made deterministic: the one behaviour Lazuli gives each relaxed operator, the
//! same in every backend and tier. Where that behaviour is another operator's,
//! [`deterministic_equivalent`] names it; the rest, which no other operator computes, each
//! backend lowers as documented here:
//!
//! | operator | Lazuli computes |
//! |---|---|
//! | `i8x16.relaxed_swizzle` | `i8x16.swizzle` (lanes with an index of 16 or more are 0) |
//! | `i32x4.relaxed_trunc_*` | the saturating `i32x4.trunc_sat_*` (NaN to 0) |
//! | `f32x4/f64x2.relaxed_madd` | `a * b + c`, rounded twice (not fused) |
//! | `f32x4/f64x2.relaxed_nmadd` | `c - a * b`, rounded twice |
//! | `*.relaxed_laneselect` | `v128.bitselect` (bit by bit, whatever the mask) |
//! | `f32x4/f64x2.relaxed_min/max` | `min`/`max` (NaN-propagating, `-0 < +0`) |
//! | `i16x8.relaxed_q15mulr_s` | `i16x8.q15mulr_sat_s` |
//! | `i16x8.relaxed_dot_i8x16_i7x16_s` | signed × signed bytes, each adjacent pair summed, wrapped to 16 bits |
//! | `i32x4.relaxed_dot_i8x16_i7x16_add_s` | signed × signed bytes, four adjacent products summed in 32 bits, plus the accumulator (wrapping) |

use wasmparser::Operator;

/// The operator whose behaviour Lazuli gives the relaxed SIMD operator `op`, if there is one.
pub fn deterministic_equivalent(op: &Operator<'_>) -> Option<Operator<'static>> {
    use Operator as O;
    Some(match op {
        O::I8x16RelaxedSwizzle => O::I8x16Swizzle,
        O::I32x4RelaxedTruncF32x4S => O::I32x4TruncSatF32x4S,
        O::I32x4RelaxedTruncF32x4U => O::I32x4TruncSatF32x4U,
        O::I32x4RelaxedTruncF64x2SZero => O::I32x4TruncSatF64x2SZero,
        O::I32x4RelaxedTruncF64x2UZero => O::I32x4TruncSatF64x2UZero,
        O::I8x16RelaxedLaneselect
        | O::I16x8RelaxedLaneselect
        | O::I32x4RelaxedLaneselect
        | O::I64x2RelaxedLaneselect => O::V128Bitselect,
        O::F32x4RelaxedMin => O::F32x4Min,
        O::F32x4RelaxedMax => O::F32x4Max,
        O::F64x2RelaxedMin => O::F64x2Min,
        O::F64x2RelaxedMax => O::F64x2Max,
        O::I16x8RelaxedQ15mulrS => O::I16x8Q15MulrSatS,
        _ => return None,
    })
}

//! SIMD operators lowered inline with SSE4.1, the floor (SSE4.2's pcmpgtq only where the host
//! has it): integer and float comparisons, integer and float min/max, saturating, averaging
//! and multiplying arithmetic, narrowing and extending, shifts, population count, lanes (splat,
//! extract, replace, shuffle, swizzle), bit selection, masks and lane tests, float sign, square
//! root, rounding, pseudo-min/max and the conversions with one instruction or a short fix-up.
//! What is left calls its helper (`simd.rs`).

use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynasmApi, VecAssembler};
use lazuli_backend_api::ValType;
use wasmparser::Operator;

use super::{FuncLowering, Result};
use crate::regs::{RegClass, SCRATCH, XSCRATCH};

/// The assembler the emitting closures write to.
type Asm = VecAssembler<X64Relocation>;

/// Scratch vector register of a sequence (never holds a value across operators).
const T: u8 = XSCRATCH;

/// `pshufd` orders: the low 64 bits twice, and the high 64 bits twice (moved down).
const LOW_HALF: i8 = 0x44;
const HIGH_HALF: i8 = 0xEEu8 as i8;

/// The ten comparisons of one integer lane width, from its equality, signed greater-than and
/// unsigned max and min instructions.
macro_rules! int_compares {
    ($self:ident, $op:expr, $eq:ident, $gt:ident, $max:ident, $min:ident,
     $Eq:ident, $Ne:ident, $LtS:ident, $LtU:ident, $GtS:ident, $GtU:ident,
     $LeS:ident, $LeU:ident, $GeS:ident, $GeU:ident) => {
        match $op {
            O::$Eq => $self.vector_binary(|asm, a, b| dynasm!(asm ; .arch x64 ; $eq Rx(a), Rx(b))),
            O::$Ne => $self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; $eq Rx(a), Rx(b) ; pcmpeqd Rx(T), Rx(T) ; pxor Rx(a), Rx(T))),
            O::$GtS => $self.vector_binary(|asm, a, b| dynasm!(asm ; .arch x64 ; $gt Rx(a), Rx(b))),
            O::$LtS => $self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; movdqa Rx(T), Rx(b) ; $gt Rx(T), Rx(a) ; movdqa Rx(a), Rx(T))),
            O::$LeS => $self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; $gt Rx(a), Rx(b) ; pcmpeqd Rx(T), Rx(T) ; pxor Rx(a), Rx(T))),
            O::$GeS => $self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; movdqa Rx(T), Rx(b) ; $gt Rx(T), Rx(a)
                ; pcmpeqd Rx(a), Rx(a) ; pxor Rx(a), Rx(T))),
            O::$GeU => $self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; movdqa Rx(T), Rx(a) ; $max Rx(T), Rx(b) ; $eq Rx(a), Rx(T))),
            O::$LeU => $self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; movdqa Rx(T), Rx(a) ; $min Rx(T), Rx(b) ; $eq Rx(a), Rx(T))),
            O::$GtU => $self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; movdqa Rx(T), Rx(a) ; $min Rx(T), Rx(b) ; $eq Rx(a), Rx(T)
                ; pcmpeqd Rx(T), Rx(T) ; pxor Rx(a), Rx(T))),
            O::$LtU => $self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; movdqa Rx(T), Rx(a) ; $max Rx(T), Rx(b) ; $eq Rx(a), Rx(T)
                ; pcmpeqd Rx(T), Rx(T) ; pxor Rx(a), Rx(T))),
            _ => return Ok(false),
        }
    };
}

/// The six comparisons of one float lane width, from its `cmpps`/`cmppd` instruction.
macro_rules! float_compares {
    ($self:ident, $op:expr, $cmp:ident, $mov:ident,
     $Eq:ident, $Ne:ident, $Lt:ident, $Gt:ident, $Le:ident, $Ge:ident) => {
        match $op {
            // Predicates: 0 equal, 1 less, 2 less or equal, 4 not equal (true for NaN).
            O::$Eq => $self.vector_binary(|asm, a, b| dynasm!(asm ; .arch x64 ; $cmp Rx(a), Rx(b), 0)),
            O::$Ne => $self.vector_binary(|asm, a, b| dynasm!(asm ; .arch x64 ; $cmp Rx(a), Rx(b), 4)),
            O::$Lt => $self.vector_binary(|asm, a, b| dynasm!(asm ; .arch x64 ; $cmp Rx(a), Rx(b), 1)),
            O::$Le => $self.vector_binary(|asm, a, b| dynasm!(asm ; .arch x64 ; $cmp Rx(a), Rx(b), 2)),
            O::$Gt => $self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; $mov Rx(T), Rx(b) ; $cmp Rx(T), Rx(a), 1 ; $mov Rx(a), Rx(T))),
            O::$Ge => $self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; $mov Rx(T), Rx(b) ; $cmp Rx(T), Rx(a), 2 ; $mov Rx(a), Rx(T))),
            _ => return Ok(false),
        }
    };
}

/// WebAssembly's float min or max: `$op` both ways round, combined with `$combine` (OR for
/// min: -0 below +0; AND for max: +0 above -0), and NaN where either operand is NaN, made
/// canonical by clearing the payload below the quiet bit (`$shift` by `$payload` bits).
macro_rules! float_min_max {
    ($self:ident, $mov:ident, $cmp:ident, $op:ident, $combine:ident, $andn:ident, $shift:ident,
     $payload:expr) => {
        $self.vector_binary_temp(|asm, a, b, t2| dynasm!(asm
            ; .arch x64
            // Either NaN (unordered, predicate 3): t2 all ones.
            ; $mov Rx(t2), Rx(a) ; $cmp Rx(t2), Rx(b), 3
            ; $mov Rx(T), Rx(a) ; $op Rx(T), Rx(b) ; $op Rx(b), Rx(a) ; $combine Rx(b), Rx(T)
            ; orps Rx(b), Rx(t2) ; $shift Rx(t2), $payload ; $andn Rx(t2), Rx(b)
            ; $mov Rx(a), Rx(t2)))
    };
}

/// `a op= b` with one SSE instruction.
macro_rules! one {
    ($self:ident, $ins:ident) => {
        $self.vector_binary(|asm, a, b| dynasm!(asm ; .arch x64 ; $ins Rx(a), Rx(b)))
    };
}

/// `a = op(a)` with one SSE instruction reading its source operand.
macro_rules! unary {
    ($self:ident, $ins:ident) => {
        $self.vector_unary(|asm, a| dynasm!(asm ; .arch x64 ; $ins Rx(a), Rx(a)))
    };
}

/// Extend the high half of `a` (moved down into T first) with `$ins`.
macro_rules! extend_high {
    ($self:ident, $ins:ident) => {
        $self.vector_unary(|asm, a| dynasm!(asm
            ; .arch x64 ; pshufd Rx(T), Rx(a), HIGH_HALF ; $ins Rx(a), Rx(T)))
    };
}

/// Extend the low (`LOW_HALF`) or high (`HIGH_HALF`) halves of both operands with `$ext`
/// and multiply them with `$mul`.
macro_rules! extmul {
    ($self:ident, $ext:ident, $mul:ident, $half:expr) => {
        $self.vector_binary(|asm, a, b| dynasm!(asm
            ; .arch x64
            ; pshufd Rx(a), Rx(a), $half ; $ext Rx(a), Rx(a)
            ; pshufd Rx(T), Rx(b), $half ; $ext Rx(T), Rx(T)
            ; $mul Rx(a), Rx(T)))
    };
}

/// A shift of every lane by the i32 count on top of the vector, modulo the lane's `$bits`.
macro_rules! shift {
    ($self:ident, $ins:ident, $bits:expr) => {{
        let (_, count) = $self.pop_to_reg();
        let (ty, a) = $self.pop_to_reg();
        dynasm!($self.asm
            ; .arch x64
            ; and Rd(count), ($bits - 1) as i32
            ; movd Rx(T), Rd(count)
            ; $ins Rx(a), Rx(T));
        $self.regs.release(RegClass::Gpr, count);
        $self.push_reg(ty, a);
    }};
}

impl FuncLowering<'_> {
    /// Lower `op` inline if it is one of this file's operators; false (and nothing emitted)
    /// otherwise.
    pub(crate) fn simd_inline(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        match *op {
            O::I8x16Eq | O::I8x16Ne | O::I8x16LtS | O::I8x16LtU | O::I8x16GtS | O::I8x16GtU
            | O::I8x16LeS | O::I8x16LeU | O::I8x16GeS | O::I8x16GeU => int_compares!(
                self, *op, pcmpeqb, pcmpgtb, pmaxub, pminub, I8x16Eq, I8x16Ne, I8x16LtS,
                I8x16LtU, I8x16GtS, I8x16GtU, I8x16LeS, I8x16LeU, I8x16GeS, I8x16GeU
            ),
            O::I16x8Eq | O::I16x8Ne | O::I16x8LtS | O::I16x8LtU | O::I16x8GtS | O::I16x8GtU
            | O::I16x8LeS | O::I16x8LeU | O::I16x8GeS | O::I16x8GeU => int_compares!(
                self, *op, pcmpeqw, pcmpgtw, pmaxuw, pminuw, I16x8Eq, I16x8Ne, I16x8LtS,
                I16x8LtU, I16x8GtS, I16x8GtU, I16x8LeS, I16x8LeU, I16x8GeS, I16x8GeU
            ),
            O::I32x4Eq | O::I32x4Ne | O::I32x4LtS | O::I32x4LtU | O::I32x4GtS | O::I32x4GtU
            | O::I32x4LeS | O::I32x4LeU | O::I32x4GeS | O::I32x4GeU => int_compares!(
                self, *op, pcmpeqd, pcmpgtd, pmaxud, pminud, I32x4Eq, I32x4Ne, I32x4LtS,
                I32x4LtU, I32x4GtS, I32x4GtU, I32x4LeS, I32x4LeU, I32x4GeS, I32x4GeU
            ),
            // 64-bit signed order needs SSE4.2's pcmpgtq: a helper.
            O::I64x2Eq => one!(self, pcmpeqq),
            O::I64x2Ne => self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; pcmpeqq Rx(a), Rx(b) ; pcmpeqd Rx(T), Rx(T) ; pxor Rx(a), Rx(T))),
            O::F32x4Eq | O::F32x4Ne | O::F32x4Lt | O::F32x4Gt | O::F32x4Le | O::F32x4Ge => {
                float_compares!(
                    self, *op, cmpps, movaps, F32x4Eq, F32x4Ne, F32x4Lt, F32x4Gt, F32x4Le,
                    F32x4Ge
                )
            }
            O::F64x2Eq | O::F64x2Ne | O::F64x2Lt | O::F64x2Gt | O::F64x2Le | O::F64x2Ge => {
                float_compares!(
                    self, *op, cmppd, movapd, F64x2Eq, F64x2Ne, F64x2Lt, F64x2Gt, F64x2Le,
                    F64x2Ge
                )
            }

            O::I8x16MinS => one!(self, pminsb),
            O::I8x16MinU => one!(self, pminub),
            O::I8x16MaxS => one!(self, pmaxsb),
            O::I8x16MaxU => one!(self, pmaxub),
            O::I16x8MinS => one!(self, pminsw),
            O::I16x8MinU => one!(self, pminuw),
            O::I16x8MaxS => one!(self, pmaxsw),
            O::I16x8MaxU => one!(self, pmaxuw),
            O::I32x4MinS => one!(self, pminsd),
            O::I32x4MinU => one!(self, pminud),
            O::I32x4MaxS => one!(self, pmaxsd),
            O::I32x4MaxU => one!(self, pmaxud),
            O::I8x16AddSatS => one!(self, paddsb),
            O::I8x16AddSatU => one!(self, paddusb),
            O::I8x16SubSatS => one!(self, psubsb),
            O::I8x16SubSatU => one!(self, psubusb),
            O::I16x8AddSatS => one!(self, paddsw),
            O::I16x8AddSatU => one!(self, paddusw),
            O::I16x8SubSatS => one!(self, psubsw),
            O::I16x8SubSatU => one!(self, psubusw),
            O::I8x16AvgrU => one!(self, pavgb),
            O::I16x8AvgrU => one!(self, pavgw),
            O::I16x8Mul => one!(self, pmullw),
            O::I32x4Mul => one!(self, pmulld),
            O::I32x4DotI16x8S => one!(self, pmaddwd),
            O::I8x16NarrowI16x8S => one!(self, packsswb),
            O::I8x16NarrowI16x8U => one!(self, packuswb),
            O::I16x8NarrowI32x4S => one!(self, packssdw),
            O::I16x8NarrowI32x4U => one!(self, packusdw),
            O::I16x8Q15MulrSatS => self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64
                // Only -1 * -1 (0x8000 squared) overflows: it gives 0x8000, which becomes 0x7fff.
                ; pmulhrsw Rx(a), Rx(b)
                ; pcmpeqw Rx(T), Rx(T)
                ; psllw Rx(T), 15
                ; pcmpeqw Rx(T), Rx(a)
                ; pxor Rx(a), Rx(T))),

            O::I16x8ExtMulLowI8x16S => extmul!(self, pmovsxbw, pmullw, LOW_HALF),
            O::I16x8ExtMulHighI8x16S => extmul!(self, pmovsxbw, pmullw, HIGH_HALF),
            O::I16x8ExtMulLowI8x16U => extmul!(self, pmovzxbw, pmullw, LOW_HALF),
            O::I16x8ExtMulHighI8x16U => extmul!(self, pmovzxbw, pmullw, HIGH_HALF),
            O::I32x4ExtMulLowI16x8S => extmul!(self, pmovsxwd, pmulld, LOW_HALF),
            O::I32x4ExtMulHighI16x8S => extmul!(self, pmovsxwd, pmulld, HIGH_HALF),
            O::I32x4ExtMulLowI16x8U => extmul!(self, pmovzxwd, pmulld, LOW_HALF),
            O::I32x4ExtMulHighI16x8U => extmul!(self, pmovzxwd, pmulld, HIGH_HALF),
            O::I64x2ExtMulLowI32x4S => extmul!(self, pmovsxdq, pmuldq, LOW_HALF),
            O::I64x2ExtMulHighI32x4S => extmul!(self, pmovsxdq, pmuldq, HIGH_HALF),
            O::I64x2ExtMulLowI32x4U => extmul!(self, pmovzxdq, pmuludq, LOW_HALF),
            O::I64x2ExtMulHighI32x4U => extmul!(self, pmovzxdq, pmuludq, HIGH_HALF),

            O::I16x8ExtendLowI8x16S => unary!(self, pmovsxbw),
            O::I16x8ExtendLowI8x16U => unary!(self, pmovzxbw),
            O::I32x4ExtendLowI16x8S => unary!(self, pmovsxwd),
            O::I32x4ExtendLowI16x8U => unary!(self, pmovzxwd),
            O::I64x2ExtendLowI32x4S => unary!(self, pmovsxdq),
            O::I64x2ExtendLowI32x4U => unary!(self, pmovzxdq),
            O::I16x8ExtendHighI8x16S => extend_high!(self, pmovsxbw),
            O::I16x8ExtendHighI8x16U => extend_high!(self, pmovzxbw),
            O::I32x4ExtendHighI16x8S => extend_high!(self, pmovsxwd),
            O::I32x4ExtendHighI16x8U => extend_high!(self, pmovzxwd),
            O::I64x2ExtendHighI32x4S => extend_high!(self, pmovsxdq),
            O::I64x2ExtendHighI32x4U => extend_high!(self, pmovzxdq),
            O::I16x8ExtAddPairwiseI8x16S => self.vector_unary(|asm, a| dynasm!(asm
                ; .arch x64
                // Unsigned ones times signed bytes, pairs added.
                ; pcmpeqb Rx(T), Rx(T) ; pabsb Rx(T), Rx(T)
                ; pmaddubsw Rx(T), Rx(a) ; movdqa Rx(a), Rx(T))),
            O::I16x8ExtAddPairwiseI8x16U => self.vector_unary(|asm, a| dynasm!(asm
                ; .arch x64
                ; pcmpeqb Rx(T), Rx(T) ; pabsb Rx(T), Rx(T) ; pmaddubsw Rx(a), Rx(T))),
            O::I32x4ExtAddPairwiseI16x8S => self.vector_unary(|asm, a| dynasm!(asm
                ; .arch x64
                ; pcmpeqw Rx(T), Rx(T) ; psrlw Rx(T), 15 ; pmaddwd Rx(a), Rx(T))),

            O::I8x16Abs => unary!(self, pabsb),
            O::I16x8Abs => unary!(self, pabsw),
            O::I32x4Abs => unary!(self, pabsd),
            O::I8x16Neg => self.negate(|asm, a| dynasm!(asm ; .arch x64 ; psubb Rx(T), Rx(a))),
            O::I16x8Neg => self.negate(|asm, a| dynasm!(asm ; .arch x64 ; psubw Rx(T), Rx(a))),
            O::I32x4Neg => self.negate(|asm, a| dynasm!(asm ; .arch x64 ; psubd Rx(T), Rx(a))),
            O::I64x2Neg => self.negate(|asm, a| dynasm!(asm ; .arch x64 ; psubq Rx(T), Rx(a))),

            O::I16x8Shl => shift!(self, psllw, 16),
            O::I16x8ShrS => shift!(self, psraw, 16),
            O::I16x8ShrU => shift!(self, psrlw, 16),
            O::I32x4Shl => shift!(self, pslld, 32),
            O::I32x4ShrS => shift!(self, psrad, 32),
            O::I32x4ShrU => shift!(self, psrld, 32),
            O::I64x2Shl => shift!(self, psllq, 64),
            O::I64x2ShrU => shift!(self, psrlq, 64),

            O::F32x4Abs => self.vector_unary(|asm, a| dynasm!(asm
                ; .arch x64 ; pcmpeqd Rx(T), Rx(T) ; psrld Rx(T), 1 ; pand Rx(a), Rx(T))),
            O::F64x2Abs => self.vector_unary(|asm, a| dynasm!(asm
                ; .arch x64 ; pcmpeqd Rx(T), Rx(T) ; psrlq Rx(T), 1 ; pand Rx(a), Rx(T))),
            O::F32x4Neg => self.vector_unary(|asm, a| dynasm!(asm
                ; .arch x64 ; pcmpeqd Rx(T), Rx(T) ; pslld Rx(T), 31 ; pxor Rx(a), Rx(T))),
            O::F64x2Neg => self.vector_unary(|asm, a| dynasm!(asm
                ; .arch x64 ; pcmpeqd Rx(T), Rx(T) ; psllq Rx(T), 63 ; pxor Rx(a), Rx(T))),
            O::F32x4Sqrt => unary!(self, sqrtps),
            O::F64x2Sqrt => unary!(self, sqrtpd),
            // Rounding modes: 0 nearest (even), 1 down, 2 up, 3 toward zero.
            O::F32x4Nearest => self.vector_unary(|asm, a| dynasm!(asm ; .arch x64 ; roundps Rx(a), Rx(a), 0)),
            O::F32x4Floor => self.vector_unary(|asm, a| dynasm!(asm ; .arch x64 ; roundps Rx(a), Rx(a), 1)),
            O::F32x4Ceil => self.vector_unary(|asm, a| dynasm!(asm ; .arch x64 ; roundps Rx(a), Rx(a), 2)),
            O::F32x4Trunc => self.vector_unary(|asm, a| dynasm!(asm ; .arch x64 ; roundps Rx(a), Rx(a), 3)),
            O::F64x2Nearest => self.vector_unary(|asm, a| dynasm!(asm ; .arch x64 ; roundpd Rx(a), Rx(a), 0)),
            O::F64x2Floor => self.vector_unary(|asm, a| dynasm!(asm ; .arch x64 ; roundpd Rx(a), Rx(a), 1)),
            O::F64x2Ceil => self.vector_unary(|asm, a| dynasm!(asm ; .arch x64 ; roundpd Rx(a), Rx(a), 2)),
            O::F64x2Trunc => self.vector_unary(|asm, a| dynasm!(asm ; .arch x64 ; roundpd Rx(a), Rx(a), 3)),
            // pmin(a, b) = b < a ? b : a, which is minps with b first; pmax likewise.
            O::F32x4PMin => self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; minps Rx(b), Rx(a) ; movaps Rx(a), Rx(b))),
            O::F32x4PMax => self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; maxps Rx(b), Rx(a) ; movaps Rx(a), Rx(b))),
            O::F64x2PMin => self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; minpd Rx(b), Rx(a) ; movapd Rx(a), Rx(b))),
            O::F64x2PMax => self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; maxpd Rx(b), Rx(a) ; movapd Rx(a), Rx(b))),
            O::F32x4ConvertI32x4S => unary!(self, cvtdq2ps),
            O::F64x2ConvertLowI32x4S => unary!(self, cvtdq2pd),
            O::F32x4DemoteF64x2Zero => unary!(self, cvtpd2ps),
            O::F64x2PromoteLowF32x4 => unary!(self, cvtps2pd),
            O::I32x4TruncSatF32x4S => self.vector_unary(|asm, a| dynasm!(asm
                ; .arch x64
                // NaN lanes to 0; cvttps2dq gives 0x80000000 for any lane out of range, which
                // the lanes that were positive turn into 0x7fffffff.
                ; movaps Rx(T), Rx(a)
                ; cmpps Rx(T), Rx(T), 0
                ; andps Rx(a), Rx(T)
                ; pxor Rx(T), Rx(a)
                ; cvttps2dq Rx(a), Rx(a)
                ; pand Rx(T), Rx(a)
                ; psrad Rx(T), 31
                ; pxor Rx(a), Rx(T))),

            O::V128Bitselect => {
                // (v1 ^ v2) & c ^ v2.
                let (_, c) = self.pop_to_reg();
                let (_, v2) = self.pop_to_reg();
                let (ty, v1) = self.pop_to_reg();
                dynasm!(self.asm
                    ; .arch x64
                    ; pxor Rx(v1), Rx(v2)
                    ; pand Rx(v1), Rx(c)
                    ; pxor Rx(v1), Rx(v2));
                self.regs.release(RegClass::Xmm, c);
                self.regs.release(RegClass::Xmm, v2);
                self.push_reg(ty, v1);
            }
            O::V128AnyTrue => self.vector_test(|asm, a, r| dynasm!(asm
                ; .arch x64 ; ptest Rx(a), Rx(a) ; setnz Rb(r))),
            O::I8x16AllTrue => self.vector_test(|asm, a, r| dynasm!(asm
                ; .arch x64 ; pxor Rx(T), Rx(T) ; pcmpeqb Rx(T), Rx(a) ; ptest Rx(T), Rx(T) ; setz Rb(r))),
            O::I16x8AllTrue => self.vector_test(|asm, a, r| dynasm!(asm
                ; .arch x64 ; pxor Rx(T), Rx(T) ; pcmpeqw Rx(T), Rx(a) ; ptest Rx(T), Rx(T) ; setz Rb(r))),
            O::I32x4AllTrue => self.vector_test(|asm, a, r| dynasm!(asm
                ; .arch x64 ; pxor Rx(T), Rx(T) ; pcmpeqd Rx(T), Rx(a) ; ptest Rx(T), Rx(T) ; setz Rb(r))),
            O::I64x2AllTrue => self.vector_test(|asm, a, r| dynasm!(asm
                ; .arch x64 ; pxor Rx(T), Rx(T) ; pcmpeqq Rx(T), Rx(a) ; ptest Rx(T), Rx(T) ; setz Rb(r))),
            O::I8x16Bitmask => self.vector_test(|asm, a, r| dynasm!(asm ; .arch x64 ; pmovmskb Rd(r), Rx(a))),
            O::I16x8Bitmask => self.vector_test(|asm, a, r| dynasm!(asm
                ; .arch x64 ; packsswb Rx(a), Rx(a) ; pmovmskb Rd(r), Rx(a) ; and Rd(r), 0xff)),
            O::I32x4Bitmask => self.vector_test(|asm, a, r| dynasm!(asm ; .arch x64 ; movmskps Rd(r), Rx(a))),
            O::I64x2Bitmask => self.vector_test(|asm, a, r| dynasm!(asm ; .arch x64 ; movmskpd Rd(r), Rx(a))),

            O::I8x16Splat => self.splat(|asm, v, s| dynasm!(asm
                ; .arch x64 ; movd Rx(v), Rd(s) ; pxor Rx(T), Rx(T) ; pshufb Rx(v), Rx(T))),
            O::I16x8Splat => self.splat(|asm, v, s| dynasm!(asm
                ; .arch x64 ; movd Rx(v), Rd(s) ; pshuflw Rx(v), Rx(v), 0 ; pshufd Rx(v), Rx(v), 0)),
            O::I32x4Splat => self.splat(|asm, v, s| dynasm!(asm
                ; .arch x64 ; movd Rx(v), Rd(s) ; pshufd Rx(v), Rx(v), 0)),
            O::I64x2Splat => self.splat(|asm, v, s| dynasm!(asm
                ; .arch x64 ; movq Rx(v), Rq(s) ; punpcklqdq Rx(v), Rx(v))),
            O::F32x4Splat => self.splat(|asm, v, s| dynasm!(asm ; .arch x64 ; pshufd Rx(v), Rx(s), 0)),
            O::F64x2Splat => self.splat(|asm, v, s| dynasm!(asm ; .arch x64 ; pshufd Rx(v), Rx(s), LOW_HALF)),

            O::I8x16ExtractLaneS { lane } => self.extract(ValType::I32, |asm, r, a| dynasm!(asm
                ; .arch x64 ; pextrb Rd(r), Rx(a), lane as i8 ; movsx Rd(r), Rb(r))),
            O::I8x16ExtractLaneU { lane } => self.extract(ValType::I32, |asm, r, a| dynasm!(asm
                ; .arch x64 ; pextrb Rd(r), Rx(a), lane as i8)),
            O::I16x8ExtractLaneS { lane } => self.extract(ValType::I32, |asm, r, a| dynasm!(asm
                ; .arch x64 ; pextrw Rd(r), Rx(a), lane as i8 ; movsx Rd(r), Rw(r))),
            O::I16x8ExtractLaneU { lane } => self.extract(ValType::I32, |asm, r, a| dynasm!(asm
                ; .arch x64 ; pextrw Rd(r), Rx(a), lane as i8)),
            O::I32x4ExtractLane { lane } => self.extract(ValType::I32, |asm, r, a| dynasm!(asm
                ; .arch x64 ; pextrd Rd(r), Rx(a), lane as i8)),
            O::I64x2ExtractLane { lane } => self.extract(ValType::I64, |asm, r, a| dynasm!(asm
                ; .arch x64 ; pextrq Rq(r), Rx(a), lane as i8)),
            // A float result is the lane moved to the bottom (the bits above do not matter).
            O::F32x4ExtractLane { lane } => self.extract(ValType::F32, |asm, r, a| dynasm!(asm
                ; .arch x64 ; pshufd Rx(r), Rx(a), lane as i8)),
            O::F64x2ExtractLane { lane } => self.extract(ValType::F64, |asm, r, a| dynasm!(asm
                ; .arch x64 ; pshufd Rx(r), Rx(a), if lane == 0 { LOW_HALF } else { HIGH_HALF })),

            O::I8x16ReplaceLane { lane } => self.replace(|asm, v, s| dynasm!(asm
                ; .arch x64 ; pinsrb Rx(v), Rd(s), lane as i8)),
            O::I16x8ReplaceLane { lane } => self.replace(|asm, v, s| dynasm!(asm
                ; .arch x64 ; pinsrw Rx(v), Rd(s), lane as i8)),
            O::I32x4ReplaceLane { lane } => self.replace(|asm, v, s| dynasm!(asm
                ; .arch x64 ; pinsrd Rx(v), Rd(s), lane as i8)),
            O::I64x2ReplaceLane { lane } => self.replace(|asm, v, s| dynasm!(asm
                ; .arch x64 ; pinsrq Rx(v), Rq(s), lane as i8)),
            O::F32x4ReplaceLane { lane } => self.replace(|asm, v, s| dynasm!(asm
                ; .arch x64 ; insertps Rx(v), Rx(s), (lane << 4) as i8)),
            O::F64x2ReplaceLane { lane } => self.replace(|asm, v, s| {
                if lane == 0 {
                    dynasm!(asm ; .arch x64 ; movsd Rx(v), Rx(s))
                } else {
                    dynasm!(asm ; .arch x64 ; movlhps Rx(v), Rx(s))
                }
            }),

            O::I8x16Swizzle => self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64
                // Indices of 16 and up get bit 7 (saturating + 0x70), which pshufb zeroes.
                ; mov Rq(SCRATCH), QWORD 0x7070_7070_7070_7070
                ; movq Rx(T), Rq(SCRATCH)
                ; punpcklqdq Rx(T), Rx(T)
                ; paddusb Rx(T), Rx(b)
                ; pshufb Rx(a), Rx(T))),
            O::F32x4Min => float_min_max!(self, movaps, cmpps, minps, orps, andnps, psrld, 10),
            O::F32x4Max => float_min_max!(self, movaps, cmpps, maxps, andps, andnps, psrld, 10),
            O::F64x2Min => float_min_max!(self, movapd, cmppd, minpd, orpd, andnpd, psrlq, 13),
            O::F64x2Max => float_min_max!(self, movapd, cmppd, maxpd, andpd, andnpd, psrlq, 13),
            O::I64x2Mul => self.vector_binary_temp(|asm, a, b, t2| dynasm!(asm
                ; .arch x64
                // Low halves' product plus both cross products shifted up.
                ; movdqa Rx(T), Rx(a) ; psrlq Rx(T), 32 ; pmuludq Rx(T), Rx(b)
                ; movdqa Rx(t2), Rx(b) ; psrlq Rx(t2), 32 ; pmuludq Rx(t2), Rx(a)
                ; paddq Rx(T), Rx(t2) ; psllq Rx(T), 32
                ; pmuludq Rx(a), Rx(b) ; paddq Rx(a), Rx(T))),
            O::I64x2Abs => self.vector_unary(|asm, a| dynasm!(asm
                ; .arch x64
                // Each lane's sign spread over it, then (a ^ sign) - sign.
                ; movdqa Rx(T), Rx(a) ; psrad Rx(T), 31 ; pshufd Rx(T), Rx(T), 0xF5u8 as i8
                ; pxor Rx(a), Rx(T) ; psubq Rx(a), Rx(T))),
            O::I8x16Popcnt => self.vector_unary_temp(|asm, a, t2| {
                // Each nibble's count from a 16-entry table (pshufb), low and high added.
                load_constant(asm, T, 0x0f0f_0f0f_0f0f_0f0f_0f0f_0f0f_0f0f_0f0f);
                dynasm!(asm
                    ; .arch x64
                    ; movdqa Rx(t2), Rx(a) ; psrlw Rx(t2), 4 ; pand Rx(t2), Rx(T)
                    ; pand Rx(a), Rx(T));
                load_constant(asm, T, NIBBLE_COUNTS);
                dynasm!(asm ; .arch x64 ; pshufb Rx(T), Rx(a));
                load_constant(asm, a, NIBBLE_COUNTS);
                dynasm!(asm ; .arch x64 ; pshufb Rx(a), Rx(t2) ; paddb Rx(a), Rx(T));
            }),
            O::I8x16Shl => self.shift_with(8, 0, |asm, a, t2| dynasm!(asm
                ; .arch x64
                // Words shifted, then each byte masked with 0xff << count (word 0's low byte of
                // 0xffff << count, spread by pshufb with index 0).
                ; psllw Rx(a), Rx(T) ; pcmpeqd Rx(t2), Rx(t2) ; psllw Rx(t2), Rx(T)
                ; pxor Rx(T), Rx(T) ; pshufb Rx(t2), Rx(T) ; pand Rx(a), Rx(t2))),
            O::I8x16ShrU => self.shift_with(8, 0, |asm, a, t2| dynasm!(asm
                ; .arch x64
                // As shl, the mask 0xff >> count being the high byte of 0xffff >> count.
                ; psrlw Rx(a), Rx(T) ; pcmpeqd Rx(t2), Rx(t2) ; psrlw Rx(t2), Rx(T)
                ; pcmpeqb Rx(T), Rx(T) ; pabsb Rx(T), Rx(T) ; pshufb Rx(t2), Rx(T)
                ; pand Rx(a), Rx(t2))),
            O::I8x16ShrS => self.shift_with(8, 8, |asm, a, t2| dynasm!(asm
                ; .arch x64
                // Each byte doubled into a word, shifted by 8 + count, packed back.
                ; movdqa Rx(t2), Rx(a) ; punpckhbw Rx(t2), Rx(a) ; punpcklbw Rx(a), Rx(a)
                ; psraw Rx(a), Rx(T) ; psraw Rx(t2), Rx(T) ; packsswb Rx(a), Rx(t2))),
            O::I64x2ShrS => self.shift_with(64, 0, |asm, a, t2| dynasm!(asm
                ; .arch x64
                // Logical shift, then the sign bit's shifted place flipped and subtracted.
                ; pcmpeqd Rx(t2), Rx(t2) ; psllq Rx(t2), 63 ; psrlq Rx(t2), Rx(T)
                ; psrlq Rx(a), Rx(T) ; pxor Rx(a), Rx(t2) ; psubq Rx(a), Rx(t2))),
            // 64-bit signed order: SSE4.2's pcmpgtq where the host has it (this code runs only
            // on the host that compiled it), else the helpers.
            O::I64x2GtS | O::I64x2LtS | O::I64x2LeS | O::I64x2GeS
                if !std::arch::is_x86_feature_detected!("sse4.2") =>
            {
                return Ok(false)
            }
            O::I64x2GtS => one!(self, pcmpgtq),
            O::I64x2LtS => self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; movdqa Rx(T), Rx(b) ; pcmpgtq Rx(T), Rx(a) ; movdqa Rx(a), Rx(T))),
            O::I64x2LeS => self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; pcmpgtq Rx(a), Rx(b) ; pcmpeqd Rx(T), Rx(T) ; pxor Rx(a), Rx(T))),
            O::I64x2GeS => self.vector_binary(|asm, a, b| dynasm!(asm
                ; .arch x64 ; movdqa Rx(T), Rx(b) ; pcmpgtq Rx(T), Rx(a)
                ; pcmpeqd Rx(a), Rx(a) ; pxor Rx(a), Rx(T))),
            O::I8x16Shuffle { lanes } => {
                // Each source picks its lanes with pshufb; 0x80 zeroes the others.
                let pick = |from: u8| -> u128 {
                    let mut mask = [0x80u8; 16];
                    for (i, &l) in lanes.iter().enumerate() {
                        if (from..from + 16).contains(&l) {
                            mask[i] = l - from;
                        }
                    }
                    u128::from_le_bytes(mask)
                };
                let (from_a, from_b) = (pick(0), pick(16));
                self.vector_binary(|asm, a, b| {
                    load_constant(asm, T, from_a);
                    dynasm!(asm ; .arch x64 ; pshufb Rx(a), Rx(T));
                    load_constant(asm, T, from_b);
                    dynasm!(asm ; .arch x64 ; pshufb Rx(b), Rx(T) ; por Rx(a), Rx(b));
                })
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Pop b then a into registers of their own and emit `body(a, b)`, whose result is in a;
    /// T is free for it.
    fn vector_binary(&mut self, body: impl FnOnce(&mut Asm, u8, u8)) {
        let (_, b) = self.pop_to_reg();
        let (ty, a) = self.pop_to_reg();
        body(&mut self.asm, a, b);
        self.regs.release(RegClass::Xmm, b);
        self.push_reg(ty, a);
    }

    /// Pop a into a register of its own and emit `body(a)`, whose result is in a.
    fn vector_unary(&mut self, body: impl FnOnce(&mut Asm, u8)) {
        let (ty, a) = self.pop_to_reg();
        body(&mut self.asm, a);
        self.push_reg(ty, a);
    }

    /// As [`Self::vector_binary`], with a second scratch vector register for `body(a, b, t2)`.
    fn vector_binary_temp(&mut self, body: impl FnOnce(&mut Asm, u8, u8, u8)) {
        let t2 = self.alloc(RegClass::Xmm);
        self.vector_binary(|asm, a, b| body(asm, a, b, t2));
        self.regs.release(RegClass::Xmm, t2);
    }

    /// As [`Self::vector_unary`], with a second scratch vector register for `body(a, t2)`.
    fn vector_unary_temp(&mut self, body: impl FnOnce(&mut Asm, u8, u8)) {
        let t2 = self.alloc(RegClass::Xmm);
        self.vector_unary(|asm, a| body(asm, a, t2));
        self.regs.release(RegClass::Xmm, t2);
    }

    /// A shift whose count (the i32 on top, modulo `bits`, plus `add`) is put in T for
    /// `body(a, t2)`.
    fn shift_with(&mut self, bits: i32, add: i32, body: impl FnOnce(&mut Asm, u8, u8)) {
        let (_, count) = self.pop_to_reg();
        let t2 = self.alloc(RegClass::Xmm);
        let (ty, a) = self.pop_to_reg();
        // T is set last: allocating and loading may use it.
        dynasm!(self.asm
            ; .arch x64
            ; and Rd(count), bits - 1
            ; add Rd(count), add
            ; movd Rx(T), Rd(count));
        body(&mut self.asm, a, t2);
        self.regs.release(RegClass::Gpr, count);
        self.regs.release(RegClass::Xmm, t2);
        self.push_reg(ty, a);
    }

    /// `0 - a` lane-wise, with `body` subtracting a from T (zeroed here).
    fn negate(&mut self, body: impl FnOnce(&mut Asm, u8)) {
        self.vector_unary(|asm, a| {
            dynasm!(asm ; .arch x64 ; pxor Rx(T), Rx(T));
            body(asm, a);
            dynasm!(asm ; .arch x64 ; movdqa Rx(a), Rx(T));
        });
    }

    /// An i32 from a vector: `body(a, r)` writes the low byte (tests) or all of r.
    fn vector_test(&mut self, body: impl FnOnce(&mut Asm, u8, u8)) {
        let (_, a) = self.pop_to_reg();
        let r = self.alloc(RegClass::Gpr);
        dynasm!(self.asm ; .arch x64 ; xor Rd(r), Rd(r));
        body(&mut self.asm, a, r);
        self.regs.release(RegClass::Xmm, a);
        self.push_reg(ValType::I32, r);
    }

    /// A vector from the scalar on top: `body(v, s)` fills v (new) from s.
    fn splat(&mut self, body: impl FnOnce(&mut Asm, u8, u8)) {
        let (ty, s) = self.pop_to_reg();
        let v = self.alloc(RegClass::Xmm);
        body(&mut self.asm, v, s);
        self.regs.release(RegClass::of(ty), s);
        self.push_reg(ValType::V128, v);
    }

    /// A lane of the vector on top as a `ty`: `body(r, a)` writes r (new) from a.
    fn extract(&mut self, ty: ValType, body: impl FnOnce(&mut Asm, u8, u8)) {
        let (_, a) = self.pop_to_reg();
        let r = self.alloc(RegClass::of(ty));
        body(&mut self.asm, r, a);
        self.regs.release(RegClass::Xmm, a);
        self.push_reg(ty, r);
    }

    /// The vector below the scalar on top with one lane replaced: `body(v, s)`.
    fn replace(&mut self, body: impl FnOnce(&mut Asm, u8, u8)) {
        let (ty, s) = self.pop_to_reg();
        let (_, v) = self.pop_to_reg();
        body(&mut self.asm, v, s);
        self.regs.release(RegClass::of(ty), s);
        self.push_reg(ValType::V128, v);
    }
}

/// Put the 128-bit constant `bits` in vector register `x` (through SCRATCH).
fn load_constant(asm: &mut Asm, x: u8, bits: u128) {
    dynasm!(asm
        ; .arch x64
        ; mov Rq(SCRATCH), QWORD bits as u64 as i64
        ; movq Rx(x), Rq(SCRATCH)
        ; mov Rq(SCRATCH), QWORD (bits >> 64) as u64 as i64
        ; pinsrq Rx(x), Rq(SCRATCH), 1
    );
}

/// The number of bits set in each value 0 to 15, one per byte (a `pshufb` table).
const NIBBLE_COUNTS: u128 = 0x0403_0302_0302_0201_0302_0201_0201_0100;

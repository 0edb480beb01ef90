//! 128-bit SIMD: constants, loads and stores (all forms, lanes included) and the bitwise and
//! add/sub/float arithmetic operators inline with SSE here, most other operators inline in
//! `simd_sse.rs`; the rest (float min/max, unsigned and 64-bit-float conversions, 8-bit
//! shifts, 64-bit signed order, popcount, 64-bit abs, mul and arithmetic shift, relaxed
//! fused and dot operators) call their helper in `crate::simd_helpers` with pointers to the
//! operands' spill slots.

use dynasmrt::{dynasm, DynasmApi};
use lazuli_backend_api::ValType;
use wasmparser::{MemArg, Operator};

use super::relocation::HelperFn;
use super::{FuncLowering, Result};
use crate::regs::{RegClass, SCRATCH, XSCRATCH};

/// A two-operand SSE instruction `a op= b` on `v128` operands.
macro_rules! sse {
    ($self:ident, $ins:ident) => {{
        let b = $self.pop();
        let b_depth = $self.stack.len();
        let (ty, a) = $self.pop_to_reg();
        let rb = $self.operand_reg(b, b_depth, XSCRATCH);
        dynasm!($self.asm ; .arch x64 ; $ins Rx(a), Rx(rb));
        $self.release(b);
        $self.push_reg(ty, a);
    }};
}

impl FuncLowering<'_> {
    pub(crate) fn simd_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        if let Some(equivalent) = lazuli_backend_api::relaxed::deterministic_equivalent(op) {
            return self.simd_op(&equivalent);
        }
        if self.simd_inline(op)? {
            return Ok(true);
        }
        match *op {
            O::F32x4RelaxedMadd => self.simd_call(HelperFn::f32x4_relaxed_madd, 3),
            O::F32x4RelaxedNmadd => self.simd_call(HelperFn::f32x4_relaxed_nmadd, 3),
            O::F64x2RelaxedMadd => self.simd_call(HelperFn::f64x2_relaxed_madd, 3),
            O::F64x2RelaxedNmadd => self.simd_call(HelperFn::f64x2_relaxed_nmadd, 3),
            O::I16x8RelaxedDotI8x16I7x16S => {
                self.simd_call(HelperFn::i16x8_relaxed_dot_i8x16_i7x16_s, 2)
            }
            O::I32x4RelaxedDotI8x16I7x16AddS => {
                self.simd_call(HelperFn::i32x4_relaxed_dot_i8x16_i7x16_add_s, 3)
            }
            O::V128Const { value } => {
                let bits = u128::from_le_bytes(*value.bytes());
                let x = self.alloc(RegClass::Xmm);
                if bits == 0 {
                    dynasm!(self.asm ; .arch x64 ; pxor Rx(x), Rx(x));
                } else {
                    dynasm!(self.asm
                        ; .arch x64
                        ; mov Rq(SCRATCH), QWORD bits as u64 as i64
                        ; movq Rx(x), Rq(SCRATCH)
                        ; mov Rq(SCRATCH), QWORD (bits >> 64) as u64 as i64
                        ; pinsrq Rx(x), Rq(SCRATCH), 1
                    );
                }
                self.push_reg(ValType::V128, x);
            }
            O::V128Load { memarg } => self.vector_load(&memarg, VectorLoad::Full)?,
            O::V128Load8x8S { memarg } => self.vector_load(&memarg, VectorLoad::S8x8)?,
            O::V128Load8x8U { memarg } => self.vector_load(&memarg, VectorLoad::U8x8)?,
            O::V128Load16x4S { memarg } => self.vector_load(&memarg, VectorLoad::S16x4)?,
            O::V128Load16x4U { memarg } => self.vector_load(&memarg, VectorLoad::U16x4)?,
            O::V128Load32x2S { memarg } => self.vector_load(&memarg, VectorLoad::S32x2)?,
            O::V128Load32x2U { memarg } => self.vector_load(&memarg, VectorLoad::U32x2)?,
            O::V128Load8Splat { memarg } => self.vector_load(&memarg, VectorLoad::Splat8)?,
            O::V128Load16Splat { memarg } => self.vector_load(&memarg, VectorLoad::Splat16)?,
            O::V128Load32Splat { memarg } => self.vector_load(&memarg, VectorLoad::Splat32)?,
            O::V128Load64Splat { memarg } => self.vector_load(&memarg, VectorLoad::Splat64)?,
            O::V128Load32Zero { memarg } => self.vector_load(&memarg, VectorLoad::Zero32)?,
            O::V128Load64Zero { memarg } => self.vector_load(&memarg, VectorLoad::Zero64)?,
            O::V128Store { memarg } => self.lane_access(&memarg, LaneAccess::Store)?,
            O::V128Load8Lane { memarg, lane } => {
                self.lane_access(&memarg, LaneAccess::Load8(lane))?
            }
            O::V128Load16Lane { memarg, lane } => {
                self.lane_access(&memarg, LaneAccess::Load16(lane))?
            }
            O::V128Load32Lane { memarg, lane } => {
                self.lane_access(&memarg, LaneAccess::Load32(lane))?
            }
            O::V128Load64Lane { memarg, lane } => {
                self.lane_access(&memarg, LaneAccess::Load64(lane))?
            }
            O::V128Store8Lane { memarg, lane } => {
                self.lane_access(&memarg, LaneAccess::Store8(lane))?
            }
            O::V128Store16Lane { memarg, lane } => {
                self.lane_access(&memarg, LaneAccess::Store16(lane))?
            }
            O::V128Store32Lane { memarg, lane } => {
                self.lane_access(&memarg, LaneAccess::Store32(lane))?
            }
            O::V128Store64Lane { memarg, lane } => {
                self.lane_access(&memarg, LaneAccess::Store64(lane))?
            }

            O::V128And => sse!(self, pand),
            O::V128Or => sse!(self, por),
            O::V128Xor => sse!(self, pxor),
            O::V128Not => {
                let (ty, a) = self.pop_to_reg();
                dynasm!(self.asm
                    ; .arch x64
                    ; pcmpeqd Rx(XSCRATCH), Rx(XSCRATCH)
                    ; pxor Rx(a), Rx(XSCRATCH)
                );
                self.push_reg(ty, a);
            }
            O::V128AndNot => {
                // a & !b: pandn computes !dst & src.
                let b = self.pop();
                let b_depth = self.stack.len();
                let (ty, a) = self.pop_to_reg();
                self.load_operand(b, b_depth, XSCRATCH);
                dynasm!(self.asm
                    ; .arch x64
                    ; pandn Rx(XSCRATCH), Rx(a)
                    ; movaps Rx(a), Rx(XSCRATCH)
                );
                self.release(b);
                self.push_reg(ty, a);
            }
            O::I8x16Add => sse!(self, paddb),
            O::I16x8Add => sse!(self, paddw),
            O::I32x4Add => sse!(self, paddd),
            O::I64x2Add => sse!(self, paddq),
            O::I8x16Sub => sse!(self, psubb),
            O::I16x8Sub => sse!(self, psubw),
            O::I32x4Sub => sse!(self, psubd),
            O::I64x2Sub => sse!(self, psubq),
            O::F32x4Add => sse!(self, addps),
            O::F32x4Sub => sse!(self, subps),
            O::F32x4Mul => sse!(self, mulps),
            O::F32x4Div => sse!(self, divps),
            O::F64x2Add => sse!(self, addpd),
            O::F64x2Sub => sse!(self, subpd),
            O::F64x2Mul => sse!(self, mulpd),
            O::F64x2Div => sse!(self, divpd),

            _ => match vector_helper(op) {
                Some((helper, operands)) => self.simd_call(helper, operands),
                None => return Ok(false),
            },
        }
        Ok(true)
    }

    /// Call `helper` on the top `vectors` v128 operands; push its v128 result.
    fn simd_call(&mut self, helper: HelperFn, vectors: usize) {
        let base = self.stack.len() - vectors;
        self.spill_regs();
        // Vector operands are passed by address: one in a home register goes to its slot.
        for depth in base..base + vectors {
            if self.memory_of(self.stack[depth], depth).is_none() {
                self.spill_at(depth);
            }
        }
        let pointers = [6u8, 2, 1]; // rsi, rdx, rcx
        for (k, reg) in pointers.iter().enumerate() {
            if k < vectors {
                let op = self.stack[base + k];
                let off = self
                    .memory_of(op, base + k)
                    .expect("v128 operands are in memory after spilling");
                dynasm!(self.asm ; .arch x64 ; lea Rq(*reg), [rbp + off]);
            } else {
                dynasm!(self.asm ; .arch x64 ; xor Rd(*reg), Rd(*reg));
            }
        }
        let out = self.slot_offset(base);
        self.save_homes();
        self.absolute_helper(crate::regs::RAX, helper);
        dynasm!(self.asm
            ; .arch x64
            ; lea rdi, [rbp + out]
            ; call rax
        );
        self.restore_homes();
        self.truncate(base);
        self.push(ValType::V128, super::Location::Slot);
    }

    /// The loads that produce a whole vector from memory.
    fn vector_load(&mut self, memarg: &MemArg, kind: VectorLoad) -> Result<()> {
        let size = match kind {
            VectorLoad::Full => 16,
            VectorLoad::Splat8 => 1,
            VectorLoad::Splat16 => 2,
            VectorLoad::Splat32 | VectorLoad::Zero32 => 4,
            _ => 8,
        };
        let (a, d, b) = self.address(memarg, size)?;
        self.regs.release(RegClass::Gpr, a);
        let x = self.alloc(RegClass::Xmm);
        match kind {
            VectorLoad::Full => dynasm!(self.asm ; .arch x64 ; movdqu Rx(x), [Rq(b) + Rq(a) + d]),
            VectorLoad::S8x8 => {
                dynasm!(self.asm ; .arch x64 ; pmovsxbw Rx(x), QWORD [Rq(b) + Rq(a) + d])
            }
            VectorLoad::U8x8 => {
                dynasm!(self.asm ; .arch x64 ; pmovzxbw Rx(x), QWORD [Rq(b) + Rq(a) + d])
            }
            VectorLoad::S16x4 => {
                dynasm!(self.asm ; .arch x64 ; pmovsxwd Rx(x), QWORD [Rq(b) + Rq(a) + d])
            }
            VectorLoad::U16x4 => {
                dynasm!(self.asm ; .arch x64 ; pmovzxwd Rx(x), QWORD [Rq(b) + Rq(a) + d])
            }
            VectorLoad::S32x2 => {
                dynasm!(self.asm ; .arch x64 ; pmovsxdq Rx(x), QWORD [Rq(b) + Rq(a) + d])
            }
            VectorLoad::U32x2 => {
                dynasm!(self.asm ; .arch x64 ; pmovzxdq Rx(x), QWORD [Rq(b) + Rq(a) + d])
            }
            VectorLoad::Splat8 => dynasm!(self.asm
                ; .arch x64
                ; movzx Rd(SCRATCH), BYTE [Rq(b) + Rq(a) + d]
                ; imul Rd(SCRATCH), Rd(SCRATCH), 0x0101_0101
                ; movd Rx(x), Rd(SCRATCH)
                ; pshufd Rx(x), Rx(x), 0
            ),
            VectorLoad::Splat16 => dynasm!(self.asm
                ; .arch x64
                ; movzx Rd(SCRATCH), WORD [Rq(b) + Rq(a) + d]
                ; imul Rd(SCRATCH), Rd(SCRATCH), 0x0001_0001
                ; movd Rx(x), Rd(SCRATCH)
                ; pshufd Rx(x), Rx(x), 0
            ),
            VectorLoad::Splat32 => dynasm!(self.asm
                ; .arch x64
                ; movd Rx(x), DWORD [Rq(b) + Rq(a) + d]
                ; pshufd Rx(x), Rx(x), 0
            ),
            VectorLoad::Splat64 => dynasm!(self.asm
                ; .arch x64
                ; movq Rx(x), QWORD [Rq(b) + Rq(a) + d]
                ; punpcklqdq Rx(x), Rx(x)
            ),
            VectorLoad::Zero32 => {
                dynasm!(self.asm ; .arch x64 ; movd Rx(x), DWORD [Rq(b) + Rq(a) + d])
            }
            VectorLoad::Zero64 => {
                dynasm!(self.asm ; .arch x64 ; movq Rx(x), QWORD [Rq(b) + Rq(a) + d])
            }
        }
        self.push_reg(ValType::V128, x);
        Ok(())
    }

    /// Accesses with a vector operand on top of the address: the full store and the lane
    /// loads and stores.
    fn lane_access(&mut self, memarg: &MemArg, kind: LaneAccess) -> Result<()> {
        let size = match kind {
            LaneAccess::Store => 16,
            LaneAccess::Load8(_) | LaneAccess::Store8(_) => 1,
            LaneAccess::Load16(_) | LaneAccess::Store16(_) => 2,
            LaneAccess::Load32(_) | LaneAccess::Store32(_) => 4,
            LaneAccess::Load64(_) | LaneAccess::Store64(_) => 8,
        };
        let (_, v) = self.pop_to_reg();
        let (a, d, b) = self.address(memarg, size)?;
        match kind {
            LaneAccess::Store => dynasm!(self.asm ; .arch x64 ; movdqu [Rq(b) + Rq(a) + d], Rx(v)),
            LaneAccess::Load8(l) => {
                dynasm!(self.asm ; .arch x64 ; pinsrb Rx(v), BYTE [Rq(b) + Rq(a) + d], l as i8)
            }
            LaneAccess::Load16(l) => {
                dynasm!(self.asm ; .arch x64 ; pinsrw Rx(v), WORD [Rq(b) + Rq(a) + d], l as i8)
            }
            LaneAccess::Load32(l) => {
                dynasm!(self.asm ; .arch x64 ; pinsrd Rx(v), DWORD [Rq(b) + Rq(a) + d], l as i8)
            }
            LaneAccess::Load64(l) => {
                dynasm!(self.asm ; .arch x64 ; pinsrq Rx(v), QWORD [Rq(b) + Rq(a) + d], l as i8)
            }
            LaneAccess::Store8(l) => {
                dynasm!(self.asm ; .arch x64 ; pextrb BYTE [Rq(b) + Rq(a) + d], Rx(v), l as i8)
            }
            LaneAccess::Store16(l) => {
                dynasm!(self.asm ; .arch x64 ; pextrw WORD [Rq(b) + Rq(a) + d], Rx(v), l as i8)
            }
            LaneAccess::Store32(l) => {
                dynasm!(self.asm ; .arch x64 ; pextrd DWORD [Rq(b) + Rq(a) + d], Rx(v), l as i8)
            }
            LaneAccess::Store64(l) => {
                dynasm!(self.asm ; .arch x64 ; pextrq QWORD [Rq(b) + Rq(a) + d], Rx(v), l as i8)
            }
        }
        self.regs.release(RegClass::Gpr, a);
        if matches!(
            kind,
            LaneAccess::Load8(_)
                | LaneAccess::Load16(_)
                | LaneAccess::Load32(_)
                | LaneAccess::Load64(_)
        ) {
            self.push_reg(ValType::V128, v);
        } else {
            self.regs.release(RegClass::Xmm, v);
        }
        Ok(())
    }
}

/// Loads that make a whole vector.
#[derive(Clone, Copy)]
enum VectorLoad {
    Full,
    S8x8,
    U8x8,
    S16x4,
    U16x4,
    S32x2,
    U32x2,
    Splat8,
    Splat16,
    Splat32,
    Splat64,
    Zero32,
    Zero64,
}

/// Accesses that take a vector operand (lane index where it applies).
#[derive(Clone, Copy)]
enum LaneAccess {
    Store,
    Load8(u8),
    Load16(u8),
    Load32(u8),
    Load64(u8),
    Store8(u8),
    Store16(u8),
    Store32(u8),
    Store64(u8),
}

/// The helper of an operator that takes only `v128` operands and makes a `v128`, and how
/// many operands it takes.
fn vector_helper(op: &Operator<'_>) -> Option<(HelperFn, usize)> {
    use Operator as O;
    let unary = match op {
        O::I32x4ExtAddPairwiseI16x8U => HelperFn::i32x4_extadd_pairwise_i16x8_u,
        O::I32x4TruncSatF32x4U => HelperFn::i32x4_trunc_sat_f32x4_u,
        O::F32x4ConvertI32x4U => HelperFn::f32x4_convert_i32x4_u,
        O::I32x4TruncSatF64x2SZero => HelperFn::i32x4_trunc_sat_f64x2_s_zero,
        O::I32x4TruncSatF64x2UZero => HelperFn::i32x4_trunc_sat_f64x2_u_zero,
        O::F64x2ConvertLowI32x4U => HelperFn::f64x2_convert_low_i32x4_u,
        _ => return binary_helper(op).map(|h| (h, 2)),
    };
    Some((unary, 1))
}

/// The helper of a binary `v128` operator.
fn binary_helper(op: &Operator<'_>) -> Option<HelperFn> {
    use Operator as O;
    Some(match op {
        O::I64x2LtS => HelperFn::i64x2_lt_s,
        O::I64x2GtS => HelperFn::i64x2_gt_s,
        O::I64x2LeS => HelperFn::i64x2_le_s,
        O::I64x2GeS => HelperFn::i64x2_ge_s,
        _ => return None,
    })
}

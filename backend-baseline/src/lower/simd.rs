//! 128-bit SIMD: constants, loads and stores (all forms, lanes included) and the bitwise and
//! add/sub/float arithmetic operators inline with SSE; every other operator calls its helper
//! in `crate::simd_helpers` with pointers to the operands' spill slots.

use dynasmrt::{dynasm, DynasmApi};
use lazuli_backend_api::ValType;
use wasmparser::{MemArg, Operator};

use super::{FuncLowering, Result};
use crate::regs::{RegClass, RAX, SCRATCH, XSCRATCH};
use crate::simd_helpers::{self as h, Helper};

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

/// What a helper call takes besides its `v128` operands.
#[derive(Clone, Copy, Default)]
struct Extra {
    /// A scalar operand on the stack above the vectors, passed as `x`.
    scalar: bool,
    /// An immediate passed as `x`.
    x: Option<u64>,
    /// An immediate passed as `y`.
    y: Option<u64>,
}

const SCALAR: Extra = Extra {
    scalar: true,
    x: None,
    y: None,
};

fn lane_x(lane: u8) -> Extra {
    Extra {
        x: Some(lane as u64),
        ..Extra::default()
    }
}

fn lane_y(lane: u8) -> Extra {
    Extra {
        scalar: true,
        y: Some(lane as u64),
        ..Extra::default()
    }
}

impl FuncLowering<'_> {
    pub(crate) fn simd_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        use ValType::{F32, F64, I32, I64, V128};
        let none = Extra::default();
        if let Some(equivalent) = lazuli_backend_api::relaxed::deterministic_equivalent(op) {
            return self.simd_op(&equivalent);
        }
        match *op {
            O::F32x4RelaxedMadd => self.simd_call(h::f32x4_relaxed_madd, 3, none, V128),
            O::F32x4RelaxedNmadd => self.simd_call(h::f32x4_relaxed_nmadd, 3, none, V128),
            O::F64x2RelaxedMadd => self.simd_call(h::f64x2_relaxed_madd, 3, none, V128),
            O::F64x2RelaxedNmadd => self.simd_call(h::f64x2_relaxed_nmadd, 3, none, V128),
            O::I16x8RelaxedDotI8x16I7x16S => {
                self.simd_call(h::i16x8_relaxed_dot_i8x16_i7x16_s, 2, none, V128)
            }
            O::I32x4RelaxedDotI8x16I7x16AddS => {
                self.simd_call(h::i32x4_relaxed_dot_i8x16_i7x16_add_s, 3, none, V128)
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
                self.push_reg(V128, x);
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

            O::I8x16Shuffle { lanes } => {
                let x = u64::from_le_bytes(lanes[..8].try_into().expect("8 lanes"));
                let y = u64::from_le_bytes(lanes[8..].try_into().expect("8 lanes"));
                let imm = Extra {
                    scalar: false,
                    x: Some(x),
                    y: Some(y),
                };
                self.simd_call(h::i8x16_shuffle, 2, imm, V128);
            }
            O::I8x16Swizzle => self.simd_call(h::i8x16_swizzle, 2, none, V128),
            O::I8x16Splat => self.simd_call(h::i8x16_splat, 0, SCALAR, V128),
            O::I16x8Splat => self.simd_call(h::i16x8_splat, 0, SCALAR, V128),
            O::I32x4Splat | O::F32x4Splat => self.simd_call(h::i32x4_splat, 0, SCALAR, V128),
            O::I64x2Splat | O::F64x2Splat => self.simd_call(h::i64x2_splat, 0, SCALAR, V128),
            O::I8x16ExtractLaneS { lane } => {
                self.simd_call(h::i8x16_extract_lane_s, 1, lane_x(lane), I32)
            }
            O::I8x16ExtractLaneU { lane } => {
                self.simd_call(h::i8x16_extract_lane_u, 1, lane_x(lane), I32)
            }
            O::I16x8ExtractLaneS { lane } => {
                self.simd_call(h::i16x8_extract_lane_s, 1, lane_x(lane), I32)
            }
            O::I16x8ExtractLaneU { lane } => {
                self.simd_call(h::i16x8_extract_lane_u, 1, lane_x(lane), I32)
            }
            O::I32x4ExtractLane { lane } => {
                self.simd_call(h::i32x4_extract_lane, 1, lane_x(lane), I32)
            }
            O::F32x4ExtractLane { lane } => {
                self.simd_call(h::i32x4_extract_lane, 1, lane_x(lane), F32)
            }
            O::I64x2ExtractLane { lane } => {
                self.simd_call(h::i64x2_extract_lane, 1, lane_x(lane), I64)
            }
            O::F64x2ExtractLane { lane } => {
                self.simd_call(h::i64x2_extract_lane, 1, lane_x(lane), F64)
            }
            O::I8x16ReplaceLane { lane } => {
                self.simd_call(h::i8x16_replace_lane, 1, lane_y(lane), V128)
            }
            O::I16x8ReplaceLane { lane } => {
                self.simd_call(h::i16x8_replace_lane, 1, lane_y(lane), V128)
            }
            O::I32x4ReplaceLane { lane } | O::F32x4ReplaceLane { lane } => {
                self.simd_call(h::i32x4_replace_lane, 1, lane_y(lane), V128)
            }
            O::I64x2ReplaceLane { lane } | O::F64x2ReplaceLane { lane } => {
                self.simd_call(h::i64x2_replace_lane, 1, lane_y(lane), V128)
            }
            O::V128Bitselect => self.simd_call(h::v128_bitselect, 3, none, V128),
            O::V128AnyTrue => self.simd_call(h::v128_any_true, 1, none, I32),
            O::I8x16AllTrue => self.simd_call(h::i8x16_all_true, 1, none, I32),
            O::I16x8AllTrue => self.simd_call(h::i16x8_all_true, 1, none, I32),
            O::I32x4AllTrue => self.simd_call(h::i32x4_all_true, 1, none, I32),
            O::I64x2AllTrue => self.simd_call(h::i64x2_all_true, 1, none, I32),
            O::I8x16Bitmask => self.simd_call(h::i8x16_bitmask, 1, none, I32),
            O::I16x8Bitmask => self.simd_call(h::i16x8_bitmask, 1, none, I32),
            O::I32x4Bitmask => self.simd_call(h::i32x4_bitmask, 1, none, I32),
            O::I64x2Bitmask => self.simd_call(h::i64x2_bitmask, 1, none, I32),
            O::I8x16Shl => self.simd_call(h::i8x16_shl, 1, SCALAR, V128),
            O::I8x16ShrS => self.simd_call(h::i8x16_shr_s, 1, SCALAR, V128),
            O::I8x16ShrU => self.simd_call(h::i8x16_shr_u, 1, SCALAR, V128),
            O::I16x8Shl => self.simd_call(h::i16x8_shl, 1, SCALAR, V128),
            O::I16x8ShrS => self.simd_call(h::i16x8_shr_s, 1, SCALAR, V128),
            O::I16x8ShrU => self.simd_call(h::i16x8_shr_u, 1, SCALAR, V128),
            O::I32x4Shl => self.simd_call(h::i32x4_shl, 1, SCALAR, V128),
            O::I32x4ShrS => self.simd_call(h::i32x4_shr_s, 1, SCALAR, V128),
            O::I32x4ShrU => self.simd_call(h::i32x4_shr_u, 1, SCALAR, V128),
            O::I64x2Shl => self.simd_call(h::i64x2_shl, 1, SCALAR, V128),
            O::I64x2ShrS => self.simd_call(h::i64x2_shr_s, 1, SCALAR, V128),
            O::I64x2ShrU => self.simd_call(h::i64x2_shr_u, 1, SCALAR, V128),
            _ => match vector_helper(op) {
                Some((helper, operands)) => self.simd_call(helper, operands, none, V128),
                None => return Ok(false),
            },
        }
        Ok(true)
    }

    /// Call `helper` on the top `vectors` v128 operands (and the scalar above them, if any);
    /// push its result of type `result`.
    fn simd_call(&mut self, helper: Helper, vectors: usize, extra: Extra, result: ValType) {
        let base = self.stack.len() - vectors - extra.scalar as usize;
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
        if extra.scalar {
            let depth = base + vectors;
            let op = self.stack[depth];
            if RegClass::of(op.ty) == RegClass::Xmm {
                self.load_operand(op, depth, XSCRATCH);
                dynasm!(self.asm ; .arch x64 ; movq r8, Rx(XSCRATCH));
            } else {
                self.load_operand(op, depth, 8);
            }
        }
        if let Some(x) = extra.x {
            dynasm!(self.asm ; .arch x64 ; mov r8, QWORD x as i64);
        }
        if let Some(y) = extra.y {
            dynasm!(self.asm ; .arch x64 ; mov r9, QWORD y as i64);
        }
        let out = self.slot_offset(base);
        self.save_homes();
        dynasm!(self.asm
            ; .arch x64
            ; lea rdi, [rbp + out]
            ; mov rax, QWORD helper as *const () as i64
            ; call rax
        );
        self.restore_homes();
        self.truncate(base);
        match result {
            ValType::V128 => self.push(ValType::V128, super::Location::Slot),
            ValType::F32 | ValType::F64 => {
                let x = self.alloc(RegClass::Xmm);
                dynasm!(self.asm ; .arch x64 ; movq Rx(x), rax);
                self.push_reg(result, x);
            }
            _ => {
                self.regs.take(RegClass::Gpr, RAX);
                self.push_reg(result, RAX);
            }
        }
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
fn vector_helper(op: &Operator<'_>) -> Option<(Helper, usize)> {
    use Operator as O;
    let unary: Helper = match op {
        O::I8x16Abs => h::i8x16_abs,
        O::I8x16Neg => h::i8x16_neg,
        O::I8x16Popcnt => h::i8x16_popcnt,
        O::I16x8ExtAddPairwiseI8x16S => h::i16x8_extadd_pairwise_i8x16_s,
        O::I16x8ExtAddPairwiseI8x16U => h::i16x8_extadd_pairwise_i8x16_u,
        O::I16x8Abs => h::i16x8_abs,
        O::I16x8Neg => h::i16x8_neg,
        O::I16x8ExtendLowI8x16S => h::i16x8_extend_low_i8x16_s,
        O::I16x8ExtendHighI8x16S => h::i16x8_extend_high_i8x16_s,
        O::I16x8ExtendLowI8x16U => h::i16x8_extend_low_i8x16_u,
        O::I16x8ExtendHighI8x16U => h::i16x8_extend_high_i8x16_u,
        O::I32x4ExtAddPairwiseI16x8S => h::i32x4_extadd_pairwise_i16x8_s,
        O::I32x4ExtAddPairwiseI16x8U => h::i32x4_extadd_pairwise_i16x8_u,
        O::I32x4Abs => h::i32x4_abs,
        O::I32x4Neg => h::i32x4_neg,
        O::I32x4ExtendLowI16x8S => h::i32x4_extend_low_i16x8_s,
        O::I32x4ExtendHighI16x8S => h::i32x4_extend_high_i16x8_s,
        O::I32x4ExtendLowI16x8U => h::i32x4_extend_low_i16x8_u,
        O::I32x4ExtendHighI16x8U => h::i32x4_extend_high_i16x8_u,
        O::I64x2Abs => h::i64x2_abs,
        O::I64x2Neg => h::i64x2_neg,
        O::I64x2ExtendLowI32x4S => h::i64x2_extend_low_i32x4_s,
        O::I64x2ExtendHighI32x4S => h::i64x2_extend_high_i32x4_s,
        O::I64x2ExtendLowI32x4U => h::i64x2_extend_low_i32x4_u,
        O::I64x2ExtendHighI32x4U => h::i64x2_extend_high_i32x4_u,
        O::F32x4Ceil => h::f32x4_ceil,
        O::F32x4Floor => h::f32x4_floor,
        O::F32x4Trunc => h::f32x4_trunc,
        O::F32x4Nearest => h::f32x4_nearest,
        O::F32x4Abs => h::f32x4_abs,
        O::F32x4Neg => h::f32x4_neg,
        O::F32x4Sqrt => h::f32x4_sqrt,
        O::F64x2Ceil => h::f64x2_ceil,
        O::F64x2Floor => h::f64x2_floor,
        O::F64x2Trunc => h::f64x2_trunc,
        O::F64x2Nearest => h::f64x2_nearest,
        O::F64x2Abs => h::f64x2_abs,
        O::F64x2Neg => h::f64x2_neg,
        O::F64x2Sqrt => h::f64x2_sqrt,
        O::I32x4TruncSatF32x4S => h::i32x4_trunc_sat_f32x4_s,
        O::I32x4TruncSatF32x4U => h::i32x4_trunc_sat_f32x4_u,
        O::F32x4ConvertI32x4S => h::f32x4_convert_i32x4_s,
        O::F32x4ConvertI32x4U => h::f32x4_convert_i32x4_u,
        O::I32x4TruncSatF64x2SZero => h::i32x4_trunc_sat_f64x2_s_zero,
        O::I32x4TruncSatF64x2UZero => h::i32x4_trunc_sat_f64x2_u_zero,
        O::F64x2ConvertLowI32x4S => h::f64x2_convert_low_i32x4_s,
        O::F64x2ConvertLowI32x4U => h::f64x2_convert_low_i32x4_u,
        O::F32x4DemoteF64x2Zero => h::f32x4_demote_f64x2_zero,
        O::F64x2PromoteLowF32x4 => h::f64x2_promote_low_f32x4,
        _ => return binary_helper(op).map(|h| (h, 2)),
    };
    Some((unary, 1))
}

/// The helper of a binary `v128` operator.
fn binary_helper(op: &Operator<'_>) -> Option<Helper> {
    use Operator as O;
    Some(match op {
        O::I8x16Eq => h::i8x16_eq,
        O::I8x16Ne => h::i8x16_ne,
        O::I8x16LtS => h::i8x16_lt_s,
        O::I8x16LtU => h::i8x16_lt_u,
        O::I8x16GtS => h::i8x16_gt_s,
        O::I8x16GtU => h::i8x16_gt_u,
        O::I8x16LeS => h::i8x16_le_s,
        O::I8x16LeU => h::i8x16_le_u,
        O::I8x16GeS => h::i8x16_ge_s,
        O::I8x16GeU => h::i8x16_ge_u,
        O::I16x8Eq => h::i16x8_eq,
        O::I16x8Ne => h::i16x8_ne,
        O::I16x8LtS => h::i16x8_lt_s,
        O::I16x8LtU => h::i16x8_lt_u,
        O::I16x8GtS => h::i16x8_gt_s,
        O::I16x8GtU => h::i16x8_gt_u,
        O::I16x8LeS => h::i16x8_le_s,
        O::I16x8LeU => h::i16x8_le_u,
        O::I16x8GeS => h::i16x8_ge_s,
        O::I16x8GeU => h::i16x8_ge_u,
        O::I32x4Eq => h::i32x4_eq,
        O::I32x4Ne => h::i32x4_ne,
        O::I32x4LtS => h::i32x4_lt_s,
        O::I32x4LtU => h::i32x4_lt_u,
        O::I32x4GtS => h::i32x4_gt_s,
        O::I32x4GtU => h::i32x4_gt_u,
        O::I32x4LeS => h::i32x4_le_s,
        O::I32x4LeU => h::i32x4_le_u,
        O::I32x4GeS => h::i32x4_ge_s,
        O::I32x4GeU => h::i32x4_ge_u,
        O::I64x2Eq => h::i64x2_eq,
        O::I64x2Ne => h::i64x2_ne,
        O::I64x2LtS => h::i64x2_lt_s,
        O::I64x2GtS => h::i64x2_gt_s,
        O::I64x2LeS => h::i64x2_le_s,
        O::I64x2GeS => h::i64x2_ge_s,
        O::F32x4Eq => h::f32x4_eq,
        O::F32x4Ne => h::f32x4_ne,
        O::F32x4Lt => h::f32x4_lt,
        O::F32x4Gt => h::f32x4_gt,
        O::F32x4Le => h::f32x4_le,
        O::F32x4Ge => h::f32x4_ge,
        O::F64x2Eq => h::f64x2_eq,
        O::F64x2Ne => h::f64x2_ne,
        O::F64x2Lt => h::f64x2_lt,
        O::F64x2Gt => h::f64x2_gt,
        O::F64x2Le => h::f64x2_le,
        O::F64x2Ge => h::f64x2_ge,
        O::I8x16NarrowI16x8S => h::i8x16_narrow_i16x8_s,
        O::I8x16NarrowI16x8U => h::i8x16_narrow_i16x8_u,
        O::I8x16AddSatS => h::i8x16_add_sat_s,
        O::I8x16AddSatU => h::i8x16_add_sat_u,
        O::I8x16SubSatS => h::i8x16_sub_sat_s,
        O::I8x16SubSatU => h::i8x16_sub_sat_u,
        O::I8x16MinS => h::i8x16_min_s,
        O::I8x16MinU => h::i8x16_min_u,
        O::I8x16MaxS => h::i8x16_max_s,
        O::I8x16MaxU => h::i8x16_max_u,
        O::I8x16AvgrU => h::i8x16_avgr_u,
        O::I16x8Q15MulrSatS => h::i16x8_q15mulr_sat_s,
        O::I16x8NarrowI32x4S => h::i16x8_narrow_i32x4_s,
        O::I16x8NarrowI32x4U => h::i16x8_narrow_i32x4_u,
        O::I16x8AddSatS => h::i16x8_add_sat_s,
        O::I16x8AddSatU => h::i16x8_add_sat_u,
        O::I16x8SubSatS => h::i16x8_sub_sat_s,
        O::I16x8SubSatU => h::i16x8_sub_sat_u,
        O::I16x8Mul => h::i16x8_mul,
        O::I16x8MinS => h::i16x8_min_s,
        O::I16x8MinU => h::i16x8_min_u,
        O::I16x8MaxS => h::i16x8_max_s,
        O::I16x8MaxU => h::i16x8_max_u,
        O::I16x8AvgrU => h::i16x8_avgr_u,
        O::I16x8ExtMulLowI8x16S => h::i16x8_extmul_low_i8x16_s,
        O::I16x8ExtMulHighI8x16S => h::i16x8_extmul_high_i8x16_s,
        O::I16x8ExtMulLowI8x16U => h::i16x8_extmul_low_i8x16_u,
        O::I16x8ExtMulHighI8x16U => h::i16x8_extmul_high_i8x16_u,
        O::I32x4Mul => h::i32x4_mul,
        O::I32x4MinS => h::i32x4_min_s,
        O::I32x4MinU => h::i32x4_min_u,
        O::I32x4MaxS => h::i32x4_max_s,
        O::I32x4MaxU => h::i32x4_max_u,
        O::I32x4DotI16x8S => h::i32x4_dot_i16x8_s,
        O::I32x4ExtMulLowI16x8S => h::i32x4_extmul_low_i16x8_s,
        O::I32x4ExtMulHighI16x8S => h::i32x4_extmul_high_i16x8_s,
        O::I32x4ExtMulLowI16x8U => h::i32x4_extmul_low_i16x8_u,
        O::I32x4ExtMulHighI16x8U => h::i32x4_extmul_high_i16x8_u,
        O::I64x2Mul => h::i64x2_mul,
        O::I64x2ExtMulLowI32x4S => h::i64x2_extmul_low_i32x4_s,
        O::I64x2ExtMulHighI32x4S => h::i64x2_extmul_high_i32x4_s,
        O::I64x2ExtMulLowI32x4U => h::i64x2_extmul_low_i32x4_u,
        O::I64x2ExtMulHighI32x4U => h::i64x2_extmul_high_i32x4_u,
        O::F32x4Min => h::f32x4_min,
        O::F32x4Max => h::f32x4_max,
        O::F32x4PMin => h::f32x4_pmin,
        O::F32x4PMax => h::f32x4_pmax,
        O::F64x2Min => h::f64x2_min,
        O::F64x2Max => h::f64x2_max,
        O::F64x2PMin => h::f64x2_pmin,
        O::F64x2PMax => h::f64x2_pmax,
        _ => return None,
    })
}

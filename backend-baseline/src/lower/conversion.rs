//! Conversions between value types: wrap and extend, int/float conversions, demote and promote,
//! reinterpretation, and truncations (through `crate::helpers` where they trap or saturate).

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use lazuli_backend_api::{TrapCode, ValType};
use wasmparser::Operator;

use super::relocation::HelperFn;
use super::{FuncLowering, Result};
use crate::helpers as h;
use crate::regs::{RegClass, RAX, RDI};

impl FuncLowering<'_> {
    pub(crate) fn conversion_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        use ValType::*;
        match *op {
            O::I32WrapI64 => {
                let (_, a) = self.pop_to_reg();
                dynasm!(self.asm ; .arch x64 ; mov Rd(a), Rd(a));
                self.push_reg(I32, a);
            }
            O::I64ExtendI32S => {
                let (_, a) = self.pop_to_reg();
                dynasm!(self.asm ; .arch x64 ; movsxd Rq(a), Rd(a));
                self.push_reg(I64, a);
            }
            O::I64ExtendI32U => {
                let (_, a) = self.pop_to_reg();
                dynasm!(self.asm ; .arch x64 ; mov Rd(a), Rd(a));
                self.push_reg(I64, a);
            }
            O::F32ConvertI32S => self.int_to_float(F32, Width::Signed32),
            O::F32ConvertI32U => self.int_to_float(F32, Width::Unsigned32),
            O::F32ConvertI64S => self.int_to_float(F32, Width::Signed64),
            O::F64ConvertI32S => self.int_to_float(F64, Width::Signed32),
            O::F64ConvertI32U => self.int_to_float(F64, Width::Unsigned32),
            O::F64ConvertI64S => self.int_to_float(F64, Width::Signed64),
            O::F32ConvertI64U => self.call_helper(HelperFn::f32_convert_i64_u, F32, false),
            O::F64ConvertI64U => self.call_helper(HelperFn::f64_convert_i64_u, F64, false),
            O::F32DemoteF64 => {
                let (_, a) = self.pop_to_reg();
                dynasm!(self.asm ; .arch x64 ; cvtsd2ss Rx(a), Rx(a));
                self.push_reg(F32, a);
            }
            O::F64PromoteF32 => {
                let (_, a) = self.pop_to_reg();
                dynasm!(self.asm ; .arch x64 ; cvtss2sd Rx(a), Rx(a));
                self.push_reg(F64, a);
            }
            O::I32ReinterpretF32 | O::I64ReinterpretF64 => {
                let wide = matches!(op, O::I64ReinterpretF64);
                let (_, x) = self.pop_to_reg();
                self.regs.release(RegClass::Xmm, x);
                let r = self.alloc(RegClass::Gpr);
                if wide {
                    dynasm!(self.asm ; .arch x64 ; movq Rq(r), Rx(x));
                } else {
                    dynasm!(self.asm ; .arch x64 ; movd Rd(r), Rx(x));
                }
                self.push_reg(if wide { I64 } else { I32 }, r);
            }
            O::F32ReinterpretI32 | O::F64ReinterpretI64 => {
                let wide = matches!(op, O::F64ReinterpretI64);
                let (_, r) = self.pop_to_reg();
                self.regs.release(RegClass::Gpr, r);
                let x = self.alloc(RegClass::Xmm);
                if wide {
                    dynasm!(self.asm ; .arch x64 ; movq Rx(x), Rq(r));
                } else {
                    dynasm!(self.asm ; .arch x64 ; movd Rx(x), Rd(r));
                }
                self.push_reg(if wide { F64 } else { F32 }, x);
            }
            O::I32TruncF32S => self.call_helper(HelperFn::i32_trunc_f32_s, I32, true),
            O::I32TruncF32U => self.call_helper(HelperFn::i32_trunc_f32_u, I32, true),
            O::I32TruncF64S => self.call_helper(HelperFn::i32_trunc_f64_s, I32, true),
            O::I32TruncF64U => self.call_helper(HelperFn::i32_trunc_f64_u, I32, true),
            O::I64TruncF32S => self.call_helper(HelperFn::i64_trunc_f32_s, I64, true),
            O::I64TruncF32U => self.call_helper(HelperFn::i64_trunc_f32_u, I64, true),
            O::I64TruncF64S => self.call_helper(HelperFn::i64_trunc_f64_s, I64, true),
            O::I64TruncF64U => self.call_helper(HelperFn::i64_trunc_f64_u, I64, true),
            O::I32TruncSatF32S => self.call_helper(HelperFn::i32_trunc_sat_f32_s, I32, false),
            O::I32TruncSatF32U => self.call_helper(HelperFn::i32_trunc_sat_f32_u, I32, false),
            O::I32TruncSatF64S => self.call_helper(HelperFn::i32_trunc_sat_f64_s, I32, false),
            O::I32TruncSatF64U => self.call_helper(HelperFn::i32_trunc_sat_f64_u, I32, false),
            O::I64TruncSatF32S => self.call_helper(HelperFn::i64_trunc_sat_f32_s, I64, false),
            O::I64TruncSatF32U => self.call_helper(HelperFn::i64_trunc_sat_f32_u, I64, false),
            O::I64TruncSatF64S => self.call_helper(HelperFn::i64_trunc_sat_f64_s, I64, false),
            O::I64TruncSatF64U => self.call_helper(HelperFn::i64_trunc_sat_f64_u, I64, false),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn int_to_float(&mut self, to: ValType, from: Width) {
        let (_, r) = self.pop_to_reg();
        self.regs.release(RegClass::Gpr, r);
        let x = self.alloc(RegClass::Xmm);
        // xorps first: cvtsi2s* writes only the low lane and would wait for the old value.
        dynasm!(self.asm ; .arch x64 ; xorps Rx(x), Rx(x));
        match (to, from) {
            (ValType::F32, Width::Signed32) => {
                dynasm!(self.asm ; .arch x64 ; cvtsi2ss Rx(x), Rd(r))
            }
            (ValType::F32, Width::Unsigned32) => {
                dynasm!(self.asm ; .arch x64 ; mov Rd(r), Rd(r) ; cvtsi2ss Rx(x), Rq(r))
            }
            (ValType::F32, _) => dynasm!(self.asm ; .arch x64 ; cvtsi2ss Rx(x), Rq(r)),
            (_, Width::Signed32) => dynasm!(self.asm ; .arch x64 ; cvtsi2sd Rx(x), Rd(r)),
            (_, Width::Unsigned32) => {
                dynasm!(self.asm ; .arch x64 ; mov Rd(r), Rd(r) ; cvtsi2sd Rx(x), Rq(r))
            }
            (_, _) => dynasm!(self.asm ; .arch x64 ; cvtsi2sd Rx(x), Rq(r)),
        }
        self.push_reg(to, x);
    }

    /// Call a one-argument helper on the top operand; with `checked`, the helper returns a
    /// status in rdx that becomes a trap.
    fn call_helper(&mut self, helper: HelperFn, result: ValType, checked: bool) {
        let arg = self.pop();
        let depth = self.stack.len();
        self.spill_regs();
        let into = match RegClass::of(arg.ty) {
            RegClass::Gpr => RDI,
            RegClass::Xmm => 0,
        };
        self.load_operand(arg, depth, into);
        self.release(arg);
        self.save_homes();
        self.absolute_helper(RAX, helper);
        dynasm!(self.asm ; .arch x64 ; call rax);
        self.restore_homes();
        if checked {
            let overflow = self.trap_label(TrapCode::IntegerOverflow);
            let invalid = self.trap_label(TrapCode::BadConversionToInteger);
            dynasm!(self.asm
                ; .arch x64
                ; cmp edx, h::OVERFLOW as i32
                ; je =>overflow
                ; cmp edx, h::INVALID as i32
                ; je =>invalid
            );
        }
        let reg = match RegClass::of(result) {
            RegClass::Gpr => RAX,
            RegClass::Xmm => 0,
        };
        self.regs.take(RegClass::of(result), reg);
        self.push_reg(result, reg);
    }
}

#[derive(Clone, Copy)]
enum Width {
    Signed32,
    Unsigned32,
    Signed64,
}

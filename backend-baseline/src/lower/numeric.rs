//! Integer and float arithmetic, bit operations and comparisons.
//!
//! Two-operand instructions take the left operand in a register they overwrite and the right
//! one as a register, a memory slot or an immediate, whichever it already is.

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use lazuli_backend_api::{TrapCode, ValType};
use wasmparser::Operator;

use super::condition::Cond;
use super::{FuncLowering, Location, Operand, Result};
use crate::regs::{RegClass, RAX, RCX, RDX, SCRATCH, XSCRATCH};

/// Pop the right operand `b` and the left one into a register `a`, and emit `ins a, b` in
/// the form `b` allows: 32-bit immediate, memory or register. Evaluates to `(type, a)`; `b`'s
/// register is free again.
macro_rules! int_rhs {
    ($self:ident, $wide:expr, $ins:ident) => {{
        let b = $self.pop();
        let b_depth = $self.stack.len();
        let (ty, a) = $self.pop_to_reg();
        let wide: bool = $wide;
        match (b.loc, $self.memory_of(b, b_depth)) {
            (Location::Const(c), _) if !wide || c as i64 as i32 as i64 == c as i64 => {
                if wide {
                    dynasm!($self.asm ; .arch x64 ; $ins Rq(a), c as i32)
                } else {
                    dynasm!($self.asm ; .arch x64 ; $ins Rd(a), c as i32)
                }
            }
            (_, Some(off)) => {
                if wide {
                    dynasm!($self.asm ; .arch x64 ; $ins Rq(a), QWORD [rbp + off])
                } else {
                    dynasm!($self.asm ; .arch x64 ; $ins Rd(a), DWORD [rbp + off])
                }
            }
            _ => {
                let rb = $self.operand_reg(b, b_depth, SCRATCH);
                if wide {
                    dynasm!($self.asm ; .arch x64 ; $ins Rq(a), Rq(rb))
                } else {
                    dynasm!($self.asm ; .arch x64 ; $ins Rd(a), Rd(rb))
                }
            }
        }
        $self.release(b);
        (ty, a)
    }};
}

/// An integer instruction `a op= b`.
macro_rules! int_binop {
    ($self:ident, $wide:expr, $ins:ident) => {{
        let (ty, a) = int_rhs!($self, $wide, $ins);
        $self.push_reg(ty, a);
    }};
}

/// A scalar SSE instruction: register-register or register-memory.
macro_rules! float_binop {
    ($self:ident, $ins:ident, $size:ident) => {{
        let b = $self.pop();
        let b_depth = $self.stack.len();
        let (ty, a) = $self.pop_to_reg();
        match $self.memory_of(b, b_depth) {
            Some(off) => dynasm!($self.asm ; .arch x64 ; $ins Rx(a), $size [rbp + off]),
            None => {
                let rb = $self.operand_reg(b, b_depth, XSCRATCH);
                dynasm!($self.asm ; .arch x64 ; $ins Rx(a), Rx(rb))
            }
        }
        $self.release(b);
        $self.push_reg(ty, a);
    }};
}

/// A one-operand integer instruction `ins dst, src` on a register.
macro_rules! int_unop {
    ($self:ident, $wide:expr, $ins:ident) => {{
        if $wide {
            in_place!($self, |a| $ins Rq(a), Rq(a))
        } else {
            in_place!($self, |a| $ins Rd(a), Rd(a))
        }
    }};
}

/// Pop the top value into a register, apply one instruction to register `a` in place, and push
/// it back with its type.
macro_rules! in_place {
    ($self:ident, |$a:ident| $($ins:tt)*) => {{
        let (ty, $a) = $self.pop_to_reg();
        dynasm!($self.asm ; .arch x64 ; $($ins)*);
        $self.push_reg(ty, $a);
    }};
}

/// Integer comparison, its result left in the flags.
macro_rules! int_compare {
    ($self:ident, $wide:expr, $cond:expr) => {{
        let (_, a) = int_rhs!($self, $wide, cmp);
        $self.regs.release(RegClass::Gpr, a);
        $self.push(ValType::I32, Location::Flags($cond));
    }};
}

/// Float comparison, its result left in the flags. `swap` compares b with a (for `lt` and
/// `le`, so that an unordered result, which sets CF, reads as false with above/above-equal).
macro_rules! float_compare {
    ($self:ident, $ucomi:ident, $cond:expr, $swap:expr) => {{
        let b = $self.pop();
        let b_depth = $self.stack.len();
        let a = $self.pop();
        let a_depth = $self.stack.len();
        let ra = $self.operand_reg(a, a_depth, XSCRATCH);
        // The second register is b's own, or xmm15 when a is not there.
        let rb = if ra == XSCRATCH {
            let r = $self.alloc(RegClass::Xmm);
            $self.load_operand(b, b_depth, r);
            $self.regs.release(RegClass::Xmm, r);
            r
        } else {
            $self.operand_reg(b, b_depth, XSCRATCH)
        };
        if $swap {
            dynasm!($self.asm ; .arch x64 ; $ucomi Rx(rb), Rx(ra));
        } else {
            dynasm!($self.asm ; .arch x64 ; $ucomi Rx(ra), Rx(rb));
        }
        $self.release(a);
        $self.release(b);
        $self.push(ValType::I32, Location::Flags($cond));
    }};
}

impl FuncLowering<'_> {
    /// The register holding operand `op` (popped from `depth`): its own, or `scratch` loaded.
    pub(crate) fn operand_reg(&mut self, op: Operand, depth: usize, scratch: u8) -> u8 {
        match op.loc {
            Location::Reg(r) => r,
            Location::Local(i) if self.home(i).is_some() => self.home(i).expect("checked"),
            _ => {
                self.load_operand(op, depth, scratch);
                scratch
            }
        }
    }

    pub(crate) fn numeric_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        match *op {
            O::I32Const { value } => self.push(ValType::I32, Location::Const(value as u32 as u64)),
            O::I64Const { value } => self.push(ValType::I64, Location::Const(value as u64)),
            O::F32Const { value } => self.push(ValType::F32, Location::Const(value.bits() as u64)),
            O::F64Const { value } => self.push(ValType::F64, Location::Const(value.bits())),

            O::I32Add => int_binop!(self, false, add),
            O::I64Add => int_binop!(self, true, add),
            O::I32Sub => int_binop!(self, false, sub),
            O::I64Sub => int_binop!(self, true, sub),
            O::I32And => int_binop!(self, false, and),
            O::I64And => int_binop!(self, true, and),
            O::I32Or => int_binop!(self, false, or),
            O::I64Or => int_binop!(self, true, or),
            O::I32Xor => int_binop!(self, false, xor),
            O::I64Xor => int_binop!(self, true, xor),
            O::I32Mul => self.mul(false),
            O::I64Mul => self.mul(true),
            O::I32DivS => self.divide(false, Division::Signed),
            O::I64DivS => self.divide(true, Division::Signed),
            O::I32DivU => self.divide(false, Division::Unsigned),
            O::I64DivU => self.divide(true, Division::Unsigned),
            O::I32RemS => self.divide(false, Division::SignedRemainder),
            O::I64RemS => self.divide(true, Division::SignedRemainder),
            O::I32RemU => self.divide(false, Division::UnsignedRemainder),
            O::I64RemU => self.divide(true, Division::UnsignedRemainder),
            O::I32Shl => self.shift(false, Shift::Shl),
            O::I64Shl => self.shift(true, Shift::Shl),
            O::I32ShrS => self.shift(false, Shift::Sar),
            O::I64ShrS => self.shift(true, Shift::Sar),
            O::I32ShrU => self.shift(false, Shift::Shr),
            O::I64ShrU => self.shift(true, Shift::Shr),
            O::I32Rotl => self.shift(false, Shift::Rol),
            O::I64Rotl => self.shift(true, Shift::Rol),
            O::I32Rotr => self.shift(false, Shift::Ror),
            O::I64Rotr => self.shift(true, Shift::Ror),
            O::I32Clz => int_unop!(self, false, lzcnt),
            O::I64Clz => int_unop!(self, true, lzcnt),
            O::I32Ctz => int_unop!(self, false, tzcnt),
            O::I64Ctz => int_unop!(self, true, tzcnt),
            O::I32Popcnt => int_unop!(self, false, popcnt),
            O::I64Popcnt => int_unop!(self, true, popcnt),
            O::I32Extend8S => in_place!(self, |a| movsx Rd(a), Rb(a)),
            O::I32Extend16S => in_place!(self, |a| movsx Rd(a), Rw(a)),
            O::I64Extend8S => in_place!(self, |a| movsx Rq(a), Rb(a)),
            O::I64Extend16S => in_place!(self, |a| movsx Rq(a), Rw(a)),
            O::I64Extend32S => in_place!(self, |a| movsxd Rq(a), Rd(a)),
            O::I32Eqz | O::I64Eqz => {
                let wide = matches!(op, O::I64Eqz);
                let (_, a) = self.pop_to_reg();
                if wide {
                    dynasm!(self.asm ; .arch x64 ; test Rq(a), Rq(a));
                } else {
                    dynasm!(self.asm ; .arch x64 ; test Rd(a), Rd(a));
                }
                self.regs.release(RegClass::Gpr, a);
                self.push(ValType::I32, Location::Flags(Cond::Equal));
            }
            O::I32Eq => int_compare!(self, false, Cond::Equal),
            O::I64Eq => int_compare!(self, true, Cond::Equal),
            O::I32Ne => int_compare!(self, false, Cond::NotEqual),
            O::I64Ne => int_compare!(self, true, Cond::NotEqual),
            O::I32LtS => int_compare!(self, false, Cond::Less),
            O::I64LtS => int_compare!(self, true, Cond::Less),
            O::I32LtU => int_compare!(self, false, Cond::Below),
            O::I64LtU => int_compare!(self, true, Cond::Below),
            O::I32GtS => int_compare!(self, false, Cond::Greater),
            O::I64GtS => int_compare!(self, true, Cond::Greater),
            O::I32GtU => int_compare!(self, false, Cond::Above),
            O::I64GtU => int_compare!(self, true, Cond::Above),
            O::I32LeS => int_compare!(self, false, Cond::LessEqual),
            O::I64LeS => int_compare!(self, true, Cond::LessEqual),
            O::I32LeU => int_compare!(self, false, Cond::BelowEqual),
            O::I64LeU => int_compare!(self, true, Cond::BelowEqual),
            O::I32GeS => int_compare!(self, false, Cond::GreaterEqual),
            O::I64GeS => int_compare!(self, true, Cond::GreaterEqual),
            O::I32GeU => int_compare!(self, false, Cond::AboveEqual),
            O::I64GeU => int_compare!(self, true, Cond::AboveEqual),

            O::F32Add => float_binop!(self, addss, DWORD),
            O::F64Add => float_binop!(self, addsd, QWORD),
            O::F32Sub => float_binop!(self, subss, DWORD),
            O::F64Sub => float_binop!(self, subsd, QWORD),
            O::F32Mul => float_binop!(self, mulss, DWORD),
            O::F64Mul => float_binop!(self, mulsd, QWORD),
            O::F32Div => float_binop!(self, divss, DWORD),
            O::F64Div => float_binop!(self, divsd, QWORD),
            O::F32Sqrt => in_place!(self, |a| sqrtss Rx(a), Rx(a)),
            O::F64Sqrt => in_place!(self, |a| sqrtsd Rx(a), Rx(a)),
            O::F32Ceil => self.round(false, 0x0a),
            O::F64Ceil => self.round(true, 0x0a),
            O::F32Floor => self.round(false, 0x09),
            O::F64Floor => self.round(true, 0x09),
            O::F32Trunc => self.round(false, 0x0b),
            O::F64Trunc => self.round(true, 0x0b),
            O::F32Nearest => self.round(false, 0x08),
            O::F64Nearest => self.round(true, 0x08),
            O::F32Abs => self.sign_bits(false, SignOp::Abs),
            O::F64Abs => self.sign_bits(true, SignOp::Abs),
            O::F32Neg => self.sign_bits(false, SignOp::Neg),
            O::F64Neg => self.sign_bits(true, SignOp::Neg),
            O::F32Copysign => self.copysign(false),
            O::F64Copysign => self.copysign(true),
            O::F32Min => self.min_max(false, true),
            O::F64Min => self.min_max(true, true),
            O::F32Max => self.min_max(false, false),
            O::F64Max => self.min_max(true, false),
            O::F32Eq | O::F64Eq => self.float_eq(matches!(op, O::F64Eq), true),
            O::F32Ne | O::F64Ne => self.float_eq(matches!(op, O::F64Ne), false),
            O::F32Lt => float_compare!(self, ucomiss, Cond::Above, true),
            O::F64Lt => float_compare!(self, ucomisd, Cond::Above, true),
            O::F32Gt => float_compare!(self, ucomiss, Cond::Above, false),
            O::F64Gt => float_compare!(self, ucomisd, Cond::Above, false),
            O::F32Le => float_compare!(self, ucomiss, Cond::AboveEqual, true),
            O::F64Le => float_compare!(self, ucomisd, Cond::AboveEqual, true),
            O::F32Ge => float_compare!(self, ucomiss, Cond::AboveEqual, false),
            O::F64Ge => float_compare!(self, ucomisd, Cond::AboveEqual, false),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn mul(&mut self, wide: bool) {
        let b = self.pop();
        let b_depth = self.stack.len();
        let (ty, a) = self.pop_to_reg();
        match (b.loc, self.memory_of(b, b_depth)) {
            (Location::Const(c), _) if !wide || c as i64 as i32 as i64 == c as i64 => {
                if wide {
                    dynasm!(self.asm ; .arch x64 ; imul Rq(a), Rq(a), c as i32)
                } else {
                    dynasm!(self.asm ; .arch x64 ; imul Rd(a), Rd(a), c as i32)
                }
            }
            (_, Some(off)) => {
                if wide {
                    dynasm!(self.asm ; .arch x64 ; imul Rq(a), QWORD [rbp + off])
                } else {
                    dynasm!(self.asm ; .arch x64 ; imul Rd(a), DWORD [rbp + off])
                }
            }
            _ => {
                let rb = self.operand_reg(b, b_depth, SCRATCH);
                if wide {
                    dynasm!(self.asm ; .arch x64 ; imul Rq(a), Rq(rb))
                } else {
                    dynasm!(self.asm ; .arch x64 ; imul Rd(a), Rd(rb))
                }
            }
        }
        self.release(b);
        self.push_reg(ty, a);
    }

    /// Division and remainder: the dividend in rax (rdx:rax), the divisor in r11; traps on a
    /// zero divisor and on signed overflow (`MIN / -1`); `MIN % -1` is 0.
    fn divide(&mut self, wide: bool, kind: Division) {
        let b = self.pop();
        let b_depth = self.stack.len();
        let a = self.pop();
        let a_depth = self.stack.len();
        let ty = a.ty;
        self.load_operand(b, b_depth, SCRATCH);
        self.release(b);
        self.release(a);
        self.alloc_specific(RegClass::Gpr, RAX);
        self.load_operand(a, a_depth, RAX);
        self.alloc_specific(RegClass::Gpr, RDX);
        let by_zero = self.trap_label(TrapCode::IntegerDivisionByZero);
        if wide {
            dynasm!(self.asm ; .arch x64 ; test Rq(SCRATCH), Rq(SCRATCH) ; jz =>by_zero);
        } else {
            dynasm!(self.asm ; .arch x64 ; test Rd(SCRATCH), Rd(SCRATCH) ; jz =>by_zero);
        }
        let done = self.asm.new_dynamic_label();
        match kind {
            Division::Signed => {
                let overflow = self.trap_label(TrapCode::IntegerOverflow);
                let ok = self.asm.new_dynamic_label();
                if wide {
                    dynasm!(self.asm
                        ; .arch x64
                        ; cmp Rq(SCRATCH), -1
                        ; jne =>ok
                        ; mov rdx, QWORD i64::MIN
                        ; cmp rax, rdx
                        ; je =>overflow
                        ; =>ok
                        ; cqo
                        ; idiv Rq(SCRATCH)
                    );
                } else {
                    dynasm!(self.asm
                        ; .arch x64
                        ; cmp Rd(SCRATCH), -1
                        ; jne =>ok
                        ; cmp eax, i32::MIN
                        ; je =>overflow
                        ; =>ok
                        ; cdq
                        ; idiv Rd(SCRATCH)
                    );
                }
            }
            Division::SignedRemainder => {
                let ok = self.asm.new_dynamic_label();
                if wide {
                    dynasm!(self.asm
                        ; .arch x64
                        ; xor edx, edx
                        ; cmp Rq(SCRATCH), -1
                        ; je =>done
                        ; =>ok
                        ; cqo
                        ; idiv Rq(SCRATCH)
                    );
                } else {
                    dynasm!(self.asm
                        ; .arch x64
                        ; xor edx, edx
                        ; cmp Rd(SCRATCH), -1
                        ; je =>done
                        ; =>ok
                        ; cdq
                        ; idiv Rd(SCRATCH)
                    );
                }
            }
            Division::Unsigned | Division::UnsignedRemainder => {
                if wide {
                    dynasm!(self.asm ; .arch x64 ; xor edx, edx ; div Rq(SCRATCH));
                } else {
                    dynasm!(self.asm ; .arch x64 ; xor edx, edx ; div Rd(SCRATCH));
                }
            }
        }
        dynasm!(self.asm ; .arch x64 ; =>done);
        let (result, other) = match kind {
            Division::Signed | Division::Unsigned => (RAX, RDX),
            _ => (RDX, RAX),
        };
        self.regs.release(RegClass::Gpr, other);
        self.push_reg(ty, result);
    }

    /// Shifts and rotates: the count as an immediate, or in cl.
    fn shift(&mut self, wide: bool, kind: Shift) {
        let b = self.pop();
        let b_depth = self.stack.len();
        if let Location::Const(c) = b.loc {
            let (ty, a) = self.pop_to_reg();
            let n = (c as u8) & if wide { 63 } else { 31 };
            macro_rules! by_imm {
                ($ins:ident) => {
                    if wide {
                        dynasm!(self.asm ; .arch x64 ; $ins Rq(a), n as i8)
                    } else {
                        dynasm!(self.asm ; .arch x64 ; $ins Rd(a), n as i8)
                    }
                };
            }
            match kind {
                Shift::Shl => by_imm!(shl),
                Shift::Sar => by_imm!(sar),
                Shift::Shr => by_imm!(shr),
                Shift::Rol => by_imm!(rol),
                Shift::Ror => by_imm!(ror),
            }
            self.push_reg(ty, a);
            return;
        }
        // The count goes to r11 first, so that taking rcx cannot lose it.
        self.load_operand(b, b_depth, SCRATCH);
        self.release(b);
        let a = self.pop();
        let a_depth = self.stack.len();
        self.release(a);
        self.alloc_specific(RegClass::Gpr, RCX);
        let r = self.alloc(RegClass::Gpr);
        self.load_operand(a, a_depth, r);
        dynasm!(self.asm ; .arch x64 ; mov ecx, Rd(SCRATCH));
        macro_rules! by_cl {
            ($ins:ident) => {
                if wide {
                    dynasm!(self.asm ; .arch x64 ; $ins Rq(r), cl)
                } else {
                    dynasm!(self.asm ; .arch x64 ; $ins Rd(r), cl)
                }
            };
        }
        match kind {
            Shift::Shl => by_cl!(shl),
            Shift::Sar => by_cl!(sar),
            Shift::Shr => by_cl!(shr),
            Shift::Rol => by_cl!(rol),
            Shift::Ror => by_cl!(ror),
        }
        self.regs.release(RegClass::Gpr, RCX);
        self.push_reg(a.ty, r);
    }

    /// ceil, floor, trunc, nearest with SSE4.1 `roundss`/`roundsd` (precision exception off).
    fn round(&mut self, wide: bool, mode: i8) {
        let (ty, a) = self.pop_to_reg();
        if wide {
            dynasm!(self.asm ; .arch x64 ; roundsd Rx(a), Rx(a), mode);
        } else {
            dynasm!(self.asm ; .arch x64 ; roundss Rx(a), Rx(a), mode);
        }
        self.push_reg(ty, a);
    }

    /// abs and neg: clear or flip the sign bit.
    fn sign_bits(&mut self, wide: bool, op: SignOp) {
        let (ty, a) = self.pop_to_reg();
        let sign: u64 = if wide { 1 << 63 } else { 1 << 31 };
        let mask = match op {
            SignOp::Abs => !sign & if wide { u64::MAX } else { u32::MAX as u64 },
            SignOp::Neg => sign,
        };
        dynasm!(self.asm ; .arch x64 ; mov Rq(SCRATCH), QWORD mask as i64 ; movq Rx(XSCRATCH), Rq(SCRATCH));
        match op {
            SignOp::Abs => dynasm!(self.asm ; .arch x64 ; andps Rx(a), Rx(XSCRATCH)),
            SignOp::Neg => dynasm!(self.asm ; .arch x64 ; xorps Rx(a), Rx(XSCRATCH)),
        }
        self.push_reg(ty, a);
    }

    /// copysign through the integer registers.
    fn copysign(&mut self, wide: bool) {
        let b = self.pop();
        let b_depth = self.stack.len();
        let (ty, a) = self.pop_to_reg();
        let rb = self.operand_reg(b, b_depth, XSCRATCH);
        let t = self.alloc(RegClass::Gpr);
        if wide {
            dynasm!(self.asm
                ; .arch x64
                ; movq Rq(SCRATCH), Rx(rb)
                ; movq Rq(t), Rx(a)
                ; btr Rq(t), 63
                ; shr Rq(SCRATCH), 63
                ; shl Rq(SCRATCH), 63
                ; or Rq(t), Rq(SCRATCH)
                ; movq Rx(a), Rq(t)
            );
        } else {
            dynasm!(self.asm
                ; .arch x64
                ; movd Rd(SCRATCH), Rx(rb)
                ; movd Rd(t), Rx(a)
                ; and Rd(t), 0x7fff_ffff
                ; and Rd(SCRATCH), i32::MIN
                ; or Rd(t), Rd(SCRATCH)
                ; movd Rx(a), Rd(t)
            );
        }
        self.regs.release(RegClass::Gpr, t);
        self.release(b);
        self.push_reg(ty, a);
    }

    /// min and max with wasm's rules: NaN if either is NaN, and -0 < +0.
    fn min_max(&mut self, wide: bool, min: bool) {
        let b = self.pop();
        let b_depth = self.stack.len();
        let (ty, a) = self.pop_to_reg();
        let rb = self.operand_reg(b, b_depth, XSCRATCH);
        let equal = self.asm.new_dynamic_label();
        let nan = self.asm.new_dynamic_label();
        let done = self.asm.new_dynamic_label();
        macro_rules! seq {
            ($ucomi:ident, $minmax:ident, $combine:ident, $add:ident) => {
                dynasm!(self.asm
                    ; .arch x64
                    ; $ucomi Rx(a), Rx(rb)
                    ; jp =>nan
                    ; je =>equal
                    ; $minmax Rx(a), Rx(rb)
                    ; jmp =>done
                    // Equal: only the zeros' signs can differ; or (min) / and (max) of the bits.
                    ; =>equal
                    ; $combine Rx(a), Rx(rb)
                    ; jmp =>done
                    ; =>nan
                    ; $add Rx(a), Rx(rb)
                    ; =>done
                )
            };
        }
        match (wide, min) {
            (false, true) => seq!(ucomiss, minss, orps, addss),
            (false, false) => seq!(ucomiss, maxss, andps, addss),
            (true, true) => seq!(ucomisd, minsd, orpd, addsd),
            (true, false) => seq!(ucomisd, maxsd, andpd, addsd),
        }
        self.release(b);
        self.push_reg(ty, a);
    }

    /// `eq` (ordered and equal) or `ne` (unordered or different).
    fn float_eq(&mut self, wide: bool, eq: bool) {
        let b = self.pop();
        let b_depth = self.stack.len();
        let (_, a) = self.pop_to_reg();
        let rb = self.operand_reg(b, b_depth, XSCRATCH);
        if wide {
            dynasm!(self.asm ; .arch x64 ; ucomisd Rx(a), Rx(rb));
        } else {
            dynasm!(self.asm ; .arch x64 ; ucomiss Rx(a), Rx(rb));
        }
        self.release(b);
        self.regs.release(RegClass::Xmm, a);
        let r = self.alloc(RegClass::Gpr);
        if eq {
            dynasm!(self.asm
                ; .arch x64
                ; sete Rb(r)
                ; setnp Rb(SCRATCH)
                ; and Rb(r), Rb(SCRATCH)
                ; movzx Rd(r), Rb(r)
            );
        } else {
            dynasm!(self.asm
                ; .arch x64
                ; setne Rb(r)
                ; setp Rb(SCRATCH)
                ; or Rb(r), Rb(SCRATCH)
                ; movzx Rd(r), Rb(r)
            );
        }
        self.push_reg(ValType::I32, r);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Division {
    Signed,
    Unsigned,
    SignedRemainder,
    UnsignedRemainder,
}

#[derive(Clone, Copy)]
enum Shift {
    Shl,
    Sar,
    Shr,
    Rol,
    Ror,
}

#[derive(Clone, Copy)]
enum SignOp {
    Abs,
    Neg,
}

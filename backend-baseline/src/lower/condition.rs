//! Comparison results kept in the CPU flags: a comparison followed by `if` or `br_if` becomes
//! `cmp` + one conditional jump; any other consumer gets the result as an `i32` (`setcc`).

use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};

/// An x86 condition code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cond {
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Below,
    BelowEqual,
    Above,
    AboveEqual,
}

impl Cond {
    /// The condition that holds exactly when this one does not.
    pub(crate) fn invert(self) -> Cond {
        use Cond::*;
        match self {
            Equal => NotEqual,
            NotEqual => Equal,
            Less => GreaterEqual,
            GreaterEqual => Less,
            LessEqual => Greater,
            Greater => LessEqual,
            Below => AboveEqual,
            AboveEqual => Below,
            BelowEqual => Above,
            Above => BelowEqual,
        }
    }

    /// `setcc` into the low byte of `r`, then zero-extend it to 32 bits.
    pub(crate) fn set(self, asm: &mut VecAssembler<X64Relocation>, r: u8) {
        use Cond::*;
        match self {
            Equal => dynasm!(asm ; .arch x64 ; sete Rb(r)),
            NotEqual => dynasm!(asm ; .arch x64 ; setne Rb(r)),
            Less => dynasm!(asm ; .arch x64 ; setl Rb(r)),
            LessEqual => dynasm!(asm ; .arch x64 ; setle Rb(r)),
            Greater => dynasm!(asm ; .arch x64 ; setg Rb(r)),
            GreaterEqual => dynasm!(asm ; .arch x64 ; setge Rb(r)),
            Below => dynasm!(asm ; .arch x64 ; setb Rb(r)),
            BelowEqual => dynasm!(asm ; .arch x64 ; setbe Rb(r)),
            Above => dynasm!(asm ; .arch x64 ; seta Rb(r)),
            AboveEqual => dynasm!(asm ; .arch x64 ; setae Rb(r)),
        }
        dynasm!(asm ; .arch x64 ; movzx Rd(r), Rb(r));
    }

    /// Jump to `label` if the condition holds.
    pub(crate) fn jump(self, asm: &mut VecAssembler<X64Relocation>, label: DynamicLabel) {
        use Cond::*;
        match self {
            Equal => dynasm!(asm ; .arch x64 ; je =>label),
            NotEqual => dynasm!(asm ; .arch x64 ; jne =>label),
            Less => dynasm!(asm ; .arch x64 ; jl =>label),
            LessEqual => dynasm!(asm ; .arch x64 ; jle =>label),
            Greater => dynasm!(asm ; .arch x64 ; jg =>label),
            GreaterEqual => dynasm!(asm ; .arch x64 ; jge =>label),
            Below => dynasm!(asm ; .arch x64 ; jb =>label),
            BelowEqual => dynasm!(asm ; .arch x64 ; jbe =>label),
            Above => dynasm!(asm ; .arch x64 ; ja =>label),
            AboveEqual => dynasm!(asm ; .arch x64 ; jae =>label),
        }
    }
}

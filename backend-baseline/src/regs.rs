//! The registers the baseline code generator allocates, and the set of those free right now.
//!
//! Values live in `rax rcx rdx rsi rdi r8 r9` (integers, references) and `xmm0..xmm14`
//! (floats). `r10`, `r11` and `xmm15` are scratch registers for single instructions' needs and
//! never hold a value across operators; `r15` holds the `VMContext`, `rbx` and `r12` memory 0
//! (see `lower`); `r13` and `r14` are not used (they would have to be saved).

use lazuli_backend_api::ValType;

/// `rax`.
pub(crate) const RAX: u8 = 0;
/// `rcx`.
pub(crate) const RCX: u8 = 1;
/// `rdx`.
pub(crate) const RDX: u8 = 2;
/// `rdi`.
pub(crate) const RDI: u8 = 7;
/// First scratch register.
pub(crate) const SCRATCH: u8 = 11;
/// Second scratch register.
pub(crate) const SCRATCH2: u8 = 10;
/// Scratch float register.
pub(crate) const XSCRATCH: u8 = 15;
/// The register holding the `VMContext` while a function runs.
pub(crate) const VMCTX: u8 = 15;
/// rbx: the base of memory 0, while a function runs.
pub(crate) const MEMORY_BASE: u8 = 3;
/// r12: memory 0's `VMMemoryDefinition`, while a function runs.
pub(crate) const MEMORY_DEF: u8 = 12;

const ALLOCATABLE_GPRS: u16 =
    (1 << 0) | (1 << 1) | (1 << 2) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9);
const ALLOCATABLE_XMMS: u16 = 0x7fff;

/// Which class of register a value of type `ty` lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RegClass {
    /// General-purpose registers.
    Gpr,
    /// SSE registers.
    Xmm,
}

impl RegClass {
    /// The class of `ty`'s registers.
    pub(crate) fn of(ty: ValType) -> RegClass {
        match ty {
            ValType::F32 | ValType::F64 | ValType::V128 => RegClass::Xmm,
            _ => RegClass::Gpr,
        }
    }
}

/// The free allocatable registers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RegSet {
    free: [u16; 2],
}

impl Default for RegSet {
    fn default() -> Self {
        RegSet {
            free: [ALLOCATABLE_GPRS, ALLOCATABLE_XMMS],
        }
    }
}

impl RegSet {
    /// Take any free register of `class`.
    pub(crate) fn take_any(&mut self, class: RegClass) -> Option<u8> {
        let free = &mut self.free[class as usize];
        if *free == 0 {
            return None;
        }
        let reg = free.trailing_zeros() as u8;
        *free &= !(1 << reg);
        Some(reg)
    }

    /// Whether `reg` of `class` is free.
    pub(crate) fn is_free(&self, class: RegClass, reg: u8) -> bool {
        self.free[class as usize] & (1 << reg) != 0
    }

    /// Take `reg`, which must be free.
    pub(crate) fn take(&mut self, class: RegClass, reg: u8) {
        debug_assert!(self.is_free(class, reg));
        self.free[class as usize] &= !(1 << reg);
    }

    /// Give `reg` back.
    pub(crate) fn release(&mut self, class: RegClass, reg: u8) {
        let allocatable = [ALLOCATABLE_GPRS, ALLOCATABLE_XMMS][class as usize];
        debug_assert!(allocatable & (1 << reg) != 0);
        self.free[class as usize] |= 1 << reg;
    }
}

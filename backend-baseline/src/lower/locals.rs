//! Where locals live. Without looking ahead, the first integer locals (parameters first) get a
//! home in r13 and r14 and the first float and vector locals one in xmm8..xmm14 for the whole
//! function; the rest live in their frame slots. A home register always holds the local's
//! current value, so every path into a label agrees on it without moves. r13 and r14 are
//! callee-saved (saved in the prologue); the XMM homes are not, so they are written to the
//! locals' slots before a call and read back after it.

use dynasmrt::{dynasm, DynasmApi};
use lazuli_backend_api::ValType;

use super::FuncLowering;
use crate::regs::{RegClass, RegSet};

/// Callee-saved general registers that hold integer locals.
pub(crate) const GPR_HOMES: [u8; 2] = [13, 14];
/// XMM registers that hold float and vector locals.
pub(crate) const XMM_HOMES: [u8; 7] = [8, 9, 10, 11, 12, 13, 14];

/// The home register of each local (in order of index, while registers last), taking them out
/// of `regs` so they are never allocated for temporaries.
pub(crate) fn assign_homes(locals: &[ValType], regs: &mut RegSet) -> Vec<Option<u8>> {
    let (mut gprs, mut xmms) = (GPR_HOMES.iter(), XMM_HOMES.iter());
    locals
        .iter()
        .map(|ty| {
            let home = match RegClass::of(*ty) {
                RegClass::Gpr => gprs.next(),
                RegClass::Xmm => xmms.next(),
            }
            .copied()?;
            if RegClass::of(*ty) == RegClass::Xmm {
                regs.take(RegClass::Xmm, home);
            }
            Some(home)
        })
        .collect()
}

impl FuncLowering<'_> {
    /// The home register of local `i`, if it has one.
    pub(crate) fn home(&self, i: u32) -> Option<u8> {
        self.homes[i as usize]
    }

    /// Before a call: XMM homes to the locals' slots (the call may clobber them).
    pub(crate) fn save_homes(&mut self) {
        self.move_xmm_homes(true);
    }

    /// After a call: XMM homes back from the locals' slots.
    pub(crate) fn restore_homes(&mut self) {
        self.move_xmm_homes(false);
    }

    fn move_xmm_homes(&mut self, save: bool) {
        for i in 0..self.locals.len() {
            let ty = self.locals[i];
            let Some(home) = self.homes[i] else { continue };
            if RegClass::of(ty) != RegClass::Xmm {
                continue;
            }
            let off = self.local_offset(i as u32);
            if save {
                self.store_reg(ty, home, off);
            } else {
                self.load_mem(ty, home, off);
            }
        }
    }

    /// Zero local `i` at function entry.
    pub(crate) fn zero_local(&mut self, i: u32) {
        match (self.home(i), RegClass::of(self.locals[i as usize])) {
            (Some(home), RegClass::Gpr) => dynasm!(self.asm ; .arch x64 ; xor Rd(home), Rd(home)),
            (Some(home), RegClass::Xmm) => dynasm!(self.asm ; .arch x64 ; pxor Rx(home), Rx(home)),
            (None, _) => {
                let off = self.local_offset(i);
                dynasm!(self.asm ; .arch x64 ; mov QWORD [rbp + off], 0 ; mov QWORD [rbp + off + 8], 0);
            }
        }
    }
}

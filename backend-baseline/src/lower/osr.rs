//! On-stack replacement from single-pass code ([`lazuli_backend_api::osr`]): at the header of a
//! loop that can be entered, counting code asks now and then for the loop's OSR entry, and once
//! there is one, calls it with the locals' values and returns what it returns.

use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use lazuli_backend_api::abi::{self, ArgLocation};
use lazuli_backend_api::{osr, ValType};

use super::control::ControlKind;
use super::relocation::Target;
use super::{FuncLowering, Result, RESULTS_POINTER};
use crate::regs::{RegClass, RAX, RDI, SCRATCH, SCRATCH2, VMCTX};

/// A loop header asks for its OSR entry every this many arrivals (counted over all calls; a
/// power of two, so the test is one instruction).
pub(crate) const OSR_POLL_INTERVAL: u32 = 1024;

/// Out-of-line code of one loop header's request for its OSR entry.
pub(crate) struct OsrPoll {
    /// Where the request starts.
    label: DynamicLabel,
    /// Where the loop goes on when there is no entry yet.
    resume: DynamicLabel,
    /// The loop's number in the body.
    loop_index: u32,
}

impl FuncLowering<'_> {
    /// The number of the loop just opened, if first-tier code can leave it for its OSR entry:
    /// counting code, an entry point to ask, and a loop that can be entered.
    pub(crate) fn osr_loop(&self) -> Option<u32> {
        self.settings.profile?;
        let frame = self.controls.last()?;
        let inside_try = self.controls.iter().any(|c| {
            matches!(
                c.kind,
                ControlKind::TryTable { .. } | ControlKind::LegacyTry { .. }
            )
        });
        osr::loop_is_enterable(frame.height, frame.params.len(), inside_try)
            .then(|| self.loops_read - 1)
    }

    /// Add one to the loop counter whose address is in SCRATCH; at `threshold` request tier-up,
    /// and every [`OSR_POLL_INTERVAL`] arrivals ask for loop `loop_index`'s OSR entry.
    pub(crate) fn count_check_and_poll(&mut self, threshold: u32, loop_index: u32) {
        let request = self.asm.new_dynamic_label();
        let poll = self.asm.new_dynamic_label();
        let resume = self.asm.new_dynamic_label();
        dynasm!(self.asm
            ; .arch x64
            ; add DWORD [Rq(SCRATCH)], 1
            ; mov Rd(SCRATCH2), DWORD [Rq(SCRATCH)]
            ; cmp Rd(SCRATCH2), threshold as i32
            ; je =>request
            ; test Rd(SCRATCH2), (OSR_POLL_INTERVAL - 1) as i32
            ; jz =>poll
            ; =>resume
        );
        self.cold_requests.push((request, resume));
        self.osr_polls.push(OsrPoll {
            label: poll,
            resume,
            loop_index,
        });
    }

    /// Lay out the loops' OSR requests (in `finish`, when the code counts): ask the backend's
    /// `osr_poll` for an entry (with the loop's count, still in SCRATCH2); with one, call it with the locals' address (every local in its
    /// frame slot) and return its results; without, go on with the loop.
    pub(crate) fn emit_osr_polls(&mut self) -> Result<()> {
        if self.settings.profile.is_none() {
            return Ok(());
        }
        let locs = abi::arg_locations(&[ValType::I64], self.ty.results());
        let (ArgLocation::Int(locals_reg), results_reg) = (locs.params[0], locs.results_pointer)
        else {
            unreachable!("the first integer argument is a register");
        };
        for poll in std::mem::take(&mut self.osr_polls) {
            dynasm!(self.asm ; .arch x64 ; =>poll.label);
            self.store_homes_for_osr();
            let no_entry = self.asm.new_dynamic_label();
            let locals = self.frame.locals_start;
            let epilogue = self.epilogue;
            dynasm!(self.asm
                ; .arch x64
                ; mov esi, self.index.0 as i32
                ; mov edx, poll.loop_index as i32
                ; mov ecx, Rd(SCRATCH2)
            );
            self.absolute(RDI, Target::Context);
            self.absolute(RAX, Target::OsrPoll);
            dynasm!(self.asm
                ; .arch x64
                ; call rax
                ; test rax, rax
                ; jz =>no_entry
                ; mov rdi, Rq(VMCTX)
                ; lea Rq(locals_reg), [rbp + locals]
            );
            if let Some(ArgLocation::Int(r)) = results_reg {
                // The entry writes the results where this function's caller wants them.
                dynasm!(self.asm ; .arch x64 ; mov Rq(r), QWORD [rbp + RESULTS_POINTER]);
            }
            // Its results are where this function returns them; the epilogue leaves them be.
            dynasm!(self.asm
                ; .arch x64
                ; call rax
                ; jmp =>epilogue
                ; =>no_entry
            );
            self.restore_homes();
            dynasm!(self.asm ; .arch x64 ; jmp =>poll.resume);
        }
        Ok(())
    }

    /// Every local that lives in a register written to its frame slot, where an OSR entry
    /// reads it.
    fn store_homes_for_osr(&mut self) {
        for i in 0..self.locals.len() {
            let ty = self.locals[i];
            if let (Some(home), RegClass::Gpr) = (self.homes[i], RegClass::of(ty)) {
                let off = self.local_offset(i as u32);
                self.store_reg(ty, home, off);
            }
        }
        self.save_homes();
    }
}

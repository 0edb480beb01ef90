//! Profile metadata: a first tier's branch counts ([`lazuli_backend_api::branch_profile`])
//! attached to the function's conditional branches and switches as `!prof` branch weights, and
//! its calls as the function's entry count, so that LLVM's block layout and passes follow the
//! paths that ran.

use inkwell::values::{BasicMetadataValueEnum, InstructionValue};
use lazuli_backend_api::branch_profile::{count_slots, ENTRY_SLOT};

use super::{Lowering, Result};

/// The most cases a weighed switch may have. Larger `br_table`s are left unweighed: when
/// `simplifycfg` merges a switch's targets, it rewrites the whole weight list once per case it
/// folds, which grows faster than the square of the table (measured: 1,024 cases 1.5 s, 4,096
/// cases 209 s, against 0.03 s unweighed), and a module could make every tier-up that slow.
pub(crate) const MAX_WEIGHED_SWITCH_CASES: usize = 64;

/// One function's counts, one per slot, checked against the body's numbering.
pub(crate) struct BranchCounts {
    counts: Vec<u32>,
}

impl BranchCounts {
    /// `counts` for the function body `body`; `None` when they do not fit its numbering (a
    /// profile of other code), so that no weight is ever attached to the wrong branch.
    pub(crate) fn for_body(counts: Vec<u32>, body: &[u8]) -> Result<Option<BranchCounts>> {
        let slots = count_slots(body)?;
        Ok((counts.len() == slots as usize).then_some(BranchCounts { counts }))
    }

    fn get(&self, slot: u32) -> u32 {
        self.counts.get(slot as usize).copied().unwrap_or(0)
    }
}

impl<'ctx> Lowering<'ctx, '_> {
    /// Weigh the arms of `branch` (a conditional branch: taken first; a switch: default
    /// first, then its cases) by the counts in `slots`, in the same order. Nothing when there
    /// is no profile or the branch never ran.
    pub(crate) fn weigh_branch(
        &self,
        branch: InstructionValue<'ctx>,
        slots: impl IntoIterator<Item = u32>,
    ) -> Result<()> {
        let Some(counts) = &self.branch_counts else {
            return Ok(());
        };
        let weights: Vec<u32> = slots.into_iter().map(|s| counts.get(s)).collect();
        if weights.iter().all(|&w| w == 0) {
            return Ok(());
        }
        let mut operands: Vec<BasicMetadataValueEnum<'ctx>> =
            vec![self.ctx.metadata_string("branch_weights").into()];
        operands.extend(
            weights
                .iter()
                .map(|&w| BasicMetadataValueEnum::from(self.i32_const(w))),
        );
        let node = self.ctx.metadata_node(&operands);
        branch
            .set_metadata(node, self.ctx.get_kind_id("prof"))
            .map_err(|e| super::LowerError::Unsupported(format!("branch weights: {e}")))?;
        Ok(())
    }

    /// Give the function its entry count (how often the first tier saw it called), when
    /// there is a profile.
    pub(crate) fn set_entry_count(&self) {
        let Some(counts) = &self.branch_counts else {
            return;
        };
        let node = self.ctx.metadata_node(&[
            self.ctx.metadata_string("function_entry_count").into(),
            self.i64_const(u64::from(counts.get(ENTRY_SLOT))).into(),
        ]);
        self.function
            .as_global_value()
            .set_metadata(node, self.ctx.get_kind_id("prof"));
    }
}

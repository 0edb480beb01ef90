//! [`BranchCounters`]: the branch-profile counters of one module's first-tier code, one array
//! per function made when the function is compiled, read back by the optimizing tier
//! ([`BranchProfile`]) and by profiles written to disk. Each function also records which of
//! its slots count loop headers: their sum is the function's loop iterations, part of its
//! hotness.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use lazuli_backend_api::branch_profile::BranchProfile;
use lazuli_backend_api::{CompileError, DefinedFuncIndex};

/// Per defined function, its counters (one per slot), once its first-tier code exists.
pub struct BranchCounters {
    functions: Box<[OnceLock<FunctionCounters>]>,
}

/// One function's counters, and which of them count loop headers.
struct FunctionCounters {
    slots: Box<[AtomicU32]>,
    loops: Box<[u32]>,
}

impl BranchCounters {
    /// No counters yet for `functions` defined functions.
    pub fn new(functions: usize) -> BranchCounters {
        BranchCounters {
            functions: (0..functions).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Function `index`'s `slots` counters, made (zero) on first need, of which those at
    /// `loops` count loop headers. They live as long as `self`, so code may hold their
    /// address. An error if the function has counters of another length already (its body was
    /// numbered differently: a bug) or a loop slot is out of range.
    pub fn function(
        &self,
        index: usize,
        slots: u32,
        loops: &[u32],
    ) -> Result<&[AtomicU32], CompileError> {
        let cell = self
            .functions
            .get(index)
            .ok_or_else(|| CompileError::new(format!("no defined function {index} to count")))?;
        if let Some(slot) = loops.iter().find(|&&slot| slot >= slots) {
            return Err(CompileError::new(format!(
                "function {index}: loop slot {slot} of {slots}"
            )));
        }
        let counters = cell.get_or_init(|| FunctionCounters {
            slots: (0..slots).map(|_| AtomicU32::new(0)).collect(),
            loops: loops.into(),
        });
        if counters.slots.len() != slots as usize {
            return Err(CompileError::new(format!(
                "function {index} has {} branch counters, its code asks for {slots}",
                counters.slots.len()
            )));
        }
        Ok(&counters.slots)
    }

    /// Function `index`'s counts so far; `None` if its first-tier code was never made.
    pub fn counts(&self, index: usize) -> Option<Vec<u32>> {
        let counters = self.functions.get(index)?.get()?;
        Some(
            counters
                .slots
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect(),
        )
    }

    /// Function `index`'s loop iterations so far (arrivals at its loop headers, wrapping).
    pub fn loop_iterations(&self, index: usize) -> u32 {
        let Some(counters) = self.functions.get(index).and_then(OnceLock::get) else {
            return 0;
        };
        counters.loops.iter().fold(0u32, |sum, &slot| {
            sum.wrapping_add(counters.slots[slot as usize].load(Ordering::Relaxed))
        })
    }
}

impl BranchProfile for BranchCounters {
    fn function_counts(&self, f: DefinedFuncIndex) -> Option<Vec<u32>> {
        self.counts(f.index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_made_once_and_read_back() {
        let counters = BranchCounters::new(2);
        assert_eq!(counters.counts(0), None);
        let slots = counters.function(0, 3, &[1, 2]).expect("made");
        slots[2].fetch_add(5, Ordering::Relaxed);
        slots[1].fetch_add(2, Ordering::Relaxed);
        slots[0].fetch_add(1, Ordering::Relaxed);
        assert_eq!(counters.counts(0), Some(vec![1, 2, 5]));
        assert_eq!(counters.loop_iterations(0), 7);
        assert_eq!(counters.loop_iterations(1), 0);
        assert!(
            counters.function(0, 4, &[]).is_err(),
            "another length is refused"
        );
        assert!(
            counters.function(1, 2, &[2]).is_err(),
            "a loop slot out of range"
        );
        assert!(counters.function(2, 1, &[]).is_err(), "no such function");
        assert_eq!(counters.function_counts(DefinedFuncIndex(1)), None);
    }
}

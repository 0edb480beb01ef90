//! [`BranchCounters`]: the branch-profile counters of one module's first-tier code, one array
//! per function made when the function is compiled, read back by the optimizing tier
//! ([`BranchProfile`]) and by profiles written to disk.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use lazuli_backend_api::branch_profile::BranchProfile;
use lazuli_backend_api::{CompileError, DefinedFuncIndex};

/// Per defined function, its counters (one per slot), once its first-tier code exists.
pub struct BranchCounters {
    functions: Box<[OnceLock<Box<[AtomicU32]>>]>,
}

impl BranchCounters {
    /// No counters yet for `functions` defined functions.
    pub fn new(functions: usize) -> BranchCounters {
        BranchCounters {
            functions: (0..functions).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Function `index`'s `slots` counters, made (zero) on first need. They live as long as
    /// `self`, so code may hold their address. An error if the function has counters of
    /// another length already (its body was numbered differently: a bug).
    pub fn function(&self, index: usize, slots: u32) -> Result<&[AtomicU32], CompileError> {
        let cell = self
            .functions
            .get(index)
            .ok_or_else(|| CompileError::new(format!("no defined function {index} to count")))?;
        let counters = cell.get_or_init(|| (0..slots).map(|_| AtomicU32::new(0)).collect());
        if counters.len() != slots as usize {
            return Err(CompileError::new(format!(
                "function {index} has {} branch counters, its code asks for {slots}",
                counters.len()
            )));
        }
        Ok(counters)
    }

    /// Function `index`'s counts so far; `None` if its first-tier code was never made.
    pub fn counts(&self, index: usize) -> Option<Vec<u32>> {
        let counters = self.functions.get(index)?.get()?;
        Some(counters.iter().map(|c| c.load(Ordering::Relaxed)).collect())
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
        let slots = counters.function(0, 3).expect("made");
        slots[2].fetch_add(5, Ordering::Relaxed);
        assert_eq!(counters.counts(0), Some(vec![0, 0, 5]));
        assert!(counters.function(0, 4).is_err(), "another length is refused");
        assert!(counters.function(2, 1).is_err(), "no such function");
        assert_eq!(counters.function_counts(DefinedFuncIndex(1)), None);
    }
}

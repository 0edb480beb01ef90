//! Branch profiles: the counters first-tier code keeps in each function, numbered the same way
//! by every backend, so that the optimizing tier finds the counts of each branch it lowers.
//!
//! A function's counters ("slots") follow its operators in order. Slot [`ENTRY_SLOT`] counts
//! calls; then each operator takes [`SlotCursor::advance`]'s slots, reachable or not:
//!
//! | operator   | slots | what each counts                                  |
//! |------------|-------|---------------------------------------------------|
//! | `loop`     | 1     | arrivals at the header (the entry and back edges) |
//! | `if`       | 2     | the then arm; the else arm (or its absence)       |
//! | `br_if`    | 2     | taken; not taken                                  |
//! | `br_table` | n + 1 | each of the n targets in order; the default       |
//!
//! Other operators take none. Counts are plain 32-bit counters that wrap, incremented without
//! atomics (a count lost to a race between threads does no harm to a profile).

use alloc::vec::Vec;

use crate::index::DefinedFuncIndex;

/// The slot counting a function's calls.
pub const ENTRY_SLOT: u32 = 0;

/// Numbers a function's slots while its operators are read in order.
#[derive(Clone, Copy, Debug)]
pub struct SlotCursor {
    next: u32,
}

impl Default for SlotCursor {
    fn default() -> Self {
        SlotCursor {
            next: ENTRY_SLOT + 1,
        }
    }
}

impl SlotCursor {
    /// The first of `op`'s slots (see the module documentation), moving past them. Call it
    /// for every operator of the body, in unreachable code too.
    #[cfg(feature = "wasmparser")]
    pub fn advance(&mut self, op: &wasmparser::Operator<'_>) -> u32 {
        use wasmparser::Operator;
        let first = self.next;
        let taken = match op {
            Operator::Loop { .. } => 1,
            Operator::If { .. } | Operator::BrIf { .. } => 2,
            Operator::BrTable { targets } => targets.len().saturating_add(1),
            _ => 0,
        };
        self.next = self.next.saturating_add(taken);
        first
    }

    /// How many slots the operators so far have taken, the entry slot included.
    pub fn len(&self) -> u32 {
        self.next
    }

    /// Whether no slot is taken (never: the entry slot always is).
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// How many slots the function body `body` (locals and operators, as in the code section)
/// has, the entry slot included.
#[cfg(feature = "wasmparser")]
pub fn count_slots(body: &[u8]) -> Result<u32, wasmparser::BinaryReaderError> {
    let body = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(body, 0));
    let mut ops = body.get_operators_reader()?;
    let mut slots = SlotCursor::default();
    while !ops.eof() {
        slots.advance(&ops.read()?);
    }
    Ok(slots.len())
}

/// Where the optimizing tier reads a function's counts when it compiles it.
pub trait BranchProfile: Send + Sync {
    /// Function `f`'s counts, one per slot, or `None` if it was never counted (it did not
    /// run in the first tier). A backend ignores counts whose length does not match its own
    /// numbering of the body.
    fn function_counts(&self, f: DefinedFuncIndex) -> Option<Vec<u32>>;
}

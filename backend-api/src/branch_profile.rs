//! Branch profiles: the counters first-tier code keeps in each function, numbered the same way
//! by every backend, so that the optimizing tier finds the counts of each branch it lowers.
//!
//! A function's counters ("slots") follow its operators in order. Slot [`ENTRY_SLOT`] counts
//! calls; then each operator takes [`SlotCursor::advance`]'s slots, reachable or not:
//!
//! | operator                | slots | what each counts                                      |
//! |-------------------------|-------|-------------------------------------------------------|
//! | `loop`                  | 2     | arrivals at the header; entries from above            |
//! | `if`                    | 2     | the then arm; the else arm (or its absence)           |
//! | `br_if`                 | 2     | taken; not taken                                      |
//! | `br_table`              | n + 1 | each of the n targets in order; the default           |
//! | `br` to a loop          | 1     | taken                                                 |
//!
//! Other operators take none. Counts are plain 32-bit counters that wrap, incremented without
//! atomics (a count lost to a race between threads does no harm to a profile).
//!
//! **Back edges.** The first `br` or `br_if` to each loop (in the body's order) is the loop's
//! *derived* back edge: first-tier code does not count its taken edge, which stays on the
//! loop's hot path free of counting. [`complete_counts`] fills it in afterwards: a loop's
//! arrivals, less its entries from above, less the counted branches to it. (Branches that
//! count nothing, `br_on_null` and the like and catch clauses, are taken as 0 there.)

use alloc::vec::Vec;

use crate::index::DefinedFuncIndex;

/// The slot counting a function's calls.
pub const ENTRY_SLOT: u32 = 0;

/// Numbers a function's slots while its operators are read in order, following its blocks to
/// tell back edges apart.
#[derive(Clone, Debug)]
pub struct SlotCursor {
    next: u32,
    /// One per open block, the function body's first.
    frames: Vec<Frame>,
    /// Loops ended so far that have a derived back edge.
    loops: Vec<LoopEdges>,
}

/// An open block, as far as back edges go.
#[derive(Clone, Debug, Default)]
struct Frame {
    /// A loop's first slot (its arrivals; its entries from above are next).
    header: Option<u32>,
    /// The taken slot of the loop's derived back edge.
    derived: Option<u32>,
    /// The taken slots of its other, counted back edges.
    counted: Vec<u32>,
}

/// The back edges of one loop with a derived one.
#[derive(Clone, Debug)]
struct LoopEdges {
    header: u32,
    derived: u32,
    counted: Vec<u32>,
}

/// One operator's slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpSlots {
    /// The first of them.
    pub first: u32,
    /// Whether the operator is a loop's derived back edge: its taken edge is not counted.
    pub derived: bool,
}

impl Default for SlotCursor {
    fn default() -> Self {
        SlotCursor {
            next: ENTRY_SLOT + 1,
            frames: alloc::vec![Frame::default()],
            loops: Vec::new(),
        }
    }
}

impl SlotCursor {
    /// `op`'s slots (see the module documentation), moving past them. Call it for every
    /// operator of a validated body, in order, in unreachable code too.
    #[cfg(feature = "wasmparser")]
    pub fn advance(&mut self, op: &wasmparser::Operator<'_>) -> OpSlots {
        use wasmparser::Operator;
        let first = self.next;
        let mut derived = false;
        let taken = match op {
            Operator::Loop { .. } => {
                self.frames.push(Frame {
                    header: Some(first),
                    ..Frame::default()
                });
                2
            }
            Operator::If { .. } => {
                self.frames.push(Frame::default());
                2
            }
            Operator::Block { .. } | Operator::Try { .. } | Operator::TryTable { .. } => {
                self.frames.push(Frame::default());
                0
            }
            Operator::End | Operator::Delegate { .. } => {
                if let Some(frame) = self.frames.pop() {
                    if let (Some(header), Some(derived)) = (frame.header, frame.derived) {
                        self.loops.push(LoopEdges {
                            header,
                            derived,
                            counted: frame.counted,
                        });
                    }
                }
                0
            }
            Operator::Br { relative_depth } => match self.loop_at(*relative_depth) {
                Some(frame) => {
                    derived = Self::back_edge(frame, first);
                    1
                }
                None => 0,
            },
            Operator::BrIf { relative_depth } => {
                if let Some(frame) = self.loop_at(*relative_depth) {
                    derived = Self::back_edge(frame, first);
                }
                2
            }
            Operator::BrTable { targets } => {
                let depths = targets.targets().chain([Ok(targets.default())]);
                for (arm, depth) in (0u32..).zip(depths) {
                    if let Some(frame) = depth.ok().and_then(|d| self.loop_at(d)) {
                        frame.counted.push(first.saturating_add(arm));
                    }
                }
                targets.len().saturating_add(1)
            }
            _ => 0,
        };
        self.next = self.next.saturating_add(taken);
        OpSlots { first, derived }
    }

    /// The loop `depth` blocks out, if that block is a loop.
    fn loop_at(&mut self, depth: u32) -> Option<&mut Frame> {
        let at = self.frames.len().checked_sub(1 + depth as usize)?;
        self.frames.get_mut(at).filter(|f| f.header.is_some())
    }

    /// Record a branch to `frame`'s loop whose taken slot is `slot`; true if it is the derived
    /// one (the first).
    fn back_edge(frame: &mut Frame, slot: u32) -> bool {
        if frame.derived.is_none() {
            frame.derived = Some(slot);
            true
        } else {
            frame.counted.push(slot);
            false
        }
    }

    /// How many slots the operators so far have taken, the entry slot included.
    pub fn taken(&self) -> u32 {
        self.next
    }

    /// Fill in the derived back edges of `counts` (a whole body's, as first-tier code left
    /// them) once every operator has been read.
    pub fn complete(&self, counts: &mut [u32]) {
        let get = |counts: &[u32], slot: u32| counts.get(slot as usize).copied().unwrap_or(0);
        for edges in &self.loops {
            let others = edges
                .counted
                .iter()
                .fold(0u32, |sum, &s| sum.saturating_add(get(counts, s)));
            let taken = get(counts, edges.header)
                .saturating_sub(get(counts, edges.header + 1))
                .saturating_sub(others);
            if let Some(slot) = counts.get_mut(edges.derived as usize) {
                *slot = taken;
            }
        }
    }
}

/// How many slots the function body `body` (locals and operators, as in the code section)
/// has, the entry slot included.
#[cfg(feature = "wasmparser")]
pub fn count_slots(body: &[u8]) -> Result<u32, wasmparser::BinaryReaderError> {
    Ok(walk(body)?.taken())
}

/// Fill in the derived back edges (see the module documentation) of `counts`, one per slot of
/// the function body `body` as first-tier code counted them. Counts of another length (of
/// other code) are left as they are.
#[cfg(feature = "wasmparser")]
pub fn complete_counts(
    body: &[u8],
    counts: &mut [u32],
) -> Result<(), wasmparser::BinaryReaderError> {
    let slots = walk(body)?;
    if counts.len() == slots.taken() as usize {
        slots.complete(counts);
    }
    Ok(())
}

/// Every operator of `body` read through a cursor.
#[cfg(feature = "wasmparser")]
fn walk(body: &[u8]) -> Result<SlotCursor, wasmparser::BinaryReaderError> {
    let body = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(body, 0));
    let mut ops = body.get_operators_reader()?;
    let mut slots = SlotCursor::default();
    while !ops.eof() {
        slots.advance(&ops.read()?);
    }
    Ok(slots)
}

/// Where the optimizing tier reads a function's counts when it compiles it.
pub trait BranchProfile: Send + Sync {
    /// Function `f`'s counts, one per slot, with the derived back edges filled in, or `None`
    /// if it was never counted (it did not run in the first tier). A backend ignores counts
    /// whose length does not match its own numbering of the body.
    fn function_counts(&self, f: DefinedFuncIndex) -> Option<Vec<u32>>;

    /// Function `f`'s calls plus loop iterations (what tier-up ranks by), if the profile has
    /// it.
    fn hotness(&self, f: DefinedFuncIndex) -> Option<u32> {
        let _ = f;
        None
    }
}

#[cfg(all(test, feature = "wasmparser"))]
mod tests {
    use super::*;

    /// `loop; i32.const 0; br_if 0; i32.const 0; br_table [0] 1; br 0; end; end`, no locals.
    const BODY: &[u8] = &[
        0x00, 0x03, 0x40, 0x41, 0x00, 0x0d, 0x00, 0x41, 0x00, 0x0e, 0x01, 0x00, 0x01, 0x0c, 0x00,
        0x0b, 0x0b,
    ];

    #[test]
    fn back_edges_are_numbered_and_the_first_is_derived() {
        let body = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(BODY, 0));
        let mut ops = body.get_operators_reader().unwrap();
        let mut cursor = SlotCursor::default();
        let mut seen = Vec::new();
        while !ops.eof() {
            let slots = cursor.advance(&ops.read().unwrap());
            seen.push((slots.first, slots.derived));
        }
        // Entry 0; loop 1-2; br_if 3-4, the loop's derived edge; br_table 5 (to the loop) and
        // 6 (the default, to the function); br 7, a counted back edge.
        let expected = [
            (1, false),
            (3, false),
            (3, true),
            (5, false),
            (5, false),
            (7, false),
            (8, false),
            (8, false),
        ];
        assert_eq!(seen, expected);
        assert_eq!(count_slots(BODY).unwrap(), 8);

        // 20 arrivals, 2 entries, 5 back through the table and 3 through `br`: the br_if's
        // 10 are what is left.
        let mut counts = [1, 20, 2, 0, 4, 5, 1, 3];
        complete_counts(BODY, &mut counts).unwrap();
        assert_eq!(counts, [1, 20, 2, 10, 4, 5, 1, 3]);
        // Counts of another length are left alone, and never go below zero.
        let mut other = [1, 20, 2, 0];
        complete_counts(BODY, &mut other).unwrap();
        assert_eq!(other, [1, 20, 2, 0]);
        let mut short = [1, 2, 5, 0, 4, 5, 1, 3];
        complete_counts(BODY, &mut short).unwrap();
        assert_eq!(short[3], 0);
    }
}

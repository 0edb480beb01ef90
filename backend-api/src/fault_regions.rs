//! The address ranges in which a memory fault is a WebAssembly trap: where compiled code lives
//! and where linear memories are reserved.
//!
//! When code elides bounds checks ([`crate::CodeFlags::memory_guard_bytes`]), an access out of
//! bounds faults on an inaccessible page of its memory's reservation. The platform's fault
//! handler asks [`is_wasm_memory_fault`] whether the faulting instruction is compiled code and
//! the address lies in a reservation; only then does the fault become a `MemoryOutOfBounds`
//! trap. Any other fault (a host bug, a runtime bug) stays a crash.
//!
//! Backends register the executable memory their functions run from and the runtime registers
//! each memory's reservation. Both tables are fixed arrays of atomics, so the fault handler
//! reads them without locks or allocation; a full table is an error for the code or memory
//! being created, never a silent gap.

use core::sync::atomic::{AtomicUsize, Ordering};

/// How many ranges of executable code can be registered at once.
pub const CODE_REGIONS: usize = 8192;
/// How many memory reservations can be registered at once.
pub const MEMORY_REGIONS: usize = 16384;

/// A slot's `start` while it is free.
const FREE: usize = 0;
/// A slot's `start` while it is being filled or emptied (never matches an address).
const BUSY: usize = 1;

/// One registered range `[start, end)`.
struct Slot {
    start: AtomicUsize,
    end: AtomicUsize,
}

/// A fixed table of ranges, readable from a signal handler.
pub struct RegionTable {
    slots: &'static [Slot],
    /// One past the highest slot ever used: lookups scan no further.
    used: AtomicUsize,
}

static CODE_SLOTS: [Slot; CODE_REGIONS] = [const { Slot::new() }; CODE_REGIONS];
static MEMORY_SLOTS: [Slot; MEMORY_REGIONS] = [const { Slot::new() }; MEMORY_REGIONS];

/// Executable memory holding compiled wasm functions.
pub static CODE: RegionTable = RegionTable::new(&CODE_SLOTS);
/// Linear memory reservations (accessible pages and guard regions alike).
pub static MEMORY: RegionTable = RegionTable::new(&MEMORY_SLOTS);

impl Slot {
    const fn new() -> Slot {
        Slot {
            start: AtomicUsize::new(FREE),
            end: AtomicUsize::new(0),
        }
    }
}

impl RegionTable {
    const fn new(slots: &'static [Slot]) -> RegionTable {
        RegionTable {
            slots,
            used: AtomicUsize::new(0),
        }
    }

    /// Register `[start, start + len)` until the returned [`Region`] is dropped; `None` when
    /// every slot is taken.
    pub fn register(&'static self, start: usize, len: usize) -> Option<Region> {
        // Ranges start above BUSY (no mapping starts at address 0 or 1).
        let start = start.max(BUSY + 1);
        let end = start.checked_add(len)?;
        for (index, slot) in self.slots.iter().enumerate() {
            if slot
                .start
                .compare_exchange(FREE, BUSY, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                self.used.fetch_max(index + 1, Ordering::AcqRel);
                slot.end.store(end, Ordering::Release);
                // Published last: a reader that sees the start also sees the end.
                slot.start.store(start, Ordering::Release);
                return Some(Region { table: self, index });
            }
        }
        None
    }

    /// Whether `address` lies in a registered range. Lock-free and allocation-free: callable
    /// from a signal handler.
    pub fn contains(&self, address: usize) -> bool {
        let used = self.used.load(Ordering::Acquire).min(self.slots.len());
        self.slots[..used].iter().any(|slot| {
            let start = slot.start.load(Ordering::Acquire);
            start > BUSY && start <= address && address < slot.end.load(Ordering::Acquire)
        })
    }

    /// How many slots the table has.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }
}

/// A registered range; dropping it unregisters the range.
#[derive(Debug)]
pub struct Region {
    table: &'static RegionTable,
    index: usize,
}

impl Drop for Region {
    fn drop(&mut self) {
        let slot = &self.table.slots[self.index];
        slot.start.store(BUSY, Ordering::Release);
        slot.end.store(0, Ordering::Release);
        slot.start.store(FREE, Ordering::Release);
    }
}

impl core::fmt::Debug for RegionTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RegionTable")
            .field("capacity", &self.slots.len())
            .finish()
    }
}

/// Whether a fault at instruction `pc` touching `address` is an out-of-bounds access of
/// compiled wasm code to a linear memory's reservation. Callable from a signal handler.
pub fn is_wasm_memory_fault(pc: usize, address: usize) -> bool {
    CODE.contains(pc) && MEMORY.contains(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_ranges_are_found_until_dropped() {
        static SLOTS: [Slot; 2] = [const { Slot::new() }; 2];
        static TABLE: RegionTable = RegionTable::new(&SLOTS);
        let a = TABLE.register(0x1000, 0x100).expect("a free slot");
        let b = TABLE.register(0x5000, 0x10).expect("a free slot");
        assert!(TABLE.register(0x9000, 1).is_none(), "the table is full");
        assert!(TABLE.contains(0x1000) && TABLE.contains(0x10ff) && TABLE.contains(0x5008));
        assert!(!TABLE.contains(0x1100) && !TABLE.contains(0xfff) && !TABLE.contains(0));
        drop(a);
        assert!(!TABLE.contains(0x1000) && TABLE.contains(0x5000));
        let c = TABLE.register(0x7000, 0x10).expect("the freed slot");
        assert!(TABLE.contains(0x7000));
        drop((b, c));
        assert!(!TABLE.contains(0x5000) && !TABLE.contains(0x7000));
    }
}

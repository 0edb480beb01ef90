//! [`Reservation`]: address space reserved up front and made accessible as it is needed, for
//! memories and tables that grow in place and never move.

use alloc::sync::Arc;

use crate::backend::fault_regions::Region;
use crate::platform::Platform;

/// Bytes the platform commits at a time (x86-64 pages); commits are rounded up to this.
const COMMIT_GRANULE: usize = 4096;

/// `size` bytes of reserved address space whose first `committed` bytes are accessible.
pub(crate) struct Reservation {
    base: *mut u8,
    size: usize,
    committed: usize,
    platform: Arc<dyn Platform>,
    /// The range's registration as a place where compiled code may fault, if any.
    region: Option<Region>,
}

// SAFETY: the reservation is owned memory (like a `Vec`'s buffer), reached only through the
// store that owns it.
unsafe impl Send for Reservation {}
// SAFETY: see `Send`; shared access only reads the pointer.
unsafe impl Sync for Reservation {}

impl Reservation {
    /// Reserve `size` bytes, nothing accessible; `None` if the platform cannot.
    pub(crate) fn new(platform: Arc<dyn Platform>, size: usize) -> Option<Reservation> {
        let base = platform.reserve(size)?;
        Some(Reservation {
            base,
            size,
            committed: 0,
            platform,
            region: None,
        })
    }

    /// Keep `region` (the registration of this range) until the reservation is released.
    pub(crate) fn set_region(&mut self, region: Region) {
        self.region = Some(region);
    }

    /// Bytes reserved.
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// The start of the reserved range.
    pub(crate) fn base(&self) -> *mut u8 {
        self.base
    }

    /// Make the first `len` bytes accessible (zero where never written); false if `len`
    /// exceeds the reservation or the system refuses.
    pub(crate) fn commit_to(&mut self, len: usize) -> bool {
        if len <= self.committed {
            return true;
        }
        let Some(end) = len
            .checked_next_multiple_of(COMMIT_GRANULE)
            .map(|end| end.min(self.size))
        else {
            return false;
        };
        if len > self.size {
            return false;
        }
        // SAFETY: `[committed, end)` lies in this reservation (`end <= size`), which is still
        // held, and none of it is committed yet.
        let ok = unsafe {
            self.platform
                .commit(self.base.add(self.committed), end - self.committed)
        };
        if ok {
            self.committed = end;
        }
        ok
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        // Unregistered first: no fault in these addresses is a trap once they are given back.
        drop(self.region.take());
        // SAFETY: the reservation is this value's own; its owner is going away (with its
        // store, or unfinished), so nothing uses its bytes any more.
        unsafe { self.platform.release(self.base, self.size) };
    }
}

//! [`Memory`]: linear memories — allocation, growth, and host access to their bytes.
//!
//! With reservations on ([`crate::backend::CodeFlags::memory_guard_bytes`]), a memory reserves
//! the whole 32-bit index space plus a guard region at creation, inaccessible, and makes pages
//! accessible as it grows: it never moves or copies, its untouched pages cost nothing, and an
//! access beyond its size faults, which the platform turns into a trap (compiled code skips
//! the bounds checks the guard covers). Otherwise it is an ordinary zeroed allocation that
//! growth extends (and may move), and every access is checked.

use alloc::boxed::Box;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::platform::Platform;
use crate::reservation::Reservation;

use crate::backend::fault_regions;
use crate::backend::vmcontext::VMMemoryDefinition;
use crate::backend::{MemoryType, TrapCode};
use crate::error::Error;
use crate::store::{Store, StoreInner};

/// Bytes in a WebAssembly page.
pub const PAGE_SIZE: usize = 65536;
/// Most pages a 32-bit memory can have (4 GiB).
const MAX_PAGES: u64 = 65536;
/// Most pages a 64-bit memory can have (2^64 bytes); the store's limit comes first in practice.
const MAX_PAGES_64: u64 = 1 << 48;

/// A linear memory in a store: a handle, cheap to copy, valid only with its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Memory {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// Bytes of a reserved memory's index space (before its guard region).
const INDEX_SPACE_BYTES: usize = 4 << 30;

/// Where a memory's bytes live.
enum Storage {
    /// An ordinary zeroed allocation.
    Heap(Vec<u8>),
    /// A reservation of the index space and the guard, registered as a place where compiled
    /// code may fault, whose committed bytes are the memory.
    Reserved(Reservation),
}

/// What the store keeps for each memory (boxed: compiled code holds a pointer to `def`).
pub(crate) struct MemoryData {
    pub ty: MemoryType,
    pub def: VMMemoryDefinition,
    storage: Storage,
}

impl MemoryData {
    /// A memory of type `ty` at its minimum size: reserved with `guard` bytes after its index
    /// space when `guard` is given (which `platform` must then provide), else on the heap.
    pub(crate) fn new(
        ty: MemoryType,
        platform: Option<Arc<dyn Platform>>,
        guard: Option<u64>,
    ) -> Result<Box<MemoryData>, Error> {
        if ty.shared {
            return Err(Error::Usage("shared memories are not supported".into()));
        }
        // A 64-bit memory is always checked explicitly and lives on the heap: no reservation
        // covers its index space.
        let guard = guard.filter(|_| !ty.memory64);
        let storage =
            match (guard, platform) {
                (Some(guard), Some(platform)) => Storage::reserved(guard, platform)?,
                (Some(_), None) => return Err(Error::Usage(
                    "memories must be reserved for this engine's code, and there is no platform"
                        .into(),
                )),
                (None, _) => Storage::Heap(Vec::new()),
            };
        let base = match &storage {
            Storage::Reserved(reservation) => reservation.base(),
            Storage::Heap(_) => core::ptr::null_mut(),
        };
        let mut data = Box::new(MemoryData {
            ty,
            def: VMMemoryDefinition { base, length: 0 },
            storage,
        });
        if data.grow(ty.limits.min).is_none() {
            return Err(Error::Usage(format!(
                "cannot allocate a memory of {} pages",
                ty.limits.min
            )));
        }
        Ok(data)
    }

    /// Current size in pages.
    pub(crate) fn pages(&self) -> u64 {
        (self.def.length / PAGE_SIZE) as u64
    }

    /// Grow by `delta` pages; the old size, or `None` if the maximum or the allocator says no.
    pub(crate) fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        let most = if self.ty.memory64 {
            MAX_PAGES_64
        } else {
            MAX_PAGES
        };
        if new > self.ty.limits.max.unwrap_or(most).min(most) {
            return None;
        }
        let new_len = usize::try_from(new).ok()?.checked_mul(PAGE_SIZE)?;
        match &mut self.storage {
            Storage::Reserved(reservation) => {
                // Within the 4 GiB index space: the guard after it is never committed.
                if !reservation.commit_to(new_len) {
                    return None;
                }
            }
            Storage::Heap(bytes) if new_len - bytes.len() > bytes.len() => {
                // Growing to more than twice the size: fresh zeroed memory (from the kernel's
                // zero pages when large, so a declared or grown size costs only what the
                // program touches) and one copy of what is there. Copies stay geometric.
                let mut fresh = zeroed_bytes(new_len)?;
                fresh[..bytes.len()].copy_from_slice(bytes);
                *bytes = fresh;
                self.def.base = bytes.as_mut_ptr();
            }
            Storage::Heap(bytes) => {
                // Smaller growth extends in place where the allocator can.
                bytes.try_reserve_exact(new_len - bytes.len()).ok()?;
                bytes.resize(new_len, 0);
                self.def.base = bytes.as_mut_ptr();
            }
        }
        self.def.length = new_len;
        Some(old)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        if self.def.length == 0 {
            return &[];
        }
        // SAFETY: `def` describes the memory's accessible bytes (the first `length` bytes of
        // its allocation or committed reservation), owned by `self`.
        unsafe { core::slice::from_raw_parts(self.def.base, self.def.length) }
    }

    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        if self.def.length == 0 {
            return &mut [];
        }
        // SAFETY: as in `bytes`; `&mut self` makes the access exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.def.base, self.def.length) }
    }

    /// The byte range `[offset, offset + len)`, or a memory-out-of-bounds trap.
    pub(crate) fn range(&self, offset: u64, len: u64) -> Result<core::ops::Range<usize>, Error> {
        let end = offset
            .checked_add(len)
            .ok_or(Error::Trap(TrapCode::MemoryOutOfBounds))?;
        if end > self.def.length as u64 {
            return Err(Error::Trap(TrapCode::MemoryOutOfBounds));
        }
        Ok(offset as usize..end as usize)
    }
}

impl Storage {
    /// A reservation of the index space plus `guard` bytes, registered for fault handling.
    fn reserved(guard: u64, platform: Arc<dyn Platform>) -> Result<Storage, Error> {
        let size = usize::try_from(guard)
            .ok()
            .and_then(|guard| INDEX_SPACE_BYTES.checked_add(guard))
            .ok_or_else(|| Error::Limit(format!("a guard region of {guard} bytes is too large")))?;
        let mut reservation = Reservation::new(platform, size).ok_or_else(|| {
            Error::Limit(format!(
                "cannot reserve {size} bytes of address space for a linear memory (4 GiB of \
                 index space and a {guard}-byte guard): the address space is exhausted or \
                 limited (ulimit -v); Config::memory_reservations(false) allocates memories \
                 as they are instead"
            ))
        })?;
        // On this error, dropping `reservation` gives the address space back.
        let region = fault_regions::MEMORY
            .register(reservation.base() as usize, size)
            .ok_or_else(|| {
                Error::Limit(format!(
                    "too many linear memories at once: {} are reserved in this process",
                    fault_regions::MEMORY.capacity()
                ))
            })?;
        reservation.set_region(region);
        Ok(Storage::Reserved(reservation))
    }
}

/// `len` zero bytes, or `None` if the allocator refuses.
fn zeroed_bytes(len: usize) -> Option<Vec<u8>> {
    if len == 0 {
        return Some(Vec::new());
    }
    let layout = core::alloc::Layout::array::<u8>(len).ok()?;
    // SAFETY: the layout has a non-zero size; a non-null result is `len` zeroed bytes
    // allocated by the global allocator with this layout, which `Vec` may own.
    unsafe {
        let ptr = alloc::alloc::alloc_zeroed(layout);
        (!ptr.is_null()).then(|| Vec::from_raw_parts(ptr, len, len))
    }
}

impl StoreInner {
    /// A new memory of type `ty`, within the engine's [`crate::Config::max_memory_bytes`].
    pub(crate) fn new_memory(&mut self, ty: MemoryType) -> Result<Box<MemoryData>, Error> {
        let limit = self.engine.config().max_memory_bytes;
        let bytes = ty.limits.min.saturating_mul(PAGE_SIZE as u64);
        let total = self.memory_bytes.saturating_add(bytes);
        if total > limit {
            return Err(Error::Limit(format!(
                "a memory of {} pages ({bytes} bytes) would bring the store's linear memory to \
                 {total} bytes, over its limit of {limit} bytes (Config::max_memory_bytes; \
                 `lazuli run --max-memory`)",
                ty.limits.min
            )));
        }
        let guard = self.engine.code_flags().memory_guard_bytes;
        // A 32-bit memory is reserved when the code relies on a guard (see `MemoryData::new`).
        let reserve = match guard {
            Some(guard) if !ty.memory64 => (INDEX_SPACE_BYTES as u64).saturating_add(guard),
            _ => 0,
        };
        let reserved = self.reserved_bytes.saturating_add(reserve);
        let budget = self.engine.config().max_reserved_bytes;
        if reserved > budget {
            return Err(Error::Limit(format!(
                "a memory reserves {reserve} bytes of address space (its 4 GiB index space and \
                 its guard), which would bring the store's reservations to {reserved} bytes, \
                 over its limit of {budget} bytes (Config::max_reserved_bytes; \
                 `lazuli run --max-reserved`)"
            )));
        }
        let data = MemoryData::new(ty, self.engine.platform_arc(), guard)?;
        self.memory_bytes = total;
        self.reserved_bytes = reserved;
        Ok(data)
    }

    /// Grow memory `index` of the store by `delta` pages: the old size, or `None` if its
    /// maximum, the store's limit or the allocator says no.
    pub(crate) fn grow_memory(&mut self, index: usize, delta: u64) -> Option<u64> {
        let bytes = delta.checked_mul(PAGE_SIZE as u64)?;
        if self.memory_bytes.checked_add(bytes)? > self.engine.config().max_memory_bytes {
            return None;
        }
        let old = self.memories.get_mut(index)?.grow(delta)?;
        self.memory_bytes += bytes;
        Some(old)
    }
}

impl Memory {
    /// A new memory of type `ty` (the spec's `mem_alloc`), zero-filled to its minimum size.
    pub fn new(store: &mut Store, ty: MemoryType) -> Result<Memory, Error> {
        let data = store.inner.new_memory(ty)?;
        store.inner.memories.push(data);
        Ok(Memory {
            store: store.inner.id,
            index: store.inner.memories.len() as u32 - 1,
        })
    }

    fn data<'s>(&self, store: &'s Store) -> Result<&'s MemoryData, Error> {
        store.inner.check(self.store, "memory")?;
        Ok(&store.inner.memories[self.index as usize])
    }

    fn data_mut<'s>(&self, store: &'s mut Store) -> Result<&'s mut MemoryData, Error> {
        store.inner.check(self.store, "memory")?;
        Ok(&mut store.inner.memories[self.index as usize])
    }

    /// The memory's type, with its current size as minimum (the spec's `mem_type`).
    pub fn ty(&self, store: &Store) -> Result<MemoryType, Error> {
        let d = self.data(store)?;
        let mut ty = d.ty;
        ty.limits.min = d.pages();
        Ok(ty)
    }

    /// Current size in pages (the spec's `mem_size`).
    pub fn size(&self, store: &Store) -> Result<u64, Error> {
        Ok(self.data(store)?.pages())
    }

    /// Grow by `delta` pages and return the old size (the spec's `mem_grow`).
    pub fn grow(&self, store: &mut Store, delta: u64) -> Result<u64, Error> {
        store.inner.check(self.store, "memory")?;
        store
            .inner
            .grow_memory(self.index as usize, delta)
            .ok_or_else(|| Error::Usage(format!("memory cannot grow by {delta} pages")))
    }

    /// Copy bytes out of the memory (the spec's `mem_read`, for a range).
    pub fn read(&self, store: &Store, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        let d = self.data(store)?;
        let range = d.range(offset, buf.len() as u64)?;
        buf.copy_from_slice(&d.bytes()[range]);
        Ok(())
    }

    /// Copy bytes into the memory (the spec's `mem_write`, for a range).
    pub fn write(&self, store: &mut Store, offset: u64, bytes: &[u8]) -> Result<(), Error> {
        let d = self.data_mut(store)?;
        let range = d.range(offset, bytes.len() as u64)?;
        d.bytes_mut()[range].copy_from_slice(bytes);
        Ok(())
    }

    /// The memory's bytes.
    pub fn bytes<'s>(&self, store: &'s Store) -> Result<&'s [u8], Error> {
        Ok(self.data(store)?.bytes())
    }

    /// The memory's bytes, writable.
    pub fn bytes_mut<'s>(&self, store: &'s mut Store) -> Result<&'s mut [u8], Error> {
        Ok(self.data_mut(store)?.bytes_mut())
    }
}

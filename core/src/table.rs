//! [`Table`]: tables of references — allocation, growth, and host access to their elements.
//!
//! A table whose maximum is large reserves address space for all of it and commits pages as
//! it grows (where the platform reserves and [`crate::Config::memory_reservations`] is on): a
//! declared maximum costs address space, not memory, and growing never copies. Small tables
//! are ordinary allocations.

use alloc::boxed::Box;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::backend::vmcontext::VMTableDefinition;
use crate::backend::{TableType, TrapCode, ValType};
use crate::error::Error;
use crate::platform::Platform;
use crate::reservation::Reservation;
use crate::store::{Store, StoreInner};
use crate::val::{from_raw, host_to_raw, Val};

/// Most elements a table may grow to: the spec allows `table.grow` to fail, and a hostile
/// module must not exhaust the host's memory with one instruction (8 bytes per element).
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A table in a store: a handle, cheap to copy, valid only with its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// Tables that may grow to fewer elements than this stay ordinary allocations (a reservation
/// costs system calls that a small table does not repay).
const RESERVE_FROM_ELEMENTS: u64 = 8192;

/// Where a table's elements live.
enum Storage {
    /// An ordinary allocation that growth extends (and may move).
    Heap(Vec<usize>),
    /// Room for the table's largest size, committed as it grows; it never moves.
    Reserved(Reservation),
}

/// What the store keeps for each table (boxed: compiled code holds a pointer to `def`).
/// Elements are raw references: a `*const VMFuncRef` or an externref number; 0 is null.
pub(crate) struct TableData {
    pub ty: TableType,
    /// The exact element type a module declared it with (signature ids engine-wide); `None`
    /// for the host's tables, whose elements may be null.
    pub reference: Option<lazuli_backend_api::ExactRefType>,
    pub def: VMTableDefinition,
    storage: Storage,
    /// Most elements the table may hold: its maximum within the runtime's limits.
    capacity: u64,
}

impl TableData {
    /// A table of type `ty` with its minimum of elements set to `init`, holding at most
    /// `limit` elements; reserved through `platform` when it is given, the table may grow
    /// large and its largest size fits in `budget` bytes of address space.
    pub(crate) fn new(
        ty: TableType,
        init: usize,
        limit: u64,
        platform: Option<Arc<dyn Platform>>,
        budget: u64,
    ) -> Result<Box<TableData>, Error> {
        let capacity = ty
            .limits
            .max
            .unwrap_or(u32::MAX as u64)
            .min(MAX_TABLE_ELEMENTS)
            .min(limit);
        let bytes = usize::try_from(capacity)
            .ok()
            .and_then(|n| n.checked_mul(core::mem::size_of::<usize>()));
        let reservation = platform
            .filter(|_| capacity >= RESERVE_FROM_ELEMENTS)
            .zip(bytes.filter(|&b| b as u64 <= budget))
            .and_then(|(platform, bytes)| Reservation::new(platform, bytes));
        let (storage, base) = match reservation {
            Some(r) => {
                let base = r.base() as *mut usize;
                (Storage::Reserved(r), base)
            }
            None => (Storage::Heap(Vec::new()), core::ptr::null_mut()),
        };
        let mut data = Box::new(TableData {
            ty,
            reference: None,
            def: VMTableDefinition { base, length: 0 },
            storage,
            capacity,
        });
        data.grow(ty.limits.min, init).ok_or_else(|| {
            Error::Usage(format!(
                "cannot allocate a table of {} elements",
                ty.limits.min
            ))
        })?;
        Ok(data)
    }

    /// Grow by `delta` elements set to `init`; the old size, or `None` if not allowed.
    pub(crate) fn grow(&mut self, delta: u64, init: usize) -> Option<u64> {
        let old = self.def.length as u64;
        let new = old.checked_add(delta)?;
        if new > self.capacity {
            return None;
        }
        let (old_len, new_len) = (old as usize, new as usize);
        match &mut self.storage {
            Storage::Heap(elements) => {
                elements.try_reserve_exact(delta as usize).ok()?;
                elements.resize(new_len, init);
                self.def.base = elements.as_mut_ptr();
            }
            Storage::Reserved(reservation) => {
                // `new <= capacity`, whose bytes the reservation holds: no overflow.
                if !reservation.commit_to(new_len * core::mem::size_of::<usize>()) {
                    return None;
                }
                if init != 0 {
                    // SAFETY: elements `[old_len, new_len)` lie in the committed part of the
                    // reservation (just committed, or committed before past the old length)
                    // and are owned by `self`.
                    unsafe {
                        core::slice::from_raw_parts_mut(self.def.base.add(old_len), delta as usize)
                    }
                    .fill(init);
                }
            }
        }
        self.def.length = new_len;
        Some(old)
    }

    /// Bytes of address space the table reserved (0 for one on the heap).
    pub(crate) fn reserved_bytes(&self) -> u64 {
        match &self.storage {
            Storage::Heap(_) => 0,
            Storage::Reserved(reservation) => reservation.size() as u64,
        }
    }

    pub(crate) fn elements(&self) -> &[usize] {
        if self.def.length == 0 {
            return &[];
        }
        // SAFETY: `def` describes the table's elements (the first `length` of its allocation
        // or committed reservation), owned by `self`.
        unsafe { core::slice::from_raw_parts(self.def.base, self.def.length) }
    }

    pub(crate) fn elements_mut(&mut self) -> &mut [usize] {
        if self.def.length == 0 {
            return &mut [];
        }
        // SAFETY: as in `elements`; `&mut self` makes the access exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.def.base, self.def.length) }
    }

    /// The element range `[offset, offset + len)`, or a table-out-of-bounds trap.
    pub(crate) fn range(&self, offset: u64, len: u64) -> Result<core::ops::Range<usize>, Error> {
        let end = offset
            .checked_add(len)
            .ok_or(Error::Trap(TrapCode::TableOutOfBounds))?;
        if end > self.def.length as u64 {
            return Err(Error::Trap(TrapCode::TableOutOfBounds));
        }
        Ok(offset as usize..end as usize)
    }
}

impl StoreInner {
    /// A new table of type `ty` with elements `init`, within the engine's
    /// [`crate::Config::max_table_elements`].
    pub(crate) fn new_table(
        &mut self,
        ty: TableType,
        init: usize,
    ) -> Result<Box<TableData>, Error> {
        let limit = self.engine.config().max_table_elements;
        let total = self.table_elements.saturating_add(ty.limits.min);
        if total > limit {
            return Err(Error::Limit(format!(
                "a table of {} elements would bring the store's tables to {total} elements, \
                 over its limit of {limit} (Config::max_table_elements; \
                 `lazuli run --max-table-elements`)",
                ty.limits.min
            )));
        }
        let config = self.engine.config();
        let platform = self
            .engine
            .platform_arc()
            .filter(|_| config.memory_reservations);
        let budget = config
            .max_reserved_bytes
            .saturating_sub(self.reserved_bytes);
        let data = TableData::new(ty, init, limit, platform, budget)?;
        self.table_elements = total;
        self.reserved_bytes += data.reserved_bytes();
        Ok(data)
    }

    /// Grow table `index` of the store by `delta` elements set to `init`: the old size, or
    /// `None` if its maximum, the store's limit or the allocator says no.
    pub(crate) fn grow_table(&mut self, index: usize, delta: u64, init: usize) -> Option<u64> {
        let total = self.table_elements.checked_add(delta)?;
        if total > self.engine.config().max_table_elements {
            return None;
        }
        let old = self.tables.get_mut(index)?.grow(delta, init)?;
        self.table_elements = total;
        Some(old)
    }
}

impl Table {
    /// A new table of type `ty` with every element set to `init` (the spec's `table_alloc`).
    pub fn new(store: &mut Store, ty: TableType, init: Val) -> Result<Table, Error> {
        let raw = check_ref(store, ValType::from(ty.element), &init)?;
        let data = store.inner.new_table(ty, raw)?;
        store.inner.tables.push(data);
        Ok(Table {
            store: store.inner.id,
            index: store.inner.tables.len() as u32 - 1,
        })
    }

    fn data<'s>(&self, store: &'s Store) -> Result<&'s TableData, Error> {
        store.inner.check(self.store, "table")?;
        Ok(&store.inner.tables[self.index as usize])
    }

    /// The table's type, with its current size as minimum (the spec's `table_type`).
    pub fn ty(&self, store: &Store) -> Result<TableType, Error> {
        let d = self.data(store)?;
        let mut ty = d.ty;
        ty.limits.min = d.elements().len() as u64;
        Ok(ty)
    }

    /// The exact element type: as its module declared it, or nullable for a host-made table.
    pub(crate) fn exact_ref(&self, store: &Store) -> Option<lazuli_backend_api::ExactRefType> {
        let t = store.inner.tables.get(self.index as usize)?;
        Some(
            t.reference
                .unwrap_or(lazuli_backend_api::ExactRefType::nullable(t.ty.element)),
        )
    }

    /// Current number of elements (the spec's `table_size`).
    pub fn size(&self, store: &Store) -> Result<u64, Error> {
        Ok(self.data(store)?.elements().len() as u64)
    }

    /// Element `index` (the spec's `table_read`).
    pub fn get(&self, store: &Store, index: u64) -> Result<Val, Error> {
        let d = self.data(store)?;
        let range = d.range(index, 1)?;
        let raw = d.elements()[range.start];
        Ok(from_raw(
            &store.inner,
            ValType::from(d.ty.element),
            crate::backend::ValRaw::reference(raw),
        ))
    }

    /// Set element `index` (the spec's `table_write`).
    pub fn set(&self, store: &mut Store, index: u64, value: Val) -> Result<(), Error> {
        let ty = self.data(store)?.ty;
        let raw = check_ref(store, ValType::from(ty.element), &value)?;
        let d = &mut store.inner.tables[self.index as usize];
        let range = d.range(index, 1)?;
        d.elements_mut()[range.start] = raw;
        Ok(())
    }

    /// Grow by `delta` elements set to `init`; returns the old size (the spec's `table_grow`).
    pub fn grow(&self, store: &mut Store, delta: u64, init: Val) -> Result<u64, Error> {
        let ty = self.data(store)?.ty;
        let raw = check_ref(store, ValType::from(ty.element), &init)?;
        store
            .inner
            .grow_table(self.index as usize, delta, raw)
            .ok_or_else(|| Error::Usage(format!("table cannot grow by {delta} elements")))
    }
}

/// The raw form of a reference value meant for a table of element type `ty`.
fn check_ref(store: &Store, ty: ValType, v: &Val) -> Result<usize, Error> {
    if v.ty() != ty {
        return Err(Error::Usage(format!(
            "table element must be {ty}, got {}",
            v.ty()
        )));
    }
    Ok(host_to_raw(&store.inner, v, "table element")?.get_reference())
}

//! [`Table`]: tables of references — allocation, growth, and host access to their elements.

use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;

use crate::backend::vmcontext::VMTableDefinition;
use crate::backend::{TableType, TrapCode, ValType};
use crate::error::Error;
use crate::store::{Store, StoreInner};
use crate::val::{from_raw, to_raw, Val};

/// Most elements a table may grow to: the spec allows `table.grow` to fail, and a hostile
/// module must not exhaust the host's memory with one instruction (8 bytes per element).
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A table in a store: a handle, cheap to copy, valid only with its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// What the store keeps for each table (boxed: compiled code holds a pointer to `def`).
/// Elements are raw references: a `*const VMFuncRef` or an externref number; 0 is null.
pub(crate) struct TableData {
    pub ty: TableType,
    pub def: VMTableDefinition,
    elements: Vec<usize>,
}

impl TableData {
    pub(crate) fn new(ty: TableType, init: usize) -> Result<Box<TableData>, Error> {
        let mut data = Box::new(TableData {
            ty,
            def: VMTableDefinition {
                base: core::ptr::null_mut(),
                length: 0,
            },
            elements: Vec::new(),
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
        let old = self.elements.len() as u64;
        let new = old.checked_add(delta)?;
        if new
            > self
                .ty
                .limits
                .max
                .unwrap_or(u32::MAX as u64)
                .min(MAX_TABLE_ELEMENTS)
        {
            return None;
        }
        self.elements.try_reserve_exact(delta as usize).ok()?;
        self.elements.resize(new as usize, init);
        self.def = VMTableDefinition {
            base: self.elements.as_mut_ptr(),
            length: self.elements.len(),
        };
        Some(old)
    }

    pub(crate) fn elements(&self) -> &[usize] {
        &self.elements
    }

    pub(crate) fn elements_mut(&mut self) -> &mut [usize] {
        &mut self.elements
    }

    /// The element range `[offset, offset + len)`, or a table-out-of-bounds trap.
    pub(crate) fn range(&self, offset: u64, len: u64) -> Result<core::ops::Range<usize>, Error> {
        let end = offset
            .checked_add(len)
            .ok_or(Error::Trap(TrapCode::TableOutOfBounds))?;
        if end > self.elements.len() as u64 {
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
        let data = TableData::new(ty, init)?;
        self.table_elements = total;
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
    match v {
        Val::FuncRef(Some(f)) => store.inner.check(f.store, "function reference")?,
        Val::ExternRef(Some(e)) => store.inner.check(e.store, "externref")?,
        _ => {}
    }
    Ok(to_raw(&store.inner, v).get_reference())
}

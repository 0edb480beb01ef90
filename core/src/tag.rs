//! Exception tags and exceptions (exception handling): [`Tag`], a store's tag, which modules
//! define, import and export, and [`Exn`], an exception that reached the host uncaught (or an
//! `exnref` value).

use alloc::format;
use alloc::vec::Vec;

use crate::backend::vmcontext::{VMException, EXCEPTION_VALUES};
use crate::backend::{FuncType, RefType, ValRaw, ValType};
use crate::error::Error;
use crate::store::{Store, StoreInner};
use crate::val::{from_raw, Val};

/// An exception tag: identity plus the types of the payload its exceptions carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tag {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// What the store keeps for each tag.
pub(crate) struct TagData {
    pub ty: FuncType,
}

impl Tag {
    /// A new tag whose exceptions carry values of `ty`'s parameter types (`ty` has no results).
    pub fn new(store: &mut Store, ty: FuncType) -> Result<Tag, Error> {
        if !ty.results().is_empty() {
            return Err(Error::Usage(format!(
                "a tag's type has no results, not {ty}"
            )));
        }
        Ok(store.inner.new_tag(ty))
    }

    /// The tag's type: its payload as parameters.
    pub fn ty(&self, store: &Store) -> Result<FuncType, Error> {
        store.inner.check(self.store, "tag")?;
        Ok(store.inner.tags[self.index as usize].ty.clone())
    }
}

/// An exception: the tag it was thrown with and its payload. One the host has been handed
/// lives as long as its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Exn {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Exn {
    /// The tag it was thrown with.
    pub fn tag(&self, store: &Store) -> Result<Tag, Error> {
        store.inner.check(self.store, "exception")?;
        let header = store
            .inner
            .exception(self.index)
            .ok_or_else(|| Error::Usage("this exception is no longer alive".into()))?;
        Ok(Tag {
            store: self.store,
            index: header.tag as u32,
        })
    }

    /// Its payload.
    pub fn values(&self, store: &Store) -> Result<Vec<Val>, Error> {
        let tag = self.tag(store)?;
        let ty = tag.ty(store)?;
        let words = store
            .inner
            .exceptions
            .words(self.index)
            .ok_or_else(|| Error::Usage("this exception is no longer alive".into()))?;
        let values = &words[EXCEPTION_VALUES as usize / 8..];
        Ok(ty
            .params()
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let raw =
                    ValRaw::v128(u128::from(values[2 * i]) | (u128::from(values[2 * i + 1]) << 64));
                from_raw(&store.inner, *t, raw)
            })
            .collect())
    }
}

impl StoreInner {
    pub(crate) fn new_tag(&mut self, ty: FuncType) -> Tag {
        self.tags.push(TagData { ty });
        Tag {
            store: self.id,
            index: self.tags.len() as u32 - 1,
        }
    }

    /// A new exception of the store's tag `tag` with `values`; returns its `VMException`, or
    /// a limit error if the store's live exceptions would pass
    /// [`crate::Config::max_exception_bytes`]. When the exceptions have doubled since the last
    /// collection, or are about to pass the limit, the ones nothing refers to any more are
    /// freed first (see `exceptions.rs`).
    pub(crate) fn new_exception(
        &mut self,
        tag: u32,
        values: &[ValRaw],
    ) -> Result<*const VMException, Error> {
        let limit = self.engine.config().max_exception_bytes;
        let words = EXCEPTION_VALUES as usize / 8 + 2 * values.len();
        if self.depth > 0 && self.exceptions.collection_due(words, limit) {
            self.collect_exceptions();
        }
        let total = self.exceptions.bytes_with(values.len());
        if total > limit {
            return Err(Error::Limit(format!(
                "throwing would bring the store's live exceptions to {total} bytes, over its \
                 limit of {limit} bytes (Config::max_exception_bytes; \
                 `lazuli run --max-exception-bytes`)"
            )));
        }
        Ok(self.exceptions.add(tag, values))
    }

    /// Free the exceptions nothing refers to: the roots are the stack of the wasm frames now
    /// running, the exnref globals and tables, the exception in flight and the uncaught one.
    /// Returns how many were freed.
    pub(crate) fn collect_exceptions(&mut self) -> usize {
        let globals: Vec<usize> = self
            .globals
            .iter()
            .filter(|g| g.ty.content == ValType::ExnRef)
            .map(|g| g.value.get_reference())
            .collect();
        let tables: Vec<usize> = self
            .tables
            .iter()
            .filter(|t| t.ty.element == RefType::ExnRef)
            .flat_map(|t| t.elements().iter().copied())
            .collect();
        let in_flight = self.limits.exception as usize;
        let uncaught = self.uncaught;
        let top = self.stack_top;
        let exceptions = &mut self.exceptions;
        let collect = |stack: &mut dyn Iterator<Item = usize>| {
            let roots = stack.chain(globals).chain(tables).chain([in_flight]);
            exceptions.collect(roots, uncaught)
        };
        // SAFETY: with a call into wasm running (`depth > 0`, the only caller being a throw
        // from wasm), `stack_top` is an address in its outermost host frame, above this one on
        // this thread's stack.
        unsafe { crate::exceptions::with_stack(top, collect) }
    }

    /// The header of live exception `index`, if it is one.
    pub(crate) fn exception(&self, index: u32) -> Option<&VMException> {
        self.exceptions.header(index)
    }
}

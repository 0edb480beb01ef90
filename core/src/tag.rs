//! Exception tags and exceptions (exception handling): [`Tag`], a store's tag, which modules
//! define, import and export, and [`Exn`], an exception that reached the host uncaught (or an
//! `exnref` value).

use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;

use crate::backend::vmcontext::{VMException, EXCEPTION_VALUES};
use crate::backend::{FuncType, ValRaw};
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

/// An exception: the tag it was thrown with and its payload. Exceptions live as long as
/// their store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Exn {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

impl Exn {
    /// The tag it was thrown with.
    pub fn tag(&self, store: &Store) -> Result<Tag, Error> {
        store.inner.check(self.store, "exception")?;
        let header = store.inner.exception(self.index);
        Ok(Tag {
            store: self.store,
            index: header.tag as u32,
        })
    }

    /// Its payload.
    pub fn values(&self, store: &Store) -> Result<Vec<Val>, Error> {
        let tag = self.tag(store)?;
        let ty = tag.ty(store)?;
        let words = &store.inner.exceptions[self.index as usize];
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
    /// a limit error if it would take the store past [`crate::Config::max_exception_bytes`].
    pub(crate) fn new_exception(
        &mut self,
        tag: u32,
        values: &[ValRaw],
    ) -> Result<*const VMException, Error> {
        let index = self.exceptions.len() as u64;
        let len = EXCEPTION_VALUES as usize / 8 + 2 * values.len();
        // The words, plus their box's place in `exceptions`, their entry in
        // `exception_indices` and the allocator's header.
        let bytes = (len * 8 + 64) as u64;
        let limit = self.engine.config().max_exception_bytes;
        let total = self.exception_bytes.saturating_add(bytes);
        if total > limit {
            return Err(Error::Limit(format!(
                "throwing would bring the store's exceptions to {total} bytes, over its limit \
                 of {limit} bytes (Config::max_exception_bytes; \
                 `lazuli run --max-exception-bytes`; exceptions live as long as their store)"
            )));
        }
        self.exception_bytes = total;
        let mut words = Vec::with_capacity(len);
        words.extend_from_slice(&[u64::from(tag), values.len() as u64, index, 0]);
        for v in values {
            let bits = v.get_v128();
            words.push(bits as u64);
            words.push((bits >> 64) as u64);
        }
        let words: Box<[u64]> = words.into_boxed_slice();
        let at = words.as_ptr() as *const VMException;
        self.exceptions.push(words);
        self.exception_indices.insert(at as usize, index as u32);
        Ok(at)
    }

    /// The header of exception `index`.
    pub(crate) fn exception(&self, index: u32) -> &VMException {
        let words = &self.exceptions[index as usize];
        // SAFETY: every exception starts with a `VMException` header (`new_exception`), and
        // the boxed words are 8-byte aligned.
        unsafe { &*(words.as_ptr() as *const VMException) }
    }

    /// The exception whose `VMException` is at `at`, if it is one of this store's.
    pub(crate) fn exception_at(&self, at: usize) -> Option<u32> {
        self.exception_indices.get(&at).copied()
    }
}

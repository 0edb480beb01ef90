//! [`Global`]: global variables — allocation and host reads and writes.

use alloc::boxed::Box;
use alloc::format;

use crate::backend::{GlobalType, ValRaw};
use crate::error::Error;
use crate::store::Store;
use crate::val::{from_raw, host_to_raw, Val};

/// A global in a store: a handle, cheap to copy, valid only with its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Global {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// What the store keeps for each global (boxed: compiled code holds a pointer to `value`).
pub(crate) struct GlobalData {
    pub ty: GlobalType,
    pub value: ValRaw,
    /// The exact reference type a module declared it with (signature ids engine-wide);
    /// `None` for other globals and for the host's, whose references may be null.
    pub reference: Option<crate::backend::ExactRefType>,
}

impl Global {
    /// A new global of type `ty` holding `value` (the spec's `global_alloc`).
    pub fn new(store: &mut Store, ty: GlobalType, value: Val) -> Result<Global, Error> {
        if value.ty() != ty.content {
            return Err(Error::Usage(format!(
                "global of type {} cannot hold {}",
                ty.content,
                value.ty()
            )));
        }
        let raw = host_to_raw(&store.inner, &value, "a global's initial value")?;
        store.inner.globals.push(Box::new(GlobalData {
            ty,
            value: raw,
            reference: None,
        }));
        Ok(Global {
            store: store.inner.id,
            index: store.inner.globals.len() as u32 - 1,
        })
    }

    /// The global's type (the spec's `global_type`).
    pub fn ty(&self, store: &Store) -> Result<GlobalType, Error> {
        store.inner.check(self.store, "global")?;
        Ok(store.inner.globals[self.index as usize].ty)
    }

    /// The exact reference type of a global holding a reference (`None` otherwise): as its
    /// module declared it, or nullable for a host-made global.
    pub(crate) fn exact_ref(&self, store: &Store) -> Option<crate::backend::ExactRefType> {
        let g = store.inner.globals.get(self.index as usize)?;
        g.reference.or_else(|| {
            let r = match g.ty.content {
                crate::backend::ValType::FuncRef => crate::backend::RefType::FuncRef,
                crate::backend::ValType::ExternRef => crate::backend::RefType::ExternRef,
                _ => return None,
            };
            Some(crate::backend::ExactRefType::nullable(r))
        })
    }

    /// The global's value (the spec's `global_read`).
    pub fn get(&self, store: &Store) -> Result<Val, Error> {
        store.inner.check(self.store, "global")?;
        let g = &store.inner.globals[self.index as usize];
        Ok(from_raw(&store.inner, g.ty.content, g.value))
    }

    /// Set the global's value (the spec's `global_write`); only mutable globals may be set.
    pub fn set(&self, store: &mut Store, value: Val) -> Result<(), Error> {
        let ty = self.ty(store)?;
        if !ty.mutable {
            return Err(Error::Usage("cannot set an immutable global".into()));
        }
        if value.ty() != ty.content {
            return Err(Error::Usage(format!(
                "global of type {} cannot hold {}",
                ty.content,
                value.ty()
            )));
        }
        let raw = host_to_raw(&store.inner, &value, "a global's new value")?;
        store.inner.globals[self.index as usize].value = raw;
        Ok(())
    }
}

//! [`Val`]: a typed WebAssembly value as the host sees it, and [`ExternRef`], a host value
//! that wasm can hold as an `externref`.

use crate::backend::{ValRaw, ValType};
use crate::func::Func;

/// A WebAssembly value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Val {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`, as its bits (so NaN payloads survive).
    F32(u32),
    /// `f64`, as its bits.
    F64(u64),
    /// `v128`.
    V128(u128),
    /// A function reference, or null.
    FuncRef(Option<Func>),
    /// A host reference, or null.
    ExternRef(Option<ExternRef>),
    /// An exception reference, or null (exception handling).
    ExnRef(Option<crate::tag::Exn>),
}

impl Val {
    /// The value's type.
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
            Val::ExnRef(_) => ValType::ExnRef,
        }
    }

    /// The zero or null value of a type.
    pub fn default_for(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
            ValType::ExnRef => Val::ExnRef(None),
        }
    }

    /// The `i32`, if this is one.
    pub fn i32(&self) -> Option<i32> {
        if let Val::I32(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The `i64`, if this is one.
    pub fn i64(&self) -> Option<i64> {
        if let Val::I64(v) = self {
            Some(*v)
        } else {
            None
        }
    }

    /// The `f32`, if this is one.
    pub fn f32(&self) -> Option<f32> {
        if let Val::F32(v) = self {
            Some(f32::from_bits(*v))
        } else {
            None
        }
    }

    /// The `f64`, if this is one.
    pub fn f64(&self) -> Option<f64> {
        if let Val::F64(v) = self {
            Some(f64::from_bits(*v))
        } else {
            None
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}
impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}
impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}

/// A host value held by wasm as an `externref`: a handle into the store's table of host
/// values, made with [`crate::Store::extern_ref`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExternRef {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// The raw form of a value the host hands to `store` (an argument, a host function's result,
/// a global's or a table element's new value), after checking that a reference in it belongs
/// to `store`: a handle of another store would name an unrelated object here. `what` names the
/// value in the error.
pub(crate) fn host_to_raw(
    store: &crate::store::StoreInner,
    v: &Val,
    what: &str,
) -> Result<ValRaw, crate::error::Error> {
    let owner = match v {
        Val::FuncRef(Some(f)) => Some(f.store),
        Val::ExternRef(Some(e)) => Some(e.store),
        Val::ExnRef(Some(e)) => Some(e.store),
        _ => None,
    };
    if let Some(owner) = owner {
        store.check(owner, what)?;
    }
    Ok(to_raw(store, v))
}

/// The raw form of values in compiled code and `ValRaw` slots; a reference must belong to
/// `store` (see [`host_to_raw`] for values from the host).
pub(crate) fn to_raw(store: &crate::store::StoreInner, v: &Val) -> ValRaw {
    match *v {
        Val::I32(x) => ValRaw::i32(x),
        Val::I64(x) => ValRaw::i64(x),
        Val::F32(x) => ValRaw::f32(x),
        Val::F64(x) => ValRaw::f64(x),
        Val::V128(x) => ValRaw::v128(x),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::ExnRef(None) => ValRaw::reference(0),
        // An exnref is the address of its `VMException`.
        Val::ExnRef(Some(e)) => match store.exceptions.words(e.index) {
            Some(words) => ValRaw::reference(words.as_ptr() as usize),
            None => ValRaw::reference(0),
        },
        Val::FuncRef(Some(f)) => ValRaw::reference(store.func_ref(f) as usize),
        // Extern references are index + 1, so that 0 stays null.
        Val::ExternRef(Some(e)) => ValRaw::reference(e.index as usize + 1),
    }
}

/// A value of type `ty` from its raw form.
pub(crate) fn from_raw(store: &crate::store::StoreInner, ty: ValType, raw: ValRaw) -> Val {
    match ty {
        ValType::I32 => Val::I32(raw.get_i32()),
        ValType::I64 => Val::I64(raw.get_i64()),
        ValType::F32 => Val::F32(raw.get_f32()),
        ValType::F64 => Val::F64(raw.get_f64()),
        ValType::V128 => Val::V128(raw.get_v128()),
        ValType::FuncRef => Val::FuncRef(store.func_from_ref(raw.get_reference())),
        ValType::ExternRef => Val::ExternRef(match raw.get_reference() {
            0 => None,
            n => Some(ExternRef {
                store: store.id,
                index: (n - 1) as u32,
            }),
        }),
        ValType::ExnRef => {
            Val::ExnRef(store.exceptions.index_of(raw.get_reference()).map(|index| {
                // The host holds it from now on: no collection frees it.
                store.exceptions.pin(index);
                crate::tag::Exn {
                    store: store.id,
                    index,
                }
            }))
        }
    }
}

//! Values (`wasm_val_t`, `wasm_val_vec_t`) and references (`wasm_ref_t`): conversions between
//! the standard's representation and Lazuli's [`Val`].

use lazuli::{Extern, Val, ValType};

use crate::engine::{drop_c, to_c, wasm_store_t};
use crate::externs::{wasm_extern_t, Item};
use crate::types::{borrow, kind_of};
use crate::vec::{declare_vec, Element};

/// A reference: a function of a store, or a host reference (`externref`) that came from wasm.
pub type wasm_ref_t = wasm_extern_t;

/// The payload of a value (C layout: a union of 8 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub union wasm_val_union {
    /// `WASM_I32`.
    pub i32: i32,
    /// `WASM_I64`.
    pub i64: i64,
    /// `WASM_F32`.
    pub f32: f32,
    /// `WASM_F64`.
    pub f64: f64,
    /// `WASM_FUNCREF`, `WASM_EXTERNREF`: owned by the value, or null.
    pub ref_: *mut wasm_ref_t,
}

/// A value: its kind and payload.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasm_val_t {
    /// The kind (`WASM_I32` ...).
    pub kind: u8,
    /// The payload.
    pub of: wasm_val_union,
}

fn is_ref(kind: u8) -> bool {
    kind >= 128
}

impl Element for wasm_val_t {
    fn empty() -> wasm_val_t {
        wasm_val_t {
            kind: 0,
            of: wasm_val_union { i64: 0 },
        }
    }

    fn duplicate(&self) -> wasm_val_t {
        if is_ref(self.kind) {
            // SAFETY: a reference value's payload is its (owned or null) reference.
            let r = unsafe { self.of.ref_ };
            wasm_val_t {
                kind: self.kind,
                of: wasm_val_union {
                    ref_: Element::duplicate(&r),
                },
            }
        } else {
            *self
        }
    }

    fn destroy(self) {
        if is_ref(self.kind) {
            // SAFETY: as in `duplicate`; the value gives up its reference here.
            Element::destroy(unsafe { self.of.ref_ });
        }
    }
}

declare_vec!(
    wasm_val_t,
    wasm_val_vec_new_empty,
    wasm_val_vec_new_uninitialized,
    wasm_val_vec_new,
    wasm_val_vec_copy,
    wasm_val_vec_delete
);

/// `v` in the standard's form; references become owned `wasm_ref_t`s of `store`.
pub(crate) fn to_c_val(store: *mut wasm_store_t, v: &Val) -> Result<wasm_val_t, String> {
    let reference = |item: Option<crate::externs::Item>| match item {
        Some(item) => to_c(wasm_extern_t { store, item }),
        None => std::ptr::null_mut(),
    };
    let (kind, of) = match v {
        Val::I32(x) => (0, wasm_val_union { i32: *x }),
        Val::I64(x) => (1, wasm_val_union { i64: *x }),
        Val::F32(bits) => (
            2,
            wasm_val_union {
                f32: f32::from_bits(*bits),
            },
        ),
        Val::F64(bits) => (
            3,
            wasm_val_union {
                f64: f64::from_bits(*bits),
            },
        ),
        Val::V128(_) => return Err("v128 values cannot cross the C API".into()),
        Val::ExnRef(_) => return Err("exnref values cannot cross the C API".into()),
        Val::FuncRef(f) => (
            kind_of(ValType::FuncRef),
            wasm_val_union {
                ref_: reference(f.map(|f| Item::Extern(Extern::Func(f)))),
            },
        ),
        Val::ExternRef(r) => (
            kind_of(ValType::ExternRef),
            wasm_val_union {
                ref_: reference(r.map(Item::HostRef)),
            },
        ),
    };
    Ok(wasm_val_t { kind, of })
}

/// The value `v` (borrowed) as Lazuli's, which must be of type `ty`.
pub(crate) fn from_c_val(v: &wasm_val_t, ty: ValType) -> Result<Val, String> {
    if v.kind != kind_of(ty) {
        return Err(format!("a value of kind {} where {ty} is expected", v.kind));
    }
    // SAFETY: the union field read is the one `kind` names (checked above against `ty`).
    Ok(unsafe {
        match ty {
            ValType::I32 => Val::I32(v.of.i32),
            ValType::I64 => Val::I64(v.of.i64),
            ValType::F32 => Val::F32(v.of.f32.to_bits()),
            ValType::F64 => Val::F64(v.of.f64.to_bits()),
            ValType::V128 => return Err("v128 values cannot cross the C API".into()),
            ValType::ExnRef => return Err("exnref values cannot cross the C API".into()),
            ValType::FuncRef => match borrow(v.of.ref_).map(|r| &r.item) {
                None => Val::FuncRef(None),
                Some(Item::Extern(Extern::Func(f))) => Val::FuncRef(Some(*f)),
                Some(_) => return Err("a funcref value that is not a function".into()),
            },
            ValType::ExternRef => match borrow(v.of.ref_).map(|r| &r.item) {
                None => Val::ExternRef(None),
                Some(Item::HostRef(r)) => Val::ExternRef(Some(*r)),
                Some(_) => return Err("an externref value that is a function".into()),
            },
        }
    })
}

/// The Lazuli type of a value's kind.
pub(crate) fn type_of_val(v: &wasm_val_t) -> Option<ValType> {
    crate::types::type_of(v.kind)
}

/// Free what a value owns.
///
/// # Safety
/// `v` is null or a live value.
#[no_mangle]
pub unsafe extern "C" fn wasm_val_delete(v: *mut wasm_val_t) {
    // SAFETY: forwarded contract.
    if let Some(v) = unsafe { v.as_mut() } {
        std::mem::replace(v, wasm_val_t::empty()).destroy();
    }
}

/// Copy a value (references too).
///
/// # Safety
/// `out` is valid for writing; `v` is null or a live value.
#[no_mangle]
pub unsafe extern "C" fn wasm_val_copy(out: *mut wasm_val_t, v: *const wasm_val_t) {
    // SAFETY: forwarded contract.
    let copy = unsafe { borrow(v) }.map_or(wasm_val_t::empty(), Element::duplicate);
    if !out.is_null() {
        // SAFETY: per the contract.
        unsafe { out.write(copy) };
    }
}

/// A copy of a reference.
///
/// # Safety
/// `r` is null or a live reference.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_copy(r: *const wasm_ref_t) -> *mut wasm_ref_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(r) }.map_or(std::ptr::null_mut(), |r| to_c(r.clone()))
}

/// Free a reference.
///
/// # Safety
/// `r` is null or an owned reference, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn wasm_ref_delete(r: *mut wasm_ref_t) {
    // SAFETY: forwarded contract.
    unsafe { drop_c(r) }
}

//! Type representations: `wasm_valtype_t`, and one `wasm_externtype_t` that is also the
//! function, global, table and memory type (the standard's `as_externtype` conversions borrow
//! the same object), plus import and export types.

use lazuli::{ExternType, FuncType, GlobalType, Limits, MemoryType, RefType, TableType, ValType};

use crate::engine::{drop_c, set_error, to_c};
use crate::vec::{declare_vec, name, Vector};

/// A value type: one of the `WASM_*` kinds (`WASM_I32` 0 ... `WASM_F64` 3, `WASM_EXTERNREF`
/// 128, `WASM_FUNCREF` 129; Lazuli also uses 4 for `v128`, as other runtimes do).
#[derive(Clone, Copy)]
pub struct wasm_valtype_t {
    pub(crate) ty: ValType,
}

/// Limits in the standard's form: `max` is `0xffffffff` for none.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct wasm_limits_t {
    /// The minimum.
    pub min: u32,
    /// The maximum, or `0xffffffff`.
    pub max: u32,
}

/// An external type; also the function, global, table and memory type.
pub struct wasm_externtype_t {
    pub(crate) ty: ExternType,
    /// For function types: the parameters and results, owned, as the standard hands them out.
    params: Vector<*mut wasm_valtype_t>,
    results: Vector<*mut wasm_valtype_t>,
    /// For global types the content, for table types the element.
    content: Box<wasm_valtype_t>,
    /// For table and memory types.
    limits: wasm_limits_t,
}

/// The function type.
pub type wasm_functype_t = wasm_externtype_t;
/// The global type.
pub type wasm_globaltype_t = wasm_externtype_t;
/// The table type.
pub type wasm_tabletype_t = wasm_externtype_t;
/// The memory type.
pub type wasm_memorytype_t = wasm_externtype_t;

/// An import's module name, name and type.
#[derive(Clone)]
pub struct wasm_importtype_t {
    module: Vector<u8>,
    name: Vector<u8>,
    ty: Box<wasm_externtype_t>,
}

/// An export's name and type.
#[derive(Clone)]
pub struct wasm_exporttype_t {
    name: Vector<u8>,
    ty: Box<wasm_externtype_t>,
}

/// The standard's number for a value type.
pub(crate) fn kind_of(ty: ValType) -> u8 {
    match ty {
        ValType::I32 => 0,
        ValType::I64 => 1,
        ValType::F32 => 2,
        ValType::F64 => 3,
        ValType::V128 => 4,
        ValType::ExternRef => 128,
        ValType::FuncRef => 129,
        // Not in the standard's enumeration, which predates exception handling.
        ValType::ExnRef => 130,
    }
}

/// The value type with the standard's number `kind`.
pub(crate) fn type_of(kind: u8) -> Option<ValType> {
    Some(match kind {
        0 => ValType::I32,
        1 => ValType::I64,
        2 => ValType::F32,
        3 => ValType::F64,
        4 => ValType::V128,
        128 => ValType::ExternRef,
        129 => ValType::FuncRef,
        _ => return None,
    })
}

fn limits_to_c(limits: Limits) -> wasm_limits_t {
    wasm_limits_t {
        min: u32::try_from(limits.min).unwrap_or(u32::MAX),
        max: limits
            .max
            .map_or(u32::MAX, |m| u32::try_from(m).unwrap_or(u32::MAX)),
    }
}

fn limits_from_c(limits: &wasm_limits_t) -> Limits {
    Limits {
        min: limits.min as u64,
        max: (limits.max != u32::MAX).then_some(limits.max as u64),
    }
}

fn valtypes(types: &[ValType]) -> Vector<*mut wasm_valtype_t> {
    Vector::from_vec(
        types
            .iter()
            .map(|&ty| to_c(wasm_valtype_t { ty }))
            .collect(),
    )
}

impl wasm_externtype_t {
    pub(crate) fn new(ty: ExternType) -> wasm_externtype_t {
        let (params, results) = match &ty {
            ExternType::Func(f) => (valtypes(f.params()), valtypes(f.results())),
            _ => (Vector::from_vec(Vec::new()), Vector::from_vec(Vec::new())),
        };
        let content = match &ty {
            ExternType::Global(g) => g.content,
            ExternType::Table(t) => t.element.into(),
            _ => ValType::I32,
        };
        let limits = match &ty {
            ExternType::Table(t) => limits_to_c(t.limits),
            ExternType::Memory(m) => limits_to_c(m.limits),
            _ => wasm_limits_t {
                min: 0,
                max: u32::MAX,
            },
        };
        wasm_externtype_t {
            ty,
            params,
            results,
            content: Box::new(wasm_valtype_t { ty: content }),
            limits,
        }
    }

    /// Moved to C.
    pub(crate) fn to_c(ty: ExternType) -> *mut wasm_externtype_t {
        to_c(wasm_externtype_t::new(ty))
    }

    pub(crate) fn func_type(&self) -> Option<&FuncType> {
        match &self.ty {
            ExternType::Func(f) => Some(f),
            _ => None,
        }
    }
}

impl Clone for wasm_externtype_t {
    fn clone(&self) -> Self {
        wasm_externtype_t::new(self.ty.clone())
    }
}

impl Drop for wasm_externtype_t {
    fn drop(&mut self) {
        self.params.clear();
        self.results.clear();
    }
}

impl wasm_importtype_t {
    pub(crate) fn new(module: &str, field: &str, ty: ExternType) -> wasm_importtype_t {
        wasm_importtype_t {
            module: name(module),
            name: name(field),
            ty: Box::new(wasm_externtype_t::new(ty)),
        }
    }
}

impl wasm_exporttype_t {
    pub(crate) fn new(field: &str, ty: ExternType) -> wasm_exporttype_t {
        wasm_exporttype_t {
            name: name(field),
            ty: Box::new(wasm_externtype_t::new(ty)),
        }
    }
}

impl Drop for wasm_importtype_t {
    fn drop(&mut self) {
        self.module.clear();
        self.name.clear();
    }
}

impl Drop for wasm_exporttype_t {
    fn drop(&mut self) {
        self.name.clear();
    }
}

impl Clone for Vector<u8> {
    fn clone(&self) -> Self {
        Vector::from_vec(self.as_slice().to_vec())
    }
}

/// Borrow a C object.
///
/// # Safety
/// `ptr` is null or points to a live `T`.
pub(crate) unsafe fn borrow<'a, T>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: per the contract.
    unsafe { ptr.as_ref() }
}

declare_vec!(
    *mut wasm_valtype_t,
    wasm_valtype_vec_new_empty,
    wasm_valtype_vec_new_uninitialized,
    wasm_valtype_vec_new,
    wasm_valtype_vec_copy,
    wasm_valtype_vec_delete
);
declare_vec!(
    *mut wasm_externtype_t,
    wasm_functype_vec_new_empty,
    wasm_functype_vec_new_uninitialized,
    wasm_functype_vec_new,
    wasm_functype_vec_copy,
    wasm_functype_vec_delete
);
declare_vec!(
    *mut wasm_externtype_t,
    wasm_globaltype_vec_new_empty,
    wasm_globaltype_vec_new_uninitialized,
    wasm_globaltype_vec_new,
    wasm_globaltype_vec_copy,
    wasm_globaltype_vec_delete
);
declare_vec!(
    *mut wasm_externtype_t,
    wasm_tabletype_vec_new_empty,
    wasm_tabletype_vec_new_uninitialized,
    wasm_tabletype_vec_new,
    wasm_tabletype_vec_copy,
    wasm_tabletype_vec_delete
);
declare_vec!(
    *mut wasm_externtype_t,
    wasm_memorytype_vec_new_empty,
    wasm_memorytype_vec_new_uninitialized,
    wasm_memorytype_vec_new,
    wasm_memorytype_vec_copy,
    wasm_memorytype_vec_delete
);
declare_vec!(
    *mut wasm_externtype_t,
    wasm_externtype_vec_new_empty,
    wasm_externtype_vec_new_uninitialized,
    wasm_externtype_vec_new,
    wasm_externtype_vec_copy,
    wasm_externtype_vec_delete
);
declare_vec!(
    *mut wasm_importtype_t,
    wasm_importtype_vec_new_empty,
    wasm_importtype_vec_new_uninitialized,
    wasm_importtype_vec_new,
    wasm_importtype_vec_copy,
    wasm_importtype_vec_delete
);
declare_vec!(
    *mut wasm_exporttype_t,
    wasm_exporttype_vec_new_empty,
    wasm_exporttype_vec_new_uninitialized,
    wasm_exporttype_vec_new,
    wasm_exporttype_vec_copy,
    wasm_exporttype_vec_delete
);

/// A value type of kind `kind`, or null for an unknown kind.
#[no_mangle]
pub extern "C" fn wasm_valtype_new(kind: u8) -> *mut wasm_valtype_t {
    match type_of(kind) {
        Some(ty) => to_c(wasm_valtype_t { ty }),
        None => {
            set_error(format!("wasm_valtype_new: unknown value kind {kind}"));
            std::ptr::null_mut()
        }
    }
}

/// A copy of a value type.
///
/// # Safety
/// `ty` is null or a live value type.
#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_copy(ty: *const wasm_valtype_t) -> *mut wasm_valtype_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null_mut(), |t| to_c(*t))
}

/// Free a value type.
///
/// # Safety
/// `ty` is null or an owned value type, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_delete(ty: *mut wasm_valtype_t) {
    // SAFETY: forwarded contract.
    unsafe { drop_c(ty) }
}

/// The kind of a value type.
///
/// # Safety
/// `ty` is a live value type.
#[no_mangle]
pub unsafe extern "C" fn wasm_valtype_kind(ty: *const wasm_valtype_t) -> u8 {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(0, |t| kind_of(t.ty))
}

/// Take the value types out of `vec` (freeing them), or `None` if one is null.
///
/// # Safety
/// `vec` is null or a live vector of owned value types.
unsafe fn take_types(vec: *mut Vector<*mut wasm_valtype_t>) -> Option<Vec<ValType>> {
    // SAFETY: forwarded contract.
    let Some(vec) = (unsafe { vec.as_mut() }) else {
        return Some(Vec::new());
    };
    let items = vec.take();
    // SAFETY: each non-null element is a live value type, read before it is freed below.
    let types = items
        .iter()
        .map(|&t| unsafe { borrow(t) }.map(|t| t.ty))
        .collect();
    for item in items {
        crate::vec::Element::destroy(item);
    }
    types
}

/// A function type taking ownership of the parameter and result types.
///
/// # Safety
/// `params` and `results` are null or live vectors of owned value types; they are emptied.
#[no_mangle]
pub unsafe extern "C" fn wasm_functype_new(
    params: *mut Vector<*mut wasm_valtype_t>,
    results: *mut Vector<*mut wasm_valtype_t>,
) -> *mut wasm_functype_t {
    // SAFETY: forwarded contract.
    let (params, results) = unsafe { (take_types(params), take_types(results)) };
    match params.zip(results) {
        Some((params, results)) => {
            wasm_externtype_t::to_c(ExternType::Func(FuncType::new(params, results)))
        }
        None => {
            set_error("wasm_functype_new: a value type is null");
            std::ptr::null_mut()
        }
    }
}

/// The parameter types (borrowed).
///
/// # Safety
/// `ty` is a live function type.
#[no_mangle]
pub unsafe extern "C" fn wasm_functype_params(
    ty: *const wasm_functype_t,
) -> *const Vector<*mut wasm_valtype_t> {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null(), |t| &t.params)
}

/// The result types (borrowed).
///
/// # Safety
/// `ty` is a live function type.
#[no_mangle]
pub unsafe extern "C" fn wasm_functype_results(
    ty: *const wasm_functype_t,
) -> *const Vector<*mut wasm_valtype_t> {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null(), |t| &t.results)
}

/// A global type taking ownership of `content`; mutability 0 const, 1 var.
///
/// # Safety
/// `content` is null or an owned value type (freed here).
#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_new(
    content: *mut wasm_valtype_t,
    mutability: u8,
) -> *mut wasm_globaltype_t {
    if content.is_null() {
        set_error("wasm_globaltype_new: the content type is null");
        return std::ptr::null_mut();
    }
    // SAFETY: per the contract; ownership passes here.
    let content = unsafe { Box::from_raw(content) }.ty;
    wasm_externtype_t::to_c(ExternType::Global(GlobalType {
        content,
        mutable: mutability != 0,
    }))
}

/// The content type of a global type (borrowed).
///
/// # Safety
/// `ty` is a live global type.
#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_content(
    ty: *const wasm_globaltype_t,
) -> *const wasm_valtype_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null(), |t| &*t.content)
}

/// 1 for a mutable global type, else 0.
///
/// # Safety
/// `ty` is a live global type.
#[no_mangle]
pub unsafe extern "C" fn wasm_globaltype_mutability(ty: *const wasm_globaltype_t) -> u8 {
    // SAFETY: forwarded contract.
    match unsafe { borrow(ty) }.map(|t| &t.ty) {
        Some(ExternType::Global(g)) => g.mutable as u8,
        _ => 0,
    }
}

/// A table type taking ownership of `element` (a reference type).
///
/// # Safety
/// `element` is null or an owned value type (freed here); `limits` is null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_new(
    element: *mut wasm_valtype_t,
    limits: *const wasm_limits_t,
) -> *mut wasm_tabletype_t {
    // SAFETY: per the contract.
    let Some(limits) = (unsafe { borrow(limits) }) else {
        set_error("wasm_tabletype_new: the limits are null");
        return std::ptr::null_mut();
    };
    if element.is_null() {
        set_error("wasm_tabletype_new: the element type is null");
        return std::ptr::null_mut();
    }
    // SAFETY: per the contract; ownership passes here.
    let element = match unsafe { Box::from_raw(element) }.ty {
        ValType::FuncRef => RefType::FuncRef,
        ValType::ExternRef => RefType::ExternRef,
        other => {
            set_error(format!(
                "wasm_tabletype_new: {other} is not a reference type"
            ));
            return std::ptr::null_mut();
        }
    };
    wasm_externtype_t::to_c(ExternType::Table(TableType {
        element,
        limits: limits_from_c(limits),
        table64: false,
    }))
}

/// The element type of a table type (borrowed).
///
/// # Safety
/// `ty` is a live table type.
#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_element(
    ty: *const wasm_tabletype_t,
) -> *const wasm_valtype_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null(), |t| &*t.content)
}

/// The limits of a table type (borrowed).
///
/// # Safety
/// `ty` is a live table type.
#[no_mangle]
pub unsafe extern "C" fn wasm_tabletype_limits(
    ty: *const wasm_tabletype_t,
) -> *const wasm_limits_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null(), |t| &t.limits)
}

/// A memory type.
///
/// # Safety
/// `limits` is null or valid.
#[no_mangle]
pub unsafe extern "C" fn wasm_memorytype_new(
    limits: *const wasm_limits_t,
) -> *mut wasm_memorytype_t {
    // SAFETY: per the contract.
    let Some(limits) = (unsafe { borrow(limits) }) else {
        set_error("wasm_memorytype_new: the limits are null");
        return std::ptr::null_mut();
    };
    wasm_externtype_t::to_c(ExternType::Memory(MemoryType {
        limits: limits_from_c(limits),
        shared: false,
        memory64: false,
    }))
}

/// The limits of a memory type (borrowed).
///
/// # Safety
/// `ty` is a live memory type.
#[no_mangle]
pub unsafe extern "C" fn wasm_memorytype_limits(
    ty: *const wasm_memorytype_t,
) -> *const wasm_limits_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null(), |t| &t.limits)
}

/// The kind of an external type: 0 function, 1 global, 2 table, 3 memory.
///
/// # Safety
/// `ty` is a live external type.
#[no_mangle]
pub unsafe extern "C" fn wasm_externtype_kind(ty: *const wasm_externtype_t) -> u8 {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(0, |t| extern_kind(&t.ty))
}

/// The standard's number for the kind of `ty`.
pub(crate) fn extern_kind(ty: &ExternType) -> u8 {
    match ty {
        ExternType::Func(_) => 0,
        ExternType::Global(_) => 1,
        ExternType::Table(_) => 2,
        ExternType::Memory(_) => 3,
        // Not in the standard's enumeration, which predates exception handling.
        ExternType::Tag(_) => 4,
    }
}

/// The copy and delete functions of each type, which are all the one external type.
macro_rules! copy_delete {
    ($($copy:ident, $delete:ident;)*) => {$(
        /// A copy of the type.
        ///
        /// # Safety
        /// `ty` is null or a live type.
        #[no_mangle]
        pub unsafe extern "C" fn $copy(ty: *const wasm_externtype_t) -> *mut wasm_externtype_t {
            // SAFETY: forwarded contract.
            unsafe { borrow(ty) }.map_or(std::ptr::null_mut(), |t| to_c(t.clone()))
        }

        /// Free the type.
        ///
        /// # Safety
        /// `ty` is null or an owned type, not used afterwards.
        #[no_mangle]
        pub unsafe extern "C" fn $delete(ty: *mut wasm_externtype_t) {
            // SAFETY: forwarded contract.
            unsafe { drop_c(ty) }
        }
    )*};
}
copy_delete! {
    wasm_functype_copy, wasm_functype_delete;
    wasm_globaltype_copy, wasm_globaltype_delete;
    wasm_tabletype_copy, wasm_tabletype_delete;
    wasm_memorytype_copy, wasm_memorytype_delete;
    wasm_externtype_copy, wasm_externtype_delete;
}

/// The conversions between the external type and the specific ones: the same object, checked
/// for its kind on the way down.
macro_rules! conversions {
    ($(($up:ident, $up_const:ident, $down:ident, $down_const:ident, $kind:pat))*) => {$(
        /// The type as an external type (borrowed: the same object).
        #[no_mangle]
        pub extern "C" fn $up(ty: *mut wasm_externtype_t) -> *mut wasm_externtype_t {
            ty
        }

        /// The type as an external type (borrowed: the same object).
        #[no_mangle]
        pub extern "C" fn $up_const(ty: *const wasm_externtype_t) -> *const wasm_externtype_t {
            ty
        }

        /// The external type as this kind of type, or null if it is another kind.
        ///
        /// # Safety
        /// `ty` is null or a live external type.
        #[no_mangle]
        pub unsafe extern "C" fn $down(ty: *mut wasm_externtype_t) -> *mut wasm_externtype_t {
            // SAFETY: forwarded contract.
            match unsafe { borrow(ty) }.map(|t| &t.ty) {
                Some($kind) => ty,
                _ => std::ptr::null_mut(),
            }
        }

        /// The external type as this kind of type, or null if it is another kind.
        ///
        /// # Safety
        /// `ty` is null or a live external type.
        #[no_mangle]
        pub unsafe extern "C" fn $down_const(ty: *const wasm_externtype_t) -> *const wasm_externtype_t {
            // SAFETY: forwarded contract.
            match unsafe { borrow(ty) }.map(|t| &t.ty) {
                Some($kind) => ty,
                _ => std::ptr::null(),
            }
        }
    )*};
}
conversions! {
    (wasm_functype_as_externtype, wasm_functype_as_externtype_const, wasm_externtype_as_functype, wasm_externtype_as_functype_const, ExternType::Func(_))
    (wasm_globaltype_as_externtype, wasm_globaltype_as_externtype_const, wasm_externtype_as_globaltype, wasm_externtype_as_globaltype_const, ExternType::Global(_))
    (wasm_tabletype_as_externtype, wasm_tabletype_as_externtype_const, wasm_externtype_as_tabletype, wasm_externtype_as_tabletype_const, ExternType::Table(_))
    (wasm_memorytype_as_externtype, wasm_memorytype_as_externtype_const, wasm_externtype_as_memorytype, wasm_externtype_as_memorytype_const, ExternType::Memory(_))
}

/// Take a name vector's bytes as a string (the vector is emptied and freed).
///
/// # Safety
/// `name` is null or a live byte vector.
unsafe fn take_name(name: *mut Vector<u8>) -> String {
    // SAFETY: forwarded contract.
    let bytes = unsafe { name.as_mut() }
        .map(|n| n.take())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\0')
        .to_string()
}

/// An import type, taking ownership of the names' bytes and of the type.
///
/// # Safety
/// `module` and `name` are null or live byte vectors (emptied); `ty` is null or an owned
/// external type (freed).
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_new(
    module: *mut Vector<u8>,
    name: *mut Vector<u8>,
    ty: *mut wasm_externtype_t,
) -> *mut wasm_importtype_t {
    // SAFETY: forwarded contract.
    let (module, field) = unsafe { (take_name(module), take_name(name)) };
    if ty.is_null() {
        set_error("wasm_importtype_new: the type is null");
        return std::ptr::null_mut();
    }
    // SAFETY: per the contract; ownership passes here.
    let ty = unsafe { Box::from_raw(ty) };
    to_c(wasm_importtype_t::new(&module, &field, ty.ty.clone()))
}

/// An export type, taking ownership of the name's bytes and of the type.
///
/// # Safety
/// `name` is null or a live byte vector (emptied); `ty` is null or an owned external type.
#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_new(
    name: *mut Vector<u8>,
    ty: *mut wasm_externtype_t,
) -> *mut wasm_exporttype_t {
    // SAFETY: forwarded contract.
    let field = unsafe { take_name(name) };
    if ty.is_null() {
        set_error("wasm_exporttype_new: the type is null");
        return std::ptr::null_mut();
    }
    // SAFETY: per the contract; ownership passes here.
    let ty = unsafe { Box::from_raw(ty) };
    to_c(wasm_exporttype_t::new(&field, ty.ty.clone()))
}

macro_rules! copy_delete_plain {
    ($($ty:ty, $copy:ident, $delete:ident;)*) => {$(
        /// A copy.
        ///
        /// # Safety
        /// `item` is null or live.
        #[no_mangle]
        pub unsafe extern "C" fn $copy(item: *const $ty) -> *mut $ty {
            // SAFETY: forwarded contract.
            unsafe { borrow(item) }.map_or(std::ptr::null_mut(), |t| to_c(t.clone()))
        }

        /// Free it.
        ///
        /// # Safety
        /// `item` is null or owned, not used afterwards.
        #[no_mangle]
        pub unsafe extern "C" fn $delete(item: *mut $ty) {
            // SAFETY: forwarded contract.
            unsafe { drop_c(item) }
        }
    )*};
}
copy_delete_plain! {
    wasm_importtype_t, wasm_importtype_copy, wasm_importtype_delete;
    wasm_exporttype_t, wasm_exporttype_copy, wasm_exporttype_delete;
}

/// The module name of an import (borrowed).
///
/// # Safety
/// `ty` is a live import type.
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_module(ty: *const wasm_importtype_t) -> *const Vector<u8> {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null(), |t| &t.module)
}

/// The name of an import (borrowed).
///
/// # Safety
/// `ty` is a live import type.
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_name(ty: *const wasm_importtype_t) -> *const Vector<u8> {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null(), |t| &t.name)
}

/// The type of an import (borrowed).
///
/// # Safety
/// `ty` is a live import type.
#[no_mangle]
pub unsafe extern "C" fn wasm_importtype_type(
    ty: *const wasm_importtype_t,
) -> *const wasm_externtype_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null(), |t| &*t.ty)
}

/// The name of an export (borrowed).
///
/// # Safety
/// `ty` is a live export type.
#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_name(ty: *const wasm_exporttype_t) -> *const Vector<u8> {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null(), |t| &t.name)
}

/// The type of an export (borrowed).
///
/// # Safety
/// `ty` is a live export type.
#[no_mangle]
pub unsafe extern "C" fn wasm_exporttype_type(
    ty: *const wasm_exporttype_t,
) -> *const wasm_externtype_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(ty) }.map_or(std::ptr::null(), |t| &*t.ty)
}

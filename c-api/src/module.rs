//! Modules (`wasm_module_t`): validated wasm of an engine, their import and export types, and
//! serialization.

use lazuli::Module;

use crate::engine::{drop_c, record, set_error, store_of, to_c, wasm_store_t};
use crate::types::{borrow, wasm_exporttype_t, wasm_importtype_t};
use crate::vec::{write_out, Vector};

/// A module: decoded and validated, compiled as it runs (or eagerly, per the configuration).
#[derive(Clone)]
pub struct wasm_module_t {
    pub(crate) module: Module,
}

/// The bytes of a C byte vector (borrowed).
///
/// # Safety
/// `bytes` is null or a live byte vector.
unsafe fn bytes_of<'a>(bytes: *const Vector<u8>) -> &'a [u8] {
    // SAFETY: forwarded contract.
    unsafe { borrow(bytes) }.map_or(&[][..], Vector::as_slice)
}

/// A module from `binary` (wasm bytes), or null (see `lazuli_last_error`).
///
/// # Safety
/// `store` is a live store; `binary` is null or a live byte vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_new(
    store: *mut wasm_store_t,
    binary: *const Vector<u8>,
) -> *mut wasm_module_t {
    // SAFETY: forwarded contract.
    let (Some(store), bytes) = (unsafe { store_of(store) }, unsafe { bytes_of(binary) }) else {
        set_error("wasm_module_new: the store is null");
        return std::ptr::null_mut();
    };
    record(Module::new(store.engine(), bytes.to_vec())).map_or(std::ptr::null_mut(), |module| {
        to_c(wasm_module_t { module })
    })
}

/// Whether `binary` is a valid module for the store's engine.
///
/// # Safety
/// `store` is a live store; `binary` is null or a live byte vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_validate(
    store: *mut wasm_store_t,
    binary: *const Vector<u8>,
) -> bool {
    // SAFETY: forwarded contract.
    let (Some(store), bytes) = (unsafe { store_of(store) }, unsafe { bytes_of(binary) }) else {
        return false;
    };
    record(Module::validate(store.engine(), bytes)).is_some()
}

/// Another handle to the module.
///
/// # Safety
/// `module` is null or live.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_copy(module: *const wasm_module_t) -> *mut wasm_module_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(module) }.map_or(std::ptr::null_mut(), |m| to_c(m.clone()))
}

/// Free a module handle.
///
/// # Safety
/// `module` is null or owned, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_delete(module: *mut wasm_module_t) {
    // SAFETY: forwarded contract.
    unsafe { drop_c(module) }
}

/// The module's import types, in order (owned by `out`).
///
/// # Safety
/// `module` is a live module; `out` is valid for writing a vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_imports(
    module: *const wasm_module_t,
    out: *mut Vector<*mut wasm_importtype_t>,
) {
    // SAFETY: forwarded contract.
    let imports = unsafe { borrow(module) }
        .map(|m| {
            m.module
                .imports()
                .map(|(module, name, ty)| to_c(wasm_importtype_t::new(module, name, ty)))
                .collect()
        })
        .unwrap_or_default();
    // SAFETY: forwarded contract.
    unsafe { write_out(out, Vector::from_vec(imports)) }
}

/// The module's export types, in order (owned by `out`).
///
/// # Safety
/// `module` is a live module; `out` is valid for writing a vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_exports(
    module: *const wasm_module_t,
    out: *mut Vector<*mut wasm_exporttype_t>,
) {
    // SAFETY: forwarded contract.
    let exports = unsafe { borrow(module) }
        .map(|m| {
            m.module
                .exports()
                .map(|(name, ty)| to_c(wasm_exporttype_t::new(name, ty)))
                .collect()
        })
        .unwrap_or_default();
    // SAFETY: forwarded contract.
    unsafe { write_out(out, Vector::from_vec(exports)) }
}

/// The module serialized (compiled code included); an empty vector if it cannot be (see
/// `lazuli_last_error`: a single-pass-only engine does not serialize).
///
/// # Safety
/// `module` is a live module; `out` is valid for writing a vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_serialize(module: *const wasm_module_t, out: *mut Vector<u8>) {
    // SAFETY: forwarded contract.
    let bytes = unsafe { borrow(module) }
        .and_then(|m| record(m.module.serialize()))
        .unwrap_or_default();
    // SAFETY: forwarded contract.
    unsafe { write_out(out, Vector::from_vec(bytes)) }
}

/// A module from `wasm_module_serialize` output, or null. The bytes are trusted: their code
/// runs as native code with the process's rights; header and checksum checks catch accidents
/// (another version, a truncated file), not attacks.
///
/// # Safety
/// `store` is a live store; `bytes` is null or a live byte vector from a source trusted like a
/// native library.
#[no_mangle]
pub unsafe extern "C" fn wasm_module_deserialize(
    store: *mut wasm_store_t,
    bytes: *const Vector<u8>,
) -> *mut wasm_module_t {
    // SAFETY: forwarded contract.
    let (Some(store), bytes) = (unsafe { store_of(store) }, unsafe { bytes_of(bytes) }) else {
        set_error("wasm_module_deserialize: the store is null");
        return std::ptr::null_mut();
    };
    // SAFETY: per the contract, the caller trusts the bytes as native code.
    let module = unsafe { Module::deserialize(store.engine(), bytes) };
    record(module).map_or(std::ptr::null_mut(), |module| {
        to_c(wasm_module_t { module })
    })
}

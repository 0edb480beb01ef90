//! Instances (`wasm_instance_t`): a module instantiated in a store with imports given in order.

use lazuli::{Error, Imports, Instance};

use crate::engine::{drop_c, store_of, to_c, wasm_store_t};
use crate::externs::wasm_extern_t;
use crate::module::wasm_module_t;
use crate::trap::wasm_trap_t;
use crate::types::borrow;
use crate::vec::{write_out, Vector};

/// An instance of a module in a store.
#[derive(Clone)]
pub struct wasm_instance_t {
    store: *mut wasm_store_t,
    instance: Instance,
}

/// Report `error` through `trap` (when not null) and return null.
///
/// # Safety
/// `trap` is null or valid for writing a pointer.
unsafe fn fail(trap: *mut *mut wasm_trap_t, error: Error) -> *mut wasm_instance_t {
    crate::engine::set_error(&error);
    if !trap.is_null() {
        // SAFETY: per the contract.
        unsafe { trap.write(wasm_trap_t::to_c(error, &[])) };
    }
    std::ptr::null_mut()
}

/// Instantiate `module` in `store` with `imports` (the module's imports in order). On failure
/// (a missing or mistyped import, a trap in the start function) null, and the reason as a trap
/// in `*trap` when `trap` is not null.
///
/// # Safety
/// `store` and `module` are live; `imports` is null or a live vector of live externals of
/// `store`; `trap` is null or valid for writing a pointer.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_new(
    store: *mut wasm_store_t,
    module: *const wasm_module_t,
    imports: *const Vector<*mut wasm_extern_t>,
    trap: *mut *mut wasm_trap_t,
) -> *mut wasm_instance_t {
    if !trap.is_null() {
        // SAFETY: per the contract.
        unsafe { trap.write(std::ptr::null_mut()) };
    }
    // SAFETY: forwarded contract.
    let (Some(s), Some(module)) = (unsafe { store_of(store) }, unsafe { borrow(module) }) else {
        // SAFETY: forwarded contract.
        return unsafe {
            fail(
                trap,
                Error::Usage("wasm_instance_new: the store or module is null".into()),
            )
        };
    };
    // SAFETY: forwarded contract.
    let given = unsafe { borrow(imports) }.map_or(&[][..], Vector::as_slice);
    let mut resolved = Imports::new();
    for (i, (module_name, name, _)) in module.module.imports().enumerate() {
        // SAFETY: per the contract, each element is null or a live external.
        let item = given
            .get(i)
            .and_then(|&e| unsafe { borrow(e) })
            .and_then(wasm_extern_t::as_extern);
        let Some(item) = item else {
            let message = format!(
                "import {i} (`{module_name}`.`{name}`) is missing: {} imports given for {}",
                given.len(),
                module.module.imports().len()
            );
            // SAFETY: forwarded contract.
            return unsafe { fail(trap, Error::Link(message)) };
        };
        resolved.insert(module_name, name, item);
    }
    match Instance::new(s, &module.module, &resolved) {
        Ok(instance) => to_c(wasm_instance_t { store, instance }),
        // SAFETY: forwarded contract.
        Err(e) => unsafe { fail(trap, e) },
    }
}

/// Another handle to the instance.
///
/// # Safety
/// `instance` is null or live.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_copy(
    instance: *const wasm_instance_t,
) -> *mut wasm_instance_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(instance) }.map_or(std::ptr::null_mut(), |i| to_c(i.clone()))
}

/// Free an instance handle (the instance stays in its store).
///
/// # Safety
/// `instance` is null or owned, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_delete(instance: *mut wasm_instance_t) {
    // SAFETY: forwarded contract.
    unsafe { drop_c(instance) }
}

/// The instance's exports, in the module's order (owned by `out`).
///
/// # Safety
/// `instance` is a live instance of a live store; `out` is valid for writing a vector.
#[no_mangle]
pub unsafe extern "C" fn wasm_instance_exports(
    instance: *const wasm_instance_t,
    out: *mut Vector<*mut wasm_extern_t>,
) {
    // SAFETY: forwarded contract.
    let exports = unsafe { borrow(instance) }
        .and_then(|i| {
            // SAFETY: per the contract, the store is alive.
            let store = unsafe { store_of(i.store) }?;
            let exports = crate::engine::record(i.instance.exports(store))?;
            Some(
                exports
                    .into_iter()
                    .map(|(_, item)| wasm_extern_t::to_c(i.store, item))
                    .collect(),
            )
        })
        .unwrap_or_default();
    // SAFETY: forwarded contract.
    unsafe { write_out(out, Vector::from_vec(exports)) }
}

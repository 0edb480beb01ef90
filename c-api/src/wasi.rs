//! WASI for C (`lazuli.h`): a configuration of a program's arguments, environment and
//! preopened directories, and the imports that give a module WASI's functions.

use std::ffi::{c_char, CStr};
use std::path::Path;

use lazuli::wasi::{WasiCtx, MODULE};
use lazuli::Imports;

use crate::engine::{drop_c, record, set_error, store_of, to_c, wasm_store_t};
use crate::externs::wasm_extern_t;
use crate::module::wasm_module_t;
use crate::types::borrow;
use crate::vec::{write_out, Vector};

/// A WASI program's configuration.
pub struct lazuli_wasi_config_t {
    ctx: WasiCtx,
}

/// The text of a C string, or `None` for null.
///
/// # Safety
/// `s` is null or a NUL-terminated string.
unsafe fn text<'a>(s: *const c_char) -> Option<std::borrow::Cow<'a, str>> {
    // SAFETY: per the contract.
    (!s.is_null()).then(|| unsafe { CStr::from_ptr(s) }.to_string_lossy())
}

/// A configuration with no arguments, no environment, no directories and the process's
/// standard streams.
#[no_mangle]
pub extern "C" fn lazuli_wasi_config_new() -> *mut lazuli_wasi_config_t {
    to_c(lazuli_wasi_config_t {
        ctx: WasiCtx::new(),
    })
}

/// Free a configuration.
///
/// # Safety
/// `config` is null or owned, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn lazuli_wasi_config_delete(config: *mut lazuli_wasi_config_t) {
    // SAFETY: forwarded contract.
    unsafe { drop_c(config) }
}

/// Append a program argument (the first is the program's name).
///
/// # Safety
/// `config` is null or live; `arg` is null or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn lazuli_wasi_config_arg(
    config: *mut lazuli_wasi_config_t,
    arg: *const c_char,
) {
    // SAFETY: forwarded contract.
    if let (Some(config), Some(arg)) = (unsafe { config.as_mut() }, unsafe { text(arg) }) {
        config.ctx.arg(arg.into_owned());
    }
}

/// Set an environment variable.
///
/// # Safety
/// `config` is null or live; `name` and `value` are null or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn lazuli_wasi_config_env(
    config: *mut lazuli_wasi_config_t,
    name: *const c_char,
    value: *const c_char,
) {
    // SAFETY: forwarded contract.
    let (config, name, value) = unsafe { (config.as_mut(), text(name), text(value)) };
    if let (Some(config), Some(name), Some(value)) = (config, name, value) {
        config.ctx.env(&name, &value);
    }
}

/// Give the program the host directory `host_path` as `guest_path`; false if it cannot be
/// opened.
///
/// # Safety
/// `config` is null or live; the paths are null or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn lazuli_wasi_config_preopen_dir(
    config: *mut lazuli_wasi_config_t,
    host_path: *const c_char,
    guest_path: *const c_char,
) -> bool {
    // SAFETY: forwarded contract.
    let (config, host, guest) = unsafe { (config.as_mut(), text(host_path), text(guest_path)) };
    let (Some(config), Some(host), Some(guest)) = (config, host, guest) else {
        set_error("lazuli_wasi_config_preopen_dir: a null argument");
        return false;
    };
    record(config.ctx.preopen_dir(Path::new(&*host), &guest)).is_some()
}

/// The imports of `module` in order, WASI's functions made in `store`; consumes `config`.
/// False if the module imports anything but WASI.
///
/// # Safety
/// `store` and `module` are live; `config` is null or owned (freed here); `out` is valid for
/// writing a vector.
#[no_mangle]
pub unsafe extern "C" fn lazuli_wasi_imports(
    store: *mut wasm_store_t,
    module: *const wasm_module_t,
    config: *mut lazuli_wasi_config_t,
    out: *mut Vector<*mut wasm_extern_t>,
) -> bool {
    let ctx = if config.is_null() {
        WasiCtx::new()
    } else {
        // SAFETY: per the contract; ownership passes here.
        unsafe { Box::from_raw(config) }.ctx
    };
    // SAFETY: forwarded contract.
    let (Some(s), Some(module)) = (unsafe { store_of(store) }, unsafe { borrow(module) }) else {
        set_error("lazuli_wasi_imports: the store or module is null");
        return false;
    };
    let mut imports = Imports::new();
    if record(ctx.add_to_imports(s, &mut imports)).is_none() {
        return false;
    }
    let mut items = Vec::new();
    for (module_name, name, _) in module.module.imports() {
        match imports
            .get(module_name, name)
            .filter(|_| module_name == MODULE)
        {
            Some(item) => items.push(wasm_extern_t::to_c(store, item)),
            None => {
                set_error(format!(
                    "the module imports `{module_name}`.`{name}`, which is not WASI's"
                ));
                for item in items {
                    crate::vec::Element::destroy(item);
                }
                return false;
            }
        }
    }
    // SAFETY: forwarded contract.
    unsafe { write_out(out, Vector::from_vec(items)) };
    true
}

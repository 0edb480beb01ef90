//! Configurations, engines and stores (`wasm_config_t`, `wasm_engine_t`, `wasm_store_t`), the
//! configuration choices of `lazuli.h`, and `lazuli_last_error`.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use lazuli::{Config, Engine, Error, Store, Strategy, Tiers};

/// A configuration, consumed by `wasm_engine_new_with_config`.
pub struct wasm_config_t {
    pub(crate) config: Config,
}

/// An engine: configuration and code generators, shared by its stores.
pub struct wasm_engine_t {
    pub(crate) engine: Engine,
}

/// A store: the runtime state of instances, used by one thread at a time.
pub struct wasm_store_t {
    pub(crate) store: Store,
    /// While a host callback of this store runs: the store as the callback's caller holds it,
    /// which every C call on the store's objects uses meanwhile (the store is borrowed by the
    /// wasm call in progress). Null otherwise.
    pub(crate) current: *mut Store,
}

/// The store behind `ptr`: the one a running host callback holds, else the store itself.
///
/// # Safety
/// `ptr` is null or a live store, used by this thread only, and the returned borrow ends
/// before the next use of the store through another pointer.
pub(crate) unsafe fn store_of<'a>(ptr: *mut wasm_store_t) -> Option<&'a mut Store> {
    // SAFETY: per the contract.
    let store = unsafe { ptr.as_mut() }?;
    if store.current.is_null() {
        Some(&mut store.store)
    } else {
        // SAFETY: `current` is the callback's own borrow of this store, live while the
        // callback runs (it is reset before the callback returns).
        Some(unsafe { &mut *store.current })
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// Record `error` as this thread's last error (for `lazuli_last_error`).
pub(crate) fn set_error(error: impl std::fmt::Display) {
    let text = error.to_string().replace('\0', " ");
    let text = CString::new(text).unwrap_or_default();
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(text));
}

/// `Some(value)`, or `None` with the error recorded.
pub(crate) fn record<T>(result: Result<T, Error>) -> Option<T> {
    result.map_err(set_error).ok()
}

/// The last error of this thread, or null.
#[no_mangle]
pub extern "C" fn lazuli_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ref().map_or(std::ptr::null(), |s| s.as_ptr()))
}

/// Move a value to C.
pub(crate) fn to_c<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Free a value made by [`to_c`]; nothing for null.
///
/// # Safety
/// `ptr` is null or came from [`to_c`] and is not used afterwards.
pub(crate) unsafe fn drop_c<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: per the contract.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// A new default configuration.
#[no_mangle]
pub extern "C" fn wasm_config_new() -> *mut wasm_config_t {
    to_c(wasm_config_t {
        config: Config::default(),
    })
}

/// Free a configuration.
///
/// # Safety
/// `config` is null or from `wasm_config_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn wasm_config_delete(config: *mut wasm_config_t) {
    // SAFETY: forwarded contract.
    unsafe { drop_c(config) }
}

/// An engine with the default configuration, or null (see `lazuli_last_error`).
#[no_mangle]
pub extern "C" fn wasm_engine_new() -> *mut wasm_engine_t {
    engine_for(Config::default())
}

/// An engine for `config` (consumed), or null.
///
/// # Safety
/// `config` is null or from `wasm_config_new`; it is freed here.
#[no_mangle]
pub unsafe extern "C" fn wasm_engine_new_with_config(
    config: *mut wasm_config_t,
) -> *mut wasm_engine_t {
    if config.is_null() {
        return engine_for(Config::default());
    }
    // SAFETY: per the contract; ownership passes here.
    let config = unsafe { Box::from_raw(config) };
    engine_for(config.config)
}

fn engine_for(config: Config) -> *mut wasm_engine_t {
    let mut config = config;
    if !cfg!(feature = "llvm") && config.tiers != Tiers::BaselineOnly {
        config = config.tiers(Tiers::BaselineOnly);
    }
    record(Engine::new(&config)).map_or(std::ptr::null_mut(), |engine| {
        to_c(wasm_engine_t { engine })
    })
}

/// Free an engine (its stores and modules must be gone).
///
/// # Safety
/// `engine` is null or from `wasm_engine_new*`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn wasm_engine_delete(engine: *mut wasm_engine_t) {
    // SAFETY: forwarded contract.
    unsafe { drop_c(engine) }
}

/// A new store of `engine`, or null.
///
/// # Safety
/// `engine` is null or a live engine.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_new(engine: *mut wasm_engine_t) -> *mut wasm_store_t {
    // SAFETY: per the contract.
    let Some(engine) = (unsafe { engine.as_ref() }) else {
        set_error("wasm_store_new: the engine is null");
        return std::ptr::null_mut();
    };
    to_c(wasm_store_t {
        store: Store::new(&engine.engine),
        current: std::ptr::null_mut(),
    })
}

/// Free a store and everything in it.
///
/// # Safety
/// `store` is null or from `wasm_store_new`; none of its objects is used afterwards.
#[no_mangle]
pub unsafe extern "C" fn wasm_store_delete(store: *mut wasm_store_t) {
    // SAFETY: forwarded contract.
    unsafe { drop_c(store) }
}

/// Choose the code generators: 0 tiered, 1 single-pass only, 2 LLVM only.
///
/// # Safety
/// `config` is null or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn lazuli_config_tiers(config: *mut wasm_config_t, tiers: i32) -> bool {
    // SAFETY: per the contract.
    let Some(config) = (unsafe { config.as_mut() }) else {
        return false;
    };
    let tiers = match tiers {
        0 => Tiers::Tiered,
        1 => Tiers::BaselineOnly,
        2 => Tiers::OptimizingOnly,
        _ => return false,
    };
    config.config.tiers = tiers;
    true
}

/// Compile eagerly (every function when the module is made) or lazily.
///
/// # Safety
/// `config` is null or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn lazuli_config_eager(config: *mut wasm_config_t, eager: bool) {
    // SAFETY: per the contract.
    if let Some(config) = unsafe { config.as_mut() } {
        config.config.strategy = if eager {
            Strategy::Eager
        } else {
            Strategy::Lazy
        };
    }
}

/// Turn epoch interruption on or off.
///
/// # Safety
/// `config` is null or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn lazuli_config_epoch_interruption(
    config: *mut wasm_config_t,
    enabled: bool,
) {
    // SAFETY: per the contract.
    if let Some(config) = unsafe { config.as_mut() } {
        config.config.epoch_interruption = enabled;
    }
}

/// Set the most bytes of linear memory a store may hold.
///
/// # Safety
/// `config` is null or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn lazuli_config_max_memory_bytes(config: *mut wasm_config_t, bytes: u64) {
    // SAFETY: per the contract.
    if let Some(config) = unsafe { config.as_mut() } {
        config.config.max_memory_bytes = bytes;
    }
}

/// Set the number of background compilation threads.
///
/// # Safety
/// `config` is null or a live configuration.
#[no_mangle]
pub unsafe extern "C" fn lazuli_config_workers(config: *mut wasm_config_t, workers: usize) {
    // SAFETY: per the contract.
    if let Some(config) = unsafe { config.as_mut() } {
        config.config.workers = Some(workers);
    }
}

/// Advance the engine's epoch by one.
///
/// # Safety
/// `engine` is null or a live engine.
#[no_mangle]
pub unsafe extern "C" fn lazuli_engine_increment_epoch(engine: *mut wasm_engine_t) {
    // SAFETY: per the contract.
    if let Some(engine) = unsafe { engine.as_ref() } {
        engine.engine.increment_epoch();
    }
}

/// Interrupt wasm in `store` once the epoch has advanced `ticks` from now.
///
/// # Safety
/// `store` is null or a live store.
#[no_mangle]
pub unsafe extern "C" fn lazuli_store_set_epoch_deadline(store: *mut wasm_store_t, ticks: u64) {
    // SAFETY: per the contract.
    if let Some(store) = unsafe { store.as_mut() } {
        store.store.set_epoch_deadline(ticks);
    }
}

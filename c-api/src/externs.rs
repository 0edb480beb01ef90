//! Externals: `wasm_extern_t`, which is also the function, global, table and memory (and the
//! reference: `wasm_func_as_ref` borrows the same object). Each holds its store's pointer, as
//! the standard's functions take no store.

use std::ffi::c_void;

use lazuli::{Error, Extern, ExternRef, ExternType, Func, Global, Memory, Table, Val, ValType};

use crate::engine::{drop_c, record, set_error, store_of, to_c, wasm_store_t};
use crate::trap::wasm_trap_t;
use crate::types::{borrow, wasm_externtype_t};
use crate::val::{from_c_val, to_c_val, type_of_val, wasm_ref_t, wasm_val_t};
use crate::vec::{declare_vec, Element, Vector};

/// What an external (or reference) is.
#[derive(Clone, Copy)]
pub(crate) enum Item {
    /// A function, global, table or memory.
    Extern(Extern),
    /// A host reference that came from wasm (only as a `wasm_ref_t`).
    HostRef(ExternRef),
}

/// An external of a store; also the function, global, table, memory and reference.
#[derive(Clone)]
pub struct wasm_extern_t {
    pub(crate) store: *mut wasm_store_t,
    pub(crate) item: Item,
}

/// A function.
pub type wasm_func_t = wasm_extern_t;
/// A global.
pub type wasm_global_t = wasm_extern_t;
/// A table.
pub type wasm_table_t = wasm_extern_t;
/// A memory.
pub type wasm_memory_t = wasm_extern_t;

declare_vec!(
    *mut wasm_extern_t,
    wasm_extern_vec_new_empty,
    wasm_extern_vec_new_uninitialized,
    wasm_extern_vec_new,
    wasm_extern_vec_copy,
    wasm_extern_vec_delete
);

impl wasm_extern_t {
    pub(crate) fn to_c(store: *mut wasm_store_t, item: Extern) -> *mut wasm_extern_t {
        to_c(wasm_extern_t {
            store,
            item: Item::Extern(item),
        })
    }

    pub(crate) fn as_extern(&self) -> Option<Extern> {
        match self.item {
            Item::Extern(e) => Some(e),
            Item::HostRef(_) => None,
        }
    }
}

/// The object behind a C pointer, with its store.
///
/// # Safety
/// `ptr` is null or a live external whose store is alive and used by this thread only.
unsafe fn parts<'a>(ptr: *const wasm_extern_t) -> Option<(&'a mut lazuli::Store, Extern)> {
    // SAFETY: per the contract.
    let ext = unsafe { borrow(ptr) }?;
    let item = ext.as_extern()?;
    // SAFETY: per the contract, the store is alive.
    Some((unsafe { store_of(ext.store) }?, item))
}

/// Free an external (a handle: the object stays in its store).
///
/// # Safety
/// `ext` is null or owned, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_delete(ext: *mut wasm_extern_t) {
    // SAFETY: forwarded contract.
    unsafe { drop_c(ext) }
}

/// A copy of an external (another handle to the same object).
///
/// # Safety
/// `ext` is null or live.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_copy(ext: *const wasm_extern_t) -> *mut wasm_extern_t {
    // SAFETY: forwarded contract.
    unsafe { borrow(ext) }.map_or(std::ptr::null_mut(), |e| to_c(e.clone()))
}

/// The kind: 0 function, 1 global, 2 table, 3 memory.
///
/// # Safety
/// `ext` is a live external.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_kind(ext: *const wasm_extern_t) -> u8 {
    // SAFETY: forwarded contract.
    match unsafe { borrow(ext) }.and_then(wasm_extern_t::as_extern) {
        Some(Extern::Func(_)) | None => 0,
        Some(Extern::Global(_)) => 1,
        Some(Extern::Table(_)) => 2,
        Some(Extern::Memory(_)) => 3,
        // Not in the standard's enumeration, which predates exception handling.
        Some(Extern::Tag(_)) => 4,
    }
}

/// The type of an external (owned), or null.
///
/// # Safety
/// `ext` is a live external of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_extern_type(ext: *const wasm_extern_t) -> *mut wasm_externtype_t {
    // SAFETY: forwarded contract.
    let Some((store, item)) = (unsafe { parts(ext) }) else {
        return std::ptr::null_mut();
    };
    record(item.ty(store)).map_or(std::ptr::null_mut(), wasm_externtype_t::to_c)
}

/// The conversions between externals and the specific kinds: the same object, checked for its
/// kind on the way down.
macro_rules! conversions {
    ($(($up:ident, $up_const:ident, $down:ident, $down_const:ident, $kind:pat))*) => {$(
        /// As an external (borrowed: the same object).
        #[no_mangle]
        pub extern "C" fn $up(x: *mut wasm_extern_t) -> *mut wasm_extern_t {
            x
        }

        /// As an external (borrowed: the same object).
        #[no_mangle]
        pub extern "C" fn $up_const(x: *const wasm_extern_t) -> *const wasm_extern_t {
            x
        }

        /// The external as this kind, or null if it is another kind.
        ///
        /// # Safety
        /// `x` is null or live.
        #[no_mangle]
        pub unsafe extern "C" fn $down(x: *mut wasm_extern_t) -> *mut wasm_extern_t {
            // SAFETY: forwarded contract.
            match unsafe { borrow(x) }.map(|e| e.item) {
                Some($kind) => x,
                _ => std::ptr::null_mut(),
            }
        }

        /// The external as this kind, or null if it is another kind.
        ///
        /// # Safety
        /// `x` is null or live.
        #[no_mangle]
        pub unsafe extern "C" fn $down_const(x: *const wasm_extern_t) -> *const wasm_extern_t {
            // SAFETY: forwarded contract.
            match unsafe { borrow(x) }.map(|e| e.item) {
                Some($kind) => x,
                _ => std::ptr::null(),
            }
        }
    )*};
}
conversions! {
    (wasm_func_as_extern, wasm_func_as_extern_const, wasm_extern_as_func, wasm_extern_as_func_const, Item::Extern(Extern::Func(_)))
    (wasm_global_as_extern, wasm_global_as_extern_const, wasm_extern_as_global, wasm_extern_as_global_const, Item::Extern(Extern::Global(_)))
    (wasm_table_as_extern, wasm_table_as_extern_const, wasm_extern_as_table, wasm_extern_as_table_const, Item::Extern(Extern::Table(_)))
    (wasm_memory_as_extern, wasm_memory_as_extern_const, wasm_extern_as_memory, wasm_extern_as_memory_const, Item::Extern(Extern::Memory(_)))
    (wasm_func_as_ref, wasm_func_as_ref_const, wasm_ref_as_func, wasm_ref_as_func_const, Item::Extern(Extern::Func(_)))
}

/// The copy and delete functions of each kind (all the one external).
macro_rules! copy_delete {
    ($($copy:ident, $delete:ident;)*) => {$(
        /// Another handle to the same object.
        ///
        /// # Safety
        /// `x` is null or live.
        #[no_mangle]
        pub unsafe extern "C" fn $copy(x: *const wasm_extern_t) -> *mut wasm_extern_t {
            // SAFETY: forwarded contract.
            unsafe { wasm_extern_copy(x) }
        }

        /// Free the handle (the object stays in its store).
        ///
        /// # Safety
        /// `x` is null or owned, not used afterwards.
        #[no_mangle]
        pub unsafe extern "C" fn $delete(x: *mut wasm_extern_t) {
            // SAFETY: forwarded contract.
            unsafe { drop_c(x) }
        }
    )*};
}
copy_delete! {
    wasm_func_copy, wasm_func_delete;
    wasm_global_copy, wasm_global_delete;
    wasm_table_copy, wasm_table_delete;
    wasm_memory_copy, wasm_memory_delete;
}

/// A host callback as C gives it.
#[derive(Clone, Copy)]
enum Callback {
    Plain(
        unsafe extern "C" fn(
            *const Vector<wasm_val_t>,
            *mut Vector<wasm_val_t>,
        ) -> *mut wasm_trap_t,
    ),
    WithEnv(
        unsafe extern "C" fn(
            *mut c_void,
            *const Vector<wasm_val_t>,
            *mut Vector<wasm_val_t>,
        ) -> *mut wasm_trap_t,
    ),
}

/// The environment of a callback, finalized when the function is dropped with its store.
struct Env {
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
    store: *mut wasm_store_t,
}

// SAFETY: the environment and store pointers are only used on the thread that uses the store
// (a store is used by one thread at a time, the standard's rule that the C caller keeps).
unsafe impl Send for Env {}
// SAFETY: see `Send`.
unsafe impl Sync for Env {}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(finalizer) = self.finalizer {
            // SAFETY: the C caller gave this finalizer for this environment, to be called once
            // when the function is gone.
            unsafe { finalizer(self.env) };
        }
    }
}

/// Restores a store's `current` when a callback ends, however it ends.
struct CurrentStore {
    store: *mut wasm_store_t,
    previous: *mut lazuli::Store,
}

impl Drop for CurrentStore {
    fn drop(&mut self) {
        // SAFETY: the store outlives its callbacks (they run inside calls on it).
        if let Some(store) = unsafe { self.store.as_mut() } {
            store.current = self.previous;
        }
    }
}

fn host_func(
    store_ptr: *mut wasm_store_t,
    ty: *const wasm_externtype_t,
    callback: Callback,
    env: Env,
) -> *mut wasm_func_t {
    // SAFETY: the C caller passes a live function type (or null) and a live store.
    let (Some(ty), Some(store)) = (
        unsafe { borrow(ty) }.and_then(|t| t.func_type()).cloned(),
        unsafe { store_of(store_ptr) },
    ) else {
        set_error("wasm_func_new: the store or the function type is null");
        return std::ptr::null_mut();
    };
    let result_types: Vec<ValType> = ty.results().to_vec();
    let func = Func::new(store, ty, move |caller, args, results| {
        // The whole environment is moved in (not its fields: they are not `Send`).
        let env = &env;
        let store = env.store;
        let c_args = args
            .iter()
            .map(|v| to_c_val(store, v))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::Host)?;
        let mut c_args = Vector::from_vec(c_args);
        let mut c_results = Vector::from_vec(vec![wasm_val_t::empty(); results.len()]);
        let trap = {
            // While the callback runs, C calls on this store use the caller's borrow of it.
            // SAFETY: the store outlives its callbacks.
            let previous = unsafe { (*store).current };
            let _restore = CurrentStore { store, previous };
            // SAFETY: as above.
            unsafe { (*store).current = caller.store() as *mut lazuli::Store };
            // SAFETY: the C caller's callback, called as the standard says: arguments
            // borrowed, results to fill (pre-set to zero values of kind i32).
            unsafe {
                match callback {
                    Callback::Plain(f) => f(&c_args, &mut c_results),
                    Callback::WithEnv(f) => f(env.env, &c_args, &mut c_results),
                }
            }
        };
        c_args.clear();
        if !trap.is_null() {
            c_results.clear();
            // SAFETY: a callback's trap is owned and passes to us.
            return Err(unsafe { Box::from_raw(trap) }.into_error());
        }
        let converted = c_results
            .as_slice()
            .iter()
            .zip(&result_types)
            .map(|(v, ty)| from_c_val(v, *ty))
            .collect::<Result<Vec<_>, _>>();
        c_results.clear();
        let converted =
            converted.map_err(|e| Error::Host(format!("a host function's result: {e}")))?;
        for (slot, value) in results.iter_mut().zip(converted) {
            *slot = value;
        }
        Ok(())
    });
    record(func).map_or(std::ptr::null_mut(), |f| {
        wasm_extern_t::to_c(store_ptr, Extern::Func(f))
    })
}

/// A host function of type `ty` calling `callback`.
///
/// # Safety
/// `store` and `ty` are live; `callback` may be called whenever wasm calls the function.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_new(
    store: *mut wasm_store_t,
    ty: *const wasm_externtype_t,
    callback: unsafe extern "C" fn(
        *const Vector<wasm_val_t>,
        *mut Vector<wasm_val_t>,
    ) -> *mut wasm_trap_t,
) -> *mut wasm_func_t {
    let env = Env {
        env: std::ptr::null_mut(),
        finalizer: None,
        store,
    };
    host_func(store, ty, Callback::Plain(callback), env)
}

/// A host function of type `ty` calling `callback` with `env`; `finalizer(env)` runs when the
/// function is gone (with its store).
///
/// # Safety
/// As `wasm_func_new`; `env` is valid for the callback and finalizer.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_new_with_env(
    store: *mut wasm_store_t,
    ty: *const wasm_externtype_t,
    callback: unsafe extern "C" fn(
        *mut c_void,
        *const Vector<wasm_val_t>,
        *mut Vector<wasm_val_t>,
    ) -> *mut wasm_trap_t,
    env: *mut c_void,
    finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
) -> *mut wasm_func_t {
    let env = Env {
        env,
        finalizer,
        store,
    };
    host_func(store, ty, Callback::WithEnv(callback), env)
}

/// The function's type (owned), or null.
///
/// # Safety
/// `func` is a live function of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_type(func: *const wasm_func_t) -> *mut wasm_externtype_t {
    // SAFETY: forwarded contract.
    unsafe { wasm_extern_type(func) }
}

fn func_type_of(func: *const wasm_func_t) -> Option<lazuli::FuncType> {
    // SAFETY: the C caller passes a live function of a live store.
    let (store, item) = unsafe { parts(func) }?;
    item.into_func()?.ty(store).ok()
}

/// How many parameters the function takes.
///
/// # Safety
/// `func` is a live function of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_param_arity(func: *const wasm_func_t) -> usize {
    func_type_of(func).map_or(0, |t| t.params().len())
}

/// How many results the function returns.
///
/// # Safety
/// `func` is a live function of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_result_arity(func: *const wasm_func_t) -> usize {
    func_type_of(func).map_or(0, |t| t.results().len())
}

/// Call the function: null on success (the results written to `results`, which must have room
/// for them), else the trap (owned).
///
/// # Safety
/// `func` is a live function of a live store; `args` holds its arguments (or is null for none);
/// `results` is null (for no results) or a vector of at least the result count.
#[no_mangle]
pub unsafe extern "C" fn wasm_func_call(
    func: *const wasm_func_t,
    args: *const Vector<wasm_val_t>,
    results: *mut Vector<wasm_val_t>,
) -> *mut wasm_trap_t {
    // SAFETY: forwarded contract.
    let Some(ext) = (unsafe { borrow(func) }) else {
        return wasm_trap_t::to_c(
            Error::Usage("wasm_func_call: the function is null".into()),
            &[],
        );
    };
    let store_ptr = ext.store;
    // SAFETY: forwarded contract.
    let Some((store, Extern::Func(f))) = (unsafe { parts(func) }) else {
        return wasm_trap_t::to_c(Error::Usage("wasm_func_call: not a function".into()), &[]);
    };
    let ty = match f.ty(store) {
        Ok(ty) => ty,
        Err(e) => return wasm_trap_t::to_c(e, &[]),
    };
    // SAFETY: forwarded contract.
    let args = unsafe { borrow(args) }.map_or(&[][..], Vector::as_slice);
    if args.len() != ty.params().len() {
        let message = format!(
            "wasm_func_call: {} arguments for {} parameters",
            args.len(),
            ty.params().len()
        );
        return wasm_trap_t::to_c(Error::Usage(message), &[]);
    }
    let params = match args
        .iter()
        .zip(ty.params())
        .map(|(v, t)| from_c_val(v, *t))
        .collect::<Result<Vec<Val>, _>>()
    {
        Ok(params) => params,
        Err(e) => return wasm_trap_t::to_c(Error::Usage(format!("wasm_func_call: {e}")), &[]),
    };
    // SAFETY: forwarded contract.
    let slots = unsafe { results.as_mut() }.map_or(&mut [][..], Vector::as_mut_slice);
    if slots.len() < ty.results().len() {
        let message = format!(
            "wasm_func_call: room for {} results, {} needed",
            slots.len(),
            ty.results().len()
        );
        return wasm_trap_t::to_c(Error::Usage(message), &[]);
    }
    match f.call(store, &params) {
        Ok(values) => {
            for (slot, v) in slots.iter_mut().zip(&values) {
                match to_c_val(store_ptr, v) {
                    Ok(v) => *slot = v,
                    Err(e) => {
                        return wasm_trap_t::to_c(Error::Usage(format!("wasm_func_call: {e}")), &[])
                    }
                }
            }
            std::ptr::null_mut()
        }
        Err(e) => {
            let frames: Vec<u32> = store
                .trap_backtrace()
                .iter()
                .map(|f| f.func_index)
                .collect();
            wasm_trap_t::to_c(e, &frames)
        }
    }
}

/// A global of type `ty` with value `init`, or null.
///
/// # Safety
/// `store` and `ty` are live; `init` is a live value.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_new(
    store: *mut wasm_store_t,
    ty: *const wasm_externtype_t,
    init: *const wasm_val_t,
) -> *mut wasm_global_t {
    // SAFETY: forwarded contract.
    let (ty, init, s) = unsafe { (borrow(ty), borrow(init), store_of(store)) };
    let (Some(ExternType::Global(gt)), Some(init), Some(s)) = (ty.map(|t| &t.ty), init, s) else {
        set_error("wasm_global_new: a null or wrong argument");
        return std::ptr::null_mut();
    };
    let value = match from_c_val(init, gt.content) {
        Ok(v) => v,
        Err(e) => {
            set_error(format!("wasm_global_new: {e}"));
            return std::ptr::null_mut();
        }
    };
    record(Global::new(s, *gt, value)).map_or(std::ptr::null_mut(), |g| {
        wasm_extern_t::to_c(store, Extern::Global(g))
    })
}

/// The global's type (owned).
///
/// # Safety
/// `global` is a live global of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_type(global: *const wasm_global_t) -> *mut wasm_externtype_t {
    // SAFETY: forwarded contract.
    unsafe { wasm_extern_type(global) }
}

/// Read the global's value into `out` (references owned by `out`).
///
/// # Safety
/// `global` is a live global of a live store; `out` is valid for writing.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_get(global: *const wasm_global_t, out: *mut wasm_val_t) {
    // SAFETY: forwarded contract.
    let Some((store, Extern::Global(g))) = (unsafe { parts(global) }) else {
        return;
    };
    // SAFETY: forwarded contract.
    let store_ptr = unsafe { (*global).store };
    let value = record(g.get(store)).and_then(|v| to_c_val(store_ptr, &v).map_err(set_error).ok());
    if let (Some(value), false) = (value, out.is_null()) {
        // SAFETY: per the contract.
        unsafe { out.write(value) };
    }
}

/// Set the global's value (a mutable global of the value's type; otherwise nothing changes and
/// `lazuli_last_error` says why).
///
/// # Safety
/// `global` is a live global of a live store; `value` is a live value.
#[no_mangle]
pub unsafe extern "C" fn wasm_global_set(global: *mut wasm_global_t, value: *const wasm_val_t) {
    // SAFETY: forwarded contract.
    let (Some((store, Extern::Global(g))), Some(value)) =
        (unsafe { parts(global) }, unsafe { borrow(value) })
    else {
        return;
    };
    let Some(ty) = type_of_val(value) else { return };
    match from_c_val(value, ty) {
        Ok(v) => {
            record(g.set(store, v));
        }
        Err(e) => set_error(format!("wasm_global_set: {e}")),
    }
}

/// The null reference of a table's element type.
fn null_of(ty: ValType) -> Val {
    match ty {
        ValType::ExternRef => Val::ExternRef(None),
        _ => Val::FuncRef(None),
    }
}

/// The reference value `r` (borrowed, null allowed) for a table of element type `ty`.
fn ref_value(r: *const wasm_ref_t, ty: ValType) -> Result<Val, String> {
    let v = wasm_val_t {
        kind: crate::types::kind_of(ty),
        of: crate::val::wasm_val_union {
            ref_: r as *mut wasm_ref_t,
        },
    };
    from_c_val(&v, ty)
}

/// A table of type `ty` with every element `init` (null allowed), or null.
///
/// # Safety
/// `store` and `ty` are live; `init` is null or a live reference.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_new(
    store: *mut wasm_store_t,
    ty: *const wasm_externtype_t,
    init: *mut wasm_ref_t,
) -> *mut wasm_table_t {
    // SAFETY: forwarded contract.
    let (ty, s) = unsafe { (borrow(ty), store_of(store)) };
    let (Some(ExternType::Table(tt)), Some(s)) = (ty.map(|t| &t.ty), s) else {
        set_error("wasm_table_new: a null or wrong argument");
        return std::ptr::null_mut();
    };
    let init = match ref_value(init, tt.element.into()) {
        Ok(v) => v,
        Err(e) => {
            set_error(format!("wasm_table_new: {e}"));
            return std::ptr::null_mut();
        }
    };
    record(Table::new(s, *tt, init)).map_or(std::ptr::null_mut(), |t| {
        wasm_extern_t::to_c(store, Extern::Table(t))
    })
}

/// The table's type (owned).
///
/// # Safety
/// `table` is a live table of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_type(table: *const wasm_table_t) -> *mut wasm_externtype_t {
    // SAFETY: forwarded contract.
    unsafe { wasm_extern_type(table) }
}

/// Element `index` (owned), or null for a null element or an index out of bounds.
///
/// # Safety
/// `table` is a live table of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_get(table: *const wasm_table_t, index: u32) -> *mut wasm_ref_t {
    // SAFETY: forwarded contract.
    let Some((store, Extern::Table(t))) = (unsafe { parts(table) }) else {
        return std::ptr::null_mut();
    };
    // SAFETY: forwarded contract.
    let store_ptr = unsafe { (*table).store };
    match record(t.get(store, index as u64)).map(|v| to_c_val(store_ptr, &v)) {
        // SAFETY: a reference value's payload is its owned reference, which passes to C.
        Some(Ok(v)) => unsafe { v.of.ref_ },
        _ => std::ptr::null_mut(),
    }
}

/// Set element `index` to `r` (null allowed); false if out of bounds or of the wrong type.
///
/// # Safety
/// `table` is a live table of a live store; `r` is null or a live reference.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_set(
    table: *mut wasm_table_t,
    index: u32,
    r: *mut wasm_ref_t,
) -> bool {
    // SAFETY: forwarded contract.
    let Some((store, Extern::Table(t))) = (unsafe { parts(table) }) else {
        return false;
    };
    let Some(element) = record(t.ty(store)).map(|ty| ValType::from(ty.element)) else {
        return false;
    };
    match ref_value(r, element) {
        Ok(v) => record(t.set(store, index as u64, v)).is_some(),
        Err(e) => {
            set_error(format!("wasm_table_set: {e}"));
            false
        }
    }
}

/// The table's size in elements.
///
/// # Safety
/// `table` is a live table of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_size(table: *const wasm_table_t) -> u32 {
    // SAFETY: forwarded contract.
    let Some((store, Extern::Table(t))) = (unsafe { parts(table) }) else {
        return 0;
    };
    t.size(store).map_or(0, |n| n as u32)
}

/// Grow the table by `delta` elements set to `init`; false if it cannot.
///
/// # Safety
/// `table` is a live table of a live store; `init` is null or a live reference.
#[no_mangle]
pub unsafe extern "C" fn wasm_table_grow(
    table: *mut wasm_table_t,
    delta: u32,
    init: *mut wasm_ref_t,
) -> bool {
    // SAFETY: forwarded contract.
    let Some((store, Extern::Table(t))) = (unsafe { parts(table) }) else {
        return false;
    };
    let Some(element) = record(t.ty(store)).map(|ty| ValType::from(ty.element)) else {
        return false;
    };
    let init = ref_value(init, element).unwrap_or(null_of(element));
    record(t.grow(store, delta as u64, init)).is_some()
}

/// A memory of type `ty`, or null.
///
/// # Safety
/// `store` and `ty` are live.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_new(
    store: *mut wasm_store_t,
    ty: *const wasm_externtype_t,
) -> *mut wasm_memory_t {
    // SAFETY: forwarded contract.
    let (ty, s) = unsafe { (borrow(ty), store_of(store)) };
    let (Some(ExternType::Memory(mt)), Some(s)) = (ty.map(|t| &t.ty), s) else {
        set_error("wasm_memory_new: a null or wrong argument");
        return std::ptr::null_mut();
    };
    record(Memory::new(s, *mt)).map_or(std::ptr::null_mut(), |m| {
        wasm_extern_t::to_c(store, Extern::Memory(m))
    })
}

/// The memory's type (owned).
///
/// # Safety
/// `memory` is a live memory of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_type(memory: *const wasm_memory_t) -> *mut wasm_externtype_t {
    // SAFETY: forwarded contract.
    unsafe { wasm_extern_type(memory) }
}

/// The memory's bytes: valid until the memory grows (a reserved memory never moves, but
/// portable code must not rely on that) or its store is deleted.
///
/// # Safety
/// `memory` is a live memory of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_data(memory: *mut wasm_memory_t) -> *mut u8 {
    // SAFETY: forwarded contract.
    let Some((store, Extern::Memory(m))) = (unsafe { parts(memory) }) else {
        return std::ptr::null_mut();
    };
    m.bytes_mut(store)
        .map_or(std::ptr::null_mut(), |b| b.as_mut_ptr())
}

/// The memory's size in bytes.
///
/// # Safety
/// `memory` is a live memory of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_data_size(memory: *const wasm_memory_t) -> usize {
    // SAFETY: forwarded contract.
    let Some((store, Extern::Memory(m))) = (unsafe { parts(memory) }) else {
        return 0;
    };
    m.bytes(store).map_or(0, <[u8]>::len)
}

/// The memory's size in pages.
///
/// # Safety
/// `memory` is a live memory of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_size(memory: *const wasm_memory_t) -> u32 {
    // SAFETY: forwarded contract.
    let Some((store, Extern::Memory(m))) = (unsafe { parts(memory) }) else {
        return 0;
    };
    m.size(store).map_or(0, |n| n as u32)
}

/// Grow the memory by `delta` pages; false if it cannot.
///
/// # Safety
/// `memory` is a live memory of a live store.
#[no_mangle]
pub unsafe extern "C" fn wasm_memory_grow(memory: *mut wasm_memory_t, delta: u32) -> bool {
    // SAFETY: forwarded contract.
    let Some((store, Extern::Memory(m))) = (unsafe { parts(memory) }) else {
        return false;
    };
    record(m.grow(store, delta as u64)).is_some()
}

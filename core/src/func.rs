//! [`Func`]: functions in a store — host closures ([`Func::new`], [`Func::wrap`]) and functions
//! of instances — and calling them from the host ([`Func::call`], [`TypedFunc`]).

use alloc::boxed::Box;
use alloc::format;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::marker::PhantomData;

use crate::backend::vmcontext::{VMFuncRef, VMHostContext, VMHOST_MAGIC};
use crate::backend::{FuncType, TrapCode, ValRaw, ValType};
use crate::error::Error;
use crate::instance::{Extern, Instance};
use crate::store::{FuncRefBox, Store, StoreInner};
use crate::val::{from_raw, host_to_raw, to_raw, Val};

/// A function in a store: a handle, cheap to copy, valid only with its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Func {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// What the store keeps for each function.
pub(crate) struct FuncData {
    pub ty: FuncType,
    /// The reference compiled code uses to call the function.
    pub funcref: *const FuncRefBox,
    /// Keeps a host function's context alive (instance functions live in their instance).
    pub _host: Option<Box<HostFuncData>>,
}

/// A host function's closure.
pub(crate) type HostFn =
    dyn Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync;

/// The context a host function is called with: the ABI header, then what the runtime needs.
#[repr(C)]
pub(crate) struct HostFuncData {
    pub header: VMHostContext,
    pub store: *mut StoreInner,
    /// The instance that imported the function, when called through that import.
    pub caller: Option<Instance>,
    pub func: Arc<HostFn>,
    pub ty: FuncType,
    /// The host trampoline; `funcref.vm.code_slot` points here.
    pub code: *const u8,
    pub funcref: FuncRefBox,
}

impl HostFuncData {
    /// A boxed context for `func` of type `ty`, whose funcref describes store function `index`.
    pub(crate) fn new(
        store: &mut StoreInner,
        ty: FuncType,
        func: Arc<HostFn>,
        index: u32,
        caller: Option<Instance>,
    ) -> Result<Box<HostFuncData>, Error> {
        let (backend, platform) = store.engine.runner()?;
        let code = backend.host_trampoline(&ty)?.0;
        let type_id = store.engine.type_id(&ty);
        let mut data = Box::new(HostFuncData {
            header: VMHostContext {
                magic: VMHOST_MAGIC,
                call: host_call,
                raise_trap: platform.raise_trap(),
            },
            store: &mut *store as *mut StoreInner,
            caller,
            func,
            ty,
            code,
            funcref: FuncRefBox {
                vm: VMFuncRef {
                    code_slot: core::ptr::null(),
                    type_id,
                    _pad: 0,
                    vmctx: core::ptr::null_mut(),
                },
                func: index,
            },
        });
        let code_slot = &data.code as *const *const u8;
        let vmctx = &mut *data as *mut HostFuncData as *mut u8;
        data.funcref.vm.code_slot = code_slot;
        data.funcref.vm.vmctx = vmctx;
        Ok(data)
    }
}

/// Called by host trampolines: run the closure on the values in the array. An exception the
/// function fails with (its wasm callee threw it) goes on to the handlers of the wasm code that
/// called it, as if the host function had thrown it.
unsafe extern "C" fn host_call(ctx: *mut VMHostContext, values: *mut ValRaw) -> u32 {
    // SAFETY: forwarded contract.
    match unsafe { run_host_function(ctx, values) } {
        HostOutcome::Code(code) => code,
        // SAFETY: everything `run_host_function` held is dropped; the host trampoline's frame
        // holds nothing, and the handler is in a live frame of the wasm code that called it.
        HostOutcome::Throw(store, exception) => unsafe {
            crate::libcalls::deliver(&mut *store, exception)
        },
    }
}

/// How a host function call ends for its trampoline.
enum HostOutcome {
    /// 0, or a trap code + 1.
    Code(u32),
    /// An exception of the store to deliver to the calling wasm code's innermost handler.
    Throw(
        *mut StoreInner,
        *const crate::backend::vmcontext::VMException,
    ),
}

/// The work of [`host_call`].
///
/// # Safety
/// As for [`host_call`].
unsafe fn run_host_function(ctx: *mut VMHostContext, values: *mut ValRaw) -> HostOutcome {
    // SAFETY: host trampolines are only ever called with the `HostFuncData` they were made for,
    // whose header is its first field; it lives as long as the function's store.
    let data = unsafe { &*(ctx as *const HostFuncData) };
    // SAFETY: a host function only runs inside a host->wasm call of its store, which recorded
    // the `Store` it was called with; that call holds the only other borrow and is suspended.
    let store = unsafe { &mut *(*data.store).entered };
    let n = data.ty.params().len().max(data.ty.results().len());
    // SAFETY: the trampoline passes an array of at least `n` slots.
    let values = unsafe { core::slice::from_raw_parts_mut(values, n) };
    let params: Vec<Val> = data
        .ty
        .params()
        .iter()
        .zip(values.iter())
        .map(|(t, r)| from_raw(&store.inner, *t, *r))
        .collect();
    let mut results: Vec<Val> = data
        .ty
        .results()
        .iter()
        .map(|t| Val::default_for(*t))
        .collect();
    let func = data.func.clone();
    let mut caller = Caller {
        store,
        instance: data.caller,
    };
    // A panic in the host function must not unwind through compiled code (it would abort the
    // process): it is caught here, the call into wasm ends with a trap, and the panic resumes
    // in the host code that made that call (`invoke`).
    #[cfg(feature = "std")]
    let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        func(&mut caller, &params, &mut results)
    }))
    .unwrap_or_else(|payload| {
        caller.store.inner.host_panic = Some(payload);
        Err(Error::Trap(TrapCode::HostError))
    });
    #[cfg(not(feature = "std"))]
    let called = func(&mut caller, &params, &mut results);
    let outcome = called.and_then(|()| {
        for ((r, t), slot) in results.iter().zip(data.ty.results()).zip(values.iter_mut()) {
            if r.ty() != *t {
                return Err(Error::Usage(format!(
                    "host function returned {} where {} was declared",
                    r.ty(),
                    t
                )));
            }
            *slot = host_to_raw(&caller.store.inner, r, "reference a host function returned")?;
        }
        Ok(())
    });
    let store = caller.store;
    HostOutcome::Code(match outcome {
        Ok(()) => 0,
        // A trap from wasm the host function called keeps its kind.
        Err(Error::Trap(code)) => code as u32 + 1,
        Err(Error::Exception(exn))
            if exn.store == store.inner.id && !store.inner.limits.handler.is_null() =>
        {
            if let Some(words) = store.inner.exceptions.words(exn.index) {
                let at = words.as_ptr();
                return HostOutcome::Throw(&mut *store.inner, at as *const _);
            }
            store.inner.host_error = Some(Error::Exception(exn));
            TrapCode::HostError as u32 + 1
        }
        Err(e) => {
            store.inner.host_error = Some(e);
            TrapCode::HostError as u32 + 1
        }
    })
}

/// Access to the store from inside a host function.
pub struct Caller<'a> {
    store: &'a mut Store,
    instance: Option<Instance>,
}

impl Caller<'_> {
    /// The store the function runs in.
    pub fn store(&mut self) -> &mut Store {
        self.store
    }

    /// The instance whose import was called, when the call came through an import.
    pub fn instance(&self) -> Option<Instance> {
        self.instance
    }

    /// An export of the calling instance, such as its `"memory"`.
    pub fn get_export(&self, name: &str) -> Option<Extern> {
        self.instance.and_then(|i| i.get_export(self.store, name))
    }

    /// The calling instance's memory exported as `name` (usually `"memory"`).
    pub fn get_memory(&self, name: &str) -> Option<crate::Memory> {
        self.get_export(name)?.into_memory()
    }
}

impl Func {
    /// A host function of type `ty`. The closure gets the arguments and fills the results
    /// (pre-set to zeros of the right types); an `Err` it returns reaches the caller of the wasm
    /// code that called it, as that code's result. Host functions must not panic: compiled
    /// code cannot be unwound through, so a panic aborts the process; return an `Err` instead.
    pub fn new(
        store: &mut Store,
        ty: FuncType,
        func: impl Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Result<Func, Error> {
        Self::from_arc(store, ty, Arc::new(func))
    }

    pub(crate) fn from_arc(
        store: &mut Store,
        ty: FuncType,
        func: Arc<HostFn>,
    ) -> Result<Func, Error> {
        let inner = &mut *store.inner;
        let index = inner.funcs.len() as u32;
        let data = HostFuncData::new(inner, ty.clone(), func, index, None)?;
        let funcref = &data.funcref as *const FuncRefBox;
        Ok(inner.push_func(FuncData {
            ty,
            funcref,
            _host: Some(data),
        }))
    }

    /// A host function from a Rust closure with typed parameters and results, e.g.
    /// `|a: i32, b: i32| a + b` or `|x: f64| -> Result<f64, Error> { .. }`.
    pub fn wrap<Params, Results>(
        store: &mut Store,
        func: impl IntoFunc<Params, Results>,
    ) -> Result<Func, Error> {
        let (ty, f) = func.into_func();
        Self::from_arc(store, ty, f)
    }

    /// The function's signature (the spec's `func_type`).
    pub fn ty(&self, store: &Store) -> Result<FuncType, Error> {
        store.inner.check(self.store, "function")?;
        Ok(store.inner.func_type(*self).clone())
    }

    /// Call the function (the spec's `func_invoke`). A trap is `Err(Error::Trap(..))`; the store
    /// stays usable afterwards.
    pub fn call(&self, store: &mut Store, params: &[Val]) -> Result<Vec<Val>, Error> {
        store.inner.check(self.store, "function")?;
        let ty = store.inner.func_type(*self).clone();
        if params.len() != ty.params().len() {
            return Err(Error::Usage(format!(
                "function expects {} arguments, got {}",
                ty.params().len(),
                params.len()
            )));
        }
        let mut values = vec![ValRaw::default(); ty.params().len().max(ty.results().len())];
        for (i, (p, t)) in params.iter().zip(ty.params()).enumerate() {
            if p.ty() != *t {
                return Err(Error::Usage(format!(
                    "argument {i} must be {t}, got {}",
                    p.ty()
                )));
            }
            values[i] = host_to_raw(&store.inner, p, "reference argument")?;
        }
        invoke(store, *self, &mut values)?;
        Ok(ty
            .results()
            .iter()
            .zip(values)
            .map(|(t, raw)| from_raw(&store.inner, *t, raw))
            .collect())
    }

    /// A typed view of the function, checked against its signature.
    pub fn typed<Params: WasmParams, Results: WasmResults>(
        &self,
        store: &Store,
    ) -> Result<TypedFunc<Params, Results>, Error> {
        let ty = self.ty(store)?;
        let want_params = Params::types();
        let want_results = Results::types();
        if ty.params() != &*want_params || ty.results() != &*want_results {
            return Err(Error::Usage(format!(
                "function has type {ty}, not {}",
                FuncType::new(want_params, want_results)
            )));
        }
        Ok(TypedFunc {
            func: *self,
            _marker: PhantomData,
        })
    }
}

/// Run function `f` on `values` (arguments in, results out) under trap handling.
pub(crate) fn invoke(store: &mut Store, f: Func, values: &mut [ValRaw]) -> Result<(), Error> {
    let engine = store.inner.engine.clone();
    let (backend, platform) = engine.runner()?;
    let data = &store.inner.funcs[f.index as usize];
    let trampoline = backend.array_trampoline(&data.ty)?.0;
    // SAFETY: `funcref` points at a live `FuncRefBox` owned by this store, and its code slot
    // holds callable code (a compiled function, a lazy stub, or a host trampoline).
    let (code, vmctx) = unsafe {
        let vm = &(*data.funcref).vm;
        (*vm.code_slot, vm.vmctx)
    };

    struct Call {
        trampoline: *const u8,
        code: *const u8,
        vmctx: *mut u8,
        values: *mut ValRaw,
    }
    unsafe extern "C" fn run(call: *mut u8) {
        // SAFETY: `call` is the `Call` below, alive for this whole call.
        let call = unsafe { &*(call as *const Call) };
        // SAFETY: the trampoline was made by the backend for this signature, with the array
        // convention it documents.
        let trampoline: unsafe extern "C" fn(*const u8, *mut u8, *mut ValRaw) =
            unsafe { core::mem::transmute(call.trampoline) };
        // SAFETY: code, context and value array match the function's signature.
        unsafe { trampoline(call.code, call.vmctx, call.values) }
    }
    let mut call = Call {
        trampoline,
        code,
        vmctx,
        values: values.as_mut_ptr(),
    };

    let store_ptr = store as *mut Store;
    let inner = &mut *store.inner;
    if inner.depth == 0 {
        inner.limits.stack_limit = platform.stack_limit();
        inner.host_error = None;
        // `call` lives in this frame, above every wasm frame of the call.
        inner.stack_top = &call as *const Call as usize;
    }
    inner.backtrace.clear();
    let previous = inner.entered;
    inner.depth += 1;
    inner.entered = store_ptr;
    // Handlers of outer wasm frames are not this call's: an exception that escapes it ends it.
    let outer_handler = core::mem::replace(&mut inner.limits.handler, core::ptr::null_mut());
    // SAFETY: `run` is safe to call with `call`; the frames a trap skips are compiled code,
    // trampolines and runtime functions that hold nothing needing drop.
    let trapped = unsafe { platform.catch_traps(run, &mut call as *mut Call as *mut u8) };
    let inner = &mut *store.inner;
    inner.depth -= 1;
    inner.entered = previous;
    inner.limits.handler = outer_handler;
    // The innermost trap keeps its frames: a host function failing because wasm it called
    // trapped unwinds through here again with the frames of its own callers.
    if trapped.is_some() && inner.backtrace.is_empty() {
        inner.backtrace = crate::backtrace::frames(inner, &platform.trap_frames());
    }
    // A host function this call reached panicked: the panic goes on here, in the host code
    // that called into wasm, as if wasm had not been in between.
    #[cfg(feature = "std")]
    if let Some(payload) = inner.host_panic.take() {
        std::panic::resume_unwind(payload);
    }
    match trapped {
        None => Ok(()),
        Some(code) => match TrapCode::from_u32(code) {
            Some(TrapCode::HostError) => Err(inner
                .host_error
                .take()
                .unwrap_or(Error::Trap(TrapCode::HostError))),
            Some(TrapCode::UncaughtException) => match inner.uncaught.take() {
                Some(index) => {
                    // The host holds it from now on.
                    inner.exceptions.pin(index);
                    Err(Error::Exception(crate::tag::Exn {
                        store: inner.id,
                        index,
                    }))
                }
                None => Err(Error::Trap(TrapCode::UncaughtException)),
            },
            Some(TrapCode::CompileError) => {
                // Say why: the failure is recorded by the code of one of the store's modules.
                let why = inner
                    .instances
                    .iter()
                    .find_map(|i| i.module.code().ok().and_then(|c| c.last_error()));
                Err(why.map_or(Error::Trap(TrapCode::CompileError), Error::Compile))
            }
            Some(code) => Err(Error::Trap(code)),
            None => Err(Error::Usage(format!(
                "compiled code raised unknown trap code {code}"
            ))),
        },
    }
}

/// A function with a statically known signature; calls skip the dynamic type checks.
#[derive(Debug)]
pub struct TypedFunc<Params, Results> {
    func: Func,
    _marker: PhantomData<fn(Params) -> Results>,
}

impl<Params, Results> Clone for TypedFunc<Params, Results> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<Params, Results> Copy for TypedFunc<Params, Results> {}

impl<Params: WasmParams, Results: WasmResults> TypedFunc<Params, Results> {
    /// Call the function.
    pub fn call(&self, store: &mut Store, params: Params) -> Result<Results, Error> {
        store.inner.check(self.func.store, "function")?;
        let n = Params::types().len().max(Results::types().len());
        let mut values = vec![ValRaw::default(); n];
        params.store(&mut values);
        invoke(store, self.func, &mut values)?;
        Ok(Results::load(&values))
    }

    /// The untyped function.
    pub fn func(&self) -> Func {
        self.func
    }
}

/// A Rust type that is a WebAssembly value type.
pub trait WasmTy: Copy + Send + Sync + 'static {
    /// Its WebAssembly type.
    const TYPE: ValType;
    /// Its raw form.
    fn into_raw(self) -> ValRaw;
    /// From its raw form.
    fn from_raw(raw: ValRaw) -> Self;
}

macro_rules! wasm_ty {
    ($t:ty, $vt:ident, $into:expr, $from:expr) => {
        impl WasmTy for $t {
            const TYPE: ValType = ValType::$vt;
            fn into_raw(self) -> ValRaw {
                $into(self)
            }
            fn from_raw(raw: ValRaw) -> Self {
                $from(raw)
            }
        }
    };
}
wasm_ty!(i32, I32, ValRaw::i32, |r: ValRaw| r.get_i32());
wasm_ty!(
    u32,
    I32,
    |v: u32| ValRaw::i32(v as i32),
    |r: ValRaw| r.get_i32() as u32
);
wasm_ty!(i64, I64, ValRaw::i64, |r: ValRaw| r.get_i64());
wasm_ty!(
    u64,
    I64,
    |v: u64| ValRaw::i64(v as i64),
    |r: ValRaw| r.get_i64() as u64
);
wasm_ty!(f32, F32, |v: f32| ValRaw::f32(v.to_bits()), |r: ValRaw| {
    f32::from_bits(r.get_f32())
});
wasm_ty!(f64, F64, |v: f64| ValRaw::f64(v.to_bits()), |r: ValRaw| {
    f64::from_bits(r.get_f64())
});
wasm_ty!(u128, V128, ValRaw::v128, |r: ValRaw| r.get_v128());

/// Parameters of a typed function: `()`, one [`WasmTy`], or a tuple of them.
pub trait WasmParams: Sized {
    /// The parameter types.
    fn types() -> Vec<ValType>;
    /// Write the values into the first slots.
    fn store(self, slots: &mut [ValRaw]);
    /// Read the values from the first slots.
    fn load(slots: &[ValRaw]) -> Self;
}

/// Results of a typed function: `()`, one [`WasmTy`], or a tuple of them.
pub trait WasmResults: WasmParams {}
impl<T: WasmParams> WasmResults for T {}

impl<T: WasmTy> WasmParams for T {
    fn types() -> Vec<ValType> {
        vec![T::TYPE]
    }
    fn store(self, slots: &mut [ValRaw]) {
        slots[0] = self.into_raw();
    }
    fn load(slots: &[ValRaw]) -> Self {
        T::from_raw(slots[0])
    }
}

macro_rules! tuple_params {
    ($($t:ident $i:tt),*) => {
        impl<$($t: WasmTy),*> WasmParams for ($($t,)*) {
            fn types() -> Vec<ValType> {
                vec![$($t::TYPE),*]
            }
            #[allow(unused_variables)]
            fn store(self, slots: &mut [ValRaw]) {
                $(slots[$i] = self.$i.into_raw();)*
            }
            #[allow(unused_variables, clippy::unused_unit)]
            fn load(slots: &[ValRaw]) -> Self {
                ($($t::from_raw(slots[$i]),)*)
            }
        }
    };
}
tuple_params!();
tuple_params!(A 0);
tuple_params!(A 0, B 1);
tuple_params!(A 0, B 1, C 2);
tuple_params!(A 0, B 1, C 2, D 3);
tuple_params!(A 0, B 1, C 2, D 3, E 4);
tuple_params!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_params!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_params!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// What a host closure may return: results, or `Result<results, Error>`.
pub trait HostResult {
    /// The results type.
    type Results: WasmResults;
    /// As a `Result`.
    fn into_result(self) -> Result<Self::Results, Error>;
}

impl<R: WasmResults> HostResult for R {
    type Results = R;
    fn into_result(self) -> Result<R, Error> {
        Ok(self)
    }
}

impl<R: WasmResults> HostResult for Result<R, Error> {
    type Results = R;
    fn into_result(self) -> Result<R, Error> {
        self
    }
}

/// A Rust closure that can become a host function with [`Func::wrap`].
pub trait IntoFunc<Params, Results>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_func(self) -> (FuncType, Arc<HostFn>);
}

macro_rules! into_func {
    ($($t:ident),*) => {
        impl<Closure, R, $($t: WasmTy),*> IntoFunc<($($t,)*), R> for Closure
        where
            Closure: Fn($($t),*) -> R + Send + Sync + 'static,
            R: HostResult,
        {
            #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
            fn into_func(self) -> (FuncType, Arc<HostFn>) {
                let ty = FuncType::new(vec![$($t::TYPE),*], R::Results::types());
                let f = move |caller: &mut Caller<'_>, params: &[Val], results: &mut [Val]| -> Result<(), Error> {
                    let store = &caller.store.inner;
                    let mut raw = vec![ValRaw::default(); params.len().max(results.len())];
                    for (slot, p) in raw.iter_mut().zip(params) {
                        *slot = to_raw(store, p);
                    }
                    let mut i = 0;
                    $(let $t = $t::from_raw(raw[i]); i += 1;)*
                    let out = (self)($($t),*).into_result()?;
                    out.store(&mut raw);
                    for (k, r) in results.iter_mut().enumerate() {
                        *r = from_raw(store, r.ty(), raw[k]);
                    }
                    Ok(())
                };
                (ty, Arc::new(f))
            }
        }
    };
}
into_func!();
into_func!(A);
into_func!(A, B);
into_func!(A, B, C);
into_func!(A, B, C, D);
into_func!(A, B, C, D, E);
into_func!(A, B, C, D, E, F);

impl core::fmt::Display for Func {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "func#{}", self.index)
    }
}

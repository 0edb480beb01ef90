//! A custom backend skeleton: a type implementing `CodeBackend` (the contract in
//! `lazuli-backend-api`) plugged into a `lazuli_core::Engine`. This one delegates the actual
//! code generation to the single-pass backend and counts what it is asked for; a real backend
//! would lower `ModuleInfo`'s function bodies itself, following `backend_api::abi` and
//! `backend_api::vmcontext`.
//!
//! `cargo run -p lazuli --example custom_backend`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use lazuli::backend::{
    CodeBackend, CodePtr, CompileError, CompileOptions, CompiledCode, FuncType, ModuleInfo,
};
use lazuli::{Config, Error, Linker, Module, StdPlatform, Store};
use lazuli_backend_baseline::BaselineBackend;

/// A backend that counts modules and trampolines, and compiles with another backend.
struct Counting {
    inner: BaselineBackend,
    modules: AtomicUsize,
    trampolines: AtomicUsize,
}

impl CodeBackend for Counting {
    fn name(&self) -> &str {
        "counting"
    }

    fn compile_with_progress(
        &self,
        module: Arc<ModuleInfo>,
        opts: &CompileOptions,
        progress: &dyn Fn(u32, u32),
    ) -> Result<Box<dyn CompiledCode>, CompileError> {
        self.modules.fetch_add(1, Ordering::Relaxed);
        println!(
            "compile: {} functions, {:?}, {} bytes of guard after each memory",
            module.bodies.len(),
            opts.strategy,
            opts.code.memory_guard_bytes.unwrap_or(0)
        );
        self.inner.compile_with_progress(module, opts, progress)
    }

    fn deserialize(
        &self,
        _module: Arc<ModuleInfo>,
        _bytes: &[u8],
    ) -> Result<Box<dyn CompiledCode>, CompileError> {
        Err(CompileError::new(
            "the counting backend does not load serialized code",
        ))
    }

    fn array_trampoline(&self, ty: &FuncType) -> Result<CodePtr, CompileError> {
        self.trampolines.fetch_add(1, Ordering::Relaxed);
        self.inner.array_trampoline(ty)
    }

    fn host_trampoline(&self, ty: &FuncType) -> Result<CodePtr, CompileError> {
        self.trampolines.fetch_add(1, Ordering::Relaxed);
        self.inner.host_trampoline(ty)
    }
}

fn main() -> Result<(), Error> {
    let backend = Arc::new(Counting {
        inner: BaselineBackend::new().map_err(Error::Compile)?,
        modules: AtomicUsize::new(0),
        trampolines: AtomicUsize::new(0),
    });
    let engine = lazuli_core::Engine::with_backend(
        Config::default(),
        backend.clone(),
        Arc::new(StdPlatform::new()),
    );
    let module = Module::from_wat(
        &engine,
        r#"(module (import "env" "twice" (func $twice (param i32) (result i32)))
             (func (export "run") (param i32) (result i32)
               (i32.add (call $twice (local.get 0)) (i32.const 1))))"#,
    )?;
    let mut linker = Linker::new();
    linker.func_wrap("env", "twice", |x: i32| 2 * x)?;
    let mut store = Store::new(&engine);
    let instance = linker.instantiate(&mut store, &module)?;
    let run = instance.get_typed_func::<i32, i32>(&store, "run")?;
    assert_eq!(run.call(&mut store, 20)?, 41);
    println!(
        "{} module compiled, {} trampolines made, backend `{}`",
        backend.modules.load(Ordering::Relaxed),
        backend.trampolines.load(Ordering::Relaxed),
        engine.backend().map_or("none", |b| b.name())
    );
    assert_eq!(backend.modules.load(Ordering::Relaxed), 1);
    Ok(())
}

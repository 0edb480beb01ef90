//! Lazuli's baseline code generator: a single-pass compiler from WebAssembly straight to
//! x86-64 machine code, in the style of V8's Liftoff. It is the first tier: cheap to run, so
//! lazy compilation on first call costs little, and its code counts its own hotness so that
//! an optimizing backend (LLVM) can recompile what runs long.
//!
//! It depends on `lazuli-backend-api` and wasmparser only: no LLVM.
//!
//! - `lower`: the one pass over a function's operators, one file per operator family;
//! - `lazy`: a module's GOT, compile-on-first-call, and tier-up to an optimizing backend;
//! - `stubs`: the per-function stubs (PLT) and the resolver they jump to;
//! - `image`: precompiled images with both tiers (eager compilation and serialization);
//! - `trampoline`: array (host -> wasm) and host (wasm -> host) adapters;
//! - `helpers`: runtime functions for the rarer conversions.
//!
//! [`BaselineBackend::with_optimizer`] makes the tiered configuration: baseline first, the
//! optimizing backend for hot functions and for anything the baseline cannot compile; eager
//! compilation and serialization make images with both tiers.
#![deny(missing_docs)]

mod helpers;
mod image;
mod lazy;
mod lower;
mod regs;
mod simd_helpers;
mod trampoline;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lazuli_backend_api::*;

use lazuli_jit::code_memory::CodeMemory;

/// The baseline backend. One serves a whole engine.
pub struct BaselineBackend {
    optimizer: Option<(Arc<dyn CodeBackend>, Arc<dyn TaskRunner>)>,
    /// Trampolines made so far: signature -> [array, host] addresses.
    trampolines: Mutex<HashMap<FuncType, [Option<usize>; 2]>>,
    trampoline_memory: CodeMemory,
}

impl BaselineBackend {
    /// A baseline-only backend. Fails on a CPU without the instructions its code uses
    /// (SSE4.1, POPCNT, LZCNT and BMI1's TZCNT: x86-64-v3 has them all).
    pub fn new() -> Result<BaselineBackend, CompileError> {
        #[cfg(target_arch = "x86_64")]
        {
            let missing: Vec<&str> = [
                ("sse4.1", std::is_x86_feature_detected!("sse4.1")),
                ("popcnt", std::is_x86_feature_detected!("popcnt")),
                ("lzcnt", std::is_x86_feature_detected!("lzcnt")),
                ("bmi1", std::is_x86_feature_detected!("bmi1")),
            ]
            .into_iter()
            .filter(|(_, present)| !present)
            .map(|(name, _)| name)
            .collect();
            if !missing.is_empty() {
                return Err(CompileError::new(format!(
                    "the baseline backend needs CPU features this host lacks: {}",
                    missing.join(", ")
                )));
            }
        }
        if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
            return Err(CompileError::new(
                "the baseline backend generates x86-64 code for Linux only",
            ));
        }
        Ok(BaselineBackend {
            optimizer: None,
            trampolines: Mutex::new(HashMap::new()),
            trampoline_memory: CodeMemory::new(),
        })
    }

    /// The tiered configuration: `optimizer` recompiles hot functions on `tasks`' workers,
    /// compiles what the baseline cannot, and does eager compilation and serialization.
    pub fn with_optimizer(
        mut self,
        optimizer: Arc<dyn CodeBackend>,
        tasks: Arc<dyn TaskRunner>,
    ) -> BaselineBackend {
        self.optimizer = Some((optimizer, tasks));
        self
    }

    fn trampoline(&self, host: bool, ty: &FuncType) -> Result<CodePtr, CompileError> {
        let mut cache = self.trampolines.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(addr) = cache.get(ty).and_then(|slots| slots[host as usize]) {
            return Ok(CodePtr(addr as *const u8));
        }
        let code = if host {
            trampoline::host(ty)?
        } else {
            trampoline::array(ty)?
        };
        let addr = self.trampoline_memory.publish(&code)?;
        cache.entry(ty.clone()).or_default()[host as usize] = Some(addr as usize);
        Ok(CodePtr(addr))
    }
}

impl CodeBackend for BaselineBackend {
    fn name(&self) -> &str {
        match self.optimizer {
            Some(_) => "tiered",
            None => "baseline",
        }
    }

    fn serialized_name(&self) -> &str {
        match &self.optimizer {
            Some((optimizer, _)) => optimizer.serialized_name(),
            None => self.name(),
        }
    }

    fn compile_with_progress(
        &self,
        module: Arc<ModuleInfo>,
        opts: &CompileOptions,
        progress: &dyn Fn(u32, u32),
    ) -> Result<Box<dyn CompiledCode>, CompileError> {
        match (opts.strategy, &self.optimizer) {
            // Optimized code from the first call: the optimizer's own lazy mode.
            (Strategy::Lazy, Some((optimizer, _))) if opts.opt_level == OptLevel::Optimized => {
                optimizer.compile_with_progress(module, opts, progress)
            }
            (Strategy::Lazy, optimizer) => {
                let optimizer = optimizer.as_ref().map(|(backend, tasks)| {
                    lazy::Optimizer::new(backend, tasks, opts.tier_up_threshold)
                });
                Ok(Box::new(lazy::LazyCode::new(module, opts, optimizer)?))
            }
            (Strategy::Eager, Some((backend, tasks))) => {
                let optimizer = lazy::Optimizer::new(backend, tasks, opts.tier_up_threshold);
                let threads = tasks.workers() + 1;
                Ok(Box::new(image::compile(
                    module, opts, optimizer, threads, progress,
                )?))
            }
            (Strategy::Eager, None) => Err(CompileError::new(
                "the baseline backend compiles lazily only; eager compilation and \
                 serialization need the LLVM backend",
            )),
        }
    }

    fn check_serialized(&self, code: &[u8]) -> Result<(), CompileError> {
        match &self.optimizer {
            Some(_) if image::is_image(code) => image::check(code),
            Some((optimizer, _)) => optimizer.check_serialized(code),
            None => Ok(()),
        }
    }

    fn deserialize(
        &self,
        module: Arc<ModuleInfo>,
        bytes: &[u8],
    ) -> Result<Box<dyn CompiledCode>, CompileError> {
        match &self.optimizer {
            Some((backend, tasks)) if image::is_image(bytes) => {
                // The threshold is the image's (`image::load`).
                let optimizer = lazy::Optimizer::new(backend, tasks, 0);
                Ok(Box::new(image::load(
                    module,
                    bytes,
                    optimizer,
                    tasks.workers(),
                )?))
            }
            Some((optimizer, _)) => optimizer.deserialize(module, bytes),
            None => Err(CompileError::new(
                "the baseline backend cannot load serialized code; that needs the LLVM backend",
            )),
        }
    }

    fn deserialize_mapped(
        &self,
        module: Arc<ModuleInfo>,
        file: Arc<lazuli_backend_api::MappedFile>,
        code: core::ops::Range<usize>,
    ) -> Result<Box<dyn CompiledCode>, CompileError> {
        match &self.optimizer {
            // An image with both tiers is copied into code memory: read it from the mapping.
            Some(_) if file.bytes().get(code.clone()).is_some_and(image::is_image) => {
                let bytes = file.bytes().get(code).unwrap_or_default();
                self.deserialize(module, bytes)
            }
            Some((optimizer, _)) => optimizer.deserialize_mapped(module, file, code),
            None => self.deserialize(module, &[]),
        }
    }

    fn array_trampoline(&self, ty: &FuncType) -> Result<CodePtr, CompileError> {
        self.trampoline(false, ty)
    }

    fn host_trampoline(&self, ty: &FuncType) -> Result<CodePtr, CompileError> {
        self.trampoline(true, ty)
    }

    fn wait_idle(&self) {
        if let Some((optimizer, tasks)) = &self.optimizer {
            tasks.wait_idle();
            optimizer.wait_idle();
        }
    }
}

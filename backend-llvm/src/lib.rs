//! Lazuli's LLVM code generator: implements [`CodeBackend`] by lowering each WebAssembly
//! function to LLVM IR in one pass and running it with LLVM ORC's `LLJIT`.
//!
//! It depends on `lazuli-backend-api` and wasmparser only, never on the runtime core.
//!
//! - `lower`: single-pass lowering, one file per operator family;
//! - `lazy`: a module's code with a GOT of per-function stubs compiled on first call;
//! - `trampoline`: array (host -> wasm) and host (wasm -> host) adapters;
//! - `jit`: the thin wrapper over ORC's C API.
#![deny(missing_docs)]

mod abi;
mod code_map;
mod eager;
mod image;
mod jit;
mod jit_memory;
mod lazy;
mod loaded_image;
mod lower;
mod probe;
mod saved_code;
mod trampoline;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use inkwell::types::BasicMetadataTypeEnum;
use inkwell::values::BasicMetadataValueEnum;
use lazuli_backend_api::*;

use crate::jit::Jit;

/// The LLVM backend. One serves a whole engine.
pub struct LlvmBackend {
    /// Workers for speculative compilation, if any.
    tasks: Option<Arc<dyn TaskRunner>>,
    /// JIT for trampolines, shared by every module.
    trampolines: OnceLock<Result<Jit, CompileError>>,
    /// Trampolines made so far: signature -> address, indexed by `TrampolineKind`.
    cache: Mutex<HashMap<FuncType, [Option<usize>; 2]>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum TrampolineKind {
    Array,
    Host,
}

impl LlvmBackend {
    /// A backend for the host CPU. Fails if LLVM cannot target the host.
    pub fn new() -> Result<LlvmBackend, CompileError> {
        jit::init_native_target()?;
        Ok(LlvmBackend {
            tasks: None,
            trampolines: OnceLock::new(),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Compile speculatively on `tasks`' workers: when a function is compiled, its direct
    /// callees are queued for compilation in the background.
    pub fn with_workers(mut self, tasks: Arc<dyn TaskRunner>) -> LlvmBackend {
        self.tasks = Some(tasks);
        self
    }

    fn trampoline(&self, kind: TrampolineKind, ty: &FuncType) -> Result<CodePtr, CompileError> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        // Looked up by reference: host->wasm calls come through here, and must not allocate.
        if let Some(addr) = cache.get(ty).and_then(|slots| slots[kind as usize]) {
            return Ok(CodePtr(addr as *const u8));
        }
        let jit = self
            .trampolines
            .get_or_init(|| Jit::new(OptLevel::Baseline))
            .as_ref()
            .map_err(Clone::clone)?;
        let name = trampoline::symbol(
            if kind == TrampolineKind::Array {
                "array"
            } else {
                "host"
            },
            ty,
            cache.len(),
        );
        let ctx = inkwell::context::Context::create();
        let module = ctx.create_module(&name);
        jit.prepare(&module);
        let built = match kind {
            TrampolineKind::Array => trampoline::build_array(&ctx, &module, &name, ty),
            TrampolineKind::Host => trampoline::build_host(&ctx, &module, &name, ty),
        };
        built.map_err(|e| e.into_compile_error("trampoline"))?;
        optimize(&module, OptLevel::Baseline)?;
        let (addr, _) = jit.link(&module, &name)?;
        cache.entry(ty.clone()).or_default()[kind as usize] = Some(addr as usize);
        Ok(CodePtr(addr))
    }
}

impl CodeBackend for LlvmBackend {
    fn name(&self) -> &str {
        "llvm"
    }

    fn compile_with_progress(
        &self,
        module: Arc<ModuleInfo>,
        opts: &CompileOptions,
        progress: &dyn Fn(u32, u32),
    ) -> Result<Box<dyn CompiledCode>, CompileError> {
        match opts.strategy {
            Strategy::Lazy => Ok(Box::new(lazy::LazyCode::new(
                module,
                opts.opt_level,
                opts.tier_up_threshold,
                opts.code,
                opts.profile.clone(),
                self.tasks.clone(),
            )?)),
            Strategy::Eager => {
                let (image, nanos) = eager::compile_image(
                    &module,
                    opts.opt_level,
                    opts.code,
                    opts.profile.as_deref(),
                    eager::compile_threads(self.tasks.as_deref()),
                    progress,
                )?;
                let code = eager::ImageCode::load_linked(&module, opts.opt_level, image)?;
                Ok(Box::new(code.with_partition_nanos(nanos)))
            }
        }
    }

    fn check_serialized(&self, code: &[u8]) -> Result<(), CompileError> {
        eager::header::check_host(code)
    }

    fn deserialize(
        &self,
        module: Arc<ModuleInfo>,
        bytes: &[u8],
    ) -> Result<Box<dyn CompiledCode>, CompileError> {
        let (level, layout, image) = eager::header::read(bytes)?;
        let source = eager::ImageSource::Bytes(&bytes[image]);
        Ok(Box::new(eager::ImageCode::load(
            &module, level, layout, source,
        )?))
    }

    /// Runs the image where the file holds it: the runtime places the code on a page boundary
    /// of the file and the header places the image on a page boundary of the code.
    fn deserialize_mapped(
        &self,
        module: Arc<ModuleInfo>,
        file: Arc<MappedFile>,
        code: std::ops::Range<usize>,
    ) -> Result<Box<dyn CompiledCode>, CompileError> {
        let bytes = file
            .bytes()
            .get(code.clone())
            .ok_or_else(|| CompileError::new("the code lies outside the file"))?;
        let (level, layout, image) = eager::header::read(bytes)?;
        let range = code.start + image.start..code.start + image.end;
        let source = eager::ImageSource::File(file, range);
        Ok(Box::new(eager::ImageCode::load(
            &module, level, layout, source,
        )?))
    }

    fn array_trampoline(&self, ty: &FuncType) -> Result<CodePtr, CompileError> {
        self.trampoline(TrampolineKind::Array, ty)
    }

    fn host_trampoline(&self, ty: &FuncType) -> Result<CodePtr, CompileError> {
        self.trampoline(TrampolineKind::Host, ty)
    }

    fn wait_idle(&self) {
        if let Some(tasks) = &self.tasks {
            tasks.wait_idle();
        }
    }
}

/// The LLVM IR of defined function `index` of `module` as this backend lowers it for the
/// optimizing tier, before LLVM's passes, with `branch_counts` (one per slot of
/// [`lazuli_backend_api::branch_profile`]) as its branch weights: for inspecting what LLVM is
/// given, and for tests.
pub fn function_ir(
    module: &ModuleInfo,
    index: DefinedFuncIndex,
    branch_counts: Option<Vec<u32>>,
) -> Result<String, CompileError> {
    if index.index() >= module.bodies.len() {
        return Err(CompileError::new(format!(
            "the module has no defined function {}",
            index.0
        )));
    }
    let ctx = inkwell::context::Context::create();
    let ir = ctx.create_module(&lower::func_symbol(index));
    let inputs = lower::FunctionInputs {
        profile: None,
        code: CodeFlags::default(),
        branch_counts,
        osr_loop: None,
    };
    lower::lower_function(&ctx, &ir, module, index, inputs)?;
    Ok(ir.print_to_string().to_string())
}

/// The IR pipeline of the optimizing tier, chosen by measurement (`bench/pipelines.sh`, table
/// in the README): function passes only. Wasm functions call each other through the GOT, so
/// LLVM never sees a callee to inline and `default<O2>`'s module and call-graph passes find
/// nothing to do; these passes give the kernels the same or faster code and compile SQLite in
/// two thirds of O2's time.
const OPTIMIZED_PIPELINE: &str = "function(sroa,early-cse<memssa>,instcombine<no-verify-fixpoint>,\
simplifycfg,loop-mssa(licm),gvn,instcombine<no-verify-fixpoint>,simplifycfg)";

/// [`OPTIMIZED_PIPELINE`], unless `LAZULI_LLVM_PASSES` names another pipeline (a knob for
/// `bench/pipelines.sh`): an invalid one makes compilation fail with LLVM's message, and any
/// valid one gives correct code.
fn optimized_pipeline() -> &'static str {
    static PASSES: OnceLock<String> = OnceLock::new();
    PASSES.get_or_init(|| {
        std::env::var("LAZULI_LLVM_PASSES").unwrap_or_else(|_| String::from(OPTIMIZED_PIPELINE))
    })
}

/// Verify a freshly lowered module and run the IR passes of its tier.
pub(crate) fn optimize(
    module: &inkwell::module::Module<'_>,
    level: OptLevel,
) -> Result<(), CompileError> {
    if cfg!(debug_assertions) {
        module.verify().map_err(|e| {
            CompileError::new(format!("internal error: invalid IR: {}", e.to_string()))
        })?;
    }
    let passes = match level {
        OptLevel::Baseline => "mem2reg",
        OptLevel::Optimized => optimized_pipeline(),
    };
    let passes = std::ffi::CString::new(passes)
        .map_err(|_| CompileError::new("LAZULI_LLVM_PASSES holds a NUL byte"))?;
    // SAFETY: the module is live and not shared; the options are created and disposed here.
    unsafe {
        let options = llvm_sys::transforms::pass_builder::LLVMCreatePassBuilderOptions();
        let err = llvm_sys::transforms::pass_builder::LLVMRunPasses(
            module.as_mut_ptr(),
            passes.as_ptr(),
            std::ptr::null_mut(),
            options,
        );
        llvm_sys::transforms::pass_builder::LLVMDisposePassBuilderOptions(options);
        jit::check(err, "running LLVM passes")
    }
}

/// Whether the host CPU has an LLVM feature such as `"+ssse3"` (code is compiled for the host
/// CPU, and serialized code is only loaded on a host with the same features).
pub(crate) fn host_has_feature(feature: &str) -> bool {
    eager::header::host_cpu_features()
        .split(',')
        .any(|f| f == feature)
}

/// What code made here is specific to: LLVM version, target triple, CPU and CPU features. Part
/// of every serialized module's header; also a good cache key ingredient.
pub fn host_description() -> String {
    eager::header::host_description()
}

/// The LLVM parameter type of an argument value.
pub(crate) fn metadata_type_of(v: BasicMetadataValueEnum<'_>) -> BasicMetadataTypeEnum<'_> {
    match v {
        BasicMetadataValueEnum::IntValue(i) => i.get_type().into(),
        BasicMetadataValueEnum::FloatValue(f) => f.get_type().into(),
        BasicMetadataValueEnum::PointerValue(p) => p.get_type().into(),
        BasicMetadataValueEnum::VectorValue(v) => v.get_type().into(),
        BasicMetadataValueEnum::StructValue(s) => s.get_type().into(),
        BasicMetadataValueEnum::ArrayValue(a) => a.get_type().into(),
        other => panic!("libcall argument of unexpected kind {other:?}"),
    }
}

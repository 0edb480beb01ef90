//! A small safe wrapper over LLVM ORC's `LLJIT` (C API): create a JIT for the host with a given
//! code-generation level, and link IR modules into it (compiled to objects by the JIT's own
//! target machines, so the caller sees the object's symbol table), in memory reserved for each
//! object before it is linked.

use std::ffi::{CStr, CString};
use std::sync::{Mutex, Once};

use inkwell::targets::{CodeModel, InitializationConfig, RelocMode, Target, TargetMachine};
use inkwell::OptimizationLevel;
use lazuli_backend_api::{CompileError, OptLevel};
use lazuli_jit::object_memory::ObjectMemory;
use llvm_sys::error::{LLVMDisposeErrorMessage, LLVMErrorRef, LLVMGetErrorMessage};
use llvm_sys::orc2::lljit::*;
use llvm_sys::orc2::*;

/// Turn an `LLVMErrorRef` into a `CompileError` (consuming it).
pub(crate) fn check(err: LLVMErrorRef, what: &str) -> Result<(), CompileError> {
    if err.is_null() {
        return Ok(());
    }
    // SAFETY: `err` is a live error we own; getting its message consumes it, and the message
    // is disposed of after being copied.
    let message = unsafe {
        let msg = LLVMGetErrorMessage(err);
        let text = CStr::from_ptr(msg).to_string_lossy().into_owned();
        LLVMDisposeErrorMessage(msg);
        text
    };
    Err(CompileError::new(format!("{what}: {message}")))
}

/// Initialize LLVM's native target once per process.
pub(crate) fn init_native_target() -> Result<(), CompileError> {
    static INIT: Once = Once::new();
    static mut RESULT: Option<String> = None;
    INIT.call_once(|| {
        if let Err(e) = Target::initialize_native(&InitializationConfig::default()) {
            // SAFETY: written once, inside `call_once`, before any read.
            unsafe { RESULT = Some(e) };
        }
    });
    // SAFETY: `call_once` has completed, so `RESULT` is no longer written.
    match unsafe { (*std::ptr::addr_of!(RESULT)).clone() } {
        Some(e) => Err(CompileError::new(format!(
            "cannot initialize LLVM's native target: {e}"
        ))),
        None => Ok(()),
    }
}

/// The code generator's level for the optimizing tier, measured with its IR pipeline
/// (`bench/pipelines.sh`): `Default` (like `-O2`; `Less` compiled 8% faster with kernels within
/// noise, too close to call on four kernels). `LAZULI_LLVM_CODEGEN` (`less`,
/// `default` or `aggressive`) picks another, for that measurement.
fn optimized_codegen() -> OptimizationLevel {
    match std::env::var("LAZULI_LLVM_CODEGEN").as_deref() {
        Ok("less") => OptimizationLevel::Less,
        Ok("aggressive") => OptimizationLevel::Aggressive,
        _ => OptimizationLevel::Default,
    }
}

/// A target machine for the host CPU with its features, making position-independent code with
/// `code_model`: small everywhere (an object's code and read-only data share one run of JIT
/// memory, and eager images are one block), so that a JIT object can also be linked into an
/// image (`crate::saved_code`).
pub(crate) fn host_target_machine(
    level: OptLevel,
    code_model: CodeModel,
) -> Result<TargetMachine, CompileError> {
    init_native_target()?;
    let triple = TargetMachine::get_default_triple();
    let target = Target::from_triple(&triple)
        .map_err(|e| CompileError::new(format!("unsupported host target: {e}")))?;
    let cpu = crate::eager::header::host_cpu();
    let features = crate::eager::header::host_cpu_features();
    let level = match level {
        OptLevel::Baseline => OptimizationLevel::None,
        OptLevel::Optimized => optimized_codegen(),
    };
    target
        .create_target_machine(&triple, cpu, features, level, RelocMode::PIC, code_model)
        .ok_or_else(|| CompileError::new("LLVM could not create a target machine for the host"))
}

/// One ORC `LLJIT` instance.
pub(crate) struct Jit {
    raw: LLVMOrcLLJITRef,
    /// Where the JIT's objects live; dropped after the JIT (fields drop after `Drop::drop`).
    memory: Box<ObjectMemory>,
    level: OptLevel,
}

/// Idle target machines that turn modules into objects for every JIT of the process, one pool
/// per level (`OptLevel::Baseline`, `OptLevel::Optimized`). An LLVM target machine serves one
/// thread at a time, so each compiling thread takes one (made when none is idle) and puts it
/// back: threads generate machine code in parallel. Shared rather than one pool per JIT: a
/// target machine that has generated code holds its subtarget's tables, about 800 KB for
/// x86-64, which made every module compiled by LLVM cost that much.
static MACHINES: [Mutex<Vec<Machine>>; 2] = [Mutex::new(Vec::new()), Mutex::new(Vec::new())];

fn machines(level: OptLevel) -> &'static Mutex<Vec<Machine>> {
    &MACHINES[usize::from(level == OptLevel::Optimized)]
}

/// A target machine that may move between threads.
struct Machine(TargetMachine);

// SAFETY: an LLVM target machine has no thread affinity; `Jit` hands each one to one thread at
// a time.
unsafe impl Send for Machine {}

// SAFETY: LLJIT is internally synchronized: adding modules and looking up symbols may happen
// from several threads at once.
unsafe impl Send for Jit {}
// SAFETY: see `Send`.
unsafe impl Sync for Jit {}

impl Jit {
    /// A JIT generating code for the host at `level`, resolving external symbols (libm and
    /// friends that LLVM intrinsics may lower to) in the current process.
    pub(crate) fn new(level: OptLevel) -> Result<Jit, CompileError> {
        let tm = host_target_machine(level, CodeModel::Small)?;
        let memory = Box::new(ObjectMemory::default());
        // SAFETY: the builder takes ownership of the target machine (we forget our wrapper), and
        // `LLVMOrcCreateLLJIT` consumes the builder whether it succeeds or not. The memory is
        // boxed (it never moves) and outlives the JIT.
        unsafe {
            let jtmb = LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(tm.as_mut_ptr() as _);
            std::mem::forget(tm);
            let builder = LLVMOrcCreateLLJITBuilder();
            LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder, jtmb);
            LLVMOrcLLJITBuilderSetObjectLinkingLayerCreator(
                builder,
                crate::jit_memory::create_object_layer,
                &*memory as *const ObjectMemory as *mut std::ffi::c_void,
            );
            let mut raw = std::ptr::null_mut();
            check(
                LLVMOrcCreateLLJIT(&mut raw, builder),
                "cannot create an LLVM JIT",
            )?;
            let jit = Jit { raw, memory, level };
            let mut generator = std::ptr::null_mut();
            check(
                LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
                    &mut generator,
                    LLVMOrcLLJITGetGlobalPrefix(raw),
                    None,
                    std::ptr::null_mut(),
                ),
                "cannot make process symbols visible to the JIT",
            )?;
            LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(raw), generator);
            jit.define_absolute(crate::probe::PROBE_SYMBOL, crate::probe::address())?;
            Ok(jit)
        }
    }

    /// Define `name` in the main JITDylib as the runtime function at `address`.
    fn define_absolute(&self, name: &str, address: usize) -> Result<(), CompileError> {
        let cname =
            CString::new(name).map_err(|_| CompileError::new("symbol name contains NUL"))?;
        // SAFETY: `self.raw` is live; the interned name is handed to the materialization unit,
        // which `LLVMOrcJITDylibDefine` takes over (and disposes of on failure).
        unsafe {
            let session = LLVMOrcLLJITGetExecutionSession(self.raw);
            let mut pair = LLVMOrcCSymbolMapPair {
                Name: LLVMOrcExecutionSessionIntern(session, cname.as_ptr()),
                Sym: LLVMJITEvaluatedSymbol {
                    Address: address as u64,
                    Flags: LLVMJITSymbolFlags {
                        GenericFlags: LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsExported
                            as u8
                            | LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsCallable as u8,
                        TargetFlags: 0,
                    },
                },
            };
            let unit = LLVMOrcAbsoluteSymbols(&mut pair, 1);
            check(
                LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(self.raw), unit),
                "cannot define a runtime symbol in the JIT",
            )
        }
    }

    /// Generate machine code for `module`, link it into the JIT and return the address of its
    /// `symbol` and the object file, whose symbol table tells where each function ends. The
    /// memory the object may need is reserved first: if it cannot be had, this is an error and
    /// nothing is linked.
    pub(crate) fn link(
        &self,
        module: &inkwell::module::Module<'_>,
        symbol: &str,
    ) -> Result<(*const u8, Vec<u8>), CompileError> {
        let object = self.emit(module)?;
        let (text, data) = crate::jit_memory::link_bound(&object)?;
        let reservation = self.memory.reserve(text, data)?;
        let code = self.memory.linking(reservation, || {
            self.add_object(&object)?;
            self.lookup(symbol)
        })?;
        Ok((code, object))
    }

    /// Machine code for `module`, as an object file.
    fn emit(&self, module: &inkwell::module::Module<'_>) -> Result<Vec<u8>, CompileError> {
        let idle = machines(self.level)
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        let machine = match idle {
            Some(m) => m,
            None => Machine(host_target_machine(self.level, CodeModel::Small)?),
        };
        let object = machine
            .0
            .write_to_memory_buffer(module, inkwell::targets::FileType::Object);
        machines(self.level)
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(machine);
        let object =
            object.map_err(|e| CompileError::new(format!("LLVM could not emit code: {e}")))?;
        Ok(object.as_slice().to_vec())
    }

    /// Give `module` the JIT's target triple and data layout (so that type sizes and
    /// alignments match the code the JIT generates).
    pub(crate) fn prepare(&self, module: &inkwell::module::Module<'_>) {
        // SAFETY: both strings are owned by the live JIT and NUL-terminated; LLVM copies them.
        unsafe {
            llvm_sys::core::LLVMSetTarget(
                module.as_mut_ptr(),
                LLVMOrcLLJITGetTripleString(self.raw),
            );
            llvm_sys::core::LLVMSetDataLayout(
                module.as_mut_ptr(),
                LLVMOrcLLJITGetDataLayoutStr(self.raw),
            );
        }
    }

    /// Add a relocatable object file; it is linked on the first lookup of one of its symbols.
    fn add_object(&self, object: &[u8]) -> Result<(), CompileError> {
        let buffer = inkwell::memory_buffer::MemoryBuffer::create_from_memory_range_copy(
            object,
            "lazuli-object",
        );
        let raw = buffer.as_mut_ptr();
        // The JIT takes ownership of the buffer, on success and on failure alike.
        std::mem::forget(buffer);
        // SAFETY: `self.raw` is live and `raw` is a memory buffer we own and hand over.
        unsafe {
            let dylib = LLVMOrcLLJITGetMainJITDylib(self.raw);
            check(
                LLVMOrcLLJITAddObjectFile(self.raw, dylib, raw),
                "cannot load compiled code",
            )
        }
    }

    /// Address of a defined symbol, linking its object if not yet done.
    fn lookup(&self, name: &str) -> Result<*const u8, CompileError> {
        let cname =
            CString::new(name).map_err(|_| CompileError::new("symbol name contains NUL"))?;
        let mut addr = 0;
        // SAFETY: `self.raw` is live; `cname` outlives the call.
        let err = unsafe { LLVMOrcLLJITLookup(self.raw, &mut addr, cname.as_ptr()) };
        check(err, "JIT compilation failed")?;
        Ok(addr as *const u8)
    }
}

impl Drop for Jit {
    fn drop(&mut self) {
        // SAFETY: we own the JIT; nothing uses its code after the owner drops it.
        let err = unsafe { LLVMOrcDisposeLLJIT(self.raw) };
        let _ = check(err, "disposing of the JIT");
    }
}

//! [`LazyCode`]: a module's code, compiled one function at a time on first call.
//!
//! The GOT holds one code pointer per defined function. It starts pointing at the function's
//! stub; the first call through the stub compiles the function (exactly once, whichever thread
//! gets there first; others wait for that result), stores the code address in the GOT and
//! continues into it. Later calls load the GOT entry and go straight to the code.

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use lazuli_backend_api::{CodePtr, CompileError, CompiledCode, DefinedFuncIndex, ModuleInfo, OptLevel};

use crate::jit::{Jit, ThreadSafeContext};
use crate::lower::{func_symbol, lower_function};
use crate::stubs::StubTable;

/// Code for one module, compiled lazily into its own JIT.
pub(crate) struct LazyCode {
    info: Arc<ModuleInfo>,
    level: OptLevel,
    got: Box<[AtomicPtr<u8>]>,
    compiled: Box<[OnceLock<Result<usize, CompileError>>]>,
    stubs: OnceLock<StubTable>,
    jit: OnceLock<Result<Jit, CompileError>>,
    compile_count: AtomicUsize,
    last_error: Mutex<Option<CompileError>>,
}

impl LazyCode {
    /// Code for `info` whose functions all start as stubs.
    pub(crate) fn new(info: Arc<ModuleInfo>, level: OptLevel) -> Result<Box<LazyCode>, CompileError> {
        let n = info.bodies.len();
        let code = Box::new(LazyCode {
            info,
            level,
            got: (0..n).map(|_| AtomicPtr::new(std::ptr::null_mut())).collect(),
            compiled: (0..n).map(|_| OnceLock::new()).collect(),
            stubs: OnceLock::new(),
            jit: OnceLock::new(),
            compile_count: AtomicUsize::new(0),
            last_error: Mutex::new(None),
        });
        // The stubs embed the address of the boxed `LazyCode`, which never moves.
        let stubs = StubTable::new(n, &*code as *const LazyCode as *const u8)?;
        for (i, entry) in code.got.iter().enumerate() {
            entry.store(stubs.stub(i) as *mut u8, Ordering::Relaxed);
        }
        let _ = code.stubs.set(stubs);
        Ok(code)
    }

    /// How many functions have been compiled so far.
    pub(crate) fn compile_count(&self) -> usize {
        self.compile_count.load(Ordering::Relaxed)
    }

    /// Compile defined function `index` if needed, publish it in the GOT, return its code.
    pub(crate) fn resolve_index(&self, index: u32) -> Result<*const u8, CompileError> {
        let cell = self
            .compiled
            .get(index as usize)
            .ok_or_else(|| CompileError::new(format!("no defined function {index}")))?;
        let result = cell.get_or_init(|| {
            let code = self.compile_one(DefinedFuncIndex(index)).inspect_err(|e| {
                *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
            })?;
            self.got[index as usize].store(code as *mut u8, Ordering::Release);
            self.compile_count.fetch_add(1, Ordering::Relaxed);
            Ok(code as usize)
        });
        result.clone().map(|a| a as *const u8)
    }

    fn jit(&self) -> Result<&Jit, CompileError> {
        self.jit.get_or_init(|| Jit::new(self.level)).as_ref().map_err(Clone::clone)
    }

    fn compile_one(&self, index: DefinedFuncIndex) -> Result<*const u8, CompileError> {
        let jit = self.jit()?;
        let tsc = ThreadSafeContext::new();
        let module = {
            let ctx = tsc.context();
            let module = ctx.create_module(&func_symbol(index));
            jit.prepare(&module);
            lower_function(&ctx, &module, &self.info, index)?;
            crate::optimize(&module, self.level)?;
            tsc.module(module)
        };
        jit.add_module(module)?;
        jit.lookup(&func_symbol(index))
    }
}

impl CompiledCode for LazyCode {
    fn got(&self) -> *const CodePtr {
        // `AtomicPtr<u8>` has the layout of `*mut u8`, and `CodePtr` is a transparent `*const u8`.
        self.got.as_ptr() as *const CodePtr
    }

    fn resolve(&self, f: DefinedFuncIndex) -> Result<CodePtr, CompileError> {
        self.resolve_index(f.0).map(CodePtr)
    }

    fn is_compiled(&self, f: DefinedFuncIndex) -> bool {
        self.compiled.get(f.index()).is_some_and(|c| matches!(c.get(), Some(Ok(_))))
    }

    fn last_error(&self) -> Option<CompileError> {
        self.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn compiled_count(&self) -> usize {
        self.compile_count()
    }

    /// A lazy module is serialized as eager code: every function is compiled into one object.
    fn serialize(&self) -> Result<Vec<u8>, CompileError> {
        let object = crate::eager::compile_object(&self.info, self.level, &|_, _| {})?;
        Ok(crate::eager::header::write(self.level, &object))
    }
}

//! Eager mode: every function of a module lowered into one LLVM module, optimized, emitted as a
//! relocatable object for the host, and loaded into a JIT. The object (behind a header naming
//! the LLVM version, target and CPU it was made for) is the serialized form of the code;
//! loading it back links it without lowering or compiling anything.

use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use inkwell::context::Context;
use inkwell::targets::FileType;
use lazuli_backend_api::{
    CodePtr, CompileError, CompileStats, CompiledCode, DefinedFuncIndex, ModuleInfo, OptLevel,
};

use crate::code_map::{function_sizes, CodeMap};
use crate::jit::{host_target_machine, Jit};
use crate::lower::lower_function;

/// The symbol of the table of function addresses in an eager object.
const FUNCTION_TABLE: &str = "lazuli_function_table";

/// Lower and compile every function of `info` into one relocatable object. `progress` is told
/// how many functions are lowered, out of how many.
pub(crate) fn compile_object(
    info: &ModuleInfo,
    level: OptLevel,
    epoch_interruption: bool,
    progress: &dyn Fn(u32, u32),
) -> Result<Vec<u8>, CompileError> {
    let tm = host_target_machine(level)?;
    let ctx = Context::create();
    let module = ctx.create_module("lazuli_eager");
    module.set_triple(&tm.get_triple());
    module.set_data_layout(&tm.get_target_data().get_data_layout());
    let total = info.num_defined_funcs();
    let mut functions = Vec::with_capacity(total as usize);
    for i in 0..total {
        let f = lower_function(
            &ctx,
            &module,
            info,
            DefinedFuncIndex(i),
            None,
            epoch_interruption,
        )?;
        functions.push(f.as_global_value().as_pointer_value());
        progress(i + 1, total);
    }
    // One table of every function's address, so that loading needs a single symbol lookup.
    let ptr = ctx.ptr_type(inkwell::AddressSpace::default());
    let table = module.add_global(ptr.array_type(total), None, FUNCTION_TABLE);
    table.set_initializer(&ptr.const_array(&functions));
    table.set_constant(true);
    crate::optimize(&module, level)?;
    let buffer = tm
        .write_to_memory_buffer(&module, FileType::Object)
        .map_err(|e| CompileError::new(format!("LLVM could not emit an object: {e}")))?;
    Ok(buffer.as_slice().to_vec())
}

/// A module's code, loaded from an object: every function compiled.
pub(crate) struct ObjectCode {
    level: OptLevel,
    got: Box<[AtomicPtr<u8>]>,
    object: Vec<u8>,
    /// Where each function's code lies, for backtraces.
    code_map: CodeMap,
    /// Owns the code the GOT points to.
    _jit: Jit,
}

impl ObjectCode {
    /// Load `object` (made by [`compile_object`] for `info`) and resolve every function.
    pub(crate) fn load(
        info: &Arc<ModuleInfo>,
        level: OptLevel,
        object: Vec<u8>,
    ) -> Result<ObjectCode, CompileError> {
        let jit = Jit::new(level)?;
        jit.add_object(&object)?;
        let table = jit.lookup(FUNCTION_TABLE)? as *const *mut u8;
        let got: Box<[AtomicPtr<u8>]> = (0..info.num_defined_funcs() as usize)
            // SAFETY: the object defines the table with one linked address per defined function
            // (`compile_object`), and the module it was made for has that many functions (the
            // serialized form keeps the module's bytes with the code, checked together).
            .map(|i| AtomicPtr::new(unsafe { *table.add(i) }))
            .collect();
        let code_map = CodeMap::default();
        for (f, len) in function_sizes(&object)? {
            if let Some(start) = got.get(f.index()) {
                code_map.insert(start.load(Ordering::Relaxed) as usize, len, f);
            }
        }
        Ok(ObjectCode {
            level,
            got,
            object,
            code_map,
            _jit: jit,
        })
    }
}

impl CompiledCode for ObjectCode {
    fn got(&self) -> *const CodePtr {
        self.got.as_ptr() as *const CodePtr
    }

    fn resolve(&self, f: DefinedFuncIndex) -> Result<CodePtr, CompileError> {
        self.got
            .get(f.index())
            .map(|p| CodePtr(p.load(Ordering::Relaxed)))
            .ok_or_else(|| CompileError::new(format!("no defined function {f}")))
    }

    fn is_compiled(&self, f: DefinedFuncIndex) -> bool {
        f.index() < self.got.len()
    }

    fn last_error(&self) -> Option<CompileError> {
        None
    }

    fn stats(&self) -> CompileStats {
        let n = self.got.len() as u32;
        let (baseline, optimized) = match self.level {
            OptLevel::Baseline => (n, 0),
            OptLevel::Optimized => (0, n),
        };
        CompileStats {
            baseline,
            optimized,
            ..CompileStats::default()
        }
    }

    fn compiled_count(&self) -> usize {
        self.got.len()
    }

    fn function_at(&self, pc: usize) -> Option<DefinedFuncIndex> {
        self.code_map.lookup(pc)
    }

    fn serialize(&self) -> Result<Vec<u8>, CompileError> {
        Ok(header::write(self.level, &self.object))
    }
}

/// The backend's part of a serialized module: what the object was made for, then the object.
pub(crate) mod header {
    use inkwell::targets::TargetMachine;
    use lazuli_backend_api::{CompileError, OptLevel};

    const MAGIC: &[u8; 8] = b"LZLLVMob";
    const VERSION: u32 = 1;

    /// LLVM's version, as `major.minor.patch`.
    fn llvm_version() -> String {
        let (mut major, mut minor, mut patch) = (0, 0, 0);
        // SAFETY: writes three integers.
        unsafe { llvm_sys::core::LLVMGetVersion(&mut major, &mut minor, &mut patch) };
        format!("{major}.{minor}.{patch}")
    }

    /// What code is made for on this host: LLVM version, triple, CPU and its features.
    fn host() -> [String; 4] {
        [
            llvm_version(),
            TargetMachine::get_default_triple()
                .as_str()
                .to_string_lossy()
                .into_owned(),
            TargetMachine::get_host_cpu_name().to_string(),
            TargetMachine::get_host_cpu_features().to_string(),
        ]
    }

    const FIELDS: [&str; 4] = ["LLVM version", "target triple", "CPU", "CPU features"];

    pub(crate) fn host_description() -> String {
        host().join(" ")
    }

    pub(crate) fn write(level: OptLevel, object: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(object.len() + 256);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        for field in host() {
            out.extend_from_slice(&(field.len() as u32).to_le_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        out.push(match level {
            OptLevel::Baseline => 0,
            OptLevel::Optimized => 1,
        });
        out.extend_from_slice(object);
        out
    }

    /// Check the header against this host and return the opt level and the object.
    pub(crate) fn read(bytes: &[u8]) -> Result<(OptLevel, &[u8]), CompileError> {
        let mut rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| CompileError::new("not code made by Lazuli's LLVM backend"))?;
        let truncated = || CompileError::new("serialized code is truncated");
        let mut take = |n: usize| -> Result<&[u8], CompileError> {
            if rest.len() < n {
                return Err(truncated());
            }
            let (head, tail) = rest.split_at(n);
            rest = tail;
            Ok(head)
        };
        let version = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(CompileError::new(format!(
                "code format version {version}, this build reads version {VERSION}"
            )));
        }
        for (name, here) in FIELDS.iter().zip(host()) {
            let len = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
            let there = String::from_utf8_lossy(take(len)?).into_owned();
            if there != here {
                return Err(CompileError::new(format!(
                    "code was made for {name} `{there}`, this host has `{here}`"
                )));
            }
        }
        let level = match take(1)?[0] {
            0 => OptLevel::Baseline,
            1 => OptLevel::Optimized,
            n => return Err(CompileError::new(format!("unknown optimization level {n}"))),
        };
        Ok((level, rest))
    }
}

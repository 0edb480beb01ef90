//! Eager mode: the functions of a module split into partitions of similar size, each lowered
//! into its own LLVM module, optimized and emitted as a relocatable object for the host, on as
//! many threads as the backend has (its workers plus the caller), then loaded into one JIT. The
//! objects (behind a header naming the LLVM version, target and CPU they were made for) are the
//! serialized form of the code; loading them back links them without lowering or compiling.
//!
//! Partitions are cut by wasm body size alone, never by thread count, and each is compiled on
//! its own, so the same module and configuration give the same bytes on any machine of the
//! same kind, with any number of threads. Wasm calls go through the GOT, so partitioning costs
//! no optimization (no call is inlined either way), and a partition bounds the memory LLVM
//! needs at once.

use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Arc;

use inkwell::context::Context;
use inkwell::targets::FileType;
use lazuli_backend_api::{
    CodeFlags, CodePtr, CompileError, CompileStats, CompiledCode, DefinedFuncIndex, ModuleInfo,
    OptLevel,
};

use crate::code_map::{function_sizes, CodeMap};
use crate::jit::{host_target_machine, Jit};
use crate::lower::lower_function;

/// The symbol of partition `k`'s table of function addresses.
fn function_table(k: usize) -> String {
    format!("lazuli_function_table_{k}")
}

/// Wasm body bytes per partition.
const PARTITION_BYTES: usize = 64 << 10;

/// Stack of each compiling thread: LLVM's passes recurse on large functions.
const COMPILER_STACK: usize = 128 << 20;

/// Threads for eager compilation with `tasks`' workers: the workers and the calling thread.
pub(crate) fn compile_threads(tasks: Option<&dyn lazuli_backend_api::TaskRunner>) -> usize {
    1 + tasks.map_or(0, |t| t.workers())
}

/// The partitions of `info`'s defined functions: consecutive index ranges, each closed by the
/// function that brings it to [`PARTITION_BYTES`] of wasm (the last one may be smaller).
pub(crate) fn partitions(info: &ModuleInfo) -> Vec<std::ops::Range<u32>> {
    let mut parts = Vec::new();
    let (mut start, mut bytes) = (0u32, 0usize);
    for (i, body) in info.bodies.iter().enumerate() {
        bytes += body.range.len();
        if bytes >= PARTITION_BYTES {
            parts.push(start..i as u32 + 1);
            (start, bytes) = (i as u32 + 1, 0);
        }
    }
    if start < info.bodies.len() as u32 || parts.is_empty() {
        parts.push(start..info.bodies.len() as u32);
    }
    parts
}

/// The relocatable objects of a module, one per partition, and what each took to compile.
pub(crate) struct Objects {
    /// One object per partition, in partition order.
    pub objects: Vec<Vec<u8>>,
    /// Each partition's compile time, in nanoseconds.
    pub nanos: Vec<u64>,
}

/// Lower and compile the functions of `info` into relocatable objects, one per partition, on
/// `threads` threads (the caller's included). `progress` is told how many functions are
/// compiled, out of how many, on the calling thread.
pub(crate) fn compile_objects(
    info: &ModuleInfo,
    level: OptLevel,
    code: CodeFlags,
    threads: usize,
    progress: &dyn Fn(u32, u32),
) -> Result<Objects, CompileError> {
    let parts = partitions(info);
    let total = info.num_defined_funcs();
    let threads = threads.clamp(1, parts.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    type Done = (usize, u64, Result<Vec<u8>, CompileError>);
    let (done_tx, done_rx) = std::sync::mpsc::channel::<Done>();
    let mut objects: Vec<Option<Vec<u8>>> = vec![None; parts.len()];
    let mut nanos = vec![0u64; parts.len()];
    std::thread::scope(|scope| -> Result<(), CompileError> {
        let work = |done: std::sync::mpsc::Sender<Done>| {
            loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(range) = parts.get(k) else { break };
                let start = std::time::Instant::now();
                let object = compile_partition(info, level, code, k, range.clone());
                let took = start.elapsed().as_nanos() as u64;
                let failed = object.is_err();
                if done.send((k, took, object)).is_err() || failed {
                    // Nobody waits any more, or this compile failed: stop taking work.
                    next.store(parts.len(), Ordering::Relaxed);
                    break;
                }
            }
        };
        for _ in 0..threads {
            let done = done_tx.clone();
            std::thread::Builder::new()
                .name("lazuli-eager".into())
                .stack_size(COMPILER_STACK)
                .spawn_scoped(scope, move || work(done))
                .map_err(|e| CompileError::new(format!("cannot start a compiling thread: {e}")))?;
        }
        drop(done_tx);
        let mut compiled = 0;
        for (k, took, object) in done_rx {
            objects[k] = Some(object?);
            nanos[k] = took;
            compiled += parts[k].len() as u32;
            progress(compiled, total);
        }
        Ok(())
    })?;
    let objects = objects
        .into_iter()
        .map(|o| o.ok_or_else(|| CompileError::new("a partition was not compiled")))
        .collect::<Result<_, _>>()?;
    Ok(Objects { objects, nanos })
}

/// Lower, optimize and emit the functions in `range` as one object whose table of their
/// addresses is [`function_table`]`(k)`.
fn compile_partition(
    info: &ModuleInfo,
    level: OptLevel,
    code: CodeFlags,
    k: usize,
    range: std::ops::Range<u32>,
) -> Result<Vec<u8>, CompileError> {
    let tm = host_target_machine(level)?;
    let ctx = Context::create();
    let module = ctx.create_module(&format!("lazuli_eager_{k}"));
    module.set_triple(&tm.get_triple());
    module.set_data_layout(&tm.get_target_data().get_data_layout());
    let mut functions = Vec::with_capacity(range.len());
    for i in range.clone() {
        let f = lower_function(&ctx, &module, info, DefinedFuncIndex(i), None, code)?;
        functions.push(f.as_global_value().as_pointer_value());
    }
    // One table of the partition's function addresses, so that loading needs one symbol
    // lookup per partition.
    let ptr = ctx.ptr_type(inkwell::AddressSpace::default());
    let table = module.add_global(ptr.array_type(range.len() as u32), None, &function_table(k));
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
    /// One object per partition, in partition order.
    objects: Vec<Vec<u8>>,
    /// Where each function's code lies, for backtraces.
    code_map: CodeMap,
    /// Each partition's compile time, when this process compiled them (empty when loaded).
    partition_nanos: Vec<u64>,
    /// Owns the code the GOT points to.
    _jit: Jit,
}

impl ObjectCode {
    /// Load `objects` (made by [`compile_objects`] for `info`) and resolve every function.
    pub(crate) fn load(
        info: &Arc<ModuleInfo>,
        level: OptLevel,
        objects: Vec<Vec<u8>>,
    ) -> Result<ObjectCode, CompileError> {
        let parts = partitions(info);
        if parts.len() != objects.len() {
            return Err(CompileError::new(format!(
                "the code has {} parts where this module has {} partitions",
                objects.len(),
                parts.len()
            )));
        }
        let jit = Jit::new(level)?;
        for object in &objects {
            jit.add_object(object)?;
        }
        let mut got = Vec::with_capacity(info.num_defined_funcs() as usize);
        for (k, range) in parts.iter().enumerate() {
            let table = jit.lookup(&function_table(k))? as *const *mut u8;
            // SAFETY: object `k` defines its table with one linked address per function of
            // partition `k` (`compile_partition`); the partitions are recomputed from the same
            // module (the serialized form keeps the module's bytes with the code, checked
            // together) and their count was checked above.
            got.extend((0..range.len()).map(|i| AtomicPtr::new(unsafe { *table.add(i) })));
        }
        let got: Box<[AtomicPtr<u8>]> = got.into();
        let code_map = CodeMap::default();
        for object in &objects {
            for (f, len) in function_sizes(object)? {
                if let Some(start) = got.get(f.index()) {
                    code_map.insert(start.load(Ordering::Relaxed) as usize, len, f);
                }
            }
        }
        Ok(ObjectCode {
            level,
            got,
            objects,
            code_map,
            partition_nanos: Vec::new(),
            _jit: jit,
        })
    }

    /// Record each partition's compile time (this process compiled them), for the stats.
    pub(crate) fn with_partition_nanos(mut self, nanos: Vec<u64>) -> ObjectCode {
        self.partition_nanos = nanos;
        self
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
            compile_nanos: self.partition_nanos.iter().sum(),
            partitions: self.partition_nanos.len() as u32,
            largest_partition_nanos: self.partition_nanos.iter().copied().max().unwrap_or(0),
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
        Ok(header::write(self.level, &self.objects))
    }
}

/// The backend's part of a serialized module: what the object was made for, then the object.
pub(crate) mod header {
    use inkwell::targets::TargetMachine;
    use lazuli_backend_api::{CompileError, OptLevel};

    const MAGIC: &[u8; 8] = b"LZLLVMob";
    /// 2: one object per partition, each with its length. 3: wasm functions use `tailcc`
    /// (callee-popped stack arguments). Every version starts with the magic, the version and
    /// the host fields, in this layout.
    const VERSION: u32 = 3;

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

    pub(crate) fn write(level: OptLevel, objects: &[Vec<u8>]) -> Vec<u8> {
        let size: usize = objects.iter().map(|o| o.len() + 8).sum();
        let mut out = Vec::with_capacity(size + 256);
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
        out.extend_from_slice(&(objects.len() as u32).to_le_bytes());
        for object in objects {
            out.extend_from_slice(&(object.len() as u64).to_le_bytes());
            out.extend_from_slice(object);
        }
        out
    }

    /// Check the header against this host and return the opt level and the objects.
    pub(crate) fn read(bytes: &[u8]) -> Result<(OptLevel, Vec<&[u8]>), CompileError> {
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
        // The host fields come first in every format version, so code made elsewhere is named
        // for what it was made with (another LLVM, say) rather than for its format.
        for (name, here) in FIELDS.iter().zip(host()) {
            let len = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
            let there = String::from_utf8_lossy(take(len)?).into_owned();
            if there != here {
                return Err(CompileError::new(format!(
                    "code was made for {name} `{there}`, this host has `{here}`"
                )));
            }
        }
        if version != VERSION {
            return Err(CompileError::new(format!(
                "code format version {version}, this build reads version {VERSION}"
            )));
        }
        let level = match take(1)?[0] {
            0 => OptLevel::Baseline,
            1 => OptLevel::Optimized,
            n => return Err(CompileError::new(format!("unknown optimization level {n}"))),
        };
        let count = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
        let mut objects = Vec::new();
        for _ in 0..count {
            let len = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes"));
            let len = usize::try_from(len).map_err(|_| truncated())?;
            objects.push(take(len)?);
        }
        if !rest.is_empty() {
            return Err(CompileError::new(format!(
                "{} bytes follow the last object",
                rest.len()
            )));
        }
        Ok((level, objects))
    }
}

//! Eager mode: the functions of a module split into partitions of similar size, each lowered
//! into its own LLVM module, optimized and emitted as a relocatable object for the host, on as
//! many threads as the backend has (its workers plus the caller), then linked into one
//! position-independent image ([`crate::image`]). The image (behind a header naming the LLVM
//! version, target and CPU it was made for) is the serialized form of the code; loading it
//! copies or maps it and patches its import slots, with no linking.
//!
//! Partitions are cut by wasm body size alone, never by thread count, and each is compiled on
//! its own, so the same module and configuration give the same bytes on any machine of the
//! same kind, with any number of threads. Wasm calls go through the GOT, so partitioning costs
//! no optimization (no call is inlined either way), and a partition bounds the memory LLVM
//! needs at once.

use std::sync::atomic::{AtomicPtr, Ordering};

use inkwell::context::Context;
use inkwell::targets::{CodeModel, FileType};
use lazuli_backend_api::{
    CodeFlags, CodePtr, CompileError, CompileStats, CompiledCode, DefinedFuncIndex, MappedFile,
    ModuleInfo, OptLevel,
};

use crate::image::{Image, Span};
use crate::jit::host_target_machine;
use crate::loaded_image::{LoadedImage, Patches};
use crate::lower::{lower_function, FunctionInputs};
use lazuli_backend_api::branch_profile::BranchProfile;

/// Wasm body bytes per partition, at most.
const PARTITION_BYTES: usize = 64 << 10;

/// Stack of each compiling thread: LLVM's passes recurse on large functions.
const COMPILER_STACK: usize = 128 << 20;

/// Threads for eager compilation with `tasks`' workers: the workers and the calling thread.
pub(crate) fn compile_threads(tasks: Option<&dyn lazuli_backend_api::TaskRunner>) -> usize {
    1 + tasks.map_or(0, |t| t.workers())
}

/// The partitions of `info`'s defined functions: consecutive index ranges, as many as it
/// takes to hold at most about [`PARTITION_BYTES`] of wasm each, and of equal size as far as
/// whole functions allow: the total is cut into that many equal shares, and a partition closes
/// with the function that reaches the end of the next share (a function larger than a share
/// covers several). So no partition is a small remainder beside full ones.
pub(crate) fn partitions(info: &ModuleInfo) -> Vec<std::ops::Range<u32>> {
    let functions = info.bodies.len() as u32;
    let total: usize = info.bodies.iter().map(|b| b.range.len()).sum();
    let shares = total.div_ceil(PARTITION_BYTES).max(1);
    let mut parts = Vec::with_capacity(shares);
    let (mut start, mut bytes, mut next_share) = (0u32, 0usize, 1usize);
    for (i, body) in (0u32..).zip(&info.bodies) {
        bytes += body.range.len();
        if next_share < shares && bytes * shares >= total * next_share {
            parts.push(start..i + 1);
            start = i + 1;
            next_share = bytes * shares / total + 1;
        }
    }
    if start < functions || parts.is_empty() {
        parts.push(start..functions);
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
/// `threads` threads (the caller's included), with `profile`'s branch counts as weights.
/// `progress` is told how many functions are compiled, out of how many, on the calling thread.
pub(crate) fn compile_objects(
    info: &ModuleInfo,
    level: OptLevel,
    code: CodeFlags,
    profile: Option<&dyn BranchProfile>,
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
                let object = compile_partition(info, level, code, profile, k, range.clone());
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

/// Lower, optimize and emit the functions in `range` as one object.
fn compile_partition(
    info: &ModuleInfo,
    level: OptLevel,
    code: CodeFlags,
    profile: Option<&dyn BranchProfile>,
    k: usize,
    range: std::ops::Range<u32>,
) -> Result<Vec<u8>, CompileError> {
    let tm = host_target_machine(level, CodeModel::Small)?;
    let ctx = Context::create();
    let module = ctx.create_module(&format!("lazuli_eager_{k}"));
    module.set_triple(&tm.get_triple());
    module.set_data_layout(&tm.get_target_data().get_data_layout());
    for i in range {
        let index = DefinedFuncIndex(i);
        let inputs = FunctionInputs {
            profile: None,
            code,
            branch_counts: profile.and_then(|p| p.function_counts(index)),
            osr_loop: None,
        };
        lower_function(&ctx, &module, info, index, inputs)?;
    }
    crate::optimize(&module, level)?;
    let buffer = tm
        .write_to_memory_buffer(&module, FileType::Object)
        .map_err(|e| CompileError::new(format!("LLVM could not emit an object: {e}")))?;
    Ok(buffer.as_slice().to_vec())
}

/// Compile `info`'s functions (as [`compile_objects`] does) and link them into one image.
pub(crate) fn compile_image(
    info: &ModuleInfo,
    level: OptLevel,
    code: CodeFlags,
    profile: Option<&dyn BranchProfile>,
    threads: usize,
    progress: &dyn Fn(u32, u32),
) -> Result<(Image, Vec<u64>), CompileError> {
    let compiled = compile_objects(info, level, code, profile, threads, progress)?;
    let image = crate::image::link(&compiled.objects, info.num_defined_funcs())?;
    Ok((image, compiled.nanos))
}

/// A module's code, loaded from an image: every function compiled.
pub(crate) struct ImageCode {
    level: OptLevel,
    got: Box<[AtomicPtr<u8>]>,
    /// Each function's place in the image (in increasing order of offset, as linked), and
    /// what loading patched.
    functions: Vec<Span>,
    imports: Vec<(String, u32)>,
    relative: Vec<u32>,
    /// Each partition's compile time, when this process compiled them (empty when loaded).
    partition_nanos: Vec<u64>,
    /// Owns the code the GOT points to.
    image: LoadedImage,
}

/// Where an image comes from.
pub(crate) enum ImageSource<'a> {
    /// Bytes to copy into executable memory.
    Bytes(&'a [u8]),
    /// A range of a mapped file, run where it lies.
    File(std::sync::Arc<MappedFile>, std::ops::Range<usize>),
}

impl ImageCode {
    /// Load the image described by `layout` from `source` for `info`.
    pub(crate) fn load(
        info: &ModuleInfo,
        level: OptLevel,
        layout: header::Layout,
        source: ImageSource<'_>,
    ) -> Result<ImageCode, CompileError> {
        let header::Layout {
            code_len,
            functions,
            imports,
            relative,
        } = layout;
        if functions.len() != info.num_defined_funcs() as usize {
            return Err(CompileError::new(format!(
                "the code has {} functions where the module defines {}",
                functions.len(),
                info.num_defined_funcs()
            )));
        }
        if let Some(f) = functions
            .iter()
            .position(|s| s.offset as usize + s.len as usize > code_len)
        {
            return Err(CompileError::new(format!(
                "function {f}'s code lies outside the image's code"
            )));
        }
        if functions.windows(2).any(|w| w[0].offset > w[1].offset) {
            return Err(CompileError::new(
                "the functions are not in the image's order",
            ));
        }
        let patches = Patches {
            imports: &imports,
            relative: &relative,
        };
        let image = match source {
            ImageSource::Bytes(bytes) => LoadedImage::copy(bytes, code_len, &patches)?,
            ImageSource::File(file, range) => {
                LoadedImage::in_place(file, range, code_len, &patches)?
            }
        };
        let base = image.base() as usize;
        for (f, span) in functions.iter().enumerate() {
            let tier = match level {
                OptLevel::Optimized => "LLVM O2, image",
                OptLevel::Baseline => "LLVM O0, image",
            };
            let (start, len) = (base + span.offset as usize, span.len as usize);
            lazuli_jit::perf_map::record(start, len, info, DefinedFuncIndex(f as u32), tier);
        }
        let got: Box<[AtomicPtr<u8>]> = functions
            .iter()
            .map(|span| AtomicPtr::new((base + span.offset as usize) as *mut u8))
            .collect();
        Ok(ImageCode {
            level,
            got,
            functions,
            imports,
            relative,
            partition_nanos: Vec::new(),
            image,
        })
    }

    /// Load a freshly linked `image` (see [`ImageCode::load`]).
    pub(crate) fn load_linked(
        info: &ModuleInfo,
        level: OptLevel,
        image: Image,
    ) -> Result<ImageCode, CompileError> {
        let Image {
            bytes,
            code_len,
            functions,
            imports,
            relative,
        } = image;
        let layout = header::Layout {
            code_len,
            functions,
            imports,
            relative,
        };
        ImageCode::load(info, level, layout, ImageSource::Bytes(&bytes))
    }

    /// Record each partition's compile time (this process compiled them), for the stats.
    pub(crate) fn with_partition_nanos(mut self, nanos: Vec<u64>) -> ImageCode {
        self.partition_nanos = nanos;
        self
    }
}

impl CompiledCode for ImageCode {
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
        let offset = pc.checked_sub(self.image.base() as usize)?;
        // The last function starting at or before `offset`.
        let i = self
            .functions
            .partition_point(|s| s.offset as usize <= offset)
            .checked_sub(1)?;
        let span = self.functions[i];
        (offset < span.offset as usize + span.len as usize).then_some(DefinedFuncIndex(i as u32))
    }

    fn serialize(&self) -> Result<Vec<u8>, CompileError> {
        let patches = Patches {
            imports: &self.imports,
            relative: &self.relative,
        };
        let image = Image {
            bytes: self.image.unpatched(&patches),
            code_len: self.image.code_len(),
            functions: self.functions.clone(),
            imports: self.imports.clone(),
            relative: self.relative.clone(),
        };
        Ok(header::write(self.level, &image))
    }
}

/// The backend's part of a serialized module: what the code was made for, the image's layout,
/// then the image, starting on a page boundary of the serialized bytes (which the runtime
/// places on a page boundary of its file, so that the image can be mapped where it lies):
///
/// ```text
/// magic "LZLLVMob", version u32, LLVM version, triple, CPU, CPU features (u32 length + UTF-8)
/// optimization level u8
/// functions u32, then per function: offset u32, length u32
/// imports u32, then per import: u8 length + name, slot offset u32
/// relative words u32, then per word: offset u32
/// code length u64, image length u64
/// zeros up to the next multiple of 4096 bytes, then the image
/// ```
pub(crate) mod header {
    use inkwell::targets::TargetMachine;
    use lazuli_backend_api::{ByteReader, CompileError, OptLevel};

    use crate::image::{Image, Span, PAGE};

    /// An image's layout as its header records it.
    pub(crate) struct Layout {
        /// How many leading bytes of the image are code.
        pub code_len: usize,
        /// Each defined function's place.
        pub functions: Vec<Span>,
        /// Each import's name and slot.
        pub imports: Vec<(String, u32)>,
        /// Offsets of relative words.
        pub relative: Vec<u32>,
    }

    const MAGIC: &[u8; 8] = b"LZLLVMob";
    /// 2: one object per partition, each with its length. 3: wasm functions use `tailcc`
    /// (callee-popped stack arguments). 4: one linked, page-aligned image instead of objects.
    /// Every version starts with the magic, the version and the host fields, in this layout.
    const VERSION: u32 = 4;

    /// LLVM's version, as `major.minor.patch`.
    fn llvm_version() -> String {
        let (mut major, mut minor, mut patch) = (0, 0, 0);
        // SAFETY: writes three integers.
        unsafe { llvm_sys::core::LLVMGetVersion(&mut major, &mut minor, &mut patch) };
        format!("{major}.{minor}.{patch}")
    }

    /// What code is made for on this host: LLVM version, triple, CPU and its features. Asked
    /// of LLVM once per process (reading the CPU's features costs more than the rest of a
    /// small module's load).
    fn host() -> &'static [String; 4] {
        static HOST: std::sync::OnceLock<[String; 4]> = std::sync::OnceLock::new();
        HOST.get_or_init(|| {
            [
                llvm_version(),
                TargetMachine::get_default_triple()
                    .as_str()
                    .to_string_lossy()
                    .into_owned(),
                TargetMachine::get_host_cpu_name().to_string(),
                TargetMachine::get_host_cpu_features().to_string(),
            ]
        })
    }

    const FIELDS: [&str; 4] = ["LLVM version", "target triple", "CPU", "CPU features"];

    /// The host's CPU, as code is made for it and the header records it.
    pub(crate) fn host_cpu() -> &'static str {
        &host()[2]
    }

    /// The host CPU's features (`+sse4.2,-avx512f,...`), as code is made for them and the
    /// header records them.
    pub(crate) fn host_cpu_features() -> &'static str {
        &host()[3]
    }

    pub(crate) fn host_description() -> String {
        host().join(" ")
    }

    /// Start a serialized form: `magic`, its format `version` and the host fields.
    pub(crate) fn write_prologue(out: &mut Vec<u8>, magic: &[u8; 8], version: u32) {
        out.extend_from_slice(magic);
        out.extend_from_slice(&version.to_le_bytes());
        for field in host().iter() {
            out.extend_from_slice(&(field.len() as u32).to_le_bytes());
            out.extend_from_slice(field.as_bytes());
        }
    }

    pub(crate) fn write(level: OptLevel, image: &Image) -> Vec<u8> {
        let mut out = Vec::with_capacity(image.bytes.len() + 2 * PAGE);
        write_prologue(&mut out, MAGIC, VERSION);
        out.push(match level {
            OptLevel::Baseline => 0,
            OptLevel::Optimized => 1,
        });
        let u32s = |out: &mut Vec<u8>, values: &mut dyn Iterator<Item = u32>| {
            for v in values {
                out.extend_from_slice(&v.to_le_bytes());
            }
        };
        out.extend_from_slice(&(image.functions.len() as u32).to_le_bytes());
        u32s(
            &mut out,
            &mut image.functions.iter().flat_map(|f| [f.offset, f.len]),
        );
        out.extend_from_slice(&(image.imports.len() as u32).to_le_bytes());
        for (name, slot) in &image.imports {
            // Import names come from a fixed list of short names (`image::IMPORTABLE`).
            out.push(name.len() as u8);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&slot.to_le_bytes());
        }
        out.extend_from_slice(&(image.relative.len() as u32).to_le_bytes());
        u32s(&mut out, &mut image.relative.iter().copied());
        out.extend_from_slice(&(image.code_len as u64).to_le_bytes());
        out.extend_from_slice(&(image.bytes.len() as u64).to_le_bytes());
        out.resize(out.len().next_multiple_of(PAGE), 0);
        out.extend_from_slice(&image.bytes);
        out
    }

    /// Check what the code was made for (magic, host fields, format version) against this
    /// host, and return a reader at the fields that follow.
    fn check(bytes: &[u8]) -> Result<ByteReader<'_>, CompileError> {
        check_prologue(bytes, MAGIC, VERSION)
    }

    /// Check a serialized form's `magic`, host fields and format `version` (written by
    /// [`write_prologue`]) against this host, and return a reader at the fields that follow.
    pub(crate) fn check_prologue<'a>(
        bytes: &'a [u8],
        magic: &[u8; 8],
        current: u32,
    ) -> Result<ByteReader<'a>, CompileError> {
        if bytes.starts_with(b"LZTIERS") {
            return Err(CompileError::new(
                "an image with both tiers (single-pass and LLVM code): it loads with the tiered \
                 backend only",
            ));
        }
        if !bytes.starts_with(magic) {
            return Err(CompileError::new("not code made by Lazuli's LLVM backend"));
        }
        let mut r = ByteReader::new(bytes);
        r.take(magic.len())?;
        let version = r.u32()?;
        // The host fields come first in every format version, so code made elsewhere is named
        // for what it was made with (another LLVM, say) rather than for its format.
        for (name, here) in FIELDS.iter().zip(host().iter()) {
            let len = r.u32()? as usize;
            let there = r.take(len)?;
            if there != here.as_bytes() {
                let there = String::from_utf8_lossy(there);
                return Err(CompileError::new(format!(
                    "code was made for {name} `{there}`, this host has `{here}`"
                )));
            }
        }
        if version != current {
            return Err(CompileError::new(format!(
                "code format version {version}, this build reads version {current}"
            )));
        }
        Ok(r)
    }

    /// Check that `bytes` were made for this host in this format, reading nothing more.
    pub(crate) fn check_host(bytes: &[u8]) -> Result<(), CompileError> {
        check(bytes).map(drop)
    }

    /// Check the header against this host and return the opt level, the image's layout and
    /// where the image lies in `bytes`.
    pub(crate) fn read(
        bytes: &[u8],
    ) -> Result<(OptLevel, Layout, std::ops::Range<usize>), CompileError> {
        let mut r = check(bytes)?;
        let level = match r.u8()? {
            0 => OptLevel::Baseline,
            1 => OptLevel::Optimized,
            n => return Err(CompileError::new(format!("unknown optimization level {n}"))),
        };
        let count = r.count(8)?;
        let word = |bytes: &[u8]| u32::from_le_bytes(bytes.try_into().expect("4 bytes"));
        let functions = r
            .take(count * 8)?
            .chunks_exact(8)
            .map(|span| Span {
                offset: word(&span[..4]),
                len: word(&span[4..]),
            })
            .collect::<Vec<_>>();
        let count = r.count(5)?;
        let mut imports = Vec::with_capacity(count);
        for _ in 0..count {
            let len = r.u8()? as usize;
            let name = std::str::from_utf8(r.take(len)?)
                .map_err(|_| CompileError::new("an import's name is not UTF-8"))?
                .to_string();
            imports.push((name, r.u32()?));
        }
        let count = r.count(4)?;
        let relative = r.take(count * 4)?.chunks_exact(4).map(word).collect();
        let code_len = r.u64()?;
        let image_len = r.u64()?;
        let start = r.position().next_multiple_of(PAGE);
        let end = usize::try_from(image_len)
            .ok()
            .and_then(|len| start.checked_add(len))
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| CompileError::new("serialized code is truncated"))?;
        if end < bytes.len() {
            return Err(CompileError::new(format!(
                "{} bytes follow the image",
                bytes.len() - end
            )));
        }
        let code_len = usize::try_from(code_len)
            .ok()
            .filter(|&c| c % PAGE == 0 && c <= end - start)
            .ok_or_else(|| {
                CompileError::new("the image's code length is not whole pages within it")
            })?;
        let layout = Layout {
            code_len,
            functions,
            imports,
            relative,
        };
        Ok((level, layout, start..end))
    }
}

//! Precompiled images with both tiers (`lazuli compile`, [`Module::serialize`] of tiered code):
//! the optimizing tier's code for the functions that pay for it, single-pass code for the rest.
//!
//! Compiling eagerly, the optimizing tier compiles the functions a profile names (hotness at or
//! past the tier-up threshold) or, without one, a static estimate: the functions with a loop.
//! Every other function gets single-pass code. An image holds the single-pass code with its
//! relocations ([`crate::lower::relocation`]) and the optimizing tier's saved objects
//! ([`CompiledCode::serialize_optimized`]). Loading places the single-pass code (its counters
//! made, its relocations bound) and links the objects: nothing is compiled, and the
//! single-pass functions count and tier up at run time as lazily compiled ones do.
//!
//! ```text
//! magic "LZTIERS\x01"     8 bytes
//! requirements            u8: bit 0, the code uses SSE4.2 (pcmpgtq)
//! tier-up threshold       u32 (0: the single-pass code does not count)
//! code flags              u8 epoch interruption, u8 memory guard present, u64 guard bytes
//! functions               u32, then per defined function u8 form:
//!   0 optimized           (its object is in the saved objects)
//!   1 single-pass         slots u32, loop slots u32 + u32 each,
//!                         relocations u32 + (end u32, kind u8, argument u32) each,
//!                         code u32 length + bytes
//! saved objects           u32 length + the optimizing tier's saved code (length 0: none)
//! bodies                  per defined function, u32 length + its wasm body (empty for an
//!                         optimized one): a serialized module keeps none, and single-pass
//!                         functions need theirs to tier up
//! ```
//!
//! [`Module::serialize`]: https://docs.rs/lazuli-core
//! [`CompiledCode::serialize_optimized`]: lazuli_backend_api::CompiledCode::serialize_optimized

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use lazuli_backend_api::branch_profile::BranchProfile;
use lazuli_backend_api::{
    ByteReader, CodeFlags, CompileError, CompileOptions, CompiledCode, DefinedFuncIndex,
    ModuleInfo, OptLevel, Strategy,
};
use lazuli_jit::lazy::Lazy;
use wasmparser::Operator;

use crate::lazy::{place, LazyCode, Optimizer, Shared};
use crate::lower::relocation::{Relocation, Target};
use crate::lower::{lower_function, FunctionCode, FunctionSettings, Profile};

const MAGIC: &[u8; 8] = b"LZTIERS\x01";
/// Requirement bit: the single-pass code uses SSE4.2.
const NEEDS_SSE42: u8 = 1;

/// Whether `bytes` are an image with both tiers.
pub(crate) fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Whether this host runs SSE4.2 code (which single-pass code uses where the host has it).
fn host_has_sse42() -> bool {
    std::arch::is_x86_feature_detected!("sse4.2")
}

/// Compile `info` eagerly in both tiers: the optimizing tier for the functions that pay (see
/// the module documentation) on `threads` threads, then single-pass code for every other one.
pub(crate) fn compile(
    info: Arc<ModuleInfo>,
    opts: &CompileOptions,
    optimizer: Optimizer,
    threads: usize,
    progress: &dyn Fn(u32, u32),
) -> Result<LazyCode, CompileError> {
    let threshold = optimizer.threshold;
    let code = LazyCode::new(info.clone(), opts, Some(optimizer))?;
    let shared = &code.shared;
    let chosen = optimized_set(&info, opts.profile.as_deref(), threshold)?;
    let total = info.bodies.len() as u32;
    let done = AtomicUsize::new(0);
    let next = AtomicUsize::new(0);
    // Optimize the next function not yet taken; how many are done, or `None` when none is left.
    let optimize_next = || -> Result<Option<usize>, CompileError> {
        let Some(&f) = chosen.get(next.fetch_add(1, Ordering::Relaxed)) else {
            return Ok(None);
        };
        let code = shared.compile_optimized(f)?;
        shared.preset(f.0, code);
        Ok(Some(done.fetch_add(1, Ordering::Relaxed) + 1))
    };
    std::thread::scope(|scope| -> Result<(), CompileError> {
        let helpers: Vec<_> = (1..threads.max(1))
            .map(|_| {
                scope.spawn(|| -> Result<(), CompileError> {
                    while optimize_next()?.is_some() {}
                    Ok(())
                })
            })
            .collect();
        // This thread optimizes too, and reports progress between its functions.
        while let Some(done) = optimize_next()? {
            progress(done as u32, total);
        }
        for helper in helpers {
            helper
                .join()
                .map_err(|_| CompileError::new("an optimizing thread panicked"))??;
        }
        Ok(())
    })?;
    // Single-pass code for the rest (those optimized already resolve to their code).
    for f in 0..total {
        shared.resolve(f)?;
        if f % 256 == 255 {
            progress((f + 1).max(chosen.len() as u32), total);
        }
    }
    progress(total, total);
    Ok(code)
}

/// The functions the optimizing tier compiles in an image: those `profile` finds hot (at or
/// past `threshold`, or 1 if that is 0), or without a profile those with a loop.
fn optimized_set(
    info: &ModuleInfo,
    profile: Option<&dyn BranchProfile>,
    threshold: u32,
) -> Result<Vec<DefinedFuncIndex>, CompileError> {
    let mut chosen = Vec::new();
    for f in (0..info.bodies.len() as u32).map(DefinedFuncIndex) {
        let hot = match profile {
            Some(p) => p.hotness(f).is_some_and(|h| h >= threshold.max(1)),
            None => has_loop(info.body_bytes(f))?,
        };
        if hot {
            chosen.push(f);
        }
    }
    Ok(chosen)
}

/// Whether a function body has a `loop`.
fn has_loop(body: &[u8]) -> Result<bool, CompileError> {
    let body = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(body, 0));
    let mut ops = body
        .get_operators_reader()
        .map_err(crate::lower::read_error)?;
    while !ops.eof() {
        if let Operator::Loop { .. } = ops.read().map_err(crate::lower::read_error)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The image of `shared`'s code: the optimizing tier's saved objects for the functions that
/// have optimized code, single-pass code (lowered again, unbound) for every other one.
pub(crate) fn write(shared: &Arc<Lazy<Shared>>) -> Result<Vec<u8>, CompileError> {
    let info = shared.info().clone();
    let threshold = shared.threshold();
    let settings = FunctionSettings {
        profile: (threshold > 0).then_some(Profile { threshold }),
        code: shared.code_flags(),
    };
    let mut single_pass: Vec<Option<FunctionCode>> = Vec::with_capacity(info.bodies.len());
    for f in (0..info.bodies.len() as u32).map(DefinedFuncIndex) {
        if shared.tier_up().optimized(f.index()).is_some() {
            single_pass.push(None);
            continue;
        }
        match lower_function(&info, f, settings) {
            Ok(code) => single_pass.push(Some(code)),
            // What the single-pass tier cannot compile is saved optimized.
            Err(_) => {
                shared.compile_optimized(f)?;
                single_pass.push(None);
            }
        }
    }
    let objects = if single_pass.iter().any(Option::is_none) {
        shared.optimizer_code()?.serialize_optimized()?
    } else {
        Vec::new()
    };
    let flags = shared.code_flags();
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.push(if host_has_sse42() { NEEDS_SSE42 } else { 0 });
    out.extend_from_slice(&threshold.to_le_bytes());
    out.push(flags.epoch_interruption as u8);
    out.push(flags.memory_guard_bytes.is_some() as u8);
    out.extend_from_slice(&flags.memory_guard_bytes.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(&(single_pass.len() as u32).to_le_bytes());
    let u32s = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    for code in &single_pass {
        let Some(code) = code else {
            out.push(0);
            continue;
        };
        out.push(1);
        u32s(&mut out, code.slots);
        u32s(&mut out, code.loops.len() as u32);
        for l in &code.loops {
            u32s(&mut out, *l);
        }
        u32s(&mut out, code.relocations.len() as u32);
        for r in &code.relocations {
            let (kind, argument) = r.target.encode();
            u32s(&mut out, r.end);
            out.push(kind);
            u32s(&mut out, argument);
        }
        u32s(&mut out, code.code.len() as u32);
        out.extend_from_slice(&code.code);
    }
    u32s(&mut out, objects.len() as u32);
    out.extend_from_slice(&objects);
    for (f, code) in single_pass.iter().enumerate() {
        let body = match code {
            Some(_) => info.body_bytes(DefinedFuncIndex(f as u32)),
            None => &[],
        };
        u32s(&mut out, body.len() as u32);
        out.extend_from_slice(body);
    }
    Ok(out)
}

/// Check an image's requirements against this host, reading nothing else.
pub(crate) fn check(bytes: &[u8]) -> Result<(), CompileError> {
    let mut r = ByteReader::new(bytes);
    if r.take(MAGIC.len())? != MAGIC {
        return Err(CompileError::new("not an image with both tiers"));
    }
    let needs = r.u8()?;
    if needs & !NEEDS_SSE42 != 0 {
        return Err(CompileError::new(format!(
            "the image needs CPU features this build does not know ({needs:#x})"
        )));
    }
    if needs & NEEDS_SSE42 != 0 && !host_has_sse42() {
        return Err(CompileError::new(
            "the image's single-pass code uses SSE4.2, which this host lacks",
        ));
    }
    Ok(())
}

/// Load an image of `info`'s code made by [`write`], with `optimizer` for tier-up: its
/// threshold is the image's when the optimizer has workers, else 0.
pub(crate) fn load(
    info: Arc<ModuleInfo>,
    bytes: &[u8],
    mut optimizer: Optimizer,
    workers: usize,
) -> Result<LazyCode, CompileError> {
    check(bytes)?;
    let mut r = ByteReader::new(&bytes[MAGIC.len() + 1..]);
    let threshold = r.u32()?;
    let epoch_interruption = r.u8()? != 0;
    let guarded = r.u8()? != 0;
    let guard = r.u64()?;
    let code = CodeFlags {
        epoch_interruption,
        memory_guard_bytes: guarded.then_some(guard),
    };
    let count = r.count(1)?;
    if count != info.bodies.len() {
        return Err(CompileError::new(format!(
            "the image has {count} functions where the module defines {}",
            info.bodies.len()
        )));
    }
    let mut functions = Vec::with_capacity(count);
    for _ in 0..count {
        functions.push(match r.u8()? {
            0 => None,
            1 => Some(read_function(&mut r)?),
            form => return Err(CompileError::new(format!("unknown function form {form}"))),
        });
    }
    let objects_len = r.u32()? as usize;
    let objects = r.take(objects_len)?;
    let info = with_bodies(&info, &mut r)?;
    if !r.at_end() {
        return Err(CompileError::new("bytes follow the image"));
    }
    optimizer.threshold = if workers > 0 { threshold } else { 0 };
    let opts = CompileOptions {
        strategy: Strategy::Lazy,
        opt_level: OptLevel::Baseline,
        tier_up_threshold: threshold,
        code,
        profile: None,
    };
    let lazy_code = LazyCode::new(info, &opts, Some(optimizer))?;
    if !objects.is_empty() {
        // SAFETY: `bytes` come from a source the caller trusts with native code (the
        // deserialize contract); the objects' framing and host are checked as they load.
        unsafe { lazy_code.load_optimized(objects)? };
    }
    let shared = &lazy_code.shared;
    for (f, code) in functions.into_iter().enumerate() {
        let index = DefinedFuncIndex(f as u32);
        match code {
            // A function has at most a slot per operator and its entry.
            Some(code) if code.slots as usize > shared.info().body_bytes(index).len() + 1 => {
                return Err(CompileError::new(format!(
                    "function {f} claims {} branch counters, more than its body can have",
                    code.slots
                )))
            }
            Some(code) => {
                let address = place(shared, index, code)?;
                shared.preset(index.0, address);
            }
            None if shared.tier_up().optimized(f).is_some() => {}
            None => {
                return Err(CompileError::new(format!(
                    "the image has no code for function {f}"
                )))
            }
        }
    }
    Ok(lazy_code)
}

/// The tiers' copy of `info` with the function bodies the image carries: its bytes are the
/// bodies one after another (the data segments' ranges, which the tiers never read, are
/// emptied).
fn with_bodies(info: &ModuleInfo, r: &mut ByteReader<'_>) -> Result<Arc<ModuleInfo>, CompileError> {
    let mut own = info.clone();
    let mut bytes = Vec::new();
    for body in own.bodies.iter_mut() {
        let len = r.u32()? as usize;
        let start = bytes.len();
        bytes.extend_from_slice(r.take(len)?);
        body.range = start..bytes.len();
    }
    for segment in own.data.iter_mut() {
        segment.range = 0..0;
    }
    own.bytes = Arc::<[u8]>::from(bytes).into();
    Ok(Arc::new(own))
}

/// One function's single-pass code and what binding it needs.
fn read_function(r: &mut ByteReader<'_>) -> Result<FunctionCode, CompileError> {
    let slots = r.u32()?;
    let loop_count = r.count(4)?;
    let loops = (0..loop_count)
        .map(|_| r.u32())
        .collect::<Result<Vec<u32>, _>>()?;
    if loops.iter().any(|&l| l >= slots) {
        return Err(CompileError::new(
            "a loop counter lies outside its function's counters",
        ));
    }
    let relocation_count = r.count(9)?;
    let mut relocations = Vec::with_capacity(relocation_count);
    for _ in 0..relocation_count {
        let end = r.u32()?;
        let (kind, argument) = (r.u8()?, r.u32()?);
        let target = Target::decode(kind, argument)
            .ok_or_else(|| CompileError::new(format!("unknown relocation kind {kind}")))?;
        relocations.push(Relocation { end, target });
    }
    let len = r.u32()? as usize;
    let code = r.take(len)?.to_vec();
    // Binding checks each relocation against the code and the counters.
    Ok(FunctionCode {
        code,
        slots,
        loops,
        relocations,
    })
}

//! Optimized code kept for a later process ([`CompiledCode::serialize_optimized`]): the object
//! of each function the optimizing tier compiled, with the function's index, behind the host
//! prologue of serialized code ([`crate::eager::header`]). Loading links the objects into one
//! image ([`crate::image::link_some`]) that runs where it is loaded.
//!
//! ```text
//! magic "LZLLVMop", version u32, LLVM version, triple, CPU, CPU features (as eager code)
//! functions u32, then per function (by increasing index): defined index u32, object length
//! u32, the object
//! ```
//!
//! [`CompiledCode::serialize_optimized`]: lazuli_backend_api::CompiledCode::serialize_optimized

use std::collections::BTreeMap;
use std::sync::Arc;

use lazuli_backend_api::{CompileError, DefinedFuncIndex};

use crate::eager::header;
use crate::loaded_image::{LoadedImage, Patches};

const MAGIC: &[u8; 8] = b"LZLLVMop";
const VERSION: u32 = 1;

/// The objects of compiled functions, by defined index.
pub(crate) type Objects = BTreeMap<u32, Arc<[u8]>>;

/// `objects` as bytes for [`load`].
pub(crate) fn write(objects: &Objects) -> Vec<u8> {
    let size: usize = objects.values().map(|o| o.len() + 8).sum();
    let mut out = Vec::with_capacity(size + 256);
    header::write_prologue(&mut out, MAGIC, VERSION);
    out.extend_from_slice(&(objects.len() as u32).to_le_bytes());
    for (index, object) in objects {
        out.extend_from_slice(&index.to_le_bytes());
        out.extend_from_slice(&(object.len() as u32).to_le_bytes());
        out.extend_from_slice(object);
    }
    out
}

/// Saved functions loaded into executable memory.
pub(crate) struct SavedCode {
    /// Owns the code (and keeps it registered with the fault handler).
    pub _image: LoadedImage,
    /// Each function's index, code address and code length.
    pub functions: Vec<(DefinedFuncIndex, usize, usize)>,
    /// The objects, to be saved again with what the process compiles next.
    pub objects: Objects,
}

/// Check `bytes` (from [`write`], made on this host for a module of `function_count` defined
/// functions), link their objects and load the image.
pub(crate) fn load(bytes: &[u8], function_count: u32) -> Result<SavedCode, CompileError> {
    let mut r = header::check_prologue(bytes, MAGIC, VERSION)?;
    let count = r.count(8)?;
    let mut objects = Objects::new();
    for _ in 0..count {
        let index = r.u32()?;
        let len = r.u32()? as usize;
        let object = r.take(len)?;
        if index >= function_count {
            return Err(CompileError::new(format!(
                "saved code for function {index} of a module with {function_count}"
            )));
        }
        if objects
            .last_key_value()
            .is_some_and(|(last, _)| *last >= index)
        {
            return Err(CompileError::new(
                "saved functions are not in increasing order",
            ));
        }
        objects.insert(index, object.into());
    }
    if !r.at_end() {
        return Err(CompileError::new("bytes follow the saved code"));
    }
    let slices: Vec<&[u8]> = objects.values().map(|o| &o[..]).collect();
    let (image, spans) = crate::image::link_some(&slices, function_count)?;
    // Each object defines its own function and no other.
    let defined: Vec<u32> = (0..function_count)
        .filter(|i| spans[*i as usize].is_some())
        .collect();
    if !defined.iter().eq(objects.keys()) {
        return Err(CompileError::new(
            "the saved objects do not define the functions they are saved for",
        ));
    }
    let patches = Patches {
        imports: &image.imports,
        relative: &image.relative,
    };
    let loaded = LoadedImage::copy(&image.bytes, image.code_len, &patches)?;
    let base = loaded.base() as usize;
    let functions = spans
        .iter()
        .enumerate()
        .filter_map(|(i, span)| {
            span.map(|s| {
                let index = DefinedFuncIndex(i as u32);
                (index, base + s.offset as usize, s.len as usize)
            })
        })
        .collect();
    Ok(SavedCode {
        _image: loaded,
        functions,
        objects,
    })
}

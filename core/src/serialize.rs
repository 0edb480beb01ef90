//! The serialized form of a module (`Module::serialize` / `Module::deserialize`):
//!
//! ```text
//! magic "LAZULI\0\x1a"    8 bytes
//! format version          u32
//! Lazuli version          u32 length + UTF-8
//! backend name            u32 length + UTF-8
//! code-affecting config   u32 length + per setting a u8 name length, the name and a u64
//!                         (features, epoch interruption, memory guard; format 5)
//! description             u64 length + the module's `ModuleInfo` in postcard (format 7),
//!                         without the function bodies' ranges (format 9), an element
//!                         segment of functions as their indices (format 10)
//! data bytes              u64 length + the data segments' contents, one after another
//!                         (format 8; before, the whole wasm)
//! backend code            u64 length, zeros up to the next multiple of 4096 bytes from the
//!                         start, then the bytes (the backend's own header, then its code;
//!                         format 6)
//! checksum                u32, CRC-32 of everything before it
//! ```
//!
//! The description is what decoding the wasm made when the module was compiled, so loading
//! decodes nothing. Of the wasm bytes only the data segments' contents are kept, which
//! instantiation copies into memory: the description's data ranges point into them, and its
//! function bodies, compiled into the code, are not encoded (loading gives each an empty
//! range). The code is loaded by the backend, which checks its own header (target, CPU). The
//! code starts on a page boundary of the file, so that a backend can run a mapped file's code
//! where it lies (`Module::deserialize_file`).
//!
//! The description's encoding follows the layout of `ModuleInfo` and the types in it: a
//! change to them changes the format, and [`FORMAT_VERSION`] must change with it (a unit test
//! below pins the encoding of one module to catch that).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use lazuli_backend_api::{ModuleInfo, WasmBytes};

use crate::engine::Engine;
use crate::error::Error;

const MAGIC: &[u8; 8] = b"LAZULI\0\x1a";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 10;
/// The backend code's alignment in the serialized bytes: a page.
const CODE_ALIGN: usize = 4096;
const LAZULI_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Whether `bytes` start like a serialized module.
pub(crate) fn is_serialized(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// The settings of an engine that decide what code must do (which modules validate, whether
/// code checks the epoch, which bounds checks it skips), by name, each a number (0 or 1 for a
/// switch; the guard's bytes, or 0 for checked accesses). Settings that only change how good
/// the code is (the optimization level, tier-up) are not among them: a module compiled at any
/// level loads into any engine, and its code keeps the level it was compiled at.
fn code_settings(engine: &Engine) -> Vec<(&'static str, u64)> {
    let code = engine.code_flags();
    let mut settings: Vec<(&'static str, u64)> = engine
        .config()
        .features
        .list()
        .map(|(name, on)| (name, on as u64))
        .collect();
    settings.push(("epoch-interruption", code.epoch_interruption as u64));
    settings.push(("memory-guard-bytes", code.memory_guard_bytes.unwrap_or(0)));
    settings
}

/// The bytes of the engine's settings that affect what generated code must do: each setting's
/// name (a length byte, then the name) and value (8 bytes), in order.
fn config_bytes(engine: &Engine) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in code_settings(engine) {
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    out
}

/// The settings in `bytes` (from [`config_bytes`]), or `None` if they are malformed.
fn parse_settings(mut bytes: &[u8]) -> Option<Vec<(String, u64)>> {
    let mut settings = Vec::new();
    while let Some((&len, rest)) = bytes.split_first() {
        let len = len as usize;
        if rest.len() < len + 8 {
            return None;
        }
        let name = String::from_utf8_lossy(&rest[..len]).into_owned();
        let value = u64::from_le_bytes(rest[len..len + 8].try_into().expect("8 bytes"));
        settings.push((name, value));
        bytes = &rest[len + 8..];
    }
    Some(settings)
}

/// The settings that `bytes` (from [`config_bytes`]) and `here` disagree on, by name.
fn describe_difference(bytes: &[u8], here: &Engine) -> String {
    let show = |name: &str, value: u64| match (name, value) {
        ("memory-guard-bytes", 0) => String::from("0 (bounds checks on every access)"),
        ("memory-guard-bytes", bytes) => format!("{bytes}"),
        (_, 0) => String::from("off"),
        _ => String::from("on"),
    };
    let Some(there) = parse_settings(bytes) else {
        return String::from("the settings are malformed");
    };
    let here = code_settings(here);
    let mut differences = Vec::new();
    for (name, value_here) in &here {
        match there.iter().find(|(n, _)| n == name) {
            Some((_, value_there)) if value_there != value_here => differences.push(format!(
                "{name} {} there, {} here",
                show(name, *value_there),
                show(name, *value_here)
            )),
            Some(_) => {}
            None => differences.push(format!("{name} unknown there")),
        }
    }
    for (name, _) in &there {
        if !here.iter().any(|(n, _)| n == name) {
            differences.push(format!("{name} unknown here"));
        }
    }
    if differences.is_empty() {
        differences.push(String::from("the same settings in another order"));
    }
    differences.join(", ")
}

fn put(out: &mut Vec<u8>, field: &[u8], wide: bool) {
    if wide {
        out.extend_from_slice(&(field.len() as u64).to_le_bytes());
    } else {
        out.extend_from_slice(&(field.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(field);
}

/// What loading a compiled module needs of its wasm bytes: the data segments' contents, one
/// after another, and a copy of `info` whose data ranges point into them. (Its function
/// bodies, compiled into the code, are not encoded: see [`description`].)
fn data_only(info: &ModuleInfo) -> (ModuleInfo, Vec<u8>) {
    let mut kept = info.clone();
    let mut data = Vec::with_capacity(info.data.iter().map(|d| d.range.len()).sum());
    for segment in &mut kept.data {
        let start = data.len();
        data.extend_from_slice(&info.bytes[segment.range.clone()]);
        segment.range = start..data.len();
    }
    (kept, data)
}

/// Wrap a module's description, its data segments and its backend code.
pub(crate) fn write(
    engine: &Engine,
    backend: &str,
    info: &ModuleInfo,
    code: &[u8],
) -> Result<Vec<u8>, Error> {
    let (info, data) = data_only(info);
    let description = postcard::to_allocvec(&info).map_err(|e| {
        Error::Compile(lazuli_backend_api::CompileError::new(format!(
            "cannot encode the module's description: {e}"
        )))
    })?;
    let mut out = Vec::with_capacity(description.len() + data.len() + code.len() + 128);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    put(&mut out, LAZULI_VERSION.as_bytes(), false);
    put(&mut out, backend.as_bytes(), false);
    put(&mut out, &config_bytes(engine), false);
    put(&mut out, &description, true);
    put(&mut out, &data, true);
    out.extend_from_slice(&(code.len() as u64).to_le_bytes());
    out.resize(out.len().next_multiple_of(CODE_ALIGN), 0);
    out.extend_from_slice(code);
    let checksum = crc32fast::hash(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
    Ok(out)
}

/// The parts of a checked serialized module.
pub(crate) struct Parts<'a> {
    /// The module's description, encoded ([`description`] decodes it).
    pub description: &'a [u8],
    /// The data segments' contents, which the description's data ranges point into.
    pub data: &'a [u8],
    /// Where `data` starts in the serialized bytes.
    pub data_offset: usize,
    pub code: &'a [u8],
    /// Where `code` starts in the serialized bytes (a multiple of 4096).
    pub code_offset: usize,
}

fn bad(message: impl Into<String>) -> Error {
    Error::Deserialize(message.into())
}

/// Check a serialized module against this build and `engine`, and split it.
pub(crate) fn read<'a>(
    engine: &Engine,
    backend: &dyn crate::backend::CodeBackend,
    bytes: &'a [u8],
) -> Result<Parts<'a>, Error> {
    let name = backend.serialized_name();
    if bytes.starts_with(b"\0asm") {
        return Err(bad(
            "these are WebAssembly bytes, not a serialized Lazuli module: use Module::new",
        ));
    }
    if !bytes.starts_with(MAGIC) {
        return Err(bad("not a serialized Lazuli module (wrong magic)"));
    }
    if bytes.len() < MAGIC.len() + 8 {
        return Err(bad("serialized module is truncated"));
    }
    let (body, checksum) = bytes.split_at(bytes.len() - 4);
    let checksum = u32::from_le_bytes(checksum.try_into().expect("4 bytes"));
    if crc32fast::hash(body) != checksum {
        return Err(bad(
            "serialized module is damaged or truncated (checksum mismatch)",
        ));
    }
    let mut rest = &body[MAGIC.len()..];
    let mut take = |n: u64| -> Result<&'a [u8], Error> {
        let n = usize::try_from(n)
            .ok()
            .filter(|n| *n <= rest.len())
            .ok_or_else(|| bad("serialized module is truncated"))?;
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    let version = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(bad(format!(
            "serialized format version {version}; this build reads version {FORMAT_VERSION}"
        )));
    }
    let mut field = |wide: bool| -> Result<&'a [u8], Error> {
        let len = if wide {
            u64::from_le_bytes(take(8)?.try_into().expect("8 bytes"))
        } else {
            u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as u64
        };
        take(len)
    };
    let lazuli = field(false)?;
    if lazuli != LAZULI_VERSION.as_bytes() {
        return Err(bad(format!(
            "made by Lazuli {}, this is Lazuli {LAZULI_VERSION}",
            String::from_utf8_lossy(lazuli)
        )));
    }
    let made_by = field(false)?;
    if made_by != name.as_bytes() {
        return Err(bad(format!(
            "made by the `{}` backend, this engine uses `{name}`",
            String::from_utf8_lossy(made_by)
        )));
    }
    let made_with = field(false)?;
    let description = field(true)?;
    let data = field(true)?;
    let code_len = u64::from_le_bytes(take(8)?.try_into().expect("8 bytes"));
    // The padding after the length: up to a page boundary from the start.
    let after_length = data.as_ptr() as usize - bytes.as_ptr() as usize + data.len() + 8;
    let code_offset = after_length.next_multiple_of(CODE_ALIGN);
    take((code_offset - after_length) as u64)?;
    let code = take(code_len)?;
    // What the code was made for (another compiler, another CPU) comes before the settings:
    // it is the more fundamental difference.
    backend.check_serialized(code).map_err(|e| bad(e.message))?;
    let here = config_bytes(engine);
    if made_with != here.as_slice() {
        return Err(bad(format!(
            "compiled with another configuration than this engine's: {}",
            describe_difference(made_with, engine)
        )));
    }
    Ok(Parts {
        description,
        data,
        data_offset: data.as_ptr() as usize - bytes.as_ptr() as usize,
        code,
        code_offset,
    })
}

/// The module description of a checked serialized module, pointing into `data` (its data
/// segments' contents), with an empty body for each defined function (the encoding has none:
/// they were compiled into the code). The checksum guards the description as it guards the
/// code, which is trusted the same way; what is checked here is that it decodes, that every
/// byte range it holds lies in `data` and every index in its index space
/// ([`ModuleInfo::check_indices`]), so that a description from a build with another layout
/// of it, or one altered with its checksum recomputed, is refused rather than indexed out of
/// bounds.
pub(crate) fn description(encoded: &[u8], data: WasmBytes) -> Result<ModuleInfo, Error> {
    let mut info: ModuleInfo = postcard::from_bytes(encoded)
        .map_err(|e| bad(format!("the module's description does not decode: {e}")))?;
    let data_len = data.len();
    if !info
        .data
        .iter()
        .all(|d| d.range.start <= d.range.end && d.range.end <= data_len)
    {
        return Err(bad(
            "the module's description points outside its data bytes",
        ));
    }
    info.check_indices()
        .map_err(|e| bad(format!("the module's description is inconsistent: {e}")))?;
    let defined = info.functions.len() - info.num_imported_funcs as usize;
    info.bodies = alloc::vec![lazuli_backend_api::FunctionBody { range: 0..0 }; defined];
    info.bytes = data;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Features;
    use alloc::string::ToString;
    use lazuli_backend_api::{
        ConstExpr, DataMode, EntityIndex, FuncIndex, GlobalIndex, MemoryIndex, TypeIndex,
    };

    /// A module with something in every part of the description.
    const EVERYTHING: &str = r#"(module
        (type $sig (func (param i32 i64) (result f32)))
        (type $void (func))
        (import "env" "f" (func $imported (type $sig)))
        (import "env" "t" (table 1 funcref))
        (import "env" "m" (memory 1 2))
        (import "env" "g" (global $base i32))
        (import "env" "e" (tag $imported_tag (param i32)))
        (tag $tag (param i64))
        (table $refs 2 10 funcref)
        (table $typed 1 (ref null $void))
        (memory $second 0 1)
        (global $mutable (mut f64) (f64.const 1.5))
        (global $sum i32 (i32.add (global.get $base) (i32.const 4)))
        (global $vector v128 (v128.const i32x4 1 2 3 4))
        (global $ref funcref (ref.func $first))
        (func $first (type $void))
        (func $second (param i32) (result i32) (local i64) local.get 0)
        (start $first)
        (elem (table $refs) (i32.const 0) func $first $second)
        (elem funcref (ref.func $first) (ref.null func))
        (elem declare func $second)
        (data (memory 0) (i32.const 8) "active")
        (data "passive")
        (export "first" (func $first))
        (export "refs" (table $refs))
        (export "mutable" (global $mutable))
        (export "tag" (tag $tag)))"#;

    fn everything() -> ModuleInfo {
        let wasm = wat::parse_str(EVERYTHING).expect("the module parses");
        crate::translate::translate(wasm.into(), Features::default(), None)
            .expect("the module is valid")
    }

    /// All of the description reads back but the bodies' ranges, which are empty.
    #[test]
    fn a_description_reads_back_as_decoding_made_it() {
        let mut info = everything();
        let encoded = postcard::to_allocvec(&info).expect("encodes");
        let read = description(&encoded, info.bytes.clone()).expect("decodes");
        assert_eq!(read.bodies.len(), 2);
        for body in &mut info.bodies {
            body.range = 0..0;
        }
        assert_eq!(read, info);
        assert_eq!(read.func_name(crate::backend::FuncIndex(1)), Some("first"));
    }

    /// The description's encoding is part of the serialized format: when this fails, the
    /// layout of `ModuleInfo` or a type in it changed, and so must [`FORMAT_VERSION`]. Bump
    /// it, then put the new checksum here.
    #[test]
    fn the_description_encoding_is_pinned_to_the_format_version() {
        let encoded = postcard::to_allocvec(&everything()).expect("encodes");
        assert_eq!(
            (FORMAT_VERSION, crc32fast::hash(&encoded)),
            (10, 250462056),
            "the description's encoding changed: bump FORMAT_VERSION"
        );
    }

    /// A blob keeps the data segments' contents and no function bodies.
    #[test]
    fn only_the_data_segments_are_kept() {
        let info = everything();
        let (kept, data) = data_only(&info);
        assert_eq!(data, b"activepassive");
        for (kept, made) in kept.data.iter().zip(&info.data) {
            assert_eq!(data[kept.range.clone()], info.bytes[made.range.clone()]);
            assert_eq!(kept.mode, made.mode);
        }
        let encoded = postcard::to_allocvec(&kept).expect("encodes");
        let read =
            description(&encoded, alloc::sync::Arc::<[u8]>::from(data).into()).expect("decodes");
        assert_eq!((read.types, read.exports), (info.types, info.exports));
        assert_eq!(read.bodies.len(), info.bodies.len());
        assert!(read.bodies.iter().all(|b| b.range.is_empty()));
    }

    #[test]
    fn a_description_out_of_its_bytes_is_refused() {
        let info = everything();
        let encoded = postcard::to_allocvec(&info).expect("encodes");
        let short: alloc::sync::Arc<[u8]> = alloc::sync::Arc::from(&info.bytes[..10]);
        let err = description(&encoded, short.into()).expect_err("ranges lie outside");
        assert!(err.to_string().contains("outside its data bytes"), "{err}");
        let err =
            description(&encoded[..encoded.len() / 2], info.bytes.clone()).expect_err("truncated");
        assert!(err.to_string().contains("does not decode"), "{err}");
    }

    /// The bodies loading makes are counted from the description; a count it cannot make
    /// (more imported functions than functions) is refused, not wrapped around.
    #[test]
    fn a_description_with_more_imports_than_functions_is_refused() {
        let mut info = everything();
        info.num_imported_funcs = info.functions.len() as u32 + 1;
        let encoded = postcard::to_allocvec(&info).expect("encodes");
        let err = description(&encoded, info.bytes.clone()).expect_err("no body count");
        assert!(err.to_string().contains("imported functions of"), "{err}");
    }

    /// Every index a file supplies is checked before anything uses it: a function's type, a
    /// tag's, an export's entity, a segment's memory, a global read by an initializer.
    #[test]
    fn a_description_with_an_index_out_of_range_is_refused() {
        let alterations: [(&str, fn(&mut ModuleInfo)); 6] = [
            ("type index 999", |i| i.functions[0] = TypeIndex(999)),
            ("type index 77", |i| i.tags[0] = TypeIndex(77)),
            ("function index 500", |i| {
                i.exports[0].index = EntityIndex::Func(FuncIndex(500))
            }),
            ("memory index 9", |i| {
                i.data[0].mode = DataMode::Active {
                    memory: MemoryIndex(9),
                    offset: ConstExpr::I32(0),
                }
            }),
            ("global index 40", |i| {
                i.global_inits[0] = ConstExpr::GlobalGet(GlobalIndex(40))
            }),
            ("global initializers", |i| {
                i.global_inits.pop();
            }),
        ];
        for (expected, alter) in alterations {
            let mut info = everything();
            alter(&mut info);
            let encoded = postcard::to_allocvec(&info).expect("encodes");
            let err = description(&encoded, info.bytes.clone()).expect_err(expected);
            assert!(err.to_string().contains(expected), "{expected}: {err}");
        }
    }
}

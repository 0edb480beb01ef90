//! An eagerly compiled module's code as one position-independent image: the partitions'
//! relocatable objects linked together when they are made, so that loading the image copies or
//! maps its bytes and patches only a few words.
//!
//! The image is code (with a jump stub per imported function), then read-only data, then one
//! 8-byte slot per import:
//!
//! ```text
//! [ .text of every object | import stubs ] page-aligned [ .rodata of every object | slots ]
//! ```
//!
//! Objects are compiled with the small code model, so code reaches its constants, jump tables
//! and the stubs PC-relatively, and wasm calls go through the GOT in the VMContext: nothing in
//! the image depends on where it is loaded except the import slots (the stack probe and the
//! few C library functions LLVM may call) and any absolute address LLVM chose to store
//! (recorded as relative patches; none in practice).

use lazuli_backend_api::CompileError;
use object::elf;
use object::{Object, ObjectSection, ObjectSymbol, RelocationFlags, RelocationTarget, SectionKind};

use crate::lower::FUNC_SYMBOL_PREFIX;

/// The image's data starts on a page of its own.
pub(crate) use lazuli_jit::pages::PAGE;

/// Bytes of one import stub: `jmp *slot(%rip)` and padding.
const STUB_SIZE: usize = 8;

/// The functions precompiled code may import, resolved by name when an image is loaded: the
/// stack probe and C library routines LLVM lowers some operations to. Anything else is refused
/// when linking (and when loading, for an image made elsewhere).
const IMPORTABLE: &[&str] = &[
    crate::probe::PROBE_SYMBOL,
    "memcpy",
    "memmove",
    "memset",
    "ceil",
    "ceilf",
    "floor",
    "floorf",
    "trunc",
    "truncf",
    "rint",
    "rintf",
    "nearbyint",
    "nearbyintf",
    "fma",
    "fmaf",
    "fmod",
    "fmodf",
];

/// Where a function lies in an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    /// Offset of its first byte from the image's start.
    pub offset: u32,
    /// Length of its code in bytes.
    pub len: u32,
}

/// A linked image and what loading it needs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Image {
    /// The image's bytes, code first.
    pub bytes: Vec<u8>,
    /// How many leading bytes are code (a multiple of [`PAGE`]).
    pub code_len: usize,
    /// Each defined function's code, by defined index.
    pub functions: Vec<Span>,
    /// Each imported function's name and the offset of the slot that holds its address.
    pub imports: Vec<(String, u32)>,
    /// Offsets of 8-byte words holding image offsets, to which loading adds the base address.
    pub relative: Vec<u32>,
}

fn link_error(message: impl std::fmt::Display) -> CompileError {
    CompileError::new(format!("cannot link the compiled code: {message}"))
}

fn align_to(n: usize, align: u64) -> usize {
    let align = align.max(1) as usize;
    n.div_ceil(align) * align
}

/// Which part of the image a section goes to.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Code,
    Data,
}

/// Link `objects` (made by [`crate::eager::compile_objects`] for a module with
/// `function_count` defined functions) into one image.
pub(crate) fn link(objects: &[Vec<u8>], function_count: u32) -> Result<Image, CompileError> {
    let objects: Vec<&[u8]> = objects.iter().map(Vec::as_slice).collect();
    let (image, functions) = link_some(&objects, function_count)?;
    let functions = functions
        .into_iter()
        .enumerate()
        .map(|(i, span)| span.ok_or_else(|| link_error(format!("function {i} has no code"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Image { functions, ..image })
}

/// Link `objects`, which define some of a module's `function_count` functions, into one
/// image: the image (its `functions` left empty) and each function's code, if it has some.
pub(crate) fn link_some(
    objects: &[&[u8]],
    function_count: u32,
) -> Result<(Image, Vec<Option<Span>>), CompileError> {
    let files = objects
        .iter()
        .map(|o| object::File::parse(*o).map_err(link_error))
        .collect::<Result<Vec<_>, _>>()?;

    // Place every allocated section: (object, section index) -> (part, offset in the part).
    let mut placed: Vec<Vec<Option<(Part, usize)>>> = Vec::with_capacity(files.len());
    let (mut code_size, mut data_size) = (0usize, 0usize);
    for file in &files {
        let mut here = Vec::new();
        for section in file.sections() {
            let part = match section.kind() {
                SectionKind::Text => Some(Part::Code),
                SectionKind::ReadOnlyData | SectionKind::ReadOnlyString => Some(Part::Data),
                SectionKind::Data
                | SectionKind::UninitializedData
                | SectionKind::ReadOnlyDataWithRel
                | SectionKind::Tls
                | SectionKind::UninitializedTls
                | SectionKind::Common
                    if section.size() > 0 =>
                {
                    return Err(link_error(format!(
                        "section `{}` holds writable or relocated data",
                        section.name().unwrap_or("?")
                    )));
                }
                _ => None,
            };
            let index = section.index().0;
            if here.len() <= index {
                here.resize(index + 1, None);
            }
            here[index] = part.map(|part| {
                let size = match part {
                    Part::Code => &mut code_size,
                    Part::Data => &mut data_size,
                };
                let offset = align_to(*size, section.align());
                *size = offset + section.size() as usize;
                (part, offset)
            });
        }
        placed.push(here);
    }

    // Imports, in order of first use: a stub after the code, a slot after the data.
    let mut imports: Vec<String> = Vec::new();
    for file in &files {
        for symbol in file.symbols() {
            if symbol.is_undefined() && !symbol.name().unwrap_or("").is_empty() {
                let name = symbol.name().map_err(link_error)?;
                if !IMPORTABLE.contains(&name) {
                    return Err(link_error(format!(
                        "the code calls `{name}`, which precompiled code may not import"
                    )));
                }
                if !imports.iter().any(|i| i == name) {
                    imports.push(name.to_string());
                }
            }
        }
    }
    let stubs_at = align_to(code_size, 16);
    let code_len = align_to(stubs_at + imports.len() * STUB_SIZE, PAGE as u64).max(PAGE);
    let slots_at = code_len + align_to(data_size, 8);
    let mut bytes = vec![0u8; slots_at + imports.len() * 8];
    // Fill the gaps in the code with `int3`.
    bytes[..code_len].fill(0xcc);
    let base_of = |part: Part, offset: usize| match part {
        Part::Code => offset,
        Part::Data => code_len + offset,
    };

    for (file, here) in files.iter().zip(&placed) {
        for section in file.sections() {
            if let Some(Some((part, offset))) = here.get(section.index().0) {
                if section.kind() != SectionKind::UninitializedData {
                    let data = section.data().map_err(link_error)?;
                    let at = base_of(*part, *offset);
                    bytes[at..at + data.len()].copy_from_slice(data);
                }
            }
        }
    }
    for (i, _) in imports.iter().enumerate() {
        // jmp *[rip + rel32] reading slot i.
        let stub = stubs_at + i * STUB_SIZE;
        let next = stub + 6;
        let rel = (slots_at + i * 8) as i64 - next as i64;
        bytes[stub..stub + 2].copy_from_slice(&[0xff, 0x25]);
        bytes[stub + 2..stub + 6].copy_from_slice(&(rel as i32).to_le_bytes());
    }

    let mut functions = vec![None; function_count as usize];
    let mut relative = Vec::new();
    for (file, here) in files.iter().zip(&placed) {
        let section_base = |index: object::SectionIndex| -> Option<usize> {
            here.get(index.0)
                .copied()
                .flatten()
                .map(|(part, offset)| base_of(part, offset))
        };
        // What a symbol resolves to: its address in the image, or the import it names.
        enum Target {
            At(usize),
            Import(usize),
        }
        let resolve = |target: RelocationTarget| -> Result<Target, CompileError> {
            match target {
                RelocationTarget::Section(index) => section_base(index)
                    .map(Target::At)
                    .ok_or_else(|| link_error("a relocation refers to a dropped section")),
                RelocationTarget::Symbol(index) => {
                    let symbol = file.symbol_by_index(index).map_err(link_error)?;
                    if symbol.is_undefined() {
                        let name = symbol.name().map_err(link_error)?;
                        let i = imports
                            .iter()
                            .position(|n| n == name)
                            .ok_or_else(|| link_error(format!("`{name}` is not an import")))?;
                        return Ok(Target::Import(i));
                    }
                    let section = symbol.section_index().ok_or_else(|| {
                        link_error(format!(
                            "symbol `{}` is not in a section",
                            symbol.name().unwrap_or("?")
                        ))
                    })?;
                    let base = section_base(section).ok_or_else(|| {
                        link_error("a relocation refers to a symbol in a dropped section")
                    })?;
                    Ok(Target::At(base + symbol.address() as usize))
                }
                _ => Err(link_error("a relocation has an absolute target")),
            }
        };

        // Functions only: an object's file symbol may bear a function's name too.
        for symbol in file
            .symbols()
            .filter(|s| s.kind() == object::SymbolKind::Text)
        {
            let Some(index) = symbol
                .name()
                .ok()
                .and_then(|n| n.strip_prefix(FUNC_SYMBOL_PREFIX))
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(Target::At(at)) = resolve(RelocationTarget::Symbol(symbol.index())) else {
                return Err(link_error(format!("function {index} is not defined")));
            };
            let slot = functions
                .get_mut(index as usize)
                .ok_or_else(|| link_error(format!("function {index} is not in the module")))?;
            *slot = Some(Span {
                offset: at as u32,
                len: symbol.size() as u32,
            });
        }

        for section in file.sections() {
            let Some(Some((part, offset))) = here.get(section.index().0) else {
                continue;
            };
            let section_at = base_of(*part, *offset);
            for (offset, relocation) in section.relocations() {
                let place = section_at + offset as usize;
                let RelocationFlags::Elf { r_type } = relocation.flags() else {
                    return Err(link_error("not an ELF relocation"));
                };
                let addend = relocation.addend();
                let target = resolve(relocation.target())?;
                let write32 = |bytes: &mut Vec<u8>, value: i64| -> Result<(), CompileError> {
                    let value = i32::try_from(value)
                        .map_err(|_| link_error("a PC-relative offset does not fit 32 bits"))?;
                    bytes[place..place + 4].copy_from_slice(&value.to_le_bytes());
                    Ok(())
                };
                match (r_type, target) {
                    (elf::R_X86_64_PC32 | elf::R_X86_64_PLT32, Target::At(at)) => {
                        write32(&mut bytes, at as i64 + addend - place as i64)?
                    }
                    (elf::R_X86_64_PLT32, Target::Import(i)) => {
                        let stub = stubs_at + i * STUB_SIZE;
                        write32(&mut bytes, stub as i64 + addend - place as i64)?
                    }
                    (
                        elf::R_X86_64_GOTPCREL
                        | elf::R_X86_64_GOTPCRELX
                        | elf::R_X86_64_REX_GOTPCRELX,
                        Target::Import(i),
                    ) => {
                        let slot = slots_at + i * 8;
                        write32(&mut bytes, slot as i64 + addend - place as i64)?
                    }
                    (elf::R_X86_64_PC64, Target::At(at)) => {
                        let value = at as i64 + addend - place as i64;
                        bytes[place..place + 8].copy_from_slice(&value.to_le_bytes());
                    }
                    (elf::R_X86_64_64, Target::At(at)) => {
                        let value = at as i64 + addend;
                        bytes[place..place + 8].copy_from_slice(&value.to_le_bytes());
                        relative.push(place as u32);
                    }
                    (r_type, _) => {
                        return Err(link_error(format!(
                        "relocation type {r_type} at offset {offset:#x} of `{}` is not supported",
                        section.name().unwrap_or("?")
                    )))
                    }
                }
            }
        }
    }

    let imports = imports
        .into_iter()
        .enumerate()
        .map(|(i, name)| (name, (slots_at + i * 8) as u32))
        .collect();
    let image = Image {
        bytes,
        code_len,
        functions: Vec::new(),
        imports,
        relative,
    };
    Ok((image, functions))
}

/// The address of importable function `name` in this process.
pub(crate) fn import_address(name: &str) -> Option<usize> {
    if !IMPORTABLE.contains(&name) {
        return None;
    }
    if name == crate::probe::PROBE_SYMBOL {
        return Some(crate::probe::address());
    }
    let cname = std::ffi::CString::new(name).ok()?;
    // SAFETY: looks a symbol up in the process's loaded libraries; `cname` is NUL-terminated.
    let address = unsafe { libc::dlsym(libc::RTLD_DEFAULT, cname.as_ptr()) };
    (!address.is_null()).then_some(address as usize)
}

//! The first linear pass over a module: decode and validate every section and build the
//! [`ModuleInfo`] that gives each function its canonical address.
//!
//! One pass, one parser: each section payload goes to the validator and then to the reader for
//! its section here. Function bodies are only located in that pass; they are validated
//! afterwards, in chunks on the platform's threads, with wasmparser's visitor (no operator is
//! materialized). What a backend wants to know about a body beyond that (its direct callees,
//! for speculation) it reads when it compiles the body.

use alloc::sync::Arc;
use alloc::vec::Vec;

use wasmparser::{
    FuncValidatorAllocations, KnownCustom, Name, Operator, Parser, Payload, ValidPayload, Validator,
};

use crate::backend::*;
use crate::config::Features;
use crate::error::Error;
use crate::platform::Platform;

type Result<T> = core::result::Result<T, Error>;

fn unsupported(message: &str, offset: usize) -> Error {
    Error::InvalidModule {
        offset,
        message: message.into(),
    }
}

/// Decode and validate `bytes`, returning the module's description. Function bodies are
/// validated on `platform`'s threads when there is one.
pub(crate) fn translate(
    bytes: Arc<[u8]>,
    features: Features,
    platform: Option<&dyn Platform>,
) -> core::result::Result<ModuleInfo, Error> {
    translate_with(bytes.clone(), features, platform)
        .map_err(|e| name_disabled_feature(e, &bytes, features))
}

/// An invalid-module error, with the feature named when turning one disabled feature on makes
/// the module valid.
fn name_disabled_feature(error: Error, bytes: &[u8], features: Features) -> Error {
    let Error::InvalidModule { offset, message } = error else {
        return error;
    };
    for (name, on) in features.list() {
        let mut more = features;
        if on || !more.set(name, true) {
            continue;
        }
        if Validator::new_with_features(more.to_wasmparser())
            .validate_all(bytes)
            .is_ok()
        {
            return Error::InvalidModule {
                offset,
                message: alloc::format!(
                    "{message}: the module uses the `{name}` feature, which is disabled \
                     (Config::features; `lazuli -W {name}=y`)"
                ),
            };
        }
    }
    Error::InvalidModule { offset, message }
}

fn translate_with(
    bytes: Arc<[u8]>,
    features: Features,
    platform: Option<&dyn Platform>,
) -> core::result::Result<ModuleInfo, Error> {
    let mut info = ModuleInfo {
        bytes: bytes.clone().into(),
        ..ModuleInfo::default()
    };
    let mut translator = Translator {
        info: &mut info,
        validator: Validator::new_with_features(features.to_wasmparser()),
        pending: Vec::new(),
    };
    translator.run(&bytes)?;
    let pending = core::mem::take(&mut translator.pending);
    validate_bodies(pending, platform)?;
    Ok(info)
}

/// A body located by the first pass, to be validated.
type PendingBody<'a> = (
    wasmparser::FuncToValidate<wasmparser::ValidatorResources>,
    wasmparser::FunctionBody<'a>,
);

struct Translator<'m, 'a> {
    info: &'m mut ModuleInfo,
    validator: Validator,
    pending: Vec<PendingBody<'a>>,
}

/// About how many bytes of function bodies one validation job takes.
const VALIDATION_CHUNK_BYTES: usize = 64 << 10;

/// Validate the bodies, in chunks of consecutive functions run by `platform`, and return each
/// one's direct callees. The error reported is that of the first invalid body in order.
fn validate_bodies(pending: Vec<PendingBody<'_>>, platform: Option<&dyn Platform>) -> Result<()> {
    let mut chunks: Vec<Vec<PendingBody<'_>>> = Vec::new();
    let mut size = usize::MAX;
    for item in pending {
        if size >= VALIDATION_CHUNK_BYTES {
            chunks.push(Vec::new());
            size = 0;
        }
        let range = item.1.range();
        size += (range.end - range.start) as usize;
        chunks.last_mut().expect("a chunk was pushed").push(item);
    }
    let jobs: Vec<spin::Mutex<Option<Vec<PendingBody<'_>>>>> = chunks
        .into_iter()
        .map(|c| spin::Mutex::new(Some(c)))
        .collect();
    let results: Vec<spin::Mutex<Vec<Result<()>>>> = (0..jobs.len())
        .map(|_| spin::Mutex::new(Vec::new()))
        .collect();
    let job = |i: usize| {
        let Some(chunk) = jobs[i].lock().take() else {
            return;
        };
        let mut allocs = FuncValidatorAllocations::default();
        let mut out = Vec::with_capacity(chunk.len());
        for (func, body) in chunk {
            let mut validator = func.into_validator(core::mem::take(&mut allocs));
            let result = validate_body(&mut validator, &body);
            allocs = validator.into_allocations();
            let failed = result.is_err();
            out.push(result);
            if failed {
                break;
            }
        }
        *results[i].lock() = out;
    };
    match platform {
        Some(p) if jobs.len() > 1 => p.run_parallel(jobs.len(), &job),
        _ => (0..jobs.len()).for_each(job),
    }
    for r in results {
        for body in r.into_inner() {
            body?;
        }
    }
    Ok(())
}

impl<'a> Translator<'_, 'a> {
    fn run(&mut self, bytes: &'a [u8]) -> Result<()> {
        for payload in Parser::new(0).parse_all(bytes) {
            let payload = payload?;
            if let ValidPayload::Func(func, body) = self.validator.payload(&payload)? {
                let range = body.range();
                self.info.bodies.push(FunctionBody {
                    range: range.start as usize..range.end as usize,
                });
                self.pending.push((func, body));
                continue;
            }
            self.section(bytes, payload)?;
        }
        Ok(())
    }

    fn section(&mut self, bytes: &[u8], payload: Payload<'_>) -> Result<()> {
        let info = &mut *self.info;
        match payload {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    let ty = ty?;
                    info.types.push(FuncType::new(
                        ty.params()
                            .iter()
                            .map(|t| ValType::from(*t))
                            .collect::<Vec<_>>(),
                        ty.results()
                            .iter()
                            .map(|t| ValType::from(*t))
                            .collect::<Vec<_>>(),
                    ));
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    let index = match import.ty {
                        wasmparser::TypeRef::Func(ty) => {
                            info.functions.push(TypeIndex(ty));
                            info.num_imported_funcs += 1;
                            EntityIndex::Func(FuncIndex(info.functions.len() as u32 - 1))
                        }
                        wasmparser::TypeRef::Table(t) => {
                            info.table_refs.push(ExactRefType::from(t.element_type));
                            info.tables.push(table_type(t));
                            info.num_imported_tables += 1;
                            EntityIndex::Table(TableIndex(info.tables.len() as u32 - 1))
                        }
                        wasmparser::TypeRef::Memory(m) => {
                            info.memories.push(memory_type(m));
                            info.num_imported_memories += 1;
                            EntityIndex::Memory(MemoryIndex(info.memories.len() as u32 - 1))
                        }
                        wasmparser::TypeRef::Global(g) => {
                            info.global_refs.push(exact_ref(g.content_type));
                            info.globals.push(global_type(g));
                            info.num_imported_globals += 1;
                            EntityIndex::Global(GlobalIndex(info.globals.len() as u32 - 1))
                        }
                        wasmparser::TypeRef::Tag(t) => {
                            info.tags.push(TypeIndex(t.func_type_idx));
                            info.num_imported_tags += 1;
                            EntityIndex::Tag(TagIndex(info.tags.len() as u32 - 1))
                        }
                        wasmparser::TypeRef::FuncExact(_) => {
                            unreachable!(
                                "rejected by the validator: custom descriptors are disabled"
                            )
                        }
                    };
                    info.imports.push(Import {
                        module: import.module.into(),
                        name: import.name.into(),
                        index,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    info.functions.push(TypeIndex(ty?));
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    let table = table?;
                    let ty = table_type(table.ty);
                    // Every element starts as the initializer expression's value (function
                    // references), or null.
                    let init = match table.init {
                        wasmparser::TableInit::Expr(e) => const_expr(&e)?,
                        wasmparser::TableInit::RefNull => ConstExpr::RefNull(ty.element),
                    };
                    info.table_inits.push(init);
                    info.table_refs
                        .push(ExactRefType::from(table.ty.element_type));
                    info.tables.push(ty);
                }
            }
            Payload::MemorySection(reader) => {
                let range = reader.range();
                check_memory_limits_encoding(
                    &bytes[range.start as usize..range.end as usize],
                    range.start as usize,
                )?;
                for memory in reader {
                    info.memories.push(memory_type(memory?));
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    let global = global?;
                    info.global_refs.push(exact_ref(global.ty.content_type));
                    info.globals.push(global_type(global.ty));
                    info.global_inits.push(const_expr(&global.init_expr)?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    let index = match export.kind {
                        wasmparser::ExternalKind::Func | wasmparser::ExternalKind::FuncExact => {
                            EntityIndex::Func(FuncIndex(export.index))
                        }
                        wasmparser::ExternalKind::Table => {
                            EntityIndex::Table(TableIndex(export.index))
                        }
                        wasmparser::ExternalKind::Memory => {
                            EntityIndex::Memory(MemoryIndex(export.index))
                        }
                        wasmparser::ExternalKind::Global => {
                            EntityIndex::Global(GlobalIndex(export.index))
                        }
                        wasmparser::ExternalKind::Tag => EntityIndex::Tag(TagIndex(export.index)),
                    };
                    info.exports.push(Export {
                        name: export.name.into(),
                        index,
                    });
                }
            }
            Payload::StartSection { func, .. } => info.start = Some(FuncIndex(func)),
            Payload::ElementSection(reader) => {
                for element in reader {
                    info.elements.push(element_segment(element?)?);
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    info.tags.push(TypeIndex(tag?.func_type_idx));
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data?;
                    let start = data.data.as_ptr() as usize - bytes.as_ptr() as usize;
                    let mode = match data.kind {
                        wasmparser::DataKind::Passive => DataMode::Passive,
                        wasmparser::DataKind::Active {
                            memory_index,
                            offset_expr,
                        } => DataMode::Active {
                            memory: MemoryIndex(memory_index),
                            offset: const_expr(&offset_expr)?,
                        },
                    };
                    info.data.push(DataSegment {
                        mode,
                        range: start..start + data.data.len(),
                    });
                }
            }
            Payload::CustomSection(reader) => {
                // A malformed name section is ignored from its error on, as the spec asks of
                // custom sections: the names before the error are kept.
                if let KnownCustom::Name(names) = reader.as_known() {
                    let mut found: Vec<(FuncIndex, &str)> = info.func_names.iter().collect();
                    let _ = read_function_names(names, &mut found);
                    info.func_names = FuncNames::new(found);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Without memory64, memory limits are `u32`s whose LEB128 encoding may not exceed five bytes.
/// wasmparser reads them as `u64`, so an overlong encoding is caught here.
fn check_memory_limits_encoding(section: &[u8], base: usize) -> Result<()> {
    let leb = |pos: &mut usize| -> Result<()> {
        let start = *pos;
        loop {
            let byte = *section
                .get(*pos)
                .ok_or_else(|| unsupported("unexpected end of memory section", base + *pos))?;
            *pos += 1;
            if byte & 0x80 == 0 {
                return Ok(());
            }
            if *pos - start >= 5 {
                return Err(unsupported("integer representation too long", base + start));
            }
        }
    };
    let mut count_pos = 0;
    leb(&mut count_pos)?;
    let count = section[..count_pos]
        .iter()
        .rev()
        .fold(0u64, |acc, b| (acc << 7) | u64::from(b & 0x7f));
    let mut pos = count_pos;
    for _ in 0..count {
        let Some(&flags) = section.get(pos) else {
            break;
        };
        pos += 1;
        if flags & 0x04 != 0 {
            // memory64: the validator rejects it with a feature error.
            return Ok(());
        }
        leb(&mut pos)?;
        if flags & 0x01 != 0 {
            leb(&mut pos)?;
        }
        if flags & 0x08 != 0 {
            // custom page size: rejected by the validator as well.
            return Ok(());
        }
    }
    Ok(())
}

/// Validate one function body.
fn validate_body(
    validator: &mut wasmparser::FuncValidator<wasmparser::ValidatorResources>,
    body: &wasmparser::FunctionBody<'_>,
) -> Result<()> {
    validator.validate(body)?;
    Ok(())
}

/// Add the function names of a name section to `found`, up to its first error.
fn read_function_names<'a>(
    names: wasmparser::NameSectionReader<'a>,
    found: &mut Vec<(FuncIndex, &'a str)>,
) -> Result<()> {
    for name in names {
        if let Name::Function(map) = name? {
            for naming in map {
                let naming = naming?;
                found.push((FuncIndex(naming.index), naming.name));
            }
        }
    }
    Ok(())
}

fn element_segment(element: wasmparser::Element<'_>) -> Result<ElementSegment> {
    let mode = match element.kind {
        wasmparser::ElementKind::Passive => ElementMode::Passive,
        wasmparser::ElementKind::Declared => ElementMode::Declared,
        wasmparser::ElementKind::Active {
            table_index,
            offset_expr,
        } => ElementMode::Active {
            table: TableIndex(table_index.unwrap_or(0)),
            offset: const_expr(&offset_expr)?,
        },
    };
    let (element_type, items) = match element.items {
        wasmparser::ElementItems::Functions(funcs) => (
            RefType::FuncRef,
            funcs
                .into_iter()
                .map(|f| Ok(ConstExpr::RefFunc(FuncIndex(f?))))
                .collect::<Result<Vec<_>>>()?,
        ),
        wasmparser::ElementItems::Expressions(ty, exprs) => (
            RefType::from(ty),
            exprs
                .into_iter()
                .map(|e| const_expr(&e?))
                .collect::<Result<Vec<_>>>()?,
        ),
    };
    Ok(ElementSegment {
        mode,
        element_type,
        items: items.into_boxed_slice(),
    })
}

/// Read a validated constant expression: one instruction, or (extended constant expressions)
/// a sequence of constants, `global.get` and integer `add`, `sub`, `mul`.
fn const_expr(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
    let mut reader = expr.get_operators_reader();
    let offset = reader.original_position() as usize;
    let mut ops = Vec::new();
    let mut single = None;
    loop {
        let op = reader.read()?;
        let one = match op {
            Operator::End => break,
            Operator::I32Const { value } => {
                ops.push(ConstOp::I32(value));
                ConstExpr::I32(value)
            }
            Operator::I64Const { value } => {
                ops.push(ConstOp::I64(value));
                ConstExpr::I64(value)
            }
            Operator::GlobalGet { global_index } => {
                ops.push(ConstOp::GlobalGet(GlobalIndex(global_index)));
                ConstExpr::GlobalGet(GlobalIndex(global_index))
            }
            Operator::F32Const { value } => ConstExpr::F32(value.bits()),
            Operator::F64Const { value } => ConstExpr::F64(value.bits()),
            Operator::V128Const { value } => ConstExpr::V128(u128::from_le_bytes(*value.bytes())),
            Operator::RefNull { hty } => ConstExpr::RefNull(RefType::from(hty)),
            Operator::RefFunc { function_index } => ConstExpr::RefFunc(FuncIndex(function_index)),
            other => {
                let op = match other {
                    Operator::I32Add => ConstOp::I32Add,
                    Operator::I32Sub => ConstOp::I32Sub,
                    Operator::I32Mul => ConstOp::I32Mul,
                    Operator::I64Add => ConstOp::I64Add,
                    Operator::I64Sub => ConstOp::I64Sub,
                    Operator::I64Mul => ConstOp::I64Mul,
                    _ => return Err(unsupported("unsupported constant expression", offset)),
                };
                ops.push(op);
                continue;
            }
        };
        single = Some(one);
    }
    // Validation saw to it that a sequence only combines integer constants and globals.
    match single {
        _ if ops.len() > 1 => Ok(ConstExpr::Extended(Arc::from(ops))),
        Some(one) => Ok(one),
        None => Err(unsupported("empty constant expression", offset)),
    }
}

/// A table's type.
fn table_type(t: wasmparser::TableType) -> TableType {
    TableType {
        element: RefType::from(t.element_type),
        limits: Limits {
            min: t.initial,
            max: t.maximum,
        },
        table64: t.table64,
    }
}

fn memory_type(m: wasmparser::MemoryType) -> MemoryType {
    MemoryType {
        limits: Limits {
            min: m.initial,
            max: m.maximum,
        },
        shared: m.shared,
        memory64: m.memory64,
    }
}

/// The exact type of a reference-typed value, `None` for the others.
fn exact_ref(t: wasmparser::ValType) -> Option<ExactRefType> {
    match t {
        wasmparser::ValType::Ref(r) => Some(ExactRefType::from(r)),
        _ => None,
    }
}

fn global_type(g: wasmparser::GlobalType) -> GlobalType {
    GlobalType {
        content: ValType::from(g.content_type),
        mutable: g.mutable,
    }
}

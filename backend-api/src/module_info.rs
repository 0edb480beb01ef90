//! [`ModuleInfo`]: a decoded, validated module as the runtime and backends see it.
//!
//! Built by `lazuli-core` in one linear pass (canonical addressing). Function bodies are not
//! copied: each is a byte range into the shared module bytes, so any function can be located
//! and compiled alone, on any thread, in any order.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::ops::Range;

use crate::index::*;
use crate::types::*;

/// Everything a runtime or backend needs to know about a validated module.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModuleInfo {
    /// The module's bytes; every [`Range`] in this description points into them. Not part
    /// of the description's serialized form (its serde derive), which travels beside them. In
    /// a module loaded from serialized code these are only the data segments' contents, and
    /// the function bodies, compiled already, are empty ranges.
    #[serde(skip)]
    pub bytes: crate::WasmBytes,
    /// The type section.
    pub types: Vec<FuncType>,
    /// The type of every function, imports first (the function index space).
    pub functions: Vec<TypeIndex>,
    /// How many leading entries of `functions` are imports.
    pub num_imported_funcs: u32,
    /// Every table, imports first.
    pub tables: Vec<TableType>,
    /// How many leading entries of `tables` are imports.
    pub num_imported_tables: u32,
    /// The initial element of each defined table, in order: `ref.null` unless the table's
    /// type is non-nullable or its definition gives an expression (function references).
    pub table_inits: Vec<ConstExpr>,
    /// Every memory, imports first.
    pub memories: Vec<MemoryType>,
    /// How many leading entries of `memories` are imports.
    pub num_imported_memories: u32,
    /// Every global, imports first.
    pub globals: Vec<GlobalType>,
    /// How many leading entries of `globals` are imports.
    pub num_imported_globals: u32,
    /// Initializers of the defined globals, in order.
    pub global_inits: Vec<ConstExpr>,
    /// The exact reference type of each global holding a reference (imports first; `None`
    /// for numbers and vectors), as linking checks it.
    pub global_refs: Vec<Option<ExactRefType>>,
    /// The exact element type of each table (imports first), as linking checks it.
    pub table_refs: Vec<ExactRefType>,
    /// The type (a function type without results: the payload) of each exception tag,
    /// imports first.
    pub tags: Vec<TypeIndex>,
    /// How many leading entries of `tags` are imports.
    pub num_imported_tags: u32,
    /// The import section, in order.
    pub imports: Vec<Import>,
    /// The export section, in order.
    pub exports: Vec<Export>,
    /// The start function, if any.
    pub start: Option<FuncIndex>,
    /// The element section.
    pub elements: Vec<ElementSegment>,
    /// The data section.
    pub data: Vec<DataSegment>,
    /// The body of every defined function, in code section order. Not part of the serialized
    /// description: a serialized module's functions are compiled code, and loading gives each
    /// an empty range.
    #[serde(skip)]
    pub bodies: Vec<FunctionBody>,
    /// Function names from the `name` custom section, where present.
    pub func_names: FuncNames,
}

impl ModuleInfo {
    /// The signature of function `f`.
    pub fn func_type(&self, f: FuncIndex) -> &FuncType {
        &self.types[self.functions[f.index()].index()]
    }

    /// How many functions the module defines.
    pub fn num_defined_funcs(&self) -> u32 {
        self.bodies.len() as u32
    }

    /// The defined index of `f`, or `None` if `f` is imported.
    pub fn defined_func_index(&self, f: FuncIndex) -> Option<DefinedFuncIndex> {
        f.0.checked_sub(self.num_imported_funcs)
            .map(DefinedFuncIndex)
    }

    /// The function index of a defined function.
    pub fn func_index(&self, f: DefinedFuncIndex) -> FuncIndex {
        FuncIndex(f.0 + self.num_imported_funcs)
    }

    /// The bytes of a defined function's body (locals and code, without the size prefix);
    /// empty in a module loaded from serialized code (see [`ModuleInfo::bytes`]).
    pub fn body_bytes(&self, f: DefinedFuncIndex) -> &[u8] {
        &self.bytes[self.bodies[f.index()].range.clone()]
    }

    /// The name of `f` from the name section, if it has one.
    pub fn func_name(&self, f: FuncIndex) -> Option<&str> {
        self.func_names.get(f)
    }

    /// The functions defined function `f` calls directly with `call`, deduplicated, in
    /// first-seen order (what lazy compilation speculates on). Read from the validated body
    /// on demand: decoding does not collect them.
    #[cfg(feature = "wasmparser")]
    pub fn direct_callees(&self, f: DefinedFuncIndex) -> Vec<FuncIndex> {
        let body =
            wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(self.body_bytes(f), 0));
        let mut callees = Vec::new();
        let Ok(mut ops) = body.get_operators_reader() else {
            return callees;
        };
        while !ops.eof() {
            match ops.read() {
                Ok(wasmparser::Operator::Call { function_index }) => {
                    let callee = FuncIndex(function_index);
                    if !callees.contains(&callee) {
                        callees.push(callee);
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        callees
    }

    /// Check that every index the description holds lies in its index space and that its
    /// tables agree in length: what decoding guarantees, checked again for a description read
    /// from a file (serialized code), so that a damaged or forged one is refused instead of
    /// indexing out of bounds. The error names the first index that is not.
    pub fn check_indices(&self) -> Result<(), String> {
        let counts = [
            ("functions", self.functions.len(), self.num_imported_funcs),
            ("tables", self.tables.len(), self.num_imported_tables),
            ("memories", self.memories.len(), self.num_imported_memories),
            ("globals", self.globals.len(), self.num_imported_globals),
            ("tags", self.tags.len(), self.num_imported_tags),
        ];
        for (what, len, imported) in counts {
            if imported as usize > len {
                return Err(format!("{imported} imported {what} of {len}"));
            }
        }
        let defined = |len: usize, imported: u32| len - imported as usize;
        let lengths = [
            (
                "table initializers",
                self.table_inits.len(),
                defined(self.tables.len(), self.num_imported_tables),
            ),
            (
                "table reference types",
                self.table_refs.len(),
                self.tables.len(),
            ),
            (
                "global initializers",
                self.global_inits.len(),
                defined(self.globals.len(), self.num_imported_globals),
            ),
            (
                "global reference types",
                self.global_refs.len(),
                self.globals.len(),
            ),
        ];
        for (what, len, expected) in lengths {
            if len != expected {
                return Err(format!("{len} {what} where {expected} are expected"));
            }
        }
        let in_range = |what: &str, index: u32, len: usize| {
            if (index as usize) < len {
                Ok(())
            } else {
                Err(format!("{what} index {index} out of {len}"))
            }
        };
        for ty in self.functions.iter().chain(&self.tags) {
            in_range("type", ty.0, self.types.len())?;
        }
        let heap = |r: &ExactRefType| match r.heap {
            crate::HeapType::Type(t) => in_range("type", t, self.types.len()),
            _ => Ok(()),
        };
        for r in self
            .table_refs
            .iter()
            .chain(self.global_refs.iter().flatten())
        {
            heap(r)?;
        }
        let entity = |e: &EntityIndex| match *e {
            EntityIndex::Func(f) => in_range("function", f.0, self.functions.len()),
            EntityIndex::Table(t) => in_range("table", t.0, self.tables.len()),
            EntityIndex::Memory(m) => in_range("memory", m.0, self.memories.len()),
            EntityIndex::Global(g) => in_range("global", g.0, self.globals.len()),
            EntityIndex::Tag(t) => in_range("tag", t.0, self.tags.len()),
        };
        for import in &self.imports {
            entity(&import.index)?;
        }
        for export in &self.exports {
            entity(&export.index)?;
        }
        if let Some(start) = self.start {
            in_range("start function", start.0, self.functions.len())?;
        }
        let expr = |e: &ConstExpr| match e {
            ConstExpr::RefFunc(f) => in_range("function", f.0, self.functions.len()),
            ConstExpr::GlobalGet(g) => in_range("global", g.0, self.globals.len()),
            ConstExpr::RefNull(_) => Ok(()),
            ConstExpr::Extended(ops) => ops.iter().try_for_each(|op| match op {
                ConstOp::GlobalGet(g) => in_range("global", g.0, self.globals.len()),
                _ => Ok(()),
            }),
            _ => Ok(()),
        };
        for e in self.table_inits.iter().chain(&self.global_inits) {
            expr(e)?;
        }
        for segment in &self.elements {
            if let ElementMode::Active { table, offset } = &segment.mode {
                in_range("table", table.0, self.tables.len())?;
                expr(offset)?;
            }
            segment.items.iter().try_for_each(expr)?;
        }
        for segment in &self.data {
            if let DataMode::Active { memory, offset } = &segment.mode {
                in_range("memory", memory.0, self.memories.len())?;
                expr(offset)?;
            }
        }
        Ok(())
    }

    /// The type of an entity of this module, as seen by importers and exporters.
    pub fn entity_type(&self, e: EntityIndex) -> ExternType {
        match e {
            EntityIndex::Func(f) => ExternType::Func(self.func_type(f).clone()),
            EntityIndex::Table(t) => ExternType::Table(self.tables[t.index()]),
            EntityIndex::Memory(m) => ExternType::Memory(self.memories[m.index()]),
            EntityIndex::Global(g) => ExternType::Global(self.globals[g.index()]),
            EntityIndex::Tag(t) => {
                ExternType::Tag(self.types[self.tags[t.index()].index()].clone())
            }
        }
    }
}

/// An entity in one of the module's index spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum EntityIndex {
    /// A function.
    Func(FuncIndex),
    /// A table.
    Table(TableIndex),
    /// A memory.
    Memory(MemoryIndex),
    /// A global.
    Global(GlobalIndex),
    /// An exception tag.
    Tag(TagIndex),
}

/// One entry of the import section.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Import {
    /// The module name.
    pub module: String,
    /// The field name.
    pub name: String,
    /// The index the import occupies in its index space.
    pub index: EntityIndex,
}

/// One entry of the export section.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Export {
    /// The export name (unique in the module).
    pub name: String,
    /// The exported entity.
    pub index: EntityIndex,
}

/// A constant expression, as used for global initializers and segment offsets: one instruction,
/// or with extended constant expressions a sequence ([`ConstExpr::Extended`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ConstExpr {
    /// `i32.const`.
    I32(i32),
    /// `i64.const`.
    I64(i64),
    /// `f32.const`, as bits.
    F32(u32),
    /// `f64.const`, as bits.
    F64(u64),
    /// `v128.const`.
    V128(u128),
    /// `ref.null`.
    RefNull(RefType),
    /// `ref.func`.
    RefFunc(FuncIndex),
    /// `global.get` of an (immutable, imported or earlier) global.
    GlobalGet(GlobalIndex),
    /// Several instructions (extended constant expressions), in order, for a stack machine.
    Extended(Arc<[ConstOp]>),
}

/// One instruction of an extended constant expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ConstOp {
    /// `i32.const`.
    I32(i32),
    /// `i64.const`.
    I64(i64),
    /// `global.get`.
    GlobalGet(GlobalIndex),
    /// `i32.add`.
    I32Add,
    /// `i32.sub`.
    I32Sub,
    /// `i32.mul`.
    I32Mul,
    /// `i64.add`.
    I64Add,
    /// `i64.sub`.
    I64Sub,
    /// `i64.mul`.
    I64Mul,
}

/// A defined function's body, located in the module bytes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FunctionBody {
    /// Byte range of the body (local declarations and code) in [`ModuleInfo::bytes`]
    /// (empty when the module was loaded from serialized code).
    pub range: Range<usize>,
}

/// How an element segment is used.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ElementMode {
    /// Copied into `table` at `offset` at instantiation.
    Active {
        /// Target table.
        table: TableIndex,
        /// Offset expression (`i32`).
        offset: ConstExpr,
    },
    /// Available to `table.init` until dropped.
    Passive,
    /// Only declares functions for `ref.func`; dropped at instantiation.
    Declared,
}

/// One entry of the element section.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ElementSegment {
    /// How the segment is used.
    pub mode: ElementMode,
    /// Type of the elements.
    pub element_type: RefType,
    /// The elements, each a constant expression.
    #[serde(with = "element_items")]
    pub items: Box<[ConstExpr]>,
}

/// The serialized form of an element segment's items: a segment that lists functions (the
/// usual kind, and often hundreds long) is written as their indices, which read back faster
/// than as many constant expressions.
mod element_items {
    use super::ConstExpr;
    use crate::index::FuncIndex;
    use alloc::boxed::Box;
    use alloc::vec::Vec;
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    enum Items<Functions, Expressions> {
        /// Every item is `ref.func` of these functions.
        Functions(Functions),
        /// Any other items.
        Expressions(Expressions),
    }

    pub fn serialize<S: serde::Serializer>(items: &[ConstExpr], out: S) -> Result<S::Ok, S::Error> {
        let functions: Option<Vec<u32>> = items
            .iter()
            .map(|item| match item {
                ConstExpr::RefFunc(f) => Some(f.0),
                _ => None,
            })
            .collect();
        match functions {
            Some(functions) => Items::<_, &[ConstExpr]>::Functions(functions).serialize(out),
            None => Items::<Vec<u32>, _>::Expressions(items).serialize(out),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        input: D,
    ) -> Result<Box<[ConstExpr]>, D::Error> {
        Ok(
            match Items::<Vec<u32>, Box<[ConstExpr]>>::deserialize(input)? {
                Items::Functions(functions) => functions
                    .into_iter()
                    .map(|f| ConstExpr::RefFunc(FuncIndex(f)))
                    .collect(),
                Items::Expressions(items) => items,
            },
        )
    }
}

/// How a data segment is used.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DataMode {
    /// Copied into `memory` at `offset` at instantiation.
    Active {
        /// Target memory.
        memory: MemoryIndex,
        /// Offset expression (`i32`).
        offset: ConstExpr,
    },
    /// Available to `memory.init` until dropped.
    Passive,
}

/// One entry of the data section.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DataSegment {
    /// How the segment is used.
    pub mode: DataMode,
    /// Byte range of the segment's contents in [`ModuleInfo::bytes`].
    pub range: Range<usize>,
}

/// The names of a module's functions: one text holding every name, and for each named function
/// in increasing order where its name ends in it (a name starts where the previous one ends).
/// One allocation however many names, so that a description with thousands of them is made
/// and read back quickly.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FuncNames {
    text: String,
    ends: Vec<(FuncIndex, u32)>,
}

impl FuncNames {
    /// The names in `names`, in any order; of two names for one function the first is kept
    /// (as the name section's readers do).
    pub fn new<'a>(names: impl IntoIterator<Item = (FuncIndex, &'a str)>) -> FuncNames {
        let mut names: Vec<(FuncIndex, &str)> = names.into_iter().collect();
        names.sort_by_key(|(f, _)| *f);
        names.dedup_by_key(|(f, _)| *f);
        let mut out = FuncNames::default();
        for (f, name) in names {
            out.text.push_str(name);
            out.ends.push((f, out.text.len() as u32));
        }
        out
    }

    /// The name of `f`, if it has one.
    pub fn get(&self, f: FuncIndex) -> Option<&str> {
        let i = self.ends.binary_search_by_key(&f, |(g, _)| *g).ok()?;
        self.name_at(i)
    }

    /// The `i`th name, as it lies in the text.
    fn name_at(&self, i: usize) -> Option<&str> {
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1].1 as usize,
        };
        self.text.get(start..self.ends[i].1 as usize)
    }

    /// Every named function and its name, in increasing order of function index.
    pub fn iter(&self) -> impl Iterator<Item = (FuncIndex, &str)> + '_ {
        (0..self.ends.len()).filter_map(|i| Some((self.ends[i].0, self.name_at(i)?)))
    }
}

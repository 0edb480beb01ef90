//! Plain descriptions of WebAssembly types, independent of any parser.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

/// A WebAssembly value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit IEEE float.
    F32,
    /// 64-bit IEEE float.
    F64,
    /// 128-bit SIMD vector.
    V128,
    /// Nullable reference to a function.
    FuncRef,
    /// Nullable reference to a host value.
    ExternRef,
    /// Nullable reference to an exception (exception handling): the pointer to the exception's
    /// [`crate::vmcontext::VMException`].
    ExnRef,
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
            ValType::ExnRef => "exnref",
        })
    }
}

/// A reference type, the element type of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RefType {
    /// `funcref`.
    FuncRef,
    /// `externref`.
    ExternRef,
    /// `exnref`.
    ExnRef,
}

impl From<RefType> for ValType {
    fn from(r: RefType) -> ValType {
        match r {
            RefType::FuncRef => ValType::FuncRef,
            RefType::ExternRef => ValType::ExternRef,
            RefType::ExnRef => ValType::ExnRef,
        }
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&ValType::from(*self), f)
    }
}

/// The signature of a function: parameter and result types. Cheap to clone (shared).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct FuncType {
    /// The parameters, then the results.
    types: Arc<[ValType]>,
    num_params: usize,
}

impl FuncType {
    /// A signature with the given parameters and results.
    pub fn new(params: impl Into<Box<[ValType]>>, results: impl Into<Box<[ValType]>>) -> Self {
        let (params, results) = (params.into(), results.into());
        let mut types = Vec::with_capacity(params.len() + results.len());
        types.extend_from_slice(&params);
        types.extend_from_slice(&results);
        FuncType {
            types: types.into(),
            num_params: params.len(),
        }
    }

    /// The parameter types, in order.
    pub fn params(&self) -> &[ValType] {
        &self.types[..self.num_params]
    }

    /// The result types, in order.
    pub fn results(&self) -> &[ValType] {
        &self.types[self.num_params..]
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(func")?;
        if !self.params().is_empty() {
            f.write_str(" (param")?;
            for p in self.params().iter() {
                write!(f, " {p}")?;
            }
            f.write_str(")")?;
        }
        if !self.results().is_empty() {
            f.write_str(" (result")?;
            for r in self.results().iter() {
                write!(f, " {r}")?;
            }
            f.write_str(")")?;
        }
        f.write_str(")")
    }
}

/// Size limits of a memory (in 64 KiB pages) or a table (in elements).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Initial size.
    pub min: u64,
    /// Optional maximum size.
    pub max: Option<u64>,
}

impl Limits {
    /// Whether limits `self` of an import's provider satisfy the limits `wanted` by the
    /// importer, per the spec's import subtyping rule.
    pub fn matches(&self, wanted: &Limits) -> bool {
        self.min >= wanted.min
            && match (self.max, wanted.max) {
                (_, None) => true,
                (Some(have), Some(want)) => have <= want,
                (None, Some(_)) => false,
            }
    }
}

impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.max {
            Some(max) => write!(f, "{} {}", self.min, max),
            None => write!(f, "{}", self.min),
        }
    }
}

/// The type of a linear memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct MemoryType {
    /// Size limits in 64 KiB pages.
    pub limits: Limits,
    /// Whether the memory is shared between threads (threads proposal).
    pub shared: bool,
    /// Whether the memory is indexed with 64-bit addresses (memory64 proposal).
    pub memory64: bool,
}

/// The type of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct TableType {
    /// Element type.
    pub element: RefType,
    /// Size limits in elements.
    pub limits: Limits,
    /// Whether the table is indexed with `i64` (table64, part of memory64).
    pub table64: bool,
}

impl TableType {
    /// The type of the table's indices, sizes and lengths: `i64` for a 64-bit table.
    pub fn index_type(&self) -> ValType {
        if self.table64 {
            ValType::I64
        } else {
            ValType::I32
        }
    }
}

/// The type of a global.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct GlobalType {
    /// Type of the value held.
    pub content: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

/// The type of something a module imports or exports.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ExternType {
    /// A function of this signature.
    Func(FuncType),
    /// A table.
    Table(TableType),
    /// A linear memory.
    Memory(MemoryType),
    /// A global.
    Global(GlobalType),
    /// An exception tag whose payload has these parameter types.
    Tag(FuncType),
}

impl fmt::Display for ExternType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternType::Func(t) => fmt::Display::fmt(t, f),
            ExternType::Table(t) if t.table64 => {
                write!(f, "(table i64 {} {})", t.limits, t.element)
            }
            ExternType::Table(t) => write!(f, "(table {} {})", t.limits, t.element),
            ExternType::Memory(m) => write!(f, "(memory {})", m.limits),
            ExternType::Global(g) if g.mutable => write!(f, "(global (mut {}))", g.content),
            ExternType::Global(g) => write!(f, "(global {})", g.content),
            ExternType::Tag(t) => {
                // `(func (param ..))` -> `(tag (param ..))`.
                let sig = alloc::string::ToString::to_string(t);
                write!(f, "(tag{}", sig.strip_prefix("(func").unwrap_or(&sig))
            }
        }
    }
}

/// What a reference refers to, as a module declares it (function references).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum HeapType {
    /// Any function (`func`).
    Func,
    /// Any external value (`extern`).
    Extern,
    /// No function: only null refers to it (`nofunc`).
    NoFunc,
    /// No external value (`noextern`).
    NoExtern,
    /// Any exception (`exn`).
    Exn,
    /// No exception (`noexn`).
    NoExn,
    /// A function of one type: a module's type index in [`crate::ModuleInfo`]; in the
    /// runtime, the engine-wide signature id of that type.
    Type(u32),
}

/// A reference type exactly as declared: whether it may be null and what it refers to.
/// Compiled code only needs the [`RefType`] it is represented as; linking checks this.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ExactRefType {
    /// Whether null is a value of the type.
    pub nullable: bool,
    /// What a non-null value refers to.
    pub heap: HeapType,
}

impl ExactRefType {
    /// `funcref` or `externref`: the type of references made without a declaration (by the
    /// host, or by a module without function references).
    pub fn nullable(r: RefType) -> ExactRefType {
        let heap = match r {
            RefType::FuncRef => HeapType::Func,
            RefType::ExternRef => HeapType::Extern,
            RefType::ExnRef => HeapType::Exn,
        };
        ExactRefType {
            nullable: true,
            heap,
        }
    }

    /// Whether every value of `self` is a value of `other` (subtyping, without GC: a function
    /// type is below `func`, `nofunc` below every function type, `noextern` below `extern`).
    pub fn is_subtype_of(self, other: ExactRefType) -> bool {
        use HeapType::*;
        let heap = self.heap == other.heap
            || matches!(
                (self.heap, other.heap),
                (Type(_), Func) | (NoFunc, Func | Type(_)) | (NoExtern, Extern) | (NoExn, Exn)
            );
        heap && (other.nullable || !self.nullable)
    }

    /// The same type with its function type index mapped by `f` (a module's index to the
    /// engine's id).
    pub fn map_type(self, f: impl Fn(u32) -> u32) -> ExactRefType {
        match self.heap {
            HeapType::Type(t) => ExactRefType {
                heap: HeapType::Type(f(t)),
                ..self
            },
            _ => self,
        }
    }
}

impl fmt::Display for ExactRefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let null = if self.nullable { "null " } else { "" };
        match self.heap {
            HeapType::Func => write!(f, "(ref {null}func)"),
            HeapType::Extern => write!(f, "(ref {null}extern)"),
            HeapType::NoFunc => write!(f, "(ref {null}nofunc)"),
            HeapType::NoExtern => write!(f, "(ref {null}noextern)"),
            HeapType::Exn => write!(f, "(ref {null}exn)"),
            HeapType::NoExn => write!(f, "(ref {null}noexn)"),
            HeapType::Type(t) => write!(f, "(ref {null}type {t})"),
        }
    }
}

#[cfg(feature = "wasmparser")]
impl From<wasmparser::RefType> for ExactRefType {
    fn from(r: wasmparser::RefType) -> ExactRefType {
        use wasmparser::AbstractHeapType as A;
        let heap = match r.heap_type() {
            wasmparser::HeapType::Abstract { ty: A::Extern, .. } => HeapType::Extern,
            wasmparser::HeapType::Abstract {
                ty: A::NoExtern, ..
            } => HeapType::NoExtern,
            wasmparser::HeapType::Abstract { ty: A::NoFunc, .. } => HeapType::NoFunc,
            wasmparser::HeapType::Abstract { ty: A::Exn, .. } => HeapType::Exn,
            wasmparser::HeapType::Abstract { ty: A::NoExn, .. } => HeapType::NoExn,
            wasmparser::HeapType::Concrete(i) | wasmparser::HeapType::Exact(i) => {
                HeapType::Type(i.as_module_index().unwrap_or(u32::MAX))
            }
            wasmparser::HeapType::Abstract { .. } => HeapType::Func,
        };
        ExactRefType {
            nullable: r.is_nullable(),
            heap,
        }
    }
}

/// A reference's representation. Without GC (which Lazuli does not implement), a validated
/// module's references are to functions (`func`, `nofunc`, or a function type `$t`, nullable or
/// not), external values (`extern`, `noextern`) or exceptions (`exn`, `noexn`); which one and whether it may be null is
/// the validator's business, so compiled code and the runtime only need the two kinds.
#[cfg(feature = "wasmparser")]
impl From<wasmparser::HeapType> for RefType {
    fn from(h: wasmparser::HeapType) -> RefType {
        use wasmparser::AbstractHeapType as A;
        match h {
            wasmparser::HeapType::Abstract {
                ty: A::Extern | A::NoExtern,
                ..
            } => RefType::ExternRef,
            wasmparser::HeapType::Abstract {
                ty: A::Exn | A::NoExn,
                ..
            } => RefType::ExnRef,
            _ => RefType::FuncRef,
        }
    }
}

#[cfg(feature = "wasmparser")]
impl From<wasmparser::RefType> for RefType {
    fn from(r: wasmparser::RefType) -> RefType {
        r.heap_type().into()
    }
}

#[cfg(feature = "wasmparser")]
impl From<wasmparser::ValType> for ValType {
    fn from(t: wasmparser::ValType) -> ValType {
        match t {
            wasmparser::ValType::I32 => ValType::I32,
            wasmparser::ValType::I64 => ValType::I64,
            wasmparser::ValType::F32 => ValType::F32,
            wasmparser::ValType::F64 => ValType::F64,
            wasmparser::ValType::V128 => ValType::V128,
            wasmparser::ValType::Ref(r) => RefType::from(r).into(),
        }
    }
}

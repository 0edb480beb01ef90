//! [`Instance`]: instantiation of a module in a store — linking imports, allocating what the
//! module defines, building the `VMContext` compiled code runs with, initializing tables and
//! memories from segments, running the start function — and access to its exports.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::backend::vmcontext::{VMFuncImport, VMFuncRef, VMOffsets, VMCONTEXT_MAGIC};
use crate::backend::*;
use crate::error::Error;
use crate::func::{Func, FuncData, HostFuncData};
use crate::global::{Global, GlobalData};
use crate::memory::Memory;
use crate::module::Module;
use crate::store::{FuncRefBox, Store, StoreInner};
use crate::table::Table;

/// Something a module can import or an instance export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A table.
    Table(Table),
    /// A memory.
    Memory(Memory),
    /// A global.
    Global(Global),
    /// An exception tag.
    Tag(crate::tag::Tag),
}

impl Extern {
    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        if let Extern::Func(f) = self {
            Some(f)
        } else {
            None
        }
    }
    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        if let Extern::Table(t) = self {
            Some(t)
        } else {
            None
        }
    }
    /// The memory, if this is one.
    pub fn into_memory(self) -> Option<Memory> {
        if let Extern::Memory(m) = self {
            Some(m)
        } else {
            None
        }
    }
    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        if let Extern::Global(g) = self {
            Some(g)
        } else {
            None
        }
    }

    /// Its type (the spec's `extern_type`).
    pub fn ty(&self, store: &Store) -> Result<ExternType, Error> {
        Ok(match self {
            Extern::Func(f) => ExternType::Func(f.ty(store)?),
            Extern::Table(t) => ExternType::Table(t.ty(store)?),
            Extern::Memory(m) => ExternType::Memory(m.ty(store)?),
            Extern::Global(g) => ExternType::Global(g.ty(store)?),
            Extern::Tag(t) => ExternType::Tag(t.ty(store)?),
        })
    }
}

macro_rules! extern_from {
    ($($item:ident),*) => {$(
        impl From<$item> for Extern {
            fn from(item: $item) -> Extern {
                Extern::$item(item)
            }
        }
    )*};
}
extern_from!(Func, Memory, Table, Global);

impl From<crate::tag::Tag> for Extern {
    fn from(tag: crate::tag::Tag) -> Extern {
        Extern::Tag(tag)
    }
}

/// What a module's imports resolve to, by module and field name.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    items: Vec<(String, String, Extern)>,
}

impl Imports {
    /// No imports.
    pub fn new() -> Imports {
        Imports::default()
    }

    /// Provide `item` as `module`.`name` (replacing an earlier definition of the same name).
    pub fn define(mut self, module: &str, name: &str, item: Extern) -> Imports {
        self.insert(module, name, item);
        self
    }

    /// Provide `item` as `module`.`name`, in place.
    pub fn insert(&mut self, module: &str, name: &str, item: Extern) {
        self.items.retain(|(m, n, _)| !(m == module && n == name));
        self.items.push((module.into(), name.into(), item));
    }

    /// Every item provided, as ((module, name), item), in the order provided.
    pub fn iter(&self) -> impl Iterator<Item = ((&str, &str), Extern)> + '_ {
        self.items
            .iter()
            .map(|(m, n, e)| ((m.as_str(), n.as_str()), *e))
    }

    /// The item provided as `module`.`name`.
    pub fn get(&self, module: &str, name: &str) -> Option<Extern> {
        self.items
            .iter()
            .find(|(m, n, _)| m == module && n == name)
            .map(|(_, _, e)| *e)
    }
}

/// An instance of a module in a store: a handle, cheap to copy, valid only with its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instance {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// What the store keeps for each instance. Boxed, and every buffer compiled code points into
/// is a boxed slice that never moves.
pub(crate) struct InstanceData {
    pub module: Module,
    /// The VMContext, as 8-byte words.
    pub vmctx: Box<[u64]>,
    /// Function references of the defined functions.
    pub defined_refs: Box<[FuncRefBox]>,
    /// `*const VMFuncRef` for every function index (what `ref.func` reads).
    pub func_refs: Box<[*const VMFuncRef]>,
    pub funcs: Vec<Func>,
    pub tables: Vec<Table>,
    pub memories: Vec<Memory>,
    pub globals: Vec<Global>,
    /// Per-instance contexts of imported host functions (they know their caller).
    pub host_imports: Vec<Box<HostFuncData>>,
    /// Element segments as raw references; emptied when dropped.
    pub elements: Vec<Box<[usize]>>,
    /// Whether each data segment has been dropped.
    pub data_dropped: Vec<bool>,
    /// Engine-wide signature ids of the module's types (compiled code reads them).
    pub type_ids: Box<[u32]>,
    pub tags: Vec<crate::tag::Tag>,
    /// The store's index of each of the module's tags (compiled code reads them).
    pub tag_ids: Box<[u64]>,
}

impl Instance {
    /// Instantiate `module` with `imports` (the spec's `module_instantiate`). Link errors,
    /// segment initialization traps and start-function traps are errors; in the last two cases
    /// whatever the spec says has already happened (writes to imported memories and tables)
    /// stays done.
    pub fn new(store: &mut Store, module: &Module, imports: &Imports) -> Result<Instance, Error> {
        if !crate::Engine::same(store.engine(), module.engine()) {
            return Err(Error::Usage(
                "the module and the store belong to different engines".into(),
            ));
        }
        let resolved = resolve_imports(store, module, imports)?;
        let instance = allocate(store, module, &resolved)?;
        // Likely entry points: compile them in the background, if the backend has workers.
        let info = module.info();
        let code = module.code()?;
        for f in info
            .start
            .into_iter()
            .chain(info.exports.iter().filter_map(|e| match e.index {
                EntityIndex::Func(f) => Some(f),
                _ => None,
            }))
        {
            if let Some(defined) = info.defined_func_index(f) {
                code.prefetch(defined);
            }
        }
        initialize(store, instance)?;
        Ok(instance)
    }

    fn data<'s>(&self, store: &'s Store) -> Result<&'s InstanceData, Error> {
        store.inner.check(self.store, "instance")?;
        Ok(&store.inner.instances[self.index as usize])
    }

    /// The export called `name` (the spec's `instance_export`).
    pub fn get_export(&self, store: &Store, name: &str) -> Option<Extern> {
        let data = self.data(store).ok()?;
        let export = data.module.info().exports.iter().find(|e| e.name == name)?;
        Some(entity(data, export.index))
    }

    /// Every export, in the module's order.
    pub fn exports(&self, store: &Store) -> Result<Vec<(String, Extern)>, Error> {
        let data = self.data(store)?;
        Ok(data
            .module
            .info()
            .exports
            .iter()
            .map(|e| (e.name.clone(), entity(data, e.index)))
            .collect())
    }

    /// The exported function `name`.
    pub fn get_func(&self, store: &Store, name: &str) -> Result<Func, Error> {
        self.get_export(store, name)
            .and_then(Extern::into_func)
            .ok_or_else(|| Error::Usage(format!("no exported function `{name}`")))
    }

    /// The exported function `name`, typed.
    pub fn get_typed_func<Params: crate::WasmParams, Results: crate::WasmResults>(
        &self,
        store: &Store,
        name: &str,
    ) -> Result<crate::TypedFunc<Params, Results>, Error> {
        self.get_func(store, name)?.typed(store)
    }

    /// The exported memory `name`.
    pub fn get_memory(&self, store: &Store, name: &str) -> Option<Memory> {
        self.get_export(store, name).and_then(Extern::into_memory)
    }

    /// The module this is an instance of.
    pub fn module<'s>(&self, store: &'s Store) -> Result<&'s Module, Error> {
        Ok(&self.data(store)?.module)
    }
}

fn entity(data: &InstanceData, index: EntityIndex) -> Extern {
    match index {
        EntityIndex::Func(f) => Extern::Func(data.funcs[f.index()]),
        EntityIndex::Table(t) => Extern::Table(data.tables[t.index()]),
        EntityIndex::Memory(m) => Extern::Memory(data.memories[m.index()]),
        EntityIndex::Global(g) => Extern::Global(data.globals[g.index()]),
        EntityIndex::Tag(t) => Extern::Tag(data.tags[t.index()]),
    }
}

/// Find and type-check every import.
fn resolve_imports(
    store: &Store,
    module: &Module,
    imports: &Imports,
) -> Result<Vec<Extern>, Error> {
    let info = module.info();
    let mut resolved = Vec::with_capacity(info.imports.len());
    for (import, (module_name, name, expected)) in info.imports.iter().zip(module.imports()) {
        let item = imports
            .get(module_name, name)
            .ok_or_else(|| Error::Link(format!("unknown import `{module_name}`.`{name}`")))?;
        let actual = item.ty(store)?;
        // The exact reference types of globals and tables (function references).
        let canonical = |r: ExactRefType| r.map_type(|t| canonical_type(module.type_ids(), t));
        let (expected_ref, actual_ref) = match (import.index, &item) {
            (EntityIndex::Global(g), Extern::Global(global)) => (
                info.global_refs[g.index()].map(canonical),
                global.exact_ref(store),
            ),
            (EntityIndex::Table(t), Extern::Table(table)) => (
                Some(canonical(info.table_refs[t.index()])),
                table.exact_ref(store),
            ),
            _ => (None, None),
        };
        let refs_match = |subtype_ok: bool| match (actual_ref, expected_ref) {
            (Some(a), Some(e)) if subtype_ok => a.is_subtype_of(e),
            (a, e) => a == e,
        };
        let ok = match (&expected, &actual) {
            (ExternType::Func(e), ExternType::Func(a)) => e == a,
            (ExternType::Tag(e), ExternType::Tag(a)) => e == a,
            // An immutable global may hold a subtype; a mutable one's type must be the same.
            (ExternType::Global(e), ExternType::Global(a)) => e == a && refs_match(!e.mutable),
            (ExternType::Table(e), ExternType::Table(a)) => {
                e.element == a.element
                    && e.table64 == a.table64
                    && a.limits.matches(&e.limits)
                    && refs_match(false)
            }
            (ExternType::Memory(e), ExternType::Memory(a)) => {
                e.memory64 == a.memory64 && a.limits.matches(&e.limits)
            }
            _ => false,
        };
        if !ok {
            let (expected, actual) = match (expected_ref, actual_ref) {
                (Some(e), Some(a)) if e != a => {
                    (format!("{expected} of {e}"), format!("{actual} of {a}"))
                }
                _ => (format!("{expected}"), format!("{actual}")),
            };
            return Err(Error::Link(format!(
                "incompatible import type for `{module_name}`.`{name}`: expected {expected}, got {actual}"
            )));
        }
        resolved.push(item);
    }
    Ok(resolved)
}

/// The engine-wide signature id of a module's type index (an index the validator checked).
fn canonical_type(type_ids: &[u32], index: u32) -> u32 {
    type_ids.get(index as usize).copied().unwrap_or(u32::MAX)
}

/// Allocate the instance's functions, tables, memories and globals and build its VMContext.
fn allocate(store: &mut Store, module: &Module, resolved: &[Extern]) -> Result<Instance, Error> {
    let code = module.code()?;
    let info = module.info();
    let type_ids: Box<[u32]> = module.type_ids().into();
    let id = Instance {
        store: store.inner.id,
        index: store.inner.instances.len() as u32,
    };
    let inner = &mut *store.inner;

    let mut data = Box::new(InstanceData {
        module: module.clone(),
        vmctx: vec![0u64; VMOffsets::new(info).size() as usize / 8].into_boxed_slice(),
        defined_refs: Box::new([]),
        func_refs: Box::new([]),
        funcs: Vec::with_capacity(info.functions.len()),
        tables: Vec::new(),
        memories: Vec::new(),
        globals: Vec::new(),
        host_imports: Vec::new(),
        elements: Vec::new(),
        data_dropped: vec![false; info.data.len()],
        type_ids,
        tags: Vec::new(),
        tag_ids: Box::new([]),
    });
    let vmctx = data.vmctx.as_mut_ptr() as *mut u8;
    let offsets = VMOffsets::new(info);

    // Imports, in order.
    let mut imported_funcs = Vec::new();
    for item in resolved {
        match *item {
            Extern::Func(f) => {
                data.funcs.push(f);
                imported_funcs.push(f);
            }
            Extern::Table(t) => data.tables.push(t),
            Extern::Memory(m) => data.memories.push(m),
            Extern::Global(g) => data.globals.push(g),
            Extern::Tag(t) => data.tags.push(t),
        }
    }
    for ty in &info.tags[info.num_imported_tags as usize..] {
        let ty = info.types[ty.index()].clone();
        data.tags.push(inner.new_tag(ty));
    }
    data.tag_ids = data.tags.iter().map(|t| u64::from(t.index)).collect();

    // Defined functions: references that call through the module's GOT.
    let got = code.got();
    let first = inner.funcs.len() as u32;
    data.defined_refs = (0..info.num_defined_funcs())
        .map(|i| {
            // The engine-wide ids of the module's types were looked up once, by the module.
            let ty = info.functions[info.func_index(DefinedFuncIndex(i)).index()];
            FuncRefBox {
                vm: VMFuncRef {
                    code_slot: got.wrapping_add(i as usize) as *const *const u8,
                    type_id: data.type_ids[ty.index()],
                    _pad: 0,
                    vmctx,
                },
                func: first + i,
            }
        })
        .collect();
    for (i, r) in data.defined_refs.iter().enumerate() {
        let ty = info
            .func_type(info.func_index(DefinedFuncIndex(i as u32)))
            .clone();
        let f = inner.push_func(FuncData {
            ty,
            funcref: r as *const FuncRefBox,
            _host: None,
        });
        data.funcs.push(f);
    }
    data.func_refs = data.funcs.iter().map(|f| inner.func_ref(*f)).collect();

    // Imported functions: host functions get a context that knows this instance.
    for (i, f) in imported_funcs.iter().enumerate() {
        let fd = &inner.funcs[f.index as usize];
        let import = match &fd._host {
            Some(host) => {
                let ctx = HostFuncData::new(
                    inner,
                    host.ty.clone(),
                    host.func.clone(),
                    f.index,
                    Some(id),
                )?;
                let import = VMFuncImport {
                    code: ctx.code,
                    vmctx: &*ctx as *const HostFuncData as *mut u8,
                };
                data.host_imports.push(ctx);
                import
            }
            None => {
                // SAFETY: the funcref of a wasm function points into its live instance.
                let vm = unsafe { &(*fd.funcref).vm };
                // SAFETY: the code slot is a GOT entry of a live module.
                let code = unsafe { *vm.code_slot };
                VMFuncImport {
                    code,
                    vmctx: vm.vmctx,
                }
            }
        };
        // A GOT entry may still be a stub; it stays valid (the stub resolves and continues).
        write_words(
            &mut data.vmctx,
            offsets.imported_func(i as u32),
            &[import.code as u64, import.vmctx as u64],
        );
    }

    // Defined tables, memories, globals; their exact reference types with engine-wide ids.
    let type_ids = module.type_ids();
    let exact = |r: ExactRefType| r.map_type(|t| canonical_type(type_ids, t));
    let defined_tables = info.num_imported_tables as usize..info.tables.len();
    for ((ty, init), reference) in info.tables[defined_tables.clone()]
        .iter()
        .zip(&info.table_inits)
        .zip(&info.table_refs[defined_tables])
    {
        let init = eval_const(inner, &data, init).get_reference();
        let mut table = inner.new_table(*ty, init)?;
        table.reference = Some(exact(*reference));
        inner.tables.push(table);
        data.tables.push(Table {
            store: inner.id,
            index: inner.tables.len() as u32 - 1,
        });
    }
    for ty in &info.memories[info.num_imported_memories as usize..] {
        let memory = inner.new_memory(*ty)?;
        inner.memories.push(memory);
        data.memories.push(Memory {
            store: inner.id,
            index: inner.memories.len() as u32 - 1,
        });
    }
    let defined_globals = info.num_imported_globals as usize..info.globals.len();
    for ((ty, init), reference) in info.globals[defined_globals.clone()]
        .iter()
        .zip(&info.global_inits)
        .zip(&info.global_refs[defined_globals])
    {
        let value = eval_const(inner, &data, init);
        inner.globals.push(Box::new(GlobalData {
            ty: *ty,
            value,
            reference: reference.map(exact),
        }));
        data.globals.push(Global {
            store: inner.id,
            index: inner.globals.len() as u32 - 1,
        });
    }

    // Element segments are evaluated now; active and declared ones are dropped after init.
    data.elements = info
        .elements
        .iter()
        .map(|seg| {
            seg.items
                .iter()
                .map(|e| eval_const(inner, &data, e).get_reference())
                .collect()
        })
        .collect();

    // The VMContext.
    let words = &mut data.vmctx;
    write_words(words, VMOffsets::MAGIC, &[VMCONTEXT_MAGIC]);
    write_words(
        words,
        VMOffsets::LIBCALLS,
        &[inner.libcalls.as_ptr() as u64],
    );
    write_words(words, VMOffsets::GOT, &[got as u64]);
    write_words(words, VMOffsets::TYPE_IDS, &[data.type_ids.as_ptr() as u64]);
    write_words(words, VMOffsets::TAGS, &[data.tag_ids.as_ptr() as u64]);
    write_words(
        words,
        VMOffsets::RUNTIME_LIMITS,
        &[&*inner.limits as *const _ as u64],
    );
    write_words(
        words,
        VMOffsets::FUNC_REFS,
        &[data.func_refs.as_ptr() as u64],
    );
    write_words(
        words,
        VMOffsets::RUNTIME,
        &[inner as *mut StoreInner as u64],
    );
    write_words(words, VMOffsets::INSTANCE_ID, &[id.index as u64]);
    for (i, m) in data.memories.iter().enumerate() {
        let def = &inner.memories[m.index as usize].def as *const _ as u64;
        write_words(&mut data.vmctx, offsets.memory(i as u32), &[def]);
    }
    for (i, t) in data.tables.iter().enumerate() {
        let def = &inner.tables[t.index as usize].def as *const _ as u64;
        write_words(&mut data.vmctx, offsets.table(i as u32), &[def]);
    }
    for (i, g) in data.globals.iter().enumerate() {
        let value = &inner.globals[g.index as usize].value as *const _ as u64;
        write_words(&mut data.vmctx, offsets.global(i as u32), &[value]);
    }

    inner.instances.push(data);
    Ok(id)
}

fn write_words(words: &mut [u64], offset: u32, values: &[u64]) {
    let at = offset as usize / 8;
    words[at..at + values.len()].copy_from_slice(values);
}

/// Evaluate a constant expression in the (partly built) instance.
fn eval_const(store: &StoreInner, data: &InstanceData, e: &ConstExpr) -> ValRaw {
    let global = |g: GlobalIndex| store.globals[data.globals[g.index()].index as usize].value;
    match *e {
        ConstExpr::I32(v) => ValRaw::i32(v),
        ConstExpr::I64(v) => ValRaw::i64(v),
        ConstExpr::F32(v) => ValRaw::f32(v),
        ConstExpr::F64(v) => ValRaw::f64(v),
        ConstExpr::V128(v) => ValRaw::v128(v),
        ConstExpr::RefNull(_) => ValRaw::reference(0),
        ConstExpr::RefFunc(f) => ValRaw::reference(store.func_ref(data.funcs[f.index()]) as usize),
        ConstExpr::GlobalGet(g) => global(g),
        ConstExpr::Extended(ref ops) => {
            // Integer arithmetic on a stack, wrapping as the instructions are defined; the
            // sequence was validated, so the stack never underflows and ends with one value.
            let mut stack: Vec<ValRaw> = Vec::with_capacity(4);
            for op in ops.iter() {
                let value = match *op {
                    ConstOp::I32(v) => ValRaw::i32(v),
                    ConstOp::I64(v) => ValRaw::i64(v),
                    ConstOp::GlobalGet(g) => global(g),
                    op => {
                        let b = stack.pop().unwrap_or_default();
                        let a = stack.pop().unwrap_or_default();
                        let (x, y) = (a.get_i32(), b.get_i32());
                        let (p, q) = (a.get_i64(), b.get_i64());
                        match op {
                            ConstOp::I32Add => ValRaw::i32(x.wrapping_add(y)),
                            ConstOp::I32Sub => ValRaw::i32(x.wrapping_sub(y)),
                            ConstOp::I32Mul => ValRaw::i32(x.wrapping_mul(y)),
                            ConstOp::I64Add => ValRaw::i64(p.wrapping_add(q)),
                            ConstOp::I64Sub => ValRaw::i64(p.wrapping_sub(q)),
                            _ => ValRaw::i64(p.wrapping_mul(q)),
                        }
                    }
                };
                stack.push(value);
            }
            stack.pop().unwrap_or_default()
        }
    }
}

/// Run active element and data segments in order, drop them, then run the start function.
fn initialize(store: &mut Store, instance: Instance) -> Result<(), Error> {
    let inner = &mut *store.inner;
    let data = &inner.instances[instance.index as usize];
    let module = data.module.clone();
    let info = module.info();
    for (i, seg) in info.elements.iter().enumerate() {
        let data = &inner.instances[instance.index as usize];
        match &seg.mode {
            ElementMode::Active { table, offset } => {
                let offset = eval_const(inner, data, offset);
                let offset = if info.tables[table.index()].table64 {
                    offset.get_i64() as u64
                } else {
                    offset.get_i32() as u32 as u64
                };
                let items = data.elements[i].clone();
                let t = data.tables[table.index()];
                let td = &mut inner.tables[t.index as usize];
                let range = td.range(offset, items.len() as u64)?;
                td.elements_mut()[range].copy_from_slice(&items);
                inner.instances[instance.index as usize].elements[i] = Box::new([]);
            }
            ElementMode::Declared => {
                inner.instances[instance.index as usize].elements[i] = Box::new([])
            }
            ElementMode::Passive => {}
        }
    }
    for (i, seg) in info.data.iter().enumerate() {
        if let DataMode::Active { memory, offset } = &seg.mode {
            let data = &inner.instances[instance.index as usize];
            let offset = eval_const(inner, data, offset);
            let offset = if info.memories[memory.index()].memory64 {
                offset.get_i64() as u64
            } else {
                offset.get_i32() as u32 as u64
            };
            let m = data.memories[memory.index()];
            let bytes = &info.bytes[seg.range.clone()];
            let md = &mut inner.memories[m.index as usize];
            let range = md.range(offset, bytes.len() as u64)?;
            md.bytes_mut()[range].copy_from_slice(bytes);
            inner.instances[instance.index as usize].data_dropped[i] = true;
        }
    }
    if let Some(start) = info.start {
        let f = inner.instances[instance.index as usize].funcs[start.index()];
        f.call(store, &[])?;
    }
    Ok(())
}

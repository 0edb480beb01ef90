//! Single-pass lowering of one WebAssembly function to LLVM IR.
//!
//! One walk over the operators with an abstract value stack of LLVM values and a control stack
//! of blocks, loops and ifs; locals are allocas that mem2reg promotes. Each operator family is
//! lowered in its own file; this one holds the shared state and helpers.

mod branch_weights;
mod call;
mod control;
mod conversion;
mod exceptions;
mod memory;
mod numeric;
mod osr;
mod reference;
mod simd;
mod table;
mod variable;

use branch_weights::BranchCounts;
use inkwell::basic_block::BasicBlock;
use inkwell::builder::{Builder, BuilderError};
use inkwell::context::Context;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::Module;
use inkwell::types::{BasicType, BasicTypeEnum};
use inkwell::values::{
    BasicMetadataValueEnum, BasicValueEnum, FunctionValue, IntValue, PhiValue, PointerValue,
};
use lazuli_backend_api::branch_profile::SlotCursor;
use lazuli_backend_api::libcall::Libcall;
use lazuli_backend_api::vmcontext::VMOffsets;
use lazuli_backend_api::{
    CodeFlags, CompileError, DefinedFuncIndex, FuncType, ModuleInfo, TrapCode, ValType,
};
use wasmparser::{BinaryReaderError, Operator};

use crate::abi::Types;

/// Why lowering stopped.
#[derive(Debug)]
pub(crate) enum LowerError {
    Builder(BuilderError),
    Wasm(BinaryReaderError),
    Unsupported(String),
    /// The call this compile is for passed its deadline (`lazuli_jit::lazy::interrupted`).
    Interrupted,
}

impl From<BuilderError> for LowerError {
    fn from(e: BuilderError) -> Self {
        LowerError::Builder(e)
    }
}

impl From<BinaryReaderError> for LowerError {
    fn from(e: BinaryReaderError) -> Self {
        LowerError::Wasm(e)
    }
}

impl LowerError {
    pub(crate) fn into_compile_error(self, what: &str) -> CompileError {
        CompileError::new(match self {
            LowerError::Builder(e) => format!("{what}: LLVM builder error: {e}"),
            LowerError::Wasm(e) => format!("{what}: cannot read body: {e}"),
            LowerError::Unsupported(m) => format!("{what}: {m}"),
            LowerError::Interrupted => {
                format!("{what}: {}", lazuli_jit::lazy::interrupted_error())
            }
        })
    }
}

pub(crate) type Result<T> = std::result::Result<T, LowerError>;

/// Operators lowered between two checks of the calling store's deadline.
const INTERRUPT_CHECK_OPERATORS: u32 = 4096;

/// The symbol name of a defined function's code.
pub(crate) fn func_symbol(f: DefinedFuncIndex) -> String {
    format!("{FUNC_SYMBOL_PREFIX}{}", f.0)
}

/// The symbol name of a defined function's OSR entry at loop `loop_index`; it starts like
/// [`func_symbol`], so that its code is found as the function's.
pub(crate) fn osr_symbol(f: DefinedFuncIndex, loop_index: u32) -> String {
    format!("{FUNC_SYMBOL_PREFIX}{}_osr{loop_index}", f.0)
}

/// The prefix of every wasm function's symbol; the defined index follows.
pub(crate) const FUNC_SYMBOL_PREFIX: &str = "wasm_func_";

/// Make `function` keep a frame pointer, so that a trap can walk the wasm frames above it, and
/// mark it as never unwinding.
pub(crate) fn keep_frame_pointer(ctx: &Context, function: FunctionValue<'_>) {
    let attribute = ctx.create_string_attribute("frame-pointer", "all");
    function.add_attribute(inkwell::attributes::AttributeLoc::Function, attribute);
    // Nothing unwinds through compiled code (traps jump over it, host functions cannot
    // unwind), so no unwind tables: objects carry no `.eh_frame` to register.
    let nounwind = inkwell::attributes::Attribute::get_named_enum_kind_id("nounwind");
    function.add_attribute(
        inkwell::attributes::AttributeLoc::Function,
        ctx.create_enum_attribute(nounwind, 0),
    );
}

/// Make a load or store volatile, so that LLVM neither hoists nor merges it (a value another
/// thread changes, or a count FastISel must select directly).
fn set_volatile(access: Option<inkwell::values::InstructionValue<'_>>) -> Result<()> {
    access
        .map(|i| i.set_volatile(true))
        .transpose()
        .map(drop)
        .map_err(|e| LowerError::Unsupported(format!("volatile access: {e}")))
}

/// Make `function`'s prologue call the stack probe (`crate::probe`) for frames of a page or
/// more, so that no frame, however large, is allocated below the stack limit.
pub(crate) fn probe_stack(ctx: &Context, function: FunctionValue<'_>) {
    for (key, value) in [
        ("probe-stack", crate::probe::PROBE_SYMBOL.to_string()),
        ("stack-probe-size", crate::probe::PROBE_SIZE.to_string()),
    ] {
        let attribute = ctx.create_string_attribute(key, &value);
        function.add_attribute(inkwell::attributes::AttributeLoc::Function, attribute);
    }
}

/// Where baseline code counts its hotness, and whom it tells when the function is hot.
#[derive(Clone, Copy)]
pub(crate) struct Profile {
    /// Address of the function's `u32` counter.
    pub counter: usize,
    /// The count at which to call `request`.
    pub threshold: u32,
    /// `extern "C" fn(context: usize, function: u32)`, called once when hot.
    pub request: usize,
    /// First argument of `request`.
    pub context: usize,
}

/// What kind of construct a control frame is.
enum FrameKind<'ctx> {
    /// The function body; its end returns.
    Function,
    Block,
    /// Branches go back to the header, whose phis hold the loop parameters.
    Loop {
        header_phis: Vec<PhiValue<'ctx>>,
    },
    /// `else_block` is where the false edge goes; `params` are the values the else arm starts
    /// with; `entry_reachable` says whether the `if` itself was reachable.
    If {
        else_block: Option<BasicBlock<'ctx>>,
        params: Vec<BasicValueEnum<'ctx>>,
        entry_reachable: bool,
    },
    /// `try_table`, whose handler is the frame's `handler` (see `exceptions.rs`).
    TryTable {
        handler: PointerValue<'ctx>,
    },
    /// Legacy `try` (see `exceptions.rs`): its handler, where an exception lands, whether the
    /// catch clauses have begun, and where the next clause's test starts.
    LegacyTry {
        handler: PointerValue<'ctx>,
        pad: BasicBlock<'ctx>,
        in_catch: bool,
        next_clause: Option<BasicBlock<'ctx>>,
    },
}

impl<'ctx> FrameKind<'ctx> {
    /// The handler of a `try_table` or legacy `try` whose handler is linked while code in the
    /// frame runs (not in a legacy `try`'s catch clauses).
    fn linked_handler(&self) -> Option<PointerValue<'ctx>> {
        match *self {
            FrameKind::TryTable { handler }
            | FrameKind::LegacyTry {
                handler,
                in_catch: false,
                ..
            } => Some(handler),
            _ => None,
        }
    }
}

/// One entry of the control stack.
struct Frame<'ctx> {
    kind: FrameKind<'ctx>,
    /// Value-stack height below the frame's parameters.
    height: usize,
    param_types: Vec<ValType>,
    result_types: Vec<ValType>,
    /// Loop: the header; otherwise the block after `end`.
    branch_target: BasicBlock<'ctx>,
    end_block: BasicBlock<'ctx>,
    /// Phis in `end_block`, one per result.
    end_phis: Vec<PhiValue<'ctx>>,
}

impl Frame<'_> {
    fn branch_arity(&self) -> usize {
        match self.kind {
            FrameKind::Loop { .. } => self.param_types.len(),
            _ => self.result_types.len(),
        }
    }
}

/// The state of lowering one function.
/// Kinds of memory that compiled code tells apart for LLVM's alias analysis (TBAA).
#[derive(Clone, Copy)]
pub(crate) enum AliasClass {
    /// Bytes of a wasm linear memory.
    LinearMemory = 0,
    /// A `VMMemoryDefinition` (a memory's base and bound) and the VMContext slot pointing to
    /// it: written only by the runtime.
    MemoryDefinition,
    /// The store's `VMRuntimeLimits` (the epoch pointer and deadline) and the VMContext slot
    /// pointing to it: written only by the runtime, between calls into wasm.
    RuntimeLimits,
}

pub(crate) struct Lowering<'ctx, 'a> {
    pub(crate) ctx: &'ctx Context,
    pub(crate) module: &'a Module<'ctx>,
    pub(crate) builder: Builder<'ctx>,
    pub(crate) types: Types<'ctx>,
    pub(crate) info: &'a ModuleInfo,
    pub(crate) offsets: VMOffsets,
    pub(crate) function: FunctionValue<'ctx>,
    pub(crate) vmctx: PointerValue<'ctx>,
    locals: Vec<(PointerValue<'ctx>, BasicTypeEnum<'ctx>)>,
    pub(crate) stack: Vec<BasicValueEnum<'ctx>>,
    control: Vec<Frame<'ctx>>,
    /// Whether the current position can execute.
    pub(crate) reachable: bool,
    /// Depth of blocks opened inside unreachable code, skipped without lowering.
    dead_code: lazuli_backend_api::DeadCode,
    /// One block per trap code that raises it, made on first use.
    trap_blocks: Vec<(TrapCode, BasicBlock<'ctx>)>,
    /// Hotness counting, in baseline code that may tier up.
    profile: Option<Profile>,
    /// What the code must do at every tier (epoch checks, which bounds checks to skip).
    code: CodeFlags,
    index: DefinedFuncIndex,
    /// Whether the function has a `try_table`: its locals are then accessed volatile.
    has_try: bool,
    /// The frame's handlers, one per nesting depth of tries (see `exceptions.rs`).
    handlers: Vec<PointerValue<'ctx>>,
    /// The `tbaa` metadata kind and one access tag per `AliasClass`, made on first use.
    alias_tags: std::cell::OnceCell<(u32, [inkwell::values::MetadataValue<'ctx>; 3])>,
    /// A first tier's counts of this function, made into branch weights.
    branch_counts: Option<BranchCounts>,
    /// Numbers the branch-profile slots of the operators read so far.
    slots: SlotCursor,
    /// The first slot of the operator being lowered.
    pub(crate) op_slot: u32,
    /// The wasm signature of the LLVM function being built: the function's own, or for an OSR
    /// entry `lazuli_backend_api::osr::entry_type` of it.
    pub(crate) signature: FuncType,
    /// How many `loop` operators have been read (the number of the next one).
    loops_read: u32,
    /// For an OSR entry: the loop it enters, and the block (ending the prologue) that is to
    /// jump to that loop's header once the header exists.
    osr: Option<OsrEntry<'ctx>>,
}

/// An OSR entry being built ([`lazuli_backend_api::osr`]).
#[derive(Clone, Copy)]
struct OsrEntry<'ctx> {
    /// The number of the loop it enters.
    loop_index: u32,
    /// The end of the prologue, without its terminator until the loop is lowered.
    jump_from: BasicBlock<'ctx>,
}

/// What a function is lowered with besides its body.
pub(crate) struct FunctionInputs {
    /// Hotness counting, in code at the baseline level that may tier up.
    pub profile: Option<Profile>,
    /// What the code must do at every tier.
    pub code: CodeFlags,
    /// A first tier's branch counts of the function, one per slot.
    pub branch_counts: Option<Vec<u32>>,
    /// Build the function's OSR entry at this loop instead of the function
    /// ([`lazuli_backend_api::osr`]; its symbol is [`osr_symbol`]).
    pub osr_loop: Option<u32>,
}

/// Lower defined function `index` into `module` as `func_symbol(index)`.
pub(crate) fn lower_function<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    info: &ModuleInfo,
    index: DefinedFuncIndex,
    inputs: FunctionInputs,
) -> std::result::Result<FunctionValue<'ctx>, CompileError> {
    let what = match info.func_name(info.func_index(index)) {
        Some(name) => format!("function {} ({name})", info.func_index(index)),
        None => format!("function {}", info.func_index(index)),
    };
    lower(ctx, module, info, index, inputs).map_err(|e| e.into_compile_error(&what))
}

fn lower<'ctx>(
    ctx: &'ctx Context,
    module: &Module<'ctx>,
    info: &ModuleInfo,
    index: DefinedFuncIndex,
    inputs: FunctionInputs,
) -> Result<FunctionValue<'ctx>> {
    let FunctionInputs {
        profile,
        code,
        branch_counts,
        osr_loop,
    } = inputs;
    let branch_counts = match branch_counts {
        Some(counts) => BranchCounts::for_body(counts, info.body_bytes(index))?,
        None => None,
    };
    let types = Types::new(ctx);
    let func_index = info.func_index(index);
    let ty = info.func_type(func_index).clone();
    let (symbol, signature) = match osr_loop {
        Some(l) => (
            osr_symbol(index, l),
            lazuli_backend_api::osr::entry_type(&ty),
        ),
        None => (func_symbol(index), ty.clone()),
    };
    let function = module.add_function(&symbol, types.func(&signature), None);
    function.set_call_conventions(crate::abi::WASM_CALL_CONV);
    keep_frame_pointer(ctx, function);
    probe_stack(ctx, function);
    let builder = ctx.create_builder();
    let entry = ctx.append_basic_block(function, "entry");
    builder.position_at_end(entry);
    let vmctx = function
        .get_nth_param(0)
        .expect("vmctx parameter")
        .into_pointer_value();

    let mut l = Lowering {
        ctx,
        module,
        builder,
        types,
        info,
        offsets: VMOffsets::new(info),
        function,
        vmctx,
        locals: Vec::new(),
        stack: Vec::new(),
        control: Vec::new(),
        reachable: true,
        dead_code: lazuli_backend_api::DeadCode::default(),
        trap_blocks: Vec::new(),
        profile,
        code,
        index,
        alias_tags: std::cell::OnceCell::new(),
        has_try: lazuli_backend_api::unwind::try_table_depth(info.body_bytes(index))? > 0,
        handlers: Vec::new(),
        branch_counts,
        slots: SlotCursor::default(),
        op_slot: 0,
        signature,
        loops_read: 0,
        osr: None,
    };
    l.set_entry_count();

    // Parameters and declared locals live in allocas.
    for (i, t) in ty.params().iter().enumerate() {
        let llty = l.types.val(*t);
        let slot = l.builder.build_alloca(llty, "param")?;
        if osr_loop.is_none() {
            let value = function
                .get_nth_param(i as u32 + 1)
                .expect("declared parameter");
            l.builder.build_store(slot, value)?;
        }
        l.locals.push((slot, llty));
    }
    let body =
        wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(info.body_bytes(index), 0));
    for local in body.get_locals_reader()? {
        let (count, t) = local?;
        let t = ValType::from(t);
        let llty = l.types.val(t);
        let zero = l.zero(t);
        for _ in 0..count {
            let slot = l.builder.build_alloca(llty, "local")?;
            if osr_loop.is_none() {
                l.builder.build_store(slot, zero)?;
            }
            l.locals.push((slot, llty));
        }
    }
    l.stack_check()?;
    if let Some(loop_index) = osr_loop {
        l.load_osr_locals()?;
        // The function's own entry path stays without a predecessor (LLVM drops it); the
        // prologue jumps to the loop header once the loop is lowered.
        let jump_from = l.builder.get_insert_block().expect("positioned");
        l.osr = Some(OsrEntry {
            loop_index,
            jump_from,
        });
        let unentered = ctx.append_basic_block(function, "function_entry");
        l.builder.position_at_end(unentered);
    }
    l.epoch_check()?;
    l.count_hotness()?;

    let end_block = ctx.append_basic_block(function, "return");
    let end_phis = l.phis_at(end_block, ty.results())?;
    l.control.push(Frame {
        kind: FrameKind::Function,
        height: 0,
        param_types: Vec::new(),
        result_types: ty.results().to_vec(),
        branch_target: end_block,
        end_block,
        end_phis,
    });

    let mut ops = body.get_operators_reader()?;
    let mut count = 0u32;
    while !ops.eof() {
        count = count.wrapping_add(1);
        if count % INTERRUPT_CHECK_OPERATORS == 0 && lazuli_jit::lazy::interrupted() {
            return Err(LowerError::Interrupted);
        }
        let op = ops.read()?;
        if let Operator::Loop { .. } = op {
            l.loops_read += 1;
        }
        // Slots are numbered only for weights to find their counts.
        if l.branch_counts.is_some() {
            l.op_slot = l.slots.advance(&op).first;
        }
        if !l.reachable {
            if l.dead_code.skip(&op) {
                continue;
            }
        }
        l.operator(&op)?;
    }
    if let Some(osr) = l.osr {
        if osr.jump_from.get_terminator().is_none() {
            return Err(LowerError::Unsupported(format!(
                "no reachable loop {} to enter",
                osr.loop_index
            )));
        }
    }
    Ok(function)
}

impl<'ctx> Lowering<'ctx, '_> {
    fn operator(&mut self, op: &Operator<'_>) -> Result<()> {
        if self.control_op(op)?
            || self.variable_op(op)?
            || self.numeric_op(op)?
            || self.conversion_op(op)?
            || self.memory_op(op)?
            || self.call_op(op)?
            || self.reference_op(op)?
            || self.table_op(op)?
            || self.simd_op(op)?
            || self.exception_op(op)?
        {
            Ok(())
        } else {
            Err(LowerError::Unsupported(format!(
                "operator {op:?} is not supported by the LLVM backend"
            )))
        }
    }

    // ---- value stack ----

    pub(crate) fn push(&mut self, v: impl Into<BasicValueEnum<'ctx>>) {
        self.stack.push(v.into());
    }

    pub(crate) fn pop(&mut self) -> BasicValueEnum<'ctx> {
        self.stack
            .pop()
            .expect("validated code never pops an empty stack")
    }

    pub(crate) fn pop_int(&mut self) -> IntValue<'ctx> {
        self.pop().into_int_value()
    }

    pub(crate) fn pop_n(&mut self, n: usize) -> Vec<BasicValueEnum<'ctx>> {
        let at = self.stack.len() - n;
        self.stack.split_off(at)
    }

    pub(crate) fn peek_n(&self, n: usize) -> &[BasicValueEnum<'ctx>] {
        &self.stack[self.stack.len() - n..]
    }

    // ---- helpers ----

    /// The zero (or null) value of a type.
    pub(crate) fn zero(&self, t: ValType) -> BasicValueEnum<'ctx> {
        match t {
            ValType::I32 => self.types.i32.const_zero().into(),
            ValType::I64 => self.types.i64.const_zero().into(),
            ValType::F32 => self.types.f32.const_zero().into(),
            ValType::F64 => self.types.f64.const_zero().into(),
            ValType::V128 => self.types.i128.const_zero().into(),
            ValType::FuncRef | ValType::ExternRef | ValType::ExnRef => {
                self.types.ptr.const_null().into()
            }
        }
    }

    pub(crate) fn i32_const(&self, v: u32) -> IntValue<'ctx> {
        self.types.i32.const_int(v as u64, false)
    }

    pub(crate) fn i64_const(&self, v: u64) -> IntValue<'ctx> {
        self.types.i64.const_int(v, false)
    }

    /// `base + offset` bytes, as a pointer.
    pub(crate) fn byte_offset(
        &self,
        base: PointerValue<'ctx>,
        offset: IntValue<'ctx>,
    ) -> Result<PointerValue<'ctx>> {
        // SAFETY: this only builds a GEP instruction in the IR; nothing is dereferenced here.
        Ok(unsafe {
            self.builder
                .build_gep(self.types.i8, base, &[offset], "addr")?
        })
    }

    /// Load a pointer-sized field at a constant offset from `base`.
    pub(crate) fn load_ptr_field(
        &self,
        base: PointerValue<'ctx>,
        offset: u32,
        name: &str,
    ) -> Result<PointerValue<'ctx>> {
        let addr = self.byte_offset(base, self.i64_const(offset as u64))?;
        Ok(self
            .builder
            .build_load(self.types.ptr, addr, name)?
            .into_pointer_value())
    }

    /// Tell LLVM which kind of memory `access` (a load or store) touches, so that a store to
    /// linear memory is known not to change the memory's base and bound: those need not be
    /// reloaded after it. Accesses without a class may touch anything.
    /// Mark a load as reading memory that never changes while the code can run, so that LLVM
    /// may hoist it out of loops and reuse it across calls.
    pub(crate) fn set_invariant(&self, load: Option<inkwell::values::InstructionValue<'ctx>>) {
        let Some(load) = load else { return };
        let kind = self.ctx.get_kind_id("invariant.load");
        // Only fails for a value that is not an instruction, which `load` is.
        let _ = load.set_metadata(self.ctx.metadata_node(&[]), kind);
    }

    pub(crate) fn set_alias_class(
        &self,
        access: Option<inkwell::values::InstructionValue<'ctx>>,
        class: AliasClass,
    ) {
        let Some(access) = access else { return };
        let (kind, tags) = *self.alias_tags.get_or_init(|| {
            let root = self
                .ctx
                .metadata_node(&[self.ctx.metadata_string("lazuli").into()]);
            let tag = |name: &str| {
                let node = self.ctx.metadata_node(&[
                    self.ctx.metadata_string(name).into(),
                    root.into(),
                    self.i64_const(0).into(),
                ]);
                self.ctx
                    .metadata_node(&[node.into(), node.into(), self.i64_const(0).into()])
            };
            (
                self.ctx.get_kind_id("tbaa"),
                [
                    tag("wasm linear memory"),
                    tag("memory definition"),
                    tag("runtime limits"),
                ],
            )
        });
        // Only fails for a value that is not an instruction, which `access` is.
        let _ = access.set_metadata(tags[class as usize], kind);
    }

    /// Load a field of type `ty` at a constant offset from `base`.
    pub(crate) fn load_field(
        &self,
        ty: impl BasicType<'ctx>,
        base: PointerValue<'ctx>,
        offset: u32,
        name: &str,
    ) -> Result<BasicValueEnum<'ctx>> {
        let addr = self.byte_offset(base, self.i64_const(offset as u64))?;
        Ok(self.builder.build_load(ty, addr, name)?)
    }

    /// Call an LLVM intrinsic overloaded on `overloads`.
    pub(crate) fn intrinsic(
        &self,
        name: &str,
        overloads: &[BasicTypeEnum<'ctx>],
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> Result<BasicValueEnum<'ctx>> {
        let decl = Intrinsic::find(name)
            .and_then(|i| i.get_declaration(self.module, overloads))
            .ok_or_else(|| LowerError::Unsupported(format!("LLVM has no intrinsic {name}")))?;
        let call = self.builder.build_call(decl, args, "")?;
        call.try_as_basic_value()
            .basic()
            .ok_or_else(|| LowerError::Unsupported(format!("intrinsic {name} returns nothing")))
    }

    /// `v`, hidden from LLVM's optimizer. Wasm asks that float operations on a signaling NaN
    /// give a quiet NaN, but LLVM folds identities like `x * 1.0`, `x - 0.0` or
    /// `demote(promote(x))` to `x`, which would hand the signaling NaN back unchanged. Float
    /// constants and promotions pass through an empty inline-asm move, which folds nothing
    /// and costs nothing (producers of wasm have already folded their constants).
    pub(crate) fn opaque_float(
        &self,
        v: inkwell::values::FloatValue<'ctx>,
    ) -> Result<inkwell::values::FloatValue<'ctx>> {
        if !cfg!(target_arch = "x86_64") {
            return Ok(v);
        }
        let ty = v.get_type();
        let fn_ty = ty.fn_type(&[ty.into()], false);
        let asm = self.ctx.create_inline_asm(
            fn_ty,
            String::new(),
            "=x,0".into(),
            false,
            false,
            None,
            false,
        );
        let call = self
            .builder
            .build_indirect_call(fn_ty, asm, &[v.into()], "opaque")?;
        Ok(call
            .try_as_basic_value()
            .basic()
            .expect("asm returns the value")
            .into_float_value())
    }

    /// Call libcall `which` with the given LLVM signature.
    pub(crate) fn libcall(
        &self,
        which: Libcall,
        ret: Option<BasicTypeEnum<'ctx>>,
        params: &[BasicValueEnum<'ctx>],
    ) -> Result<Option<BasicValueEnum<'ctx>>> {
        let table = self.load_ptr_field(self.vmctx, VMOffsets::LIBCALLS, "libcalls")?;
        let entry = self.load_ptr_field(table, which as u32 * 8, "libcall")?;
        let mut args: Vec<BasicMetadataValueEnum<'ctx>> = vec![self.vmctx.into()];
        args.extend(params.iter().map(|p| BasicMetadataValueEnum::from(*p)));
        let arg_types: Vec<_> = args.iter().map(|a| crate::metadata_type_of(*a)).collect();
        let fn_ty = match ret {
            None => self.ctx.void_type().fn_type(&arg_types, false),
            Some(r) => r.fn_type(&arg_types, false),
        };
        let call = self.builder.build_indirect_call(fn_ty, entry, &args, "")?;
        Ok(call.try_as_basic_value().basic())
    }

    /// Branch to a block that raises `code` when `cond` is true.
    pub(crate) fn trap_if(&mut self, cond: IntValue<'ctx>, code: TrapCode) -> Result<()> {
        let trap = self.trap_block(code)?;
        let cont = self.ctx.append_basic_block(self.function, "ok");
        self.builder.build_conditional_branch(cond, trap, cont)?;
        self.builder.position_at_end(cont);
        Ok(())
    }

    /// Raise `code` unconditionally; what follows is unreachable.
    pub(crate) fn trap(&mut self, code: TrapCode) -> Result<()> {
        let trap = self.trap_block(code)?;
        self.builder.build_unconditional_branch(trap)?;
        self.reachable = false;
        Ok(())
    }

    fn trap_block(&mut self, code: TrapCode) -> Result<BasicBlock<'ctx>> {
        if let Some((_, b)) = self.trap_blocks.iter().find(|(c, _)| *c == code) {
            return Ok(*b);
        }
        let current = self
            .builder
            .get_insert_block()
            .expect("builder is positioned");
        let block = self.ctx.append_basic_block(self.function, "trap");
        self.builder.position_at_end(block);
        self.libcall(
            Libcall::RaiseTrap,
            None,
            &[self.i32_const(code as u32).into()],
        )?;
        self.builder.build_unreachable()?;
        self.builder.position_at_end(current);
        self.trap_blocks.push((code, block));
        Ok(block)
    }

    /// Trap with `StackOverflow` if this function's frame is below the store's stack limit.
    /// The frame address stands for the stack pointer: wasm frames are small next to the
    /// reserve below the limit, and unlike `llvm.stacksave` it does not push the baseline
    /// instruction selector (FastISel) onto its slow fallback.
    fn stack_check(&mut self) -> Result<()> {
        let limits = self.load_ptr_field(self.vmctx, VMOffsets::RUNTIME_LIMITS, "limits")?;
        let limit = self
            .load_field(self.types.i64, limits, 0, "stack_limit")?
            .into_int_value();
        let sp = self
            .intrinsic(
                "llvm.frameaddress",
                &[self.types.ptr.into()],
                &[self.i32_const(0).into()],
            )?
            .into_pointer_value();
        let sp = self.builder.build_ptr_to_int(sp, self.types.i64, "sp")?;
        let low =
            self.builder
                .build_int_compare(inkwell::IntPredicate::ULT, sp, limit, "stack_low")?;
        self.trap_if(low, TrapCode::StackOverflow)
    }

    /// With epoch interruption: trap with `Interrupted` if the engine's epoch has reached the
    /// store's deadline. The epoch is read with a volatile load, so that no loop hoists it.
    pub(crate) fn epoch_check(&mut self) -> Result<()> {
        if !self.code.epoch_interruption {
            return Ok(());
        }
        use lazuli_backend_api::vmcontext::VMRuntimeLimits;
        // The limits and the epoch's address do not change while wasm runs, and no store to
        // linear memory can touch them: tagged so, they can stay in registers across a loop.
        let limits = self
            .load_limits_field(
                self.types.ptr,
                self.vmctx,
                VMOffsets::RUNTIME_LIMITS,
                "limits",
            )?
            .into_pointer_value();
        let epoch_ptr = self
            .load_limits_field(
                self.types.ptr,
                limits,
                std::mem::offset_of!(VMRuntimeLimits, epoch) as u32,
                "epoch_ptr",
            )?
            .into_pointer_value();
        let epoch = self
            .builder
            .build_load(self.types.i64, epoch_ptr, "epoch")?;
        set_volatile(inkwell::values::BasicValue::as_instruction_value(&epoch))?;
        let deadline = self
            .load_limits_field(
                self.types.i64,
                limits,
                std::mem::offset_of!(VMRuntimeLimits, epoch_deadline) as u32,
                "epoch_deadline",
            )?
            .into_int_value();
        let passed = self.builder.build_int_compare(
            inkwell::IntPredicate::UGE,
            epoch.into_int_value(),
            deadline,
            "deadline_passed",
        )?;
        self.trap_if(passed, TrapCode::Interrupted)
    }

    /// Load a field of the runtime limits (or the VMContext's pointer to them), tagged
    /// [`AliasClass::RuntimeLimits`].
    fn load_limits_field(
        &self,
        ty: impl BasicType<'ctx>,
        base: PointerValue<'ctx>,
        offset: u32,
        name: &str,
    ) -> Result<BasicValueEnum<'ctx>> {
        let value = self.load_field(ty, base, offset, name)?;
        self.set_alias_class(
            inkwell::values::BasicValue::as_instruction_value(&value),
            AliasClass::RuntimeLimits,
        );
        Ok(value)
    }

    /// Add one to the function's hotness counter; on reaching the threshold, ask for an
    /// optimized recompile (once: later counts pass the threshold without equalling it).
    pub(crate) fn count_hotness(&mut self) -> Result<()> {
        let Some(p) = self.profile else { return Ok(()) };
        let counter = self.builder.build_int_to_ptr(
            self.i64_const(p.counter as u64),
            self.types.ptr,
            "counter",
        )?;
        // A plain (volatile) count: FastISel selects it directly, while an atomic add would push
        // it onto its slow fallback; a count lost to a race between threads does no harm.
        let old = self.builder.build_load(self.types.i32, counter, "count")?;
        set_volatile(inkwell::values::BasicValue::as_instruction_value(&old))?;
        let old = old.into_int_value();
        let new = self
            .builder
            .build_int_add(old, self.i32_const(1), "count1")?;
        set_volatile(Some(self.builder.build_store(counter, new)?))?;
        let hot = self.builder.build_int_compare(
            inkwell::IntPredicate::EQ,
            old,
            self.i32_const(p.threshold.saturating_sub(1)),
            "hot",
        )?;
        let request_block = self.ctx.append_basic_block(self.function, "tier_up");
        let cont = self.ctx.append_basic_block(self.function, "counted");
        self.builder
            .build_conditional_branch(hot, request_block, cont)?;
        self.builder.position_at_end(request_block);
        let fn_ty = self
            .ctx
            .void_type()
            .fn_type(&[self.types.i64.into(), self.types.i32.into()], false);
        let request = self.builder.build_int_to_ptr(
            self.i64_const(p.request as u64),
            self.types.ptr,
            "request",
        )?;
        self.builder.build_indirect_call(
            fn_ty,
            request,
            &[
                self.i64_const(p.context as u64).into(),
                self.i32_const(self.index.0).into(),
            ],
            "",
        )?;
        self.builder.build_unconditional_branch(cont)?;
        self.builder.position_at_end(cont);
        Ok(())
    }

    /// One phi per type at the start of `block` (the builder returns where it was).
    fn phis_at(&self, block: BasicBlock<'ctx>, types: &[ValType]) -> Result<Vec<PhiValue<'ctx>>> {
        let current = self.builder.get_insert_block();
        self.builder.position_at_end(block);
        let phis = types
            .iter()
            .map(|t| self.builder.build_phi(self.types.val(*t), ""))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if let Some(b) = current {
            self.builder.position_at_end(b);
        }
        Ok(phis)
    }

    /// An alloca in the entry block (so that mem2reg and stack coloring see it once).
    pub(crate) fn entry_alloca(&self, ty: BasicTypeEnum<'ctx>) -> Result<PointerValue<'ctx>> {
        let entry = self.function.get_first_basic_block().expect("entry block");
        let b = self.ctx.create_builder();
        match entry.get_first_instruction() {
            Some(first) => b.position_before(&first),
            None => b.position_at_end(entry),
        }
        Ok(b.build_alloca(ty, "slot")?)
    }

    /// The block-type's parameter and result types.
    fn block_type(&self, bt: wasmparser::BlockType) -> (Vec<ValType>, Vec<ValType>) {
        match bt {
            wasmparser::BlockType::Empty => (Vec::new(), Vec::new()),
            wasmparser::BlockType::Type(t) => (Vec::new(), vec![ValType::from(t)]),
            wasmparser::BlockType::FuncType(i) => {
                let ft = &self.info.types[i as usize];
                (ft.params().to_vec(), ft.results().to_vec())
            }
        }
    }
}

//! Single-pass lowering of one WebAssembly function straight to x86-64 machine code.
//!
//! One walk over the operators with an abstract value stack (`stack.rs`: each operand is a
//! register, a constant, a local or its spill slot) and a control stack of blocks, loops and
//! ifs. Registers are allocated as operators need them; at every merge point and call the
//! operands are spilled to their slots, so all paths into a label agree where values are
//! (locals with a home register stay there: `locals.rs`). Each operator family is lowered in
//! its own file; this one holds the shared state, the prologue and epilogue, and out-of-line
//! trap code.
//!
//! Frame (rbp-relative): saved r15, rbx, r12, r13 and r14 at -8 to -40, the results-record
//! pointer at -48, local `i` in the 16 bytes at `-64 - 16i`, then the 16-byte spill slot of
//! operand depth `d`; outgoing stack arguments at the bottom (rsp-relative). The size is
//! known only at the end and patched into the prologue.
//!
//! While a function runs, r15 holds its `VMContext`; in a module with a 32-bit memory 0, r12
//! holds that memory's `VMMemoryDefinition` and rbx its base (reloaded after every call, which
//! may grow and so move the memory).

mod call;
mod condition;
mod control;
mod conversion;
mod exceptions;
mod locals;
mod memory;
mod numeric;
mod osr;
pub(crate) mod relocation;
mod simd;
mod simd_sse;
mod stack;
mod table;
mod variable;

use dynasmrt::x64::X64Relocation;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};
use lazuli_backend_api::branch_profile::SlotCursor;
use lazuli_backend_api::vmcontext::VMOffsets;
use lazuli_backend_api::{
    CodeFlags, CompileError, DefinedFuncIndex, FuncType, ModuleInfo, TrapCode, ValType,
};
use wasmparser::Operator;

use crate::regs::{RegSet, MEMORY_BASE, MEMORY_DEF, RAX, RDI, SCRATCH, SCRATCH2, VMCTX};
use control::Control;
pub(crate) use stack::{Location, Operand, SLOT_SIZE};

/// Result of lowering steps.
pub(crate) type Result<T> = core::result::Result<T, CompileError>;

/// Operators lowered between two checks of the calling store's deadline.
const INTERRUPT_CHECK_OPERATORS: u32 = 4096;

/// How baseline code counts its calls and loop iterations for tier-up. The counters, the
/// function to tell when hot and the OSR poll are relocations ([`relocation::Target`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Profile {
    /// The count at which to call the request function
    /// (`extern "C" fn(context: usize, defined_index: u32)`).
    pub threshold: u32,
}

/// What a function's code needs besides its body.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FunctionSettings {
    /// Hotness counting for tier-up, if on.
    pub profile: Option<Profile>,
    /// What the code must do at every tier (epoch checks, which bounds checks the memory
    /// guard covers).
    pub code: CodeFlags,
}

/// Frame layout decided when the function starts.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Frame {
    /// rbp-relative offset of local 0.
    pub locals_start: i32,
    /// rbp-relative offset of the spill slot of depth 0.
    pub slots_start: i32,
    /// rbp-relative offset of the handler of the outermost `try_table`; the handler of nesting
    /// depth `d` is `d * HANDLER_SIZE` bytes below.
    pub handlers_start: i32,
    /// Bytes of the handlers (for the deepest nesting of `try_table`s).
    pub handlers_bytes: i32,
}

/// rbp-relative offset of the saved r15.
const SAVED_VMCTX_REG: i32 = -8;
/// rbp-relative offset of the saved rbx.
const SAVED_MEMORY_BASE_REG: i32 = -16;
/// rbp-relative offset of the saved r12.
const SAVED_MEMORY_DEF_REG: i32 = -24;
/// rbp-relative offsets where r13 and r14 (homes of locals) are saved.
const SAVED_HOME_REGS: [i32; 2] = [-32, -40];
/// rbp-relative offset of the results-record pointer (functions with several results).
pub(crate) const RESULTS_POINTER: i32 = -48;
/// Bytes of the fixed part of the frame, above local 0.
const FIXED_FRAME: i32 = 48;

/// The state of lowering one function.
pub(crate) struct FuncLowering<'a> {
    pub(crate) asm: VecAssembler<X64Relocation>,
    pub(crate) module: &'a ModuleInfo,
    pub(crate) offsets: VMOffsets,
    pub(crate) index: DefinedFuncIndex,
    pub(crate) ty: &'a FuncType,
    pub(crate) locals: Vec<ValType>,
    /// The register each local lives in, if any (see `locals.rs`).
    pub(crate) homes: Vec<Option<u8>>,
    /// The operand stack; changed only through `stack.rs`, which keeps `operands` in step.
    pub(crate) stack: Vec<Operand>,
    pub(crate) operands: stack::OperandIndex,
    pub(crate) regs: RegSet,
    pub(crate) controls: Vec<Control>,
    pub(crate) frame: Frame,
    pub(crate) max_depth: u32,
    pub(crate) max_outgoing: u32,
    /// Out-of-line code raising each trap code, created when first needed.
    traps: [Option<DynamicLabel>; TrapCode::ALL.len()],
    stack_overflow: DynamicLabel,
    pub(crate) epilogue: DynamicLabel,
    pub(crate) reachable: bool,
    /// Blocks opened in unreachable code, skipped up to their `end`.
    dead_code: lazuli_backend_api::DeadCode,
    pub(crate) settings: FunctionSettings,
    /// Whether memory 0's definition and base live in r12 and rbx.
    pub(crate) memory0_cached: bool,
    /// Out-of-line tier-up requests: (label, where to continue).
    pub(crate) cold_requests: Vec<(DynamicLabel, DynamicLabel)>,
    /// Numbers the branch-profile slots of the operators read so far.
    slots: SlotCursor,
    /// The first slot of the operator being lowered.
    pub(crate) op_slot: u32,
    /// Whether the operator being lowered is a loop's derived back edge (its taken edge is
    /// not counted: `lazuli_backend_api::branch_profile`).
    pub(crate) op_derived: bool,
    /// The code's absolute addresses, written when it is placed.
    relocations: Vec<relocation::Relocation>,
    /// The slots of loop headers.
    loops: Vec<u32>,
    /// How many `loop` operators have been read (the number of the next one).
    pub(crate) loops_read: u32,
    /// Out-of-line requests for OSR entries.
    osr_polls: Vec<osr::OsrPoll>,
}

/// Machine code of one function: position-independent but for its absolute addresses, which
/// are relocations ([`FunctionCode::bind`]).
pub(crate) struct FunctionCode {
    pub code: Vec<u8>,
    /// How many branch-profile slots the function has ([`lazuli_backend_api::branch_profile`]),
    /// in code that counts.
    pub slots: u32,
    /// Which of them count loop headers (reached, they ask for tier-up as calls do).
    pub loops: Vec<u32>,
    /// Where the code holds absolute addresses.
    pub relocations: Vec<relocation::Relocation>,
}

impl FunctionCode {
    /// Write the addresses the relocations resolve to in this process into the code; the
    /// counters and everything else must outlive it.
    pub(crate) fn bind(&mut self, targets: &relocation::Targets<'_>) -> Result<()> {
        for r in &self.relocations {
            let address = targets.address(r.target)?;
            let end = r.end as usize;
            let Some(immediate) = end.checked_sub(8).and_then(|s| self.code.get_mut(s..end)) else {
                return Err(CompileError::new(
                    "a relocation lies outside its function's code",
                ));
            };
            immediate.copy_from_slice(&(address as u64).to_le_bytes());
        }
        Ok(())
    }
}

/// Lower defined function `index` of `module`.
pub(crate) fn lower_function(
    module: &ModuleInfo,
    index: DefinedFuncIndex,
    settings: FunctionSettings,
) -> Result<FunctionCode> {
    let ty = module.func_type(module.func_index(index));
    let body_bytes = module.body_bytes(index);
    let body = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(body_bytes, 0));
    let mut locals: Vec<ValType> = ty.params().to_vec();
    for local in body.get_locals_reader().map_err(read_error)? {
        let (count, t) = local.map_err(read_error)?;
        let t = ValType::from(t);
        locals.extend(std::iter::repeat_n(t, count as usize));
    }
    let mut asm = VecAssembler::new_with_capacity(0, body_bytes.len() * 6 + 64, 0, 0, 16, 0, 16);
    let stack_overflow = asm.new_dynamic_label();
    let epilogue = asm.new_dynamic_label();
    let num_locals = locals.len() as i32;
    let mut regs = RegSet::default();
    let try_depth = lazuli_backend_api::unwind::try_table_depth(body_bytes).map_err(read_error)?;
    let homes = if try_depth > 0 {
        // A handler brings registers back as they were at its try_table: locals live in the
        // frame.
        vec![None; locals.len()]
    } else {
        locals::assign_homes(&locals, &mut regs)
    };
    let handlers_bytes = (try_depth * lazuli_backend_api::vmcontext::HANDLER_SIZE) as i32;
    let mut l = FuncLowering {
        asm,
        module,
        offsets: VMOffsets::new(module),
        index,
        ty,
        locals,
        homes,
        stack: Vec::new(),
        operands: stack::OperandIndex::default(),
        regs,
        controls: Vec::new(),
        frame: Frame {
            locals_start: -FIXED_FRAME - handlers_bytes - SLOT_SIZE,
            slots_start: -FIXED_FRAME - handlers_bytes - SLOT_SIZE - SLOT_SIZE * num_locals,
            handlers_start: -FIXED_FRAME - lazuli_backend_api::vmcontext::HANDLER_SIZE as i32,
            handlers_bytes,
        },
        max_depth: 0,
        max_outgoing: 0,
        traps: [None; TrapCode::ALL.len()],
        stack_overflow,
        epilogue,
        reachable: true,
        dead_code: lazuli_backend_api::DeadCode::default(),
        settings,
        memory0_cached: module.memories.first().is_some_and(|m| !m.memory64),
        cold_requests: Vec::new(),
        slots: SlotCursor::default(),
        op_slot: 0,
        op_derived: false,
        relocations: Vec::new(),
        loops: Vec::new(),
        loops_read: 0,
        osr_polls: Vec::new(),
    };
    let frame_patch = l.prologue()?;
    l.controls.push(Control::function(epilogue, ty.results()));
    let mut ops = body.get_operators_reader().map_err(read_error)?;
    let mut count = 0u32;
    while !ops.eof() {
        count = count.wrapping_add(1);
        if count % INTERRUPT_CHECK_OPERATORS == 0 && lazuli_jit::lazy::interrupted() {
            return Err(lazuli_jit::lazy::interrupted_error());
        }
        let op = ops.read().map_err(read_error)?;
        if let Operator::Loop { .. } = op {
            l.loops_read += 1;
        }
        // Slots are numbered only in code that counts.
        if l.counts_branches() {
            let slots = l.slots.advance(&op);
            (l.op_slot, l.op_derived) = (slots.first, slots.derived);
        }
        if !l.reachable && l.dead_code.skip(&op) {
            continue;
        }
        l.operator(&op)?;
    }
    l.finish(frame_patch)
}

/// The integer argument register after `r` (the high half of a `v128` whose low half is in `r`).
pub(crate) fn next_int_arg(r: u8) -> u8 {
    let regs = lazuli_backend_api::abi::INT_ARG_REGS;
    let at = regs
        .iter()
        .position(|x| *x == r)
        .expect("an integer argument register");
    regs[at + 1]
}

pub(crate) fn read_error(e: wasmparser::BinaryReaderError) -> CompileError {
    CompileError::new(format!("cannot read function body: {e}"))
}

impl FuncLowering<'_> {
    fn operator(&mut self, op: &Operator<'_>) -> Result<()> {
        // A comparison left in the flags feeds `if` and `br_if` directly; anything else gets
        // it as an i32 before it emits code that may change the flags.
        if let Some(top) = self.stack.last() {
            if matches!(top.loc, Location::Flags(_))
                && !matches!(op, Operator::If { .. } | Operator::BrIf { .. })
            {
                let op = self.pop();
                let r = self.alloc(crate::regs::RegClass::Gpr);
                let depth = self.stack.len();
                self.load_operand(op, depth, r);
                self.push_reg(op.ty, r);
            }
        }
        if self.control_op(op)?
            || self.variable_op(op)?
            || self.numeric_op(op)?
            || self.conversion_op(op)?
            || self.memory_op(op)?
            || self.call_op(op)?
            || self.table_op(op)?
            || self.simd_op(op)?
            || self.exception_op(op)?
        {
            Ok(())
        } else {
            Err(CompileError::new(format!(
                "function {}: the baseline backend does not implement {op:?} (use the llvm or \
                 tiered backend)",
                self.module.func_index(self.index).0
            )))
        }
    }

    /// Frame setup: stack check, save r15, move parameters to their locals, zero the other
    /// locals, epoch check and hotness count. Returns where the frame size is to be patched.
    fn prologue(&mut self) -> Result<usize> {
        let limits = VMOffsets::RUNTIME_LIMITS as i32;
        // A placeholder that forces a 32-bit displacement; patched in `finish`.
        let placeholder: i32 = -0x7fff_0000;
        let so = self.stack_overflow;
        dynasm!(self.asm
            ; .arch x64
            ; push rbp
            ; mov rbp, rsp
            ; mov Rq(SCRATCH), QWORD [rdi + limits]
            ; lea Rq(SCRATCH2), [rsp + placeholder]
        );
        let patch = self.asm.offset().0 - 4;
        dynasm!(self.asm
            ; .arch x64
            ; cmp Rq(SCRATCH2), QWORD [Rq(SCRATCH)]
            ; jb =>so
            ; mov rsp, Rq(SCRATCH2)
            ; mov QWORD [rbp + SAVED_VMCTX_REG], Rq(VMCTX)
            ; mov QWORD [rbp + SAVED_MEMORY_BASE_REG], Rq(MEMORY_BASE)
            ; mov QWORD [rbp + SAVED_MEMORY_DEF_REG], Rq(MEMORY_DEF)
            ; mov QWORD [rbp + SAVED_HOME_REGS[0]], r13
            ; mov QWORD [rbp + SAVED_HOME_REGS[1]], r14
            ; mov Rq(VMCTX), rdi
        );
        if self.memory0_cached {
            let at = self.offsets.memory(0) as i32;
            dynasm!(self.asm
                ; .arch x64
                ; mov Rq(MEMORY_DEF), QWORD [Rq(VMCTX) + at]
                ; mov Rq(MEMORY_BASE), QWORD [Rq(MEMORY_DEF)]
            );
        }
        let locs = lazuli_backend_api::abi::arg_locations(self.ty.params(), self.ty.results());
        for (i, loc) in locs.params.iter().enumerate() {
            let ty = self.locals[i];
            let off = self.local_offset(i as u32);
            self.store_incoming(ty, *loc, off)?;
        }
        if let Some(loc) = locs.results_pointer {
            self.store_incoming(ValType::I64, loc, RESULTS_POINTER)?;
        }
        let declared = self.ty.params().len()..self.locals.len();
        if declared.len() <= 8 {
            for i in declared {
                self.zero_local(i as u32);
            }
        } else {
            for i in declared.clone() {
                if self.home(i as u32).is_some() {
                    self.zero_local(i as u32);
                }
            }
            // The argument registers are free again: the parameters are in their locals.
            let lowest = self.local_offset(self.locals.len() as u32 - 1);
            let count = declared.len() as i32 * SLOT_SIZE / 8;
            dynasm!(self.asm
                ; .arch x64
                ; lea rdi, [rbp + lowest]
                ; mov ecx, count
                ; xor eax, eax
                ; rep stosq
            );
        }
        self.epoch_check();
        // Calls count in the tier-up counter, which is the entry slot's count too.
        self.count_hotness();
        Ok(patch)
    }

    /// Restore the registers the prologue saved (all but rbp), before returning or tail-calling.
    pub(crate) fn restore_callee_saved(&mut self) {
        dynasm!(self.asm
            ; .arch x64
            ; mov Rq(VMCTX), QWORD [rbp + SAVED_VMCTX_REG]
            ; mov Rq(MEMORY_BASE), QWORD [rbp + SAVED_MEMORY_BASE_REG]
            ; mov Rq(MEMORY_DEF), QWORD [rbp + SAVED_MEMORY_DEF_REG]
            ; mov r13, QWORD [rbp + SAVED_HOME_REGS[0]]
            ; mov r14, QWORD [rbp + SAVED_HOME_REGS[1]]
        );
    }

    /// Bytes of stack arguments this function receives and pops when it returns.
    pub(crate) fn incoming_stack_bytes(&self) -> u32 {
        lazuli_backend_api::abi::arg_locations(self.ty.params(), self.ty.results()).stack_bytes
    }

    /// Store an incoming argument at `loc` to `[rbp + off]`.
    fn store_incoming(
        &mut self,
        ty: ValType,
        loc: lazuli_backend_api::abi::ArgLocation,
        off: i32,
    ) -> Result<()> {
        use lazuli_backend_api::abi::ArgLocation;
        let param = ((off - self.frame.locals_start) / -SLOT_SIZE) as u32;
        if let Some(home) = (off != RESULTS_POINTER).then(|| self.home(param)).flatten() {
            match loc {
                ArgLocation::Int(r) if ty == ValType::V128 => {
                    let high = next_int_arg(r);
                    dynasm!(self.asm
                        ; .arch x64
                        ; movq Rx(home), Rq(r)
                        ; pinsrq Rx(home), Rq(high), 1
                    );
                }
                ArgLocation::Int(r) | ArgLocation::Float(r) => self.move_reg(ty, home, r),
                ArgLocation::Stack(s) => self.load_mem(ty, home, 16 + s as i32),
            }
            return Ok(());
        }
        match loc {
            ArgLocation::Int(r) if ty == ValType::V128 => {
                let high = next_int_arg(r);
                dynasm!(self.asm
                    ; .arch x64
                    ; mov QWORD [rbp + off], Rq(r)
                    ; mov QWORD [rbp + off + 8], Rq(high)
                );
            }
            ArgLocation::Int(r) => self.store_reg(ty, r, off),
            ArgLocation::Float(x) => self.store_reg(ty, x, off),
            ArgLocation::Stack(s) => {
                let src = 16 + s as i32;
                self.copy_mem(ty, src, off);
            }
        }
        Ok(())
    }

    /// Epoch check at function entry and loop headers (all operands are spilled there).
    pub(crate) fn epoch_check(&mut self) {
        if !self.settings.code.epoch_interruption {
            return;
        }
        use lazuli_backend_api::vmcontext::VMRuntimeLimits;
        let limits = VMOffsets::RUNTIME_LIMITS as i32;
        let epoch = std::mem::offset_of!(VMRuntimeLimits, epoch) as i32;
        let deadline = std::mem::offset_of!(VMRuntimeLimits, epoch_deadline) as i32;
        let trap = self.trap_label(TrapCode::Interrupted);
        dynasm!(self.asm
            ; .arch x64
            ; mov Rq(SCRATCH2), QWORD [Rq(VMCTX) + limits]
            ; mov Rq(SCRATCH), QWORD [Rq(SCRATCH2) + epoch]
            ; mov Rq(SCRATCH), QWORD [Rq(SCRATCH)]
            ; cmp Rq(SCRATCH), QWORD [Rq(SCRATCH2) + deadline]
            ; jae =>trap
        );
    }

    /// Count a call; the count reaching the threshold requests tier-up (out of line). Only
    /// at points where no operand is in a register.
    pub(crate) fn count_hotness(&mut self) {
        let Some(p) = self.settings.profile else {
            return;
        };
        self.absolute(SCRATCH, relocation::Target::Counter);
        self.count_and_check(p.threshold);
    }

    /// Put the address of `target` in `reg` (a relocation, written when the code is placed).
    pub(crate) fn absolute(&mut self, reg: u8, target: relocation::Target) {
        dynasm!(self.asm ; .arch x64 ; mov Rq(reg), QWORD 0);
        let end = self.asm.offset().0 as u32;
        self.relocations
            .push(relocation::Relocation { end, target });
    }

    /// Put the address of runtime helper `helper` in `reg`.
    pub(crate) fn absolute_helper(&mut self, reg: u8, helper: relocation::HelperFn) {
        self.absolute(reg, relocation::Target::Helper(helper.index()));
    }

    /// Count an arrival at the header of the loop whose slot is `slot`; its count reaching the
    /// threshold requests tier-up, as calls do, and a loop that can be entered (`osr_loop`)
    /// asks for its OSR entry now and then. Only where no operand is in a register.
    pub(crate) fn count_loop(&mut self, slot: u32, osr_loop: Option<u32>) {
        let Some(p) = self.settings.profile else {
            return;
        };
        self.loops.push(slot);
        self.slot_address(slot);
        match osr_loop {
            Some(l) => self.count_check_and_poll(p.threshold, l),
            None => self.count_and_check(p.threshold),
        }
    }

    /// Add one to the counter whose address is in SCRATCH; at `threshold`, request tier-up.
    fn count_and_check(&mut self, threshold: u32) {
        let request = self.asm.new_dynamic_label();
        let resume = self.asm.new_dynamic_label();
        // A plain count: one lost to a race between threads does no harm.
        dynasm!(self.asm
            ; .arch x64
            ; add DWORD [Rq(SCRATCH)], 1
            ; cmp DWORD [Rq(SCRATCH)], threshold as i32
            ; je =>request
            ; =>resume
        );
        self.cold_requests.push((request, resume));
    }

    /// Put the address of branch-profile slot `slot` in SCRATCH, when the code counts.
    /// Returns false (and emits nothing) when it does not.
    pub(crate) fn slot_address(&mut self, slot: u32) -> bool {
        if self.settings.profile.is_none() {
            return false;
        }
        self.absolute(SCRATCH, relocation::Target::Slot(slot));
        true
    }

    /// Count one pass through here in branch-profile slot `slot`, when the code counts.
    /// Changes the flags and SCRATCH.
    pub(crate) fn count_slot(&mut self, slot: u32) {
        if self.slot_address(slot) {
            dynasm!(self.asm ; .arch x64 ; add DWORD [Rq(SCRATCH)], 1);
        }
    }

    /// Whether the code counts branches (it is a first tier that may tier up).
    pub(crate) fn counts_branches(&self) -> bool {
        self.settings.profile.is_some()
    }

    /// After a call that may have grown memory 0: its base again in rbx, unless memories
    /// never move.
    pub(crate) fn reload_memory_base(&mut self) {
        if self.memory0_cached && !self.settings.code.memory_base_is_fixed() {
            dynasm!(self.asm ; .arch x64 ; mov Rq(MEMORY_BASE), QWORD [Rq(MEMORY_DEF)]);
        }
    }

    /// The label of out-of-line code raising `code`.
    pub(crate) fn trap_label(&mut self, code: TrapCode) -> DynamicLabel {
        let slot = &mut self.traps[code as usize];
        *slot.get_or_insert_with(|| self.asm.new_dynamic_label())
    }

    /// Jump to the code raising `code` (always).
    pub(crate) fn trap(&mut self, code: TrapCode) {
        let label = self.trap_label(code);
        dynasm!(self.asm ; .arch x64 ; jmp =>label);
    }

    /// Lay out the out-of-line code and the epilogue, patch the frame size, and return the code.
    fn finish(mut self, frame_patch: usize) -> Result<FunctionCode> {
        let libcalls = VMOffsets::LIBCALLS as i32;
        let epilogue = self.epilogue;
        dynasm!(self.asm ; .arch x64 ; =>epilogue);
        self.restore_callee_saved();
        // The callee pops its stack arguments (`lazuli_backend_api::abi`).
        let incoming = self.incoming_stack_bytes() as i16;
        dynasm!(self.asm
            ; .arch x64
            ; mov rsp, rbp
            ; pop rbp
            ; ret incoming
        );
        for (code, label) in TrapCode::ALL.iter().zip(self.traps) {
            if let Some(label) = label {
                dynasm!(self.asm
                    ; .arch x64
                    ; =>label
                    ; mov rdi, Rq(VMCTX)
                    ; mov esi, *code as i32
                    ; mov rax, QWORD [Rq(VMCTX) + libcalls]
                    ; call QWORD [rax]
                    ; ud2
                );
            }
        }
        // Reached before the frame exists: rdi still holds the vmctx and rsp is aligned.
        let so = self.stack_overflow;
        dynasm!(self.asm
            ; .arch x64
            ; =>so
            ; mov esi, TrapCode::StackOverflow as i32
            ; mov rax, QWORD [rdi + libcalls]
            ; call QWORD [rax]
            ; ud2
        );
        if self.settings.profile.is_some() {
            for (request, resume) in std::mem::take(&mut self.cold_requests) {
                dynasm!(self.asm ; .arch x64 ; =>request);
                self.save_homes();
                self.absolute(RDI, relocation::Target::Context);
                self.absolute(RAX, relocation::Target::Request);
                dynasm!(self.asm
                    ; .arch x64
                    ; mov esi, self.index.0 as i32
                    ; call rax
                );
                self.restore_homes();
                dynasm!(self.asm ; .arch x64 ; jmp =>resume);
            }
        }
        self.emit_osr_polls()?;
        let used = FIXED_FRAME as u32
            + self.frame.handlers_bytes as u32
            + SLOT_SIZE as u32 * (self.locals.len() as u32 + self.max_depth)
            + self.max_outgoing;
        let frame_size = used.next_multiple_of(16);
        if frame_size > i32::MAX as u32 / 2 {
            return Err(CompileError::new(format!(
                "function {}: frame of {frame_size} bytes is too large",
                self.module.func_index(self.index).0
            )));
        }
        let mut code = self
            .asm
            .finalize()
            .map_err(|e| CompileError::new(format!("baseline assembler: {e}")))?;
        code[frame_patch..frame_patch + 4].copy_from_slice(&(-(frame_size as i32)).to_le_bytes());
        Ok(FunctionCode {
            code,
            slots: self.slots.taken(),
            loops: self.loops,
            relocations: self.relocations,
        })
    }
}

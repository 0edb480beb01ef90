//! Control flow: blocks, loops, ifs, branches (including `br_table`), `return`, `unreachable`,
//! and the control stack. At every block boundary operands are spilled, so a branch only
//! has to write the values it carries into the target's slots.

use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};
use lazuli_backend_api::{abi, TrapCode, ValType};
use wasmparser::{BlockType, Operator};

use super::condition::Cond;
use super::{FuncLowering, Location, Result, RESULTS_POINTER};
use crate::regs::{RegClass, RAX, SCRATCH, SCRATCH2, XSCRATCH};

/// What kind of construct a control frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ControlKind {
    /// The function body; branching to it returns.
    Function,
    /// `block`.
    Block,
    /// `loop`: branches go back to its header.
    Loop,
    /// `if`, with the label of its else arm, whether `else` was seen, and its first
    /// branch-profile slot (then arm; the else arm's is next).
    If {
        else_label: DynamicLabel,
        has_else: bool,
        slot: u32,
    },
    /// `try_table`, whose handler is at `[rbp + handler]` (see `exceptions.rs`).
    TryTable { handler: i32 },
    /// Legacy `try` (see `exceptions.rs`): its handler, where an exception lands, whether the
    /// catch clauses have begun, and where the next clause's test starts.
    LegacyTry {
        handler: i32,
        pad: DynamicLabel,
        in_catch: bool,
        next_clause: Option<DynamicLabel>,
    },
}

impl ControlKind {
    /// The handler of a `try_table` or legacy `try` whose handler is linked while code in the
    /// frame runs (not in a legacy `try`'s catch clauses).
    pub(crate) fn linked_handler(self) -> Option<i32> {
        match self {
            ControlKind::TryTable { handler }
            | ControlKind::LegacyTry {
                handler,
                in_catch: false,
                ..
            } => Some(handler),
            _ => None,
        }
    }
}

/// One entry of the control stack.
#[derive(Clone, Debug)]
pub(crate) struct Control {
    pub kind: ControlKind,
    /// Branch target: the end (blocks, ifs, function) or the header (loops).
    pub label: DynamicLabel,
    /// Operand stack height below the frame's parameters.
    pub height: usize,
    pub params: Box<[ValType]>,
    pub results: Box<[ValType]>,
}

impl Control {
    /// The frame of a function body whose end is `epilogue`.
    pub(crate) fn function(epilogue: DynamicLabel, results: &[ValType]) -> Control {
        Control {
            kind: ControlKind::Function,
            label: epilogue,
            height: 0,
            params: Box::new([]),
            results: results.into(),
        }
    }

    /// The types a branch to this frame carries.
    fn branch_types(&self) -> &[ValType] {
        if self.kind == ControlKind::Loop {
            &self.params
        } else {
            &self.results
        }
    }
}

impl FuncLowering<'_> {
    fn block_type(&self, bt: BlockType) -> (Box<[ValType]>, Box<[ValType]>) {
        match bt {
            BlockType::Empty => (Box::new([]), Box::new([])),
            BlockType::Type(t) => (Box::new([]), Box::new([ValType::from(t)])),
            BlockType::FuncType(i) => {
                let ty = &self.module.types[i as usize];
                (ty.params().into(), ty.results().into())
            }
        }
    }

    pub(crate) fn open(&mut self, kind: ControlKind, label: DynamicLabel, bt: BlockType) {
        let (params, results) = self.block_type(bt);
        self.spill_all();
        let height = self.stack.len() - params.len();
        // Parameters live in their slots whichever way the block is entered (else arm, loop
        // back edge), constants included.
        for depth in height..self.stack.len() {
            self.spill_at(depth);
        }
        self.controls.push(Control {
            kind,
            label,
            height,
            params,
            results,
        });
    }

    /// The rest of the current block is unreachable.
    pub(crate) fn set_unreachable(&mut self) {
        let height = self.controls.last().map_or(0, |c| c.height);
        self.truncate(height);
        self.reachable = false;
    }

    /// Write the values a branch to control frame `target` (index in the control stack)
    /// carries to where the target expects them. Leaves the abstract stack as it was.
    fn pass_branch_values(&mut self, target: usize) {
        let frame = &self.controls[target];
        let n = frame.branch_types().len();
        let height = frame.height;
        if frame.kind == ControlKind::Function {
            self.place_results();
            return;
        }
        let top = self.stack.len() - n;
        for k in 0..n {
            self.move_to_slot(top + k, height + k);
        }
    }

    /// Put the function's results (the top operands) where the calling convention returns
    /// them.
    fn place_results(&mut self) {
        let results = self.ty.results();
        let top = self.stack.len() - results.len();
        match results {
            [] => {}
            [ValType::V128] => {
                let op = self.stack[top];
                self.load_operand(op, top, XSCRATCH);
                dynasm!(self.asm
                    ; .arch x64
                    ; movq rax, Rx(XSCRATCH)
                    ; pextrq rdx, Rx(XSCRATCH), 1
                );
            }
            [ty] => {
                let op = self.stack[top];
                let reg = if RegClass::of(*ty) == RegClass::Xmm {
                    0
                } else {
                    RAX
                };
                self.load_operand(op, top, reg);
            }
            _ => {
                let (offsets, _) = abi::results_layout(results);
                dynasm!(self.asm ; .arch x64 ; mov Rq(SCRATCH2), QWORD [rbp + RESULTS_POINTER]);
                for (k, off) in offsets.into_iter().enumerate() {
                    let op = self.stack[top + k];
                    let scratch = if RegClass::of(op.ty) == RegClass::Xmm {
                        XSCRATCH
                    } else {
                        SCRATCH
                    };
                    self.load_operand(op, top + k, scratch);
                    self.store_to(op.ty, scratch, SCRATCH2, off as i32);
                }
            }
        }
    }

    /// Branch to control frame `target` unconditionally.
    pub(crate) fn branch(&mut self, target: usize) {
        self.leave_try_tables(target);
        self.pass_branch_values(target);
        let label = self.controls[target].label;
        dynasm!(self.asm ; .arch x64 ; jmp =>label);
    }

    /// The control frame `depth` levels out.
    fn target(&self, depth: u32) -> usize {
        self.controls.len() - 1 - depth as usize
    }

    pub(crate) fn control_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::Nop => {}
            Operator::Unreachable => {
                self.trap(TrapCode::Unreachable);
                self.set_unreachable();
            }
            Operator::Block { blockty } => {
                let label = self.asm.new_dynamic_label();
                self.open(ControlKind::Block, label, blockty);
            }
            Operator::Loop { blockty } => {
                let label = self.asm.new_dynamic_label();
                self.open(ControlKind::Loop, label, blockty);
                // Entries from above count before the header, arrivals after it.
                self.count_slot(self.op_slot + 1);
                dynasm!(self.asm ; .arch x64 ; =>label);
                self.epoch_check();
                let osr_loop = self.osr_loop();
                self.count_loop(self.op_slot, osr_loop);
            }
            Operator::If { blockty } => {
                let taken = self.pop_condition();
                let else_label = self.asm.new_dynamic_label();
                let end = self.asm.new_dynamic_label();
                let slot = self.op_slot;
                // Spilling only moves values, so the condition (register or flags) survives it.
                self.open(
                    ControlKind::If {
                        else_label,
                        has_else: false,
                        slot,
                    },
                    end,
                    blockty,
                );
                taken.invert().jump(&mut self.asm, else_label);
                self.count_slot(slot);
            }
            Operator::Else => {
                let top = self.controls.len() - 1;
                if self.reachable {
                    self.branch(top);
                }
                let frame = &mut self.controls[top];
                let ControlKind::If {
                    else_label, slot, ..
                } = frame.kind
                else {
                    unreachable!("validated: else follows if");
                };
                frame.kind = ControlKind::If {
                    else_label,
                    has_else: true,
                    slot,
                };
                let height = frame.height;
                let params = frame.params.clone();
                dynasm!(self.asm ; .arch x64 ; =>else_label);
                self.count_slot(slot + 1);
                self.truncate(height);
                for t in params.iter() {
                    self.push(*t, Location::Slot);
                }
                self.reachable = true;
            }
            Operator::End => self.end()?,
            Operator::Br { relative_depth } => {
                let target = self.target(relative_depth);
                // A back edge counts unless it is the loop's derived one.
                if self.controls[target].kind == ControlKind::Loop && !self.op_derived {
                    self.count_slot(self.op_slot);
                }
                self.branch(target);
                self.set_unreachable();
            }
            Operator::BrIf { relative_depth } => {
                let target = self.target(relative_depth);
                let taken = self.pop_condition();
                let frame = &self.controls[target];
                let direct = frame.kind != ControlKind::Function
                    && frame.branch_types().is_empty()
                    && !self.leaves_try_table(target);
                if direct && !self.counts_branches() {
                    let label = frame.label;
                    taken.jump(&mut self.asm, label);
                } else if self.op_derived {
                    // A loop's derived back edge: only the way out counts.
                    let slot = self.op_slot;
                    if direct {
                        let label = frame.label;
                        taken.jump(&mut self.asm, label);
                    } else {
                        let skip = self.asm.new_dynamic_label();
                        taken.invert().jump(&mut self.asm, skip);
                        self.branch(target);
                        dynasm!(self.asm ; .arch x64 ; =>skip);
                    }
                    self.count_slot(slot + 1);
                } else {
                    // Each way counts in its own slot: taken, then not taken.
                    let slot = self.op_slot;
                    let skip = self.asm.new_dynamic_label();
                    taken.invert().jump(&mut self.asm, skip);
                    self.count_slot(slot);
                    self.branch(target);
                    dynasm!(self.asm ; .arch x64 ; =>skip);
                    self.count_slot(slot + 1);
                }
            }
            Operator::BrTable { ref targets } => {
                let depths = targets
                    .targets()
                    .collect::<core::result::Result<Vec<u32>, _>>()
                    .map_err(super::read_error)?;
                self.br_table(&depths, targets.default());
            }
            Operator::Return => {
                self.branch(0);
                self.set_unreachable();
            }
            Operator::BrOnNull { relative_depth } => {
                // Null: branch without the reference; else continue with it.
                let target = self.target(relative_depth);
                let (ty, r) = self.pop_to_reg();
                self.push_reg(ty, r);
                let skip = self.asm.new_dynamic_label();
                dynasm!(self.asm ; .arch x64 ; test Rq(r), Rq(r) ; jnz =>skip);
                let reference = self.pop();
                self.branch(target);
                self.push(reference.ty, reference.loc);
                dynasm!(self.asm ; .arch x64 ; =>skip);
            }
            Operator::BrOnNonNull { relative_depth } => {
                // Not null: branch with the reference; else continue without it.
                let target = self.target(relative_depth);
                let (ty, r) = self.pop_to_reg();
                self.push_reg(ty, r);
                let skip = self.asm.new_dynamic_label();
                dynasm!(self.asm ; .arch x64 ; test Rq(r), Rq(r) ; jz =>skip);
                self.branch(target);
                dynasm!(self.asm ; .arch x64 ; =>skip);
                let reference = self.pop();
                self.release(reference);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Pop an `i32` condition and set the flags from it; returns the condition that holds when
    /// it is non-zero.
    fn pop_condition(&mut self) -> Cond {
        let top = self.pop();
        if let Location::Flags(cond) = top.loc {
            return cond;
        }
        self.push(top.ty, top.loc);
        let (_, r) = self.pop_to_reg();
        self.regs.release(RegClass::Gpr, r);
        dynasm!(self.asm ; .arch x64 ; test Rd(r), Rd(r));
        Cond::NotEqual
    }

    /// `end` of the innermost frame: values to the frame's slots, labels bound.
    pub(crate) fn end(&mut self) -> Result<()> {
        let top = self.controls.len() - 1;
        if self.controls[top].kind == ControlKind::Function {
            if self.reachable {
                self.place_results();
            }
            // The epilogue follows directly (bound in `finish`).
            self.controls.pop();
            self.reachable = false;
            return Ok(());
        }
        if self.reachable {
            // Results go to the frame's slots, as branches to the end put them.
            let n = self.controls[top].results.len();
            let height = self.controls[top].height;
            let start = self.stack.len() - n;
            for k in 0..n {
                self.move_to_slot(start + k, height + k);
            }
        }
        if let ControlKind::LegacyTry { .. } = self.controls[top].kind {
            // Lays out the rest of the landing pad; the results are in the frame's slots.
            self.end_legacy_try(top);
        } else if self.reachable && self.controls[top].kind.linked_handler().is_some() {
            // Falling out of a try_table's body unlinks its handler.
            self.leave_try_tables(top);
        }
        let frame = self.controls.pop().expect("a frame to end");
        if let ControlKind::If {
            else_label,
            has_else: false,
            slot,
        } = frame.kind
        {
            // Without else, the parameters pass through: they are in the slots already. The
            // missing else arm counts too, so the then arm jumps over its count.
            if self.counts_branches() {
                if self.reachable {
                    let end = frame.label;
                    dynasm!(self.asm ; .arch x64 ; jmp =>end);
                }
                dynasm!(self.asm ; .arch x64 ; =>else_label);
                self.count_slot(slot + 1);
            } else {
                dynasm!(self.asm ; .arch x64 ; =>else_label);
            }
        }
        if frame.kind != ControlKind::Loop {
            let label = frame.label;
            dynasm!(self.asm ; .arch x64 ; =>label);
        }
        self.truncate(frame.height);
        for t in frame.results.iter() {
            self.push(*t, Location::Slot);
        }
        self.reachable = true;
        Ok(())
    }

    /// `br_table`: a jump table of 5-byte `jmp`s, each to the target or to a stub that first
    /// moves the carried values.
    fn br_table(&mut self, depths: &[u32], default: u32) {
        let (_, index) = self.pop_to_reg();
        self.regs.release(RegClass::Gpr, index);
        self.spill_all();
        let table = self.asm.new_dynamic_label();
        let default_label = self.asm.new_dynamic_label();
        let count = depths.len() as i32;
        let slot = self.op_slot;
        dynasm!(self.asm
            ; .arch x64
            ; cmp Rd(index), count
            ; jae =>default_label
            ; mov Rd(index), Rd(index)
        );
        // Target `i` counts in slot `slot + i`, the default after the targets.
        if self.slot_address(slot) {
            dynasm!(self.asm ; .arch x64 ; add DWORD [Rq(SCRATCH) + Rq(index) * 4], 1);
        }
        dynasm!(self.asm
            ; .arch x64
            ; lea Rq(SCRATCH2), [=>table]
            ; lea Rq(SCRATCH), [Rq(index) + Rq(index) * 4]
            ; add Rq(SCRATCH2), Rq(SCRATCH)
            ; jmp Rq(SCRATCH2)
            ; =>table
        );
        // One stub per distinct target depth.
        let mut stubs: Vec<(u32, DynamicLabel)> = Vec::new();
        let mut stub_for = |asm: &mut dynasmrt::VecAssembler<_>, depth: u32| {
            if let Some((_, l)) = stubs.iter().find(|(d, _)| *d == depth) {
                return *l;
            }
            let l = asm.new_dynamic_label();
            stubs.push((depth, l));
            l
        };
        for &depth in depths {
            let stub = stub_for(&mut self.asm, depth);
            dynasm!(self.asm ; .arch x64 ; jmp =>stub);
        }
        let default_stub = stub_for(&mut self.asm, default);
        dynasm!(self.asm ; .arch x64 ; =>default_label);
        self.count_slot(slot + depths.len() as u32);
        dynasm!(self.asm ; .arch x64 ; jmp =>default_stub);
        for (depth, stub) in stubs {
            dynasm!(self.asm ; .arch x64 ; =>stub);
            let target = self.target(depth);
            self.branch(target);
        }
        self.set_unreachable();
    }

    /// Store register `r` holding a `ty` to `[base + disp]`.
    pub(crate) fn store_to(&mut self, ty: ValType, r: u8, base: u8, disp: i32) {
        match ty {
            ValType::I32 => dynasm!(self.asm ; .arch x64 ; mov DWORD [Rq(base) + disp], Rd(r)),
            ValType::F32 => dynasm!(self.asm ; .arch x64 ; movss DWORD [Rq(base) + disp], Rx(r)),
            ValType::F64 => dynasm!(self.asm ; .arch x64 ; movsd QWORD [Rq(base) + disp], Rx(r)),
            ValType::V128 => dynasm!(self.asm ; .arch x64 ; movdqu [Rq(base) + disp], Rx(r)),
            _ => dynasm!(self.asm ; .arch x64 ; mov QWORD [Rq(base) + disp], Rq(r)),
        }
    }

    /// Load a `ty` from `[base + disp]` into register `r`.
    pub(crate) fn load_from(&mut self, ty: ValType, r: u8, base: u8, disp: i32) {
        match ty {
            ValType::I32 => dynasm!(self.asm ; .arch x64 ; mov Rd(r), DWORD [Rq(base) + disp]),
            ValType::F32 => dynasm!(self.asm ; .arch x64 ; movss Rx(r), DWORD [Rq(base) + disp]),
            ValType::F64 => dynasm!(self.asm ; .arch x64 ; movsd Rx(r), QWORD [Rq(base) + disp]),
            ValType::V128 => dynasm!(self.asm ; .arch x64 ; movdqu Rx(r), [Rq(base) + disp]),
            _ => dynasm!(self.asm ; .arch x64 ; mov Rq(r), QWORD [Rq(base) + disp]),
        }
    }
}

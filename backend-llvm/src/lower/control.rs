//! Control flow: block, loop, if/else, end, br, br_if, br_table, return, unreachable, nop,
//! drop and select.

use inkwell::values::{BasicValue, BasicValueEnum};
use lazuli_backend_api::TrapCode;
use wasmparser::Operator;

use super::{Frame, FrameKind, Lowering, Result};

impl<'ctx> Lowering<'ctx, '_> {
    pub(super) fn control_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        match *op {
            Operator::Nop => {}
            Operator::Unreachable => self.trap(TrapCode::Unreachable)?,
            Operator::Drop => {
                self.pop();
            }
            Operator::Select | Operator::TypedSelect { .. } | Operator::TypedSelectMulti { .. } => {
                let cond = self.pop_int();
                let b = self.pop();
                let a = self.pop();
                let zero = self.i32_const(0);
                let is_true =
                    self.builder
                        .build_int_compare(inkwell::IntPredicate::NE, cond, zero, "")?;
                let v = self.builder.build_select(is_true, a, b, "select")?;
                self.push(v);
            }
            Operator::Block { blockty } => self.open_block(FrameKind::Block, blockty)?,
            Operator::Loop { blockty } => {
                let (params, results) = self.block_type(blockty);
                let header = self.ctx.append_basic_block(self.function, "loop");
                let end = self.ctx.append_basic_block(self.function, "loop_end");
                let header_phis = self.phis_at(header, &params)?;
                let end_phis = self.phis_at(end, &results)?;
                let current = self.builder.get_insert_block().expect("positioned");
                let args = self.pop_n(params.len());
                for (phi, v) in header_phis.iter().zip(&args) {
                    phi.add_incoming(&[(v as &dyn BasicValue<'ctx>, current)]);
                }
                self.builder.build_unconditional_branch(header)?;
                self.builder.position_at_end(header);
                self.enter_osr_loop(header, params.len())?;
                // Every iteration counts toward the function's hotness, and may be interrupted.
                self.epoch_check()?;
                self.count_hotness()?;
                let height = self.stack.len();
                for phi in &header_phis {
                    self.push(phi.as_basic_value());
                }
                self.control.push(Frame {
                    kind: FrameKind::Loop { header_phis },
                    height,
                    param_types: params,
                    result_types: results,
                    branch_target: header,
                    end_block: end,
                    end_phis,
                });
            }
            Operator::If { blockty } => {
                let cond = self.pop_int();
                let (params, results) = self.block_type(blockty);
                let then_block = self.ctx.append_basic_block(self.function, "then");
                let else_block = self.ctx.append_basic_block(self.function, "else");
                let end = self.ctx.append_basic_block(self.function, "if_end");
                let end_phis = self.phis_at(end, &results)?;
                let zero = self.i32_const(0);
                let is_true =
                    self.builder
                        .build_int_compare(inkwell::IntPredicate::NE, cond, zero, "")?;
                let branch = self
                    .builder
                    .build_conditional_branch(is_true, then_block, else_block)?;
                self.weigh_branch(branch, [self.op_slot, self.op_slot + 1])?;
                self.builder.position_at_end(then_block);
                let height = self.stack.len() - params.len();
                let saved = self.peek_n(params.len()).to_vec();
                self.control.push(Frame {
                    kind: FrameKind::If {
                        else_block: Some(else_block),
                        params: saved,
                        entry_reachable: true,
                    },
                    height,
                    param_types: params,
                    result_types: results,
                    branch_target: end,
                    end_block: end,
                    end_phis,
                });
            }
            Operator::Else => {
                self.fall_through_to_end()?;
                let frame = self.control.last_mut().expect("else inside an if");
                let FrameKind::If {
                    else_block,
                    params,
                    entry_reachable,
                } = &mut frame.kind
                else {
                    unreachable!("validated: else follows if")
                };
                let else_block = else_block.take().expect("one else per if");
                let params = params.clone();
                let reachable = *entry_reachable;
                let height = frame.height;
                self.stack.truncate(height);
                self.stack.extend(params);
                self.builder.position_at_end(else_block);
                self.reachable = reachable;
            }
            Operator::End => self.end()?,
            Operator::Br { relative_depth } => {
                self.leave_try_tables(relative_depth)?;
                self.branch(relative_depth)?;
                self.builder
                    .build_unconditional_branch(self.target(relative_depth))?;
                self.reachable = false;
            }
            Operator::BrIf { relative_depth } => {
                let cond = self.pop_int();
                let zero = self.i32_const(0);
                let is_true =
                    self.builder
                        .build_int_compare(inkwell::IntPredicate::NE, cond, zero, "")?;
                let branch = self.branch_if(is_true, relative_depth, "br_if_cont")?;
                self.weigh_branch(branch, [self.op_slot, self.op_slot + 1])?;
            }
            Operator::BrTable { ref targets } => {
                let index = self.pop_int();
                let default = targets.default();
                let depths = targets
                    .targets()
                    .collect::<std::result::Result<Vec<u32>, _>>()?;
                // LLVM wants one phi entry per edge, so a target named twice gets two entries.
                // A target outside a try_table is reached through a block of its own that
                // unlinks the handlers first.
                let current = self.builder.get_insert_block().expect("positioned");
                let mut via = Vec::new();
                for depth in depths.iter().copied().chain([default]) {
                    if self.leaves_try_table(depth) {
                        let block = self.ctx.append_basic_block(self.function, "leave_try");
                        self.builder.position_at_end(block);
                        self.leave_try_tables(depth)?;
                        self.branch(depth)?;
                        self.builder
                            .build_unconditional_branch(self.target(depth))?;
                        self.builder.position_at_end(current);
                        via.push(block);
                    } else {
                        self.branch(depth)?;
                        via.push(self.target(depth));
                    }
                }
                let default_block = via.pop().expect("the default target");
                let cases: Vec<_> = via
                    .iter()
                    .enumerate()
                    .map(|(i, b)| (self.types.i32.const_int(i as u64, false), *b))
                    .collect();
                let switch = self.builder.build_switch(index, default_block, &cases)?;
                if cases.len() <= super::branch_weights::MAX_WEIGHED_SWITCH_CASES {
                    // Weights list the default first; its count follows the targets'.
                    let first = self.op_slot;
                    let n = cases.len() as u32;
                    self.weigh_branch(switch, std::iter::once(first + n).chain(first..first + n))?;
                }
                self.reachable = false;
            }
            Operator::BrOnNull { relative_depth } => {
                // Null: branch without the reference; else continue with it.
                let reference = self.pop();
                let is_null = self
                    .builder
                    .build_is_null(reference.into_pointer_value(), "")?;
                self.branch_if(is_null, relative_depth, "br_on_null_cont")?;
                self.push(reference);
            }
            Operator::BrOnNonNull { relative_depth } => {
                // Not null: branch with the reference; else continue without it.
                let reference = *self.stack.last().expect("validated: a reference");
                let is_not_null = self
                    .builder
                    .build_is_not_null(reference.into_pointer_value(), "")?;
                self.branch_if(is_not_null, relative_depth, "br_on_non_null_cont")?;
                self.pop();
            }
            Operator::Return => {
                let depth = self.control.len() as u32 - 1;
                self.leave_try_tables(depth)?;
                self.branch(depth)?;
                self.builder
                    .build_unconditional_branch(self.target(depth))?;
                self.reachable = false;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The block a branch to `depth` jumps to.
    pub(crate) fn target(&self, depth: u32) -> inkwell::basic_block::BasicBlock<'ctx> {
        self.control[self.control.len() - 1 - depth as usize].branch_target
    }

    /// Open a frame of `kind` whose branches go to its end (a block or a `try_table`).
    pub(super) fn open_block(
        &mut self,
        kind: FrameKind<'ctx>,
        blockty: wasmparser::BlockType,
    ) -> Result<()> {
        let (params, results) = self.block_type(blockty);
        let end = self.ctx.append_basic_block(self.function, "block_end");
        let end_phis = self.phis_at(end, &results)?;
        let height = self.stack.len() - params.len();
        self.control.push(Frame {
            kind,
            height,
            param_types: params,
            result_types: results,
            branch_target: end,
            end_block: end,
            end_phis,
        });
        Ok(())
    }

    /// Branch `depth` levels out when `cond` holds, else continue in a new block named
    /// `cont`; returns the conditional branch. Handlers of `try_table`s the branch leaves are
    /// unlinked before it either way and linked again on the path that stays.
    fn branch_if(
        &mut self,
        cond: inkwell::values::IntValue<'ctx>,
        depth: u32,
        cont: &str,
    ) -> Result<inkwell::values::InstructionValue<'ctx>> {
        let leaves = self.leaves_try_table(depth);
        self.leave_try_tables(depth)?;
        self.branch(depth)?;
        let cont = self.ctx.append_basic_block(self.function, cont);
        let branch = self
            .builder
            .build_conditional_branch(cond, self.target(depth), cont)?;
        self.builder.position_at_end(cont);
        if leaves {
            self.relink_innermost_handler()?;
        }
        Ok(branch)
    }

    /// Record the current values as incoming to the target of a branch to `depth` (not popped).
    pub(crate) fn branch(&mut self, depth: u32) -> Result<()> {
        let current = self.builder.get_insert_block().expect("positioned");
        let frame = &self.control[self.control.len() - 1 - depth as usize];
        let values = self.peek_n(frame.branch_arity());
        let phis = match &frame.kind {
            FrameKind::Loop { header_phis } => header_phis,
            _ => &frame.end_phis,
        };
        for (phi, v) in phis.iter().zip(values) {
            phi.add_incoming(&[(v as &dyn BasicValue<'ctx>, current)]);
        }
        Ok(())
    }

    /// If reachable, pass the frame's results to its end block.
    pub(super) fn fall_through_to_end(&mut self) -> Result<()> {
        if self.reachable {
            let frame = self.control.last().expect("open frame");
            let current = self.builder.get_insert_block().expect("positioned");
            let values = self.peek_n(frame.result_types.len());
            for (phi, v) in frame.end_phis.iter().zip(values) {
                phi.add_incoming(&[(v as &dyn BasicValue<'ctx>, current)]);
            }
            self.builder.build_unconditional_branch(frame.end_block)?;
        }
        Ok(())
    }

    pub(super) fn end(&mut self) -> Result<()> {
        match self.control.last().map(|f| &f.kind) {
            // Lays out the rest of the landing pad; the results went to the end.
            Some(FrameKind::LegacyTry { .. }) => self.end_legacy_try()?,
            // Falling out of a try_table's body unlinks its handler.
            Some(FrameKind::TryTable { .. }) if self.reachable => self.leave_try_tables(0)?,
            _ => {}
        }
        self.fall_through_to_end()?;
        let frame = self.control.pop().expect("end closes a frame");
        // An `if` without `else`: the false edge passes the parameters through as results.
        if let FrameKind::If {
            else_block: Some(else_block),
            params,
            entry_reachable,
        } = &frame.kind
        {
            self.builder.position_at_end(*else_block);
            if *entry_reachable {
                for (phi, v) in frame.end_phis.iter().zip(params) {
                    phi.add_incoming(&[(v as &dyn BasicValue<'ctx>, *else_block)]);
                }
                self.builder.build_unconditional_branch(frame.end_block)?;
            } else {
                self.builder.build_unreachable()?;
            }
        }
        self.stack.truncate(frame.height);
        self.builder.position_at_end(frame.end_block);
        let reached = frame.end_block.get_first_use().is_some();
        if reached {
            for phi in &frame.end_phis {
                self.stack.push(phi.as_basic_value());
            }
        } else {
            // Nothing branches here: the block is dead, and so is what follows until the
            // enclosing frame ends.
            for phi in &frame.end_phis {
                phi.as_instruction().erase_from_basic_block();
            }
            self.builder.build_unreachable()?;
        }
        self.reachable = reached;
        if reached && matches!(frame.kind, FrameKind::Function) {
            self.build_return(&frame)?;
        }
        Ok(())
    }

    fn build_return(&mut self, frame: &Frame<'ctx>) -> Result<()> {
        let values: Vec<BasicValueEnum<'ctx>> = self.pop_n(frame.result_types.len());
        match values.as_slice() {
            [] => self.builder.build_return(None)?,
            [one] => self.builder.build_return(Some(one))?,
            many => {
                // Several results go to the caller's struct, passed after the parameters.
                let out = self.types.results_pointer(self.function, &self.signature);
                let st = self.types.results_struct(&frame.result_types);
                for (i, v) in many.iter().enumerate() {
                    let field = self.builder.build_struct_gep(st, out, i as u32, "")?;
                    self.builder.build_store(field, *v)?;
                }
                self.builder.build_return(None)?
            }
        };
        Ok(())
    }
}

//! Exception handling: `try_table` (a handler in the frame, entered through the `TryEnter`
//! libcall, called `returns_twice` like `setjmp`: it returns a second time, with 1, when an
//! exception arrives, and then the catch clauses are tried in order), `throw` and `throw_ref`
//! through libcalls, and unlinking a handler whenever control leaves its `try_table`. In a
//! function with a `try_table`, locals are accessed volatile, so that they stay in memory and
//! a handler sees their last values.

use inkwell::values::{BasicValueEnum, PointerValue};
use inkwell::IntPredicate;
use lazuli_backend_api::libcall::Libcall;
use lazuli_backend_api::vmcontext::{VMOffsets, VMRuntimeLimits, EXCEPTION_VALUES, HANDLER_SIZE};
use wasmparser::{Catch, Operator};

use super::{FrameKind, LowerError, Lowering, Result};

/// Offset of the handler chain's head in `VMRuntimeLimits`.
const HANDLER_HEAD: u32 = core::mem::offset_of!(VMRuntimeLimits, handler) as u32;
/// Offset of the exception being delivered in `VMRuntimeLimits`.
const EXCEPTION: u32 = core::mem::offset_of!(VMRuntimeLimits, exception) as u32;
/// Offset, in a legacy `try`'s handler, of the exception its clauses caught (the spare word
/// after the `VMHandler`).
const CAUGHT: u32 = core::mem::size_of::<lazuli_backend_api::vmcontext::VMHandler>() as u32;

impl<'ctx> Lowering<'ctx, '_> {
    pub(super) fn exception_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::TryTable { try_table } => self.try_table(try_table)?,
            Operator::Throw { tag_index } => {
                let tag = *tag_index;
                let params = self.tag_params(tag);
                let values = self.pop_n(params.len());
                let array_ty = self.types.i128.array_type(params.len().max(1) as u32);
                let array = self.entry_alloca(array_ty.into())?;
                for (i, v) in values.iter().enumerate() {
                    let at = self.byte_offset(array, self.i64_const(16 * i as u64))?;
                    self.builder.build_store(at, *v)?;
                }
                self.libcall(
                    Libcall::Throw,
                    None,
                    &[self.i32_const(tag).into(), array.into()],
                )?;
                self.builder.build_unreachable()?;
                self.reachable = false;
            }
            Operator::ThrowRef => {
                let exception = self.pop();
                self.throw_on(exception)?;
            }
            Operator::Try { blockty } => {
                let handler = self.next_handler()?;
                let pad = self.ctx.append_basic_block(self.function, "landing");
                let body = self.ctx.append_basic_block(self.function, "try_body");
                self.enter_try(handler, pad, body)?;
                self.builder.position_at_end(body);
                let kind = FrameKind::LegacyTry {
                    handler,
                    pad,
                    in_catch: false,
                    next_clause: None,
                };
                self.open_block(kind, *blockty)?;
            }
            Operator::Catch { tag_index } => self.legacy_catch(Some(*tag_index))?,
            Operator::CatchAll => self.legacy_catch(None)?,
            Operator::Delegate { relative_depth } => self.delegate(*relative_depth)?,
            Operator::Rethrow { relative_depth } => {
                let target = self.control.len() - 1 - *relative_depth as usize;
                let FrameKind::LegacyTry { handler, .. } = self.control[target].kind else {
                    return Err(LowerError::Unsupported(
                        "rethrow names a label that is not a catch clause".into(),
                    ));
                };
                let caught = self.load_ptr_field(handler, CAUGHT, "caught")?;
                self.throw_on(caught.into())?;
            }

            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The payload types of the module's tag `tag`.
    fn tag_params(&self, tag: u32) -> Vec<lazuli_backend_api::ValType> {
        let ty = self.info.tags[tag as usize];
        self.info.types[ty.index()].params().to_vec()
    }

    /// The handler for a try opened now: one per nesting depth, as tries at the same depth
    /// never run at once (a legacy `try` in its catch clauses still holds its own).
    fn next_handler(&mut self) -> Result<PointerValue<'ctx>> {
        let depth = self
            .control
            .iter()
            .filter(|f| {
                matches!(
                    f.kind,
                    FrameKind::TryTable { .. } | FrameKind::LegacyTry { .. }
                )
            })
            .count();
        if depth == self.handlers.len() {
            let ty = self.types.i64.array_type(HANDLER_SIZE / 8);
            let handler = self.entry_alloca(ty.into())?;
            self.handlers.push(handler);
        }
        Ok(self.handlers[depth])
    }

    /// Call `TryEnter` with `handler`; go on in `body`, or in `landing` when it returns the
    /// second time.
    fn enter_try(
        &mut self,
        handler: PointerValue<'ctx>,
        landing: inkwell::basic_block::BasicBlock<'ctx>,
        body: inkwell::basic_block::BasicBlock<'ctx>,
    ) -> Result<()> {
        let entered = self
            .libcall_returning_twice(Libcall::TryEnter, &[handler.into()])?
            .into_int_value();
        let caught = self.builder.build_int_compare(
            IntPredicate::NE,
            entered,
            self.i64_const(0),
            "caught",
        )?;
        self.builder
            .build_conditional_branch(caught, landing, body)?;
        Ok(())
    }

    /// `throw_ref` of `exception`; the code after it is unreachable.
    fn throw_on(&mut self, exception: BasicValueEnum<'ctx>) -> Result<()> {
        self.libcall(Libcall::ThrowRef, None, &[exception])?;
        self.builder.build_unreachable()?;
        self.reachable = false;
        Ok(())
    }

    /// The exception that just landed (in `VMRuntimeLimits::exception`).
    fn landed_exception(&mut self) -> Result<PointerValue<'ctx>> {
        let limits = self.load_ptr_field(self.vmctx, VMOffsets::RUNTIME_LIMITS, "limits")?;
        self.load_ptr_field(limits, EXCEPTION, "exception")
    }

    /// Where the code before a legacy `catch`, `catch_all`, `delegate` or `end` goes: on to
    /// the frame's end (unlinking the handler if it was the body).
    fn end_legacy_arm(&mut self) -> Result<()> {
        if self.reachable
            && self
                .control
                .last()
                .and_then(|f| f.kind.linked_handler())
                .is_some()
        {
            self.leave_try_tables(0)?;
        }
        self.fall_through_to_end()
    }

    /// A legacy `catch` (with a tag) or `catch_all` (without).
    fn legacy_catch(&mut self, tag: Option<u32>) -> Result<()> {
        self.end_legacy_arm()?;
        let top = self.control.len() - 1;
        let FrameKind::LegacyTry {
            handler,
            pad,
            in_catch,
            next_clause,
        } = self.control[top].kind
        else {
            unreachable!("validated: catch follows try");
        };
        if in_catch {
            let next = next_clause.expect("validated: no clause follows catch_all");
            self.builder.position_at_end(next);
        } else {
            // The first clause: the exception lands here, its handler unlinked; it is kept in
            // the handler's spare word for the clauses and `rethrow`.
            self.builder.position_at_end(pad);
            let exception = self.landed_exception()?;
            let at = self.byte_offset(handler, self.i64_const(u64::from(CAUGHT)))?;
            self.builder.build_store(at, exception)?;
        }
        let height = self.control[top].height;
        self.stack.truncate(height);
        self.reachable = true;
        let next_clause = match tag {
            Some(tag) => {
                let exception = self.load_ptr_field(handler, CAUGHT, "caught")?;
                let next = self.ctx.append_basic_block(self.function, "next_catch");
                self.catch_clause(exception, tag, next)?;
                Some(next)
            }
            None => None,
        };
        self.control[top].kind = FrameKind::LegacyTry {
            handler,
            pad,
            in_catch: true,
            next_clause,
        };
        Ok(())
    }

    /// Test `exception` against the module's tag `tag`: on to `next` if it is another, else
    /// push its payload and go on.
    fn catch_clause(
        &mut self,
        exception: PointerValue<'ctx>,
        tag: u32,
        next: inkwell::basic_block::BasicBlock<'ctx>,
    ) -> Result<()> {
        let t = self.types;
        let thrown = self
            .load_field(t.i64, exception, 0, "thrown_tag")?
            .into_int_value();
        let tags = self.load_ptr_field(self.vmctx, VMOffsets::TAGS, "tags")?;
        let expected = self
            .load_field(t.i64, tags, tag * 8, "tag")?
            .into_int_value();
        let matches = self
            .builder
            .build_int_compare(IntPredicate::EQ, thrown, expected, "")?;
        let take = self.ctx.append_basic_block(self.function, "catch");
        self.builder.build_conditional_branch(matches, take, next)?;
        self.builder.position_at_end(take);
        for (i, ty) in self.tag_params(tag).into_iter().enumerate() {
            let offset = EXCEPTION_VALUES + 16 * i as u32;
            let v = self.load_field(t.val(ty), exception, offset, "payload")?;
            self.push(v);
        }
        Ok(())
    }

    /// Before a legacy `try`'s `end` closes it: what is still to lay out of its landing pad.
    /// A body without clauses passes exceptions on; after the last tagged clause, an exception
    /// no clause took is thrown on.
    pub(super) fn end_legacy_try(&mut self) -> Result<()> {
        let top = self.control.len() - 1;
        let FrameKind::LegacyTry {
            handler,
            pad,
            in_catch,
            next_clause,
        } = self.control[top].kind
        else {
            return Ok(());
        };
        self.end_legacy_arm()?;
        if !in_catch {
            self.builder.position_at_end(pad);
            let exception = self.landed_exception()?;
            self.throw_on(exception.into())?;
        } else if let Some(next) = next_clause {
            self.builder.position_at_end(next);
            let caught = self.load_ptr_field(handler, CAUGHT, "caught")?;
            self.throw_on(caught.into())?;
        }
        // Every arm went to the end or threw.
        self.reachable = false;
        Ok(())
    }

    /// `delegate`: the try body's exceptions go to the handler of the try `depth` labels out
    /// (or the nearest linked one outside it; with none in this function, the caller's).
    fn delegate(&mut self, depth: u32) -> Result<()> {
        self.end_legacy_arm()?;
        let top = self.control.len() - 1;
        let FrameKind::LegacyTry { handler, pad, .. } = self.control[top].kind else {
            unreachable!("validated: delegate ends a try");
        };
        self.builder.position_at_end(pad);
        let exception = self.landed_exception()?;
        let target = top - 1 - depth as usize;
        let receiver = self.control[..=target]
            .iter()
            .rev()
            .find_map(|f| f.kind.linked_handler());
        let head = match receiver {
            Some(receiver) => receiver,
            None => {
                // The head when the function's outermost try was entered: the caller's.
                let outermost =
                    self.control
                        .iter()
                        .find_map(|f| match f.kind {
                            FrameKind::TryTable { handler }
                            | FrameKind::LegacyTry { handler, .. } => Some(handler),
                            _ => None,
                        })
                        .expect("this try is one");
                self.load_ptr_field(outermost, 0, "previous_handler")?
            }
        };
        self.set_handler_head(head)?;
        self.throw_on(exception.into())?;
        // Close the frame as `end` does, with nothing left to lay out.
        self.control[top].kind = FrameKind::LegacyTry {
            handler,
            pad,
            in_catch: true,
            next_clause: None,
        };
        self.end()
    }

    fn try_table(&mut self, try_table: &wasmparser::TryTable) -> Result<()> {
        let t = self.types;
        let handler = self.next_handler()?;
        let landing = self.ctx.append_basic_block(self.function, "landing");
        let body = self.ctx.append_basic_block(self.function, "try_body");
        self.enter_try(handler, landing, body)?;

        // An exception arrived, its handler unlinked. The catch labels count from the frames
        // outside the try_table, which is not on the control stack yet.
        self.builder.position_at_end(landing);
        let limits = self.load_ptr_field(self.vmctx, VMOffsets::RUNTIME_LIMITS, "limits")?;
        let exception = self.load_ptr_field(limits, EXCEPTION, "exception")?;
        let thrown_tag = self
            .load_field(t.i64, exception, 0, "thrown_tag")?
            .into_int_value();
        let height = self.stack.len();
        for catch in &try_table.catches {
            let (tag, label, with_ref) = match *catch {
                Catch::One { tag, label } => (Some(tag), label, false),
                Catch::OneRef { tag, label } => (Some(tag), label, true),
                Catch::All { label } => (None, label, false),
                Catch::AllRef { label } => (None, label, true),
            };
            let next = self.ctx.append_basic_block(self.function, "next_catch");
            if let Some(tag) = tag {
                let tags = self.load_ptr_field(self.vmctx, VMOffsets::TAGS, "tags")?;
                let expected = self
                    .load_field(t.i64, tags, tag * 8, "tag")?
                    .into_int_value();
                let matches =
                    self.builder
                        .build_int_compare(IntPredicate::EQ, thrown_tag, expected, "")?;
                let take = self.ctx.append_basic_block(self.function, "catch");
                self.builder.build_conditional_branch(matches, take, next)?;
                self.builder.position_at_end(take);
                for (i, ty) in self.tag_params(tag).into_iter().enumerate() {
                    let offset = EXCEPTION_VALUES + 16 * i as u32;
                    let v = self.load_field(t.val(ty), exception, offset, "payload")?;
                    self.push(v);
                }
            }
            if with_ref {
                self.push(exception);
            }
            self.leave_try_tables(label)?;
            self.branch(label)?;
            self.builder
                .build_unconditional_branch(self.target(label))?;
            self.stack.truncate(height);
            self.builder.position_at_end(next);
        }
        // No clause matched: on to the next handler out.
        self.libcall(Libcall::ThrowRef, None, &[exception.into()])?;
        self.builder.build_unreachable()?;

        self.builder.position_at_end(body);
        self.open_block(FrameKind::TryTable { handler }, try_table.ty)
    }

    /// Before control leaves the frames from `depth` levels out inwards (a branch to that
    /// depth, or the function's depth for a return or tail call): unlink the handlers of the
    /// `try_table`s among them, making the head what it was when the outermost was entered.
    pub(crate) fn leave_try_tables(&mut self, depth: u32) -> Result<()> {
        let from = self.control.len() - 1 - depth as usize;
        let outermost = self.control[from..]
            .iter()
            .find_map(|f| f.kind.linked_handler());
        if let Some(handler) = outermost {
            let previous = self.load_ptr_field(handler, 0, "previous_handler")?;
            self.set_handler_head(previous)?;
        }
        Ok(())
    }

    /// Whether a branch `depth` levels out leaves a `try_table`.
    pub(crate) fn leaves_try_table(&self, depth: u32) -> bool {
        let from = self.control.len() - 1 - depth as usize;
        self.control[from..]
            .iter()
            .any(|f| f.kind.linked_handler().is_some())
    }

    /// After a conditional branch out of `try_table`s, on the path that stays: the innermost
    /// handler is the head again.
    pub(crate) fn relink_innermost_handler(&mut self) -> Result<()> {
        let innermost = self
            .control
            .iter()
            .rev()
            .find_map(|f| f.kind.linked_handler());
        if let Some(handler) = innermost {
            self.set_handler_head(handler)?;
        }
        Ok(())
    }

    fn set_handler_head(&mut self, head: PointerValue<'ctx>) -> Result<()> {
        let limits = self.load_ptr_field(self.vmctx, VMOffsets::RUNTIME_LIMITS, "limits")?;
        let at = self.byte_offset(limits, self.i64_const(u64::from(HANDLER_HEAD)))?;
        self.builder.build_store(at, head)?;
        Ok(())
    }

    /// Call libcall `which`, which returns twice (`TryEnter`), returning its `i64`.
    fn libcall_returning_twice(
        &mut self,
        which: Libcall,
        params: &[BasicValueEnum<'ctx>],
    ) -> Result<BasicValueEnum<'ctx>> {
        let table = self.load_ptr_field(self.vmctx, VMOffsets::LIBCALLS, "libcalls")?;
        let entry = self.load_ptr_field(table, which as u32 * 8, "libcall")?;
        let mut args: Vec<inkwell::values::BasicMetadataValueEnum<'ctx>> = vec![self.vmctx.into()];
        args.extend(
            params
                .iter()
                .map(|p| inkwell::values::BasicMetadataValueEnum::from(*p)),
        );
        let arg_types: Vec<_> = args.iter().map(|a| crate::metadata_type_of(*a)).collect();
        let fn_ty = self.types.i64.fn_type(&arg_types, false);
        let call = self
            .builder
            .build_indirect_call(fn_ty, entry, &args, "entered")?;
        let kind = inkwell::attributes::Attribute::get_named_enum_kind_id("returns_twice");
        call.add_attribute(
            inkwell::attributes::AttributeLoc::Function,
            self.ctx.create_enum_attribute(kind, 0),
        );
        call.try_as_basic_value()
            .basic()
            .ok_or_else(|| LowerError::Unsupported("TryEnter returns nothing".into()))
    }
}

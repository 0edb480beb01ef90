//! Exception handling: `try_table` (a handler in the frame, entered through the `TryEnter`
//! libcall, which returns a second time when an exception arrives; then the catch clauses are
//! tried in order), `throw` and `throw_ref` through libcalls, and unlinking a handler whenever
//! control leaves its `try_table` (its end, a branch out, a return, a tail call). Functions
//! with a `try_table` keep their locals in the frame: registers would come back from the
//! handler with the values they had on entry.

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};
use lazuli_backend_api::libcall::Libcall;
use lazuli_backend_api::vmcontext::{VMOffsets, VMRuntimeLimits, EXCEPTION_VALUES, HANDLER_SIZE};
use lazuli_backend_api::{TypeIndex, ValType};
use wasmparser::{Catch, Operator};

use super::control::ControlKind;
use super::{FuncLowering, Location, Result};
use crate::regs::{RegClass, SCRATCH, SCRATCH2, VMCTX, XSCRATCH};

/// Offset of the handler chain's head in `VMRuntimeLimits`.
const HANDLER_HEAD: i32 = core::mem::offset_of!(VMRuntimeLimits, handler) as i32;
/// Offset of the exception being delivered in `VMRuntimeLimits`.
const EXCEPTION: i32 = core::mem::offset_of!(VMRuntimeLimits, exception) as i32;
/// Offset, in a legacy `try`'s handler, of the exception its clauses caught (the spare word
/// after the `VMHandler`).
const CAUGHT: i32 = core::mem::size_of::<lazuli_backend_api::vmcontext::VMHandler>() as i32;

impl FuncLowering<'_> {
    pub(crate) fn exception_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        match op {
            Operator::TryTable { try_table } => self.try_table(try_table)?,
            Operator::Throw { tag_index } => self.throw(*tag_index),
            Operator::ThrowRef => {
                self.libcall(Libcall::ThrowRef, &[], 1, None);
                dynasm!(self.asm ; .arch x64 ; ud2);
                self.set_unreachable();
            }
            Operator::Try { blockty } => self.legacy_try(*blockty),
            Operator::Catch { tag_index } => self.legacy_catch(Some(*tag_index)),
            Operator::CatchAll => self.legacy_catch(None),
            Operator::Delegate { relative_depth } => self.delegate(*relative_depth)?,
            Operator::Rethrow { relative_depth } => {
                let target = self.controls.len() - 1 - *relative_depth as usize;
                let ControlKind::LegacyTry { handler, .. } = self.controls[target].kind else {
                    return Err(lazuli_backend_api::CompileError::new(
                        "rethrow names a label that is not a catch clause",
                    ));
                };
                self.throw_caught(handler);
                self.set_unreachable();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The payload types of the module's tag `tag`.
    fn tag_params(&self, tag: u32) -> Vec<ValType> {
        let ty: TypeIndex = self.module.tags[tag as usize];
        self.module.types[ty.index()].params().to_vec()
    }

    /// The frame offset of the handler for a try opened now (one per nesting depth).
    fn next_handler(&self) -> i32 {
        let depth = self
            .controls
            .iter()
            .filter(|c| {
                matches!(
                    c.kind,
                    ControlKind::TryTable { .. } | ControlKind::LegacyTry { .. }
                )
            })
            .count() as i32;
        self.frame.handlers_start - HANDLER_SIZE as i32 * depth
    }

    /// Call `TryEnter` with the handler at `[rbp + handler]`; jump to `caught` when it
    /// returns the second time.
    fn enter_try(&mut self, handler: i32, caught: dynasmrt::DynamicLabel) {
        let libcalls = VMOffsets::LIBCALLS as i32;
        dynasm!(self.asm
            ; .arch x64
            ; mov rdi, Rq(VMCTX)
            ; lea rsi, [rbp + handler]
            ; mov rax, QWORD [Rq(VMCTX) + libcalls]
            ; call QWORD [rax + 8 * Libcall::TryEnter as i32]
            ; test eax, eax
            ; jnz =>caught
        );
    }

    fn try_table(&mut self, try_table: &wasmparser::TryTable) -> Result<()> {
        let handler = self.next_handler();
        let label = self.asm.new_dynamic_label();
        self.open(ControlKind::TryTable { handler }, label, try_table.ty);
        let body = self.asm.new_dynamic_label();
        let landing = self.asm.new_dynamic_label();
        self.enter_try(handler, landing);
        dynasm!(self.asm ; .arch x64 ; jmp =>body ; =>landing);
        // An exception arrived: the handler is unlinked, the registers are as on entry.
        self.reload_memory_base();
        let limits = VMOffsets::RUNTIME_LIMITS as i32;
        let height = self.stack.len();
        for catch in &try_table.catches {
            let (tag, label, with_ref) = match *catch {
                Catch::One { tag, label } => (Some(tag), label, false),
                Catch::OneRef { tag, label } => (Some(tag), label, true),
                Catch::All { label } => (None, label, false),
                Catch::AllRef { label } => (None, label, true),
            };
            // The exception in r10, reloaded for each clause (a branch may clobber it).
            dynasm!(self.asm
                ; .arch x64
                ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + limits]
                ; mov Rq(SCRATCH2), QWORD [Rq(SCRATCH) + EXCEPTION]
            );
            let next = self.asm.new_dynamic_label();
            if let Some(tag) = tag {
                self.catch_clause(tag, next);
            }
            if with_ref {
                let to = self.slot_offset(self.stack.len());
                dynasm!(self.asm ; .arch x64 ; mov QWORD [rbp + to], Rq(SCRATCH2));
                self.push(ValType::ExnRef, Location::Slot);
            }
            // Catch labels count from outside the try_table, which is on the control stack.
            let target = self.controls.len() - 2 - label as usize;
            self.branch(target);
            self.truncate(height);
            dynasm!(self.asm ; .arch x64 ; =>next);
        }
        // No clause matched: on to the next handler out.
        self.rethrow_landed();
        dynasm!(self.asm ; .arch x64 ; =>body);
        Ok(())
    }

    /// Legacy `try`: a handler like `try_table`'s; the landing pad is laid out clause by clause
    /// as `catch`, `catch_all`, `delegate` or `end` arrive.
    fn legacy_try(&mut self, blockty: wasmparser::BlockType) {
        let handler = self.next_handler();
        let pad = self.asm.new_dynamic_label();
        let label = self.asm.new_dynamic_label();
        let kind = ControlKind::LegacyTry {
            handler,
            pad,
            in_catch: false,
            next_clause: None,
        };
        self.open(kind, label, blockty);
        self.enter_try(handler, pad);
    }

    /// Where the code before a legacy `catch`, `catch_all`, `delegate` or `end` goes: results
    /// to the frame's slots and a jump to its end (unlinking the handler if it was the body).
    fn end_legacy_arm(&mut self, top: usize) {
        if !self.reachable {
            return;
        }
        let (n, height, label) = {
            let frame = &self.controls[top];
            (frame.results.len(), frame.height, frame.label)
        };
        let start = self.stack.len() - n;
        for k in 0..n {
            self.move_to_slot(start + k, height + k);
        }
        if self.controls[top].kind.linked_handler().is_some() {
            self.leave_try_tables(top);
        }
        dynasm!(self.asm ; .arch x64 ; jmp =>label);
    }

    /// A legacy `catch` (with a tag) or `catch_all` (without).
    fn legacy_catch(&mut self, tag: Option<u32>) {
        let top = self.controls.len() - 1;
        self.end_legacy_arm(top);
        let ControlKind::LegacyTry {
            handler,
            pad,
            in_catch,
            next_clause,
        } = self.controls[top].kind
        else {
            unreachable!("validated: catch follows try");
        };
        if in_catch {
            if let Some(next) = next_clause {
                dynasm!(self.asm ; .arch x64 ; =>next);
            }
        } else {
            // The first clause: the exception lands here, its handler unlinked; it is kept in
            // the handler's spare word for the clauses and `rethrow`.
            dynasm!(self.asm ; .arch x64 ; =>pad);
            self.reload_memory_base();
            let limits = VMOffsets::RUNTIME_LIMITS as i32;
            dynasm!(self.asm
                ; .arch x64
                ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + limits]
                ; mov Rq(SCRATCH2), QWORD [Rq(SCRATCH) + EXCEPTION]
                ; mov QWORD [rbp + handler + CAUGHT], Rq(SCRATCH2)
            );
        }
        let height = self.controls[top].height;
        self.truncate(height);
        self.reachable = true;
        let next_clause = tag.map(|tag| {
            let next = self.asm.new_dynamic_label();
            dynasm!(self.asm ; .arch x64 ; mov Rq(SCRATCH2), QWORD [rbp + handler + CAUGHT]);
            self.catch_clause(tag, next);
            next
        });
        self.controls[top].kind = ControlKind::LegacyTry {
            handler,
            pad,
            in_catch: true,
            next_clause,
        };
    }

    /// Test the exception in r10 against the module's tag `tag`: on to `next` if it is another,
    /// else push its payload into fresh slots and go on.
    fn catch_clause(&mut self, tag: u32, next: dynasmrt::DynamicLabel) {
        let tags = VMOffsets::TAGS as i32;
        dynasm!(self.asm
            ; .arch x64
            ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + tags]
            ; mov Rq(SCRATCH), QWORD [Rq(SCRATCH) + 8 * tag as i32]
            ; cmp Rq(SCRATCH), QWORD [Rq(SCRATCH2)]
            ; jne =>next
        );
        self.push_payload(tag);
    }

    /// Push the payload of the exception in r10, of the module's tag `tag`, into fresh slots.
    fn push_payload(&mut self, tag: u32) {
        for (i, ty) in self.tag_params(tag).into_iter().enumerate() {
            let from = EXCEPTION_VALUES as i32 + 16 * i as i32;
            let to = self.slot_offset(self.stack.len());
            if ty == ValType::V128 {
                dynasm!(self.asm
                    ; .arch x64
                    ; movdqu Rx(XSCRATCH), [Rq(SCRATCH2) + from]
                    ; movdqu [rbp + to], Rx(XSCRATCH)
                );
            } else {
                dynasm!(self.asm
                    ; .arch x64
                    ; mov Rq(SCRATCH), QWORD [Rq(SCRATCH2) + from]
                    ; mov QWORD [rbp + to], Rq(SCRATCH)
                );
            }
            self.push(ty, Location::Slot);
        }
    }

    /// Before a legacy `try`'s `end` (or `delegate`) closes it: what is still to lay out of its
    /// landing pad. A body without clauses passes exceptions on; after the last tagged clause,
    /// an exception no clause took is thrown on.
    pub(crate) fn end_legacy_try(&mut self, top: usize) {
        let ControlKind::LegacyTry {
            handler,
            pad,
            in_catch,
            next_clause,
        } = self.controls[top].kind
        else {
            return;
        };
        self.end_legacy_arm(top);
        if !in_catch {
            dynasm!(self.asm ; .arch x64 ; =>pad);
            self.rethrow_landed();
        } else if let Some(next) = next_clause {
            dynasm!(self.asm ; .arch x64 ; =>next);
            self.throw_caught(handler);
        }
        // Every arm jumped to the end or threw.
        self.reachable = false;
    }

    /// Throw on the exception that just landed (in `VMRuntimeLimits::exception`).
    fn rethrow_landed(&mut self) {
        let limits = VMOffsets::RUNTIME_LIMITS as i32;
        let libcalls = VMOffsets::LIBCALLS as i32;
        dynasm!(self.asm
            ; .arch x64
            ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + limits]
            ; mov rsi, QWORD [Rq(SCRATCH) + EXCEPTION]
            ; mov rdi, Rq(VMCTX)
            ; mov rax, QWORD [Rq(VMCTX) + libcalls]
            ; call QWORD [rax + 8 * Libcall::ThrowRef as i32]
            ; ud2
        );
    }

    /// Throw on the exception a legacy `try`'s clauses caught (`rethrow`, or no clause took it).
    fn throw_caught(&mut self, handler: i32) {
        let libcalls = VMOffsets::LIBCALLS as i32;
        dynasm!(self.asm
            ; .arch x64
            ; mov rsi, QWORD [rbp + handler + CAUGHT]
            ; mov rdi, Rq(VMCTX)
            ; mov rax, QWORD [Rq(VMCTX) + libcalls]
            ; call QWORD [rax + 8 * Libcall::ThrowRef as i32]
            ; ud2
        );
    }

    /// `delegate`: the try body's exceptions go to the handler of the try `depth` labels out
    /// (or the nearest linked one outside it; with none in this function, the caller's).
    fn delegate(&mut self, depth: u32) -> Result<()> {
        let top = self.controls.len() - 1;
        let ControlKind::LegacyTry { handler, pad, .. } = self.controls[top].kind else {
            unreachable!("validated: delegate ends a try");
        };
        self.end_legacy_arm(top);
        dynasm!(self.asm ; .arch x64 ; =>pad);
        let target = top - 1 - depth as usize;
        let limits = VMOffsets::RUNTIME_LIMITS as i32;
        let receiver = self.controls[..=target]
            .iter()
            .rev()
            .find_map(|c| c.kind.linked_handler());
        match receiver {
            Some(receiver) => dynasm!(self.asm
                ; .arch x64
                ; lea Rq(SCRATCH2), [rbp + receiver]
            ),
            None => {
                // The head when the function's outermost try was entered: the caller's.
                let outermost = self.controls.iter().find_map(|c| match c.kind {
                    ControlKind::TryTable { handler } | ControlKind::LegacyTry { handler, .. } => {
                        Some(handler)
                    }
                    _ => None,
                });
                let outermost = outermost.expect("this try is one");
                dynasm!(self.asm
                    ; .arch x64
                    ; mov Rq(SCRATCH2), QWORD [rbp + outermost]
                );
            }
        }
        dynasm!(self.asm
            ; .arch x64
            ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + limits]
            ; mov QWORD [Rq(SCRATCH) + HANDLER_HEAD], Rq(SCRATCH2)
        );
        self.rethrow_landed();
        // Close the frame as `end` does, with nothing left to lay out.
        self.controls[top].kind = ControlKind::LegacyTry {
            handler,
            pad,
            in_catch: true,
            next_clause: None,
        };
        self.reachable = false;
        self.end()
    }

    /// `throw`: the payload into the outgoing-argument area, then the libcall.
    fn throw(&mut self, tag: u32) {
        self.spill_regs();
        let params = self.tag_params(tag);
        let n = params.len();
        self.max_outgoing = self.max_outgoing.max(16 * n as u32);
        let base = self.stack.len() - n;
        for k in 0..n {
            let op = self.stack[base + k];
            let scratch = match RegClass::of(op.ty) {
                RegClass::Gpr => SCRATCH,
                RegClass::Xmm => XSCRATCH,
            };
            self.load_operand(op, base + k, scratch);
            self.store_to(op.ty, scratch, 4, 16 * k as i32);
        }
        self.truncate(base);
        let libcalls = VMOffsets::LIBCALLS as i32;
        dynasm!(self.asm
            ; .arch x64
            ; mov rdi, Rq(VMCTX)
            ; mov esi, tag as i32
            ; mov rdx, rsp
            ; mov rax, QWORD [Rq(VMCTX) + libcalls]
            ; call QWORD [rax + 8 * Libcall::Throw as i32]
            ; ud2
        );
        self.set_unreachable();
    }

    /// Before control leaves the frames from `target` up (a branch to `target`, or 0 for a
    /// return or tail call): unlink the handlers of the `try_table`s among them, making the
    /// head what it was when the outermost of them was entered.
    pub(crate) fn leave_try_tables(&mut self, target: usize) {
        let outermost = self.controls[target..]
            .iter()
            .find_map(|c| c.kind.linked_handler());
        if let Some(handler) = outermost {
            let limits = VMOffsets::RUNTIME_LIMITS as i32;
            dynasm!(self.asm
                ; .arch x64
                ; mov Rq(SCRATCH), QWORD [Rq(VMCTX) + limits]
                ; mov Rq(SCRATCH2), QWORD [rbp + handler]
                ; mov QWORD [Rq(SCRATCH) + HANDLER_HEAD], Rq(SCRATCH2)
            );
        }
    }

    /// Whether a branch to `target` leaves a `try_table`.
    pub(crate) fn leaves_try_table(&self, target: usize) -> bool {
        self.controls[target..]
            .iter()
            .any(|c| c.kind.linked_handler().is_some())
    }
}

//! Linear memory: loads and stores of every width with explicit bounds checks, memory.size,
//! memory.grow and the bulk memory operations (through libcalls).

use inkwell::types::{BasicTypeEnum, IntType};
use inkwell::values::{BasicValue, BasicValueEnum, InstructionValue, IntValue, PointerValue};
use inkwell::IntPredicate;
use lazuli_backend_api::libcall::Libcall;
use lazuli_backend_api::TrapCode;
use wasmparser::{MemArg, Operator};

use super::{AliasClass, Lowering, Result};

/// Whether an access skipped its bounds check (the guard region covers it).
#[derive(Clone, Copy)]
struct Unchecked(bool);

impl<'ctx> Lowering<'ctx, '_> {
    pub(super) fn memory_op(&mut self, op: &Operator<'_>) -> Result<bool> {
        use Operator as O;
        let t = self.types;
        let i16 = t.ctx.i16_type();
        match *op {
            O::I32Load { memarg } => self.load(memarg, t.i32.into())?,
            O::I64Load { memarg } => self.load(memarg, t.i64.into())?,
            O::F32Load { memarg } => self.load(memarg, t.f32.into())?,
            O::F64Load { memarg } => self.load(memarg, t.f64.into())?,
            O::I32Load8S { memarg } => self.load_extend(memarg, t.i8, t.i32, true)?,
            O::I32Load8U { memarg } => self.load_extend(memarg, t.i8, t.i32, false)?,
            O::I32Load16S { memarg } => self.load_extend(memarg, i16, t.i32, true)?,
            O::I32Load16U { memarg } => self.load_extend(memarg, i16, t.i32, false)?,
            O::I64Load8S { memarg } => self.load_extend(memarg, t.i8, t.i64, true)?,
            O::I64Load8U { memarg } => self.load_extend(memarg, t.i8, t.i64, false)?,
            O::I64Load16S { memarg } => self.load_extend(memarg, i16, t.i64, true)?,
            O::I64Load16U { memarg } => self.load_extend(memarg, i16, t.i64, false)?,
            O::I64Load32S { memarg } => self.load_extend(memarg, t.i32, t.i64, true)?,
            O::I64Load32U { memarg } => self.load_extend(memarg, t.i32, t.i64, false)?,
            O::I32Store { memarg }
            | O::I64Store { memarg }
            | O::F32Store { memarg }
            | O::F64Store { memarg } => {
                let v = self.pop();
                self.store(memarg, v)?;
            }
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => self.store_narrow(memarg, t.i8)?,
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                self.store_narrow(memarg, i16)?
            }
            O::I64Store32 { memarg } => self.store_narrow(memarg, t.i32)?,
            O::MemorySize { mem } => {
                let def = self.memory_definition(mem)?;
                let len = self.load_field(t.i64, def, 8, "mem_len")?.into_int_value();
                let pages = self
                    .builder
                    .build_right_shift(len, self.i64_const(16), false, "")?;
                if self.is_memory64(mem) {
                    self.push(pages);
                } else {
                    let pages = self.builder.build_int_truncate(pages, t.i32, "")?;
                    self.push(pages);
                }
            }
            O::MemoryGrow { mem } => {
                let delta = self.pop_int();
                let delta = self.widen(delta)?;
                let r = self
                    .libcall(
                        Libcall::MemoryGrow,
                        Some(t.i64.into()),
                        &[self.i32_const(mem).into(), delta.into()],
                    )?
                    .expect("memory.grow returns")
                    .into_int_value();
                if self.is_memory64(mem) {
                    self.push(r);
                } else {
                    let r = self.builder.build_int_truncate(r, t.i32, "")?;
                    self.push(r);
                }
            }
            O::MemoryFill { mem } => {
                let args = self.pop_n(3);
                let (dst, len) = (
                    self.widen(args[0].into_int_value())?,
                    self.widen(args[2].into_int_value())?,
                );
                self.libcall(
                    Libcall::MemoryFill,
                    None,
                    &[self.i32_const(mem).into(), dst.into(), args[1], len.into()],
                )?;
            }
            O::MemoryCopy { dst_mem, src_mem } => {
                let args = self.pop_n(3);
                let args = args
                    .iter()
                    .map(|a| self.widen(a.into_int_value()).map(BasicValueEnum::from))
                    .collect::<Result<Vec<_>>>()?;
                let (d, s) = (
                    self.i32_const(dst_mem).into(),
                    self.i32_const(src_mem).into(),
                );
                self.libcall(
                    Libcall::MemoryCopy,
                    None,
                    &[d, s, args[0], args[1], args[2]],
                )?;
            }
            O::MemoryInit { data_index, mem } => {
                let args = self.pop_n(3);
                let dst = self.widen(args[0].into_int_value())?;
                let (m, d) = (
                    self.i32_const(mem).into(),
                    self.i32_const(data_index).into(),
                );
                self.libcall(
                    Libcall::MemoryInit,
                    None,
                    &[m, d, dst.into(), args[1], args[2]],
                )?;
            }
            O::DataDrop { data_index } => {
                self.libcall(
                    Libcall::DataDrop,
                    None,
                    &[self.i32_const(data_index).into()],
                )?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whether memory `index` has 64-bit addresses (it is then always checked explicitly, and its
    /// base may move when it grows).
    fn is_memory64(&self, index: u32) -> bool {
        self.info
            .memories
            .get(index as usize)
            .is_some_and(|m| m.memory64)
    }

    /// An address, index, length or page count as the `u64` the memory and table libcalls take
    /// (an `i32` is zero-extended).
    pub(crate) fn widen(&self, v: IntValue<'ctx>) -> Result<IntValue<'ctx>> {
        if v.get_type() == self.types.i64 {
            Ok(v)
        } else {
            Ok(self.builder.build_int_z_extend(v, self.types.i64, "")?)
        }
    }

    /// Pointer to memory `index`'s `VMMemoryDefinition` (set at instantiation, never changed).
    fn memory_definition(&self, index: u32) -> Result<PointerValue<'ctx>> {
        let def = self.load_ptr_field(self.vmctx, self.offsets.memory(index), "memory")?;
        self.set_alias_class(def.as_instruction_value(), AliasClass::MemoryDefinition);
        self.set_invariant(def.as_instruction_value());
        Ok(def)
    }

    /// Pop an address and return a pointer to `size` bytes at address + offset, trapping when
    /// they are not all inside the memory. Where the memory's guard region covers the access,
    /// nothing is checked: an access out of bounds faults there and the fault is the trap; the
    /// returned flag says so (the access must then be marked with [`Self::mark_access`]).
    fn effective_address(
        &mut self,
        memarg: MemArg,
        size: u64,
    ) -> Result<(PointerValue<'ctx>, Unchecked)> {
        let addr = self.pop_int();
        let addr = self.widen(addr)?;
        let memory = match memarg.target {
            wasmparser::MemArgTarget::Memory(m) => m,
            wasmparser::MemArgTarget::Array(_) => {
                return Err(super::LowerError::Unsupported(
                    "GC array accesses are not supported".into(),
                ))
            }
        };
        let memory64 = self.is_memory64(memory);
        let def = self.memory_definition(memory)?;
        let base = self.load_ptr_field(def, 0, "mem_base")?;
        self.set_alias_class(base.as_instruction_value(), AliasClass::MemoryDefinition);
        if self.code.memory_base_is_fixed() && !memory64 {
            self.set_invariant(base.as_instruction_value());
        }
        let checked = memory64 || self.code.needs_bounds_check(memarg.offset, size);
        if checked {
            let len = self.load_field(self.types.i64, def, 8, "mem_len")?;
            self.set_alias_class(len.as_instruction_value(), AliasClass::MemoryDefinition);
            let len = len.into_int_value();
            // Out of bounds when `addr + offset + size > len`, computed without wrapping (a
            // 64-bit address plus the offset may pass 2^64): `offset + size > len`, or
            // `addr > len - (offset + size)`.
            let reach = self.i64_const(memarg.offset.checked_add(size).unwrap_or(u64::MAX));
            let too_far =
                self.builder
                    .build_int_compare(IntPredicate::UGT, reach, len, "too_far")?;
            let room = self.builder.build_int_sub(len, reach, "room")?;
            let past = self
                .builder
                .build_int_compare(IntPredicate::UGT, addr, room, "past")?;
            let out = self.builder.build_or(too_far, past, "oob")?;
            self.trap_if(out, TrapCode::MemoryOutOfBounds)?;
        }
        let addr = self
            .builder
            .build_int_add(addr, self.i64_const(memarg.offset), "")?;
        Ok((self.byte_offset(base, addr)?, Unchecked(!checked)))
    }

    /// A load of `ty` (`size` bytes) from linear memory at the popped address plus the offset.
    pub(super) fn load_memory(
        &mut self,
        memarg: MemArg,
        ty: BasicTypeEnum<'ctx>,
        size: u64,
    ) -> Result<BasicValueEnum<'ctx>> {
        let (ptr, unchecked) = self.effective_address(memarg, size)?;
        let v = self.builder.build_load(ty, ptr, "load")?;
        self.mark_access(v.as_instruction_value(), unchecked);
        Ok(v)
    }

    /// A store of `v` (`size` bytes) to linear memory at the address below it on the stack
    /// (already popped: `v` is given) plus the offset.
    pub(super) fn store_memory(
        &mut self,
        memarg: MemArg,
        v: BasicValueEnum<'ctx>,
        size: u64,
    ) -> Result<()> {
        let (ptr, unchecked) = self.effective_address(memarg, size)?;
        let st = self.builder.build_store(ptr, v)?;
        self.mark_access(Some(st), unchecked);
        Ok(())
    }

    /// Annotate a linear memory access: unaligned (the alignment hint is not a promise), of
    /// the linear memory alias class, and volatile when it is unchecked. LLVM takes a plain
    /// load for one that cannot fault: it would delete one whose value is unused, or move it
    /// onto a path that skips it, and the trap would be lost. Volatile keeps every unchecked
    /// access, in order, where the program has it.
    fn mark_access(&self, access: Option<InstructionValue<'ctx>>, unchecked: Unchecked) {
        let Some(access) = access else { return };
        let _ = access.set_alignment(1);
        if unchecked.0 {
            let _ = access.set_volatile(true);
        }
        self.set_alias_class(Some(access), AliasClass::LinearMemory);
    }

    fn load(&mut self, memarg: MemArg, ty: BasicTypeEnum<'ctx>) -> Result<()> {
        let v = self.load_value(memarg, ty)?;
        self.push(v);
        Ok(())
    }

    fn load_value(
        &mut self,
        memarg: MemArg,
        ty: BasicTypeEnum<'ctx>,
    ) -> Result<BasicValueEnum<'ctx>> {
        let size = self.size_of(ty);
        self.load_memory(memarg, ty, size)
    }

    fn load_extend(
        &mut self,
        memarg: MemArg,
        narrow: IntType<'ctx>,
        to: IntType<'ctx>,
        signed: bool,
    ) -> Result<()> {
        let v = self.load_value(memarg, narrow.into())?.into_int_value();
        let r = if signed {
            self.builder.build_int_s_extend(v, to, "")?
        } else {
            self.builder.build_int_z_extend(v, to, "")?
        };
        self.push(r);
        Ok(())
    }

    fn store(&mut self, memarg: MemArg, v: BasicValueEnum<'ctx>) -> Result<()> {
        let size = self.size_of(v.get_type());
        self.store_memory(memarg, v, size)
    }

    fn store_narrow(&mut self, memarg: MemArg, narrow: IntType<'ctx>) -> Result<()> {
        let v = self.pop_int();
        let v = self.builder.build_int_truncate(v, narrow, "")?;
        self.store(memarg, v.into())
    }

    fn size_of(&self, ty: BasicTypeEnum<'ctx>) -> u64 {
        match ty {
            BasicTypeEnum::IntType(i) => i.get_bit_width() as u64 / 8,
            BasicTypeEnum::FloatType(f) if f == self.types.f32 => 4,
            BasicTypeEnum::FloatType(_) => 8,
            BasicTypeEnum::VectorType(_) => 16,
            _ => 8,
        }
    }
}

//! Program arguments and environment: `args_*` and `environ_*`.

use super::{element, guest_u32};
use crate::{Args, Errno, GuestMemory, WasiCtx};

/// Write `strings` NUL-terminated from `buf` on, and a pointer to each into the array at `ptrs`.
fn put_strings(
    mem: &mut GuestMemory<'_>,
    strings: &[String],
    ptrs: u32,
    buf: u32,
) -> Result<(), Errno> {
    let mut at = buf;
    for (i, s) in strings.iter().enumerate() {
        mem.write_u32(element(ptrs, i, 4)?, at)?;
        mem.write(at, s.as_bytes())?;
        let end = element(at, s.len(), 1)?;
        mem.write_u8(end, 0)?;
        at = end.checked_add(1).ok_or(Errno::FAULT)?;
    }
    Ok(())
}

/// Write how many `strings` there are to `count`, and the bytes they take to `size`.
fn put_sizes(
    mem: &mut GuestMemory<'_>,
    strings: &[String],
    count: u32,
    size: u32,
) -> Result<(), Errno> {
    let bytes: usize = strings.iter().map(|s| s.len() + 1).sum();
    mem.write_u32(count, guest_u32(strings.len())?)?;
    mem.write_u32(size, guest_u32(bytes)?)
}

pub(crate) fn args_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    put_strings(mem, &ctx.args, a.u32(0), a.u32(1))
}

pub(crate) fn args_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    put_sizes(mem, &ctx.args, a.u32(0), a.u32(1))
}

pub(crate) fn environ_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    put_strings(mem, &ctx.env, a.u32(0), a.u32(1))
}

pub(crate) fn environ_sizes_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    put_sizes(mem, &ctx.env, a.u32(0), a.u32(1))
}

//! Signals and sockets, which this implementation cannot offer: `proc_raise` is `ENOSYS`, and
//! no descriptor is ever a socket, so `sock_*` are `ENOTSOCK` (or `EBADF` for a closed one).

use crate::{Args, Errno, GuestMemory, WasiCtx};

pub(crate) fn proc_raise(
    _: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    _: &Args<'_>,
) -> Result<(), Errno> {
    Err(Errno::NOSYS)
}

/// `ENOTSOCK` for an open descriptor, `EBADF` for a closed one.
fn not_a_socket(ctx: &WasiCtx, fd: u32) -> Result<(), Errno> {
    ctx.table.get(fd)?;
    Err(Errno::NOTSOCK)
}

pub(crate) fn sock_accept(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    not_a_socket(ctx, a.u32(0))
}

pub(crate) fn sock_recv(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    not_a_socket(ctx, a.u32(0))
}

pub(crate) fn sock_send(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    not_a_socket(ctx, a.u32(0))
}

pub(crate) fn sock_shutdown(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    not_a_socket(ctx, a.u32(0))
}

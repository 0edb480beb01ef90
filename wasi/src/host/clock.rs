//! Clocks, randomness and yielding: `clock_*`, `random_get`, `sched_yield`.

use crate::{Args, Errno, GuestMemory, WasiCtx};

/// The host clock for a WASI clock id.
fn host_clock(id: u32) -> Result<libc::clockid_t, Errno> {
    Ok(match id {
        0 => libc::CLOCK_REALTIME,
        1 => libc::CLOCK_MONOTONIC,
        2 => libc::CLOCK_PROCESS_CPUTIME_ID,
        3 => libc::CLOCK_THREAD_CPUTIME_ID,
        _ => return Err(Errno::INVAL),
    })
}

fn nanos(ts: &libc::timespec) -> u64 {
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// The time of WASI clock `id` in nanoseconds.
pub(crate) fn now(id: u32) -> Result<u64, Errno> {
    let clock = host_clock(id)?;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write to.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(nanos(&ts))
}

pub(crate) fn clock_res_get(
    _: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let clock = host_clock(a.u32(0))?;
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write to.
    if unsafe { libc::clock_getres(clock, &mut ts) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    mem.write_u64(a.u32(1), nanos(&ts))
}

pub(crate) fn clock_time_get(
    _: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let t = now(a.u32(0))?;
    mem.write_u64(a.u32(2), t)
}

pub(crate) fn random_get(
    _: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let buf = mem.slice_mut(a.u32(0), a.u32(1))?;
    getrandom::fill(buf).map_err(|_| Errno::IO)
}

pub(crate) fn sched_yield(
    _: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    _: &Args<'_>,
) -> Result<(), Errno> {
    std::thread::yield_now();
    Ok(())
}

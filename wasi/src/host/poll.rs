//! Waiting: `poll_oneoff` on clocks and on descriptors. Files and directories are always ready;
//! the standard streams are polled on the host.

use super::clock::now;
use super::element;
use crate::table::Handle;
use crate::{Args, Errno, GuestMemory, WasiCtx};

const EVENT_CLOCK: u8 = 0;
const EVENT_FD_READ: u8 = 1;
const EVENT_FD_WRITE: u8 = 2;
const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;
const EVENT_FD_READWRITE_HANGUP: u16 = 1;

/// One `event` to report.
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    hangup: bool,
}

impl Event {
    fn to_bytes(&self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&self.error.0.to_le_bytes());
        b[10] = self.kind;
        if self.hangup {
            b[24..26].copy_from_slice(&EVENT_FD_READWRITE_HANGUP.to_le_bytes());
        }
        b
    }
}

pub(crate) fn poll_oneoff(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let (subs, out, count) = (a.u32(0), a.u32(1), a.u32(2));
    if count == 0 {
        return Err(Errno::INVAL);
    }
    let mut ready = Vec::new();
    // Clock subscriptions as (userdata, nanoseconds from now).
    let mut clocks: Vec<(u64, u64)> = Vec::new();
    // Stream subscriptions to poll on the host: (userdata, kind, pollfd).
    let mut streams: Vec<(u64, u8, libc::pollfd)> = Vec::new();
    for i in 0..count as usize {
        let s = element(subs, i, 48)?;
        let userdata = mem.read_u64(s)?;
        let kind = mem.read_u8(element(s, 8, 1)?)?;
        let event = |error| Event {
            userdata,
            error,
            kind,
            hangup: false,
        };
        match kind {
            EVENT_CLOCK => {
                let id = mem.read_u32(element(s, 16, 1)?)?;
                let timeout = mem.read_u64(element(s, 24, 1)?)?;
                let flags = mem.read_u16(element(s, 40, 1)?)?;
                match now(id) {
                    Ok(t) if flags & SUBSCRIPTION_CLOCK_ABSTIME != 0 => {
                        clocks.push((userdata, timeout.saturating_sub(t)))
                    }
                    Ok(_) => clocks.push((userdata, timeout)),
                    Err(e) => ready.push(event(e)),
                }
            }
            EVENT_FD_READ | EVENT_FD_WRITE => {
                let fd = mem.read_u32(element(s, 16, 1)?)?;
                match ctx.table.get(fd).map(|d| &d.handle) {
                    Ok(Handle::Stdio(f)) => {
                        use std::os::fd::AsRawFd;
                        let events = if kind == EVENT_FD_READ {
                            libc::POLLIN
                        } else {
                            libc::POLLOUT
                        };
                        streams.push((
                            userdata,
                            kind,
                            libc::pollfd {
                                fd: f.as_raw_fd(),
                                events,
                                revents: 0,
                            },
                        ));
                    }
                    Ok(_) => ready.push(event(Errno::SUCCESS)),
                    Err(e) => ready.push(event(e)),
                }
            }
            _ => return Err(Errno::INVAL),
        }
    }
    let wait = clocks.iter().map(|c| c.1).min();
    if ready.is_empty() || !streams.is_empty() {
        // Wait for a stream no longer than the nearest clock (with no stream, for that clock),
        // and not at all if something is ready.
        let timeout = match (ready.is_empty(), wait) {
            (false, _) => Some(std::time::Duration::ZERO),
            (true, None) if streams.is_empty() => Some(std::time::Duration::ZERO),
            (true, None) => None,
            (true, Some(ns)) => Some(std::time::Duration::from_nanos(ns)),
        };
        let mut fds: Vec<libc::pollfd> = streams.iter().map(|s| s.2).collect();
        ctx.wait(&mut fds, timeout)?;
        for ((userdata, kind, _), fd) in streams.iter().zip(&fds) {
            if fd.revents != 0 {
                let error = if fd.revents & libc::POLLNVAL != 0 {
                    Errno::BADF
                } else {
                    Errno::SUCCESS
                };
                let hangup = fd.revents & libc::POLLHUP != 0;
                ready.push(Event {
                    userdata: *userdata,
                    error,
                    kind: *kind,
                    hangup,
                });
            }
        }
        if ready.is_empty() {
            // Nothing became ready: the nearest clocks fired.
            for (userdata, ns) in &clocks {
                if Some(*ns) == wait {
                    ready.push(Event {
                        userdata: *userdata,
                        error: Errno::SUCCESS,
                        kind: EVENT_CLOCK,
                        hangup: false,
                    });
                }
            }
        }
    }
    for (i, e) in ready.iter().enumerate() {
        mem.write(element(out, i, 32)?, &e.to_bytes())?;
    }
    mem.write_u32(a.u32(3), ready.len() as u32)
}

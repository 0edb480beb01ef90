//! Operations on open descriptors: `fd_*`.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::fs::FileExt;

use super::{element, guest_u32};
use crate::table::{Descriptor, Handle};
use crate::types::{fdflags, filetype, rights, set_times, Filestat};
use crate::{Args, Errno, GuestMemory, WasiCtx};

/// The host descriptor behind a guest descriptor.
fn fd(d: &Descriptor) -> BorrowedFd<'_> {
    match &d.handle {
        Handle::Stdio(f) => f.as_fd(),
        Handle::File(f) => f.as_fd(),
        Handle::Dir(d) => d.as_fd(),
    }
}

/// A libc call's `-1`-and-errno result as a WASI result.
fn check(rc: libc::c_int) -> Result<libc::c_int, Errno> {
    if rc == -1 {
        Err(std::io::Error::last_os_error().into())
    } else {
        Ok(rc)
    }
}

/// The host descriptor of file (or stream) argument 0 and the range given by arguments 1
/// (offset) and 2 (length), as the host's `off_t` (`EINVAL` beyond it).
fn file_range(ctx: &WasiCtx, a: &Args<'_>) -> Result<(RawFd, i64, i64), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    d.file()?;
    let offset = i64::try_from(a.u64(1)).map_err(|_| Errno::INVAL)?;
    let len = i64::try_from(a.u64(2)).map_err(|_| Errno::INVAL)?;
    Ok((fd(d).as_raw_fd(), offset, len))
}

/// A `posix_*` call's result (0, or the error number itself) as a WASI result.
fn posix_result(code: libc::c_int) -> Result<(), Errno> {
    match code {
        0 => Ok(()),
        code => Err(Errno::from_host(code)),
    }
}

pub(crate) fn fd_advise(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let (file, offset, len) = file_range(ctx, a)?;
    let advice = match a.u32(3) {
        0 => libc::POSIX_FADV_NORMAL,
        1 => libc::POSIX_FADV_SEQUENTIAL,
        2 => libc::POSIX_FADV_RANDOM,
        3 => libc::POSIX_FADV_WILLNEED,
        4 => libc::POSIX_FADV_DONTNEED,
        5 => libc::POSIX_FADV_NOREUSE,
        _ => return Err(Errno::INVAL),
    };
    // SAFETY: plain system call on a descriptor this table owns.
    posix_result(unsafe { libc::posix_fadvise(file, offset, len, advice) })
}

/// Refused, as Wasmtime does: reserving disk blocks on the guest's say-so would let it take a
/// host resource it never writes (`ftruncate` through `fd_filestat_set_size` grows a file
/// without reserving blocks).
pub(crate) fn fd_allocate(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    file_range(ctx, a)?;
    Err(Errno::NOTSUP)
}

pub(crate) fn fd_close(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    ctx.table.remove(a.u32(0)).map(drop)
}

pub(crate) fn fd_datasync(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    // SAFETY: plain system call on a descriptor this table owns.
    check(unsafe { libc::fdatasync(fd(d).as_raw_fd()) }).map(drop)
}

pub(crate) fn fd_sync(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    // SAFETY: plain system call on a descriptor this table owns.
    check(unsafe { libc::fsync(fd(d).as_raw_fd()) }).map(drop)
}

/// The descriptor's host status flags (`F_GETFL`).
fn status_flags(d: &Descriptor) -> Result<libc::c_int, Errno> {
    // SAFETY: plain system call on a descriptor this table owns.
    check(unsafe { libc::fcntl(fd(d).as_raw_fd(), libc::F_GETFL) })
}

pub(crate) fn fd_fdstat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    let host = status_flags(d)?;
    let mut flags = 0u16;
    for (bit, wasi) in [
        (libc::O_APPEND, fdflags::APPEND),
        (libc::O_NONBLOCK, fdflags::NONBLOCK),
        (libc::O_DSYNC, fdflags::DSYNC),
        (libc::O_RSYNC, fdflags::RSYNC),
        (libc::O_SYNC, fdflags::SYNC),
    ] {
        if host & bit == bit {
            flags |= wasi;
        }
    }
    let mut b = [0u8; 24];
    b[0] = d.filetype();
    b[2..4].copy_from_slice(&flags.to_le_bytes());
    b[8..16].copy_from_slice(&d.rights.to_le_bytes());
    b[16..24].copy_from_slice(&d.inheriting.to_le_bytes());
    mem.write(a.u32(1), &b)
}

pub(crate) fn fd_fdstat_set_flags(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    let wanted = a.u32(1) as u16;
    if wanted & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC) != 0 {
        return Err(Errno::NOTSUP);
    }
    // An inherited standard stream shares its open file description with the host's other
    // processes (the shell, the rest of a pipeline): a flag set here would outlive the guest.
    if matches!(d.handle, Handle::Stdio(_)) {
        return Err(Errno::NOTSUP);
    }
    let mut host = status_flags(d)? & !(libc::O_APPEND | libc::O_NONBLOCK);
    if wanted & fdflags::APPEND != 0 {
        host |= libc::O_APPEND;
    }
    if wanted & fdflags::NONBLOCK != 0 {
        host |= libc::O_NONBLOCK;
    }
    // SAFETY: plain system call on a descriptor this table owns.
    check(unsafe { libc::fcntl(fd(d).as_raw_fd(), libc::F_SETFL, host) }).map(drop)
}

pub(crate) fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get_mut(a.u32(0))?;
    let (base, inheriting) = (a.u64(1), a.u64(2));
    if base & !d.rights != 0 || inheriting & !d.inheriting != 0 {
        return Err(Errno::NOTCAPABLE);
    }
    d.rights = base;
    d.inheriting = inheriting;
    Ok(())
}

pub(crate) fn fd_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    let stat = match &d.handle {
        Handle::Dir(dir) => Filestat::from_cap(&dir.dir_metadata()?),
        _ => Filestat::from_std(&d.file()?.metadata()?),
    };
    mem.write(a.u32(1), &stat.to_bytes())
}

pub(crate) fn fd_filestat_set_size(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    Ok(d.file()?.set_len(a.u64(1))?)
}

pub(crate) fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    let (atime, mtime) = set_times(a.u64(1), a.u64(2), a.u32(3) as u16)?;
    Ok(fs_set_times::SetTimes::set_times(&fd(d), atime, mtime)?)
}

/// Read into the guest buffers `iovecs` with `read(buf, done)`; stop at the first short read.
fn read_into(
    mem: &mut GuestMemory<'_>,
    iovs: u32,
    count: u32,
    mut read: impl FnMut(&mut [u8], u64) -> std::io::Result<usize>,
) -> Result<u32, Errno> {
    let mut total = 0u64;
    for v in mem.iovecs(iovs, count)? {
        let buf = mem.slice_mut(v.ptr, v.len)?;
        let n = read(buf, total)?;
        total += n as u64;
        if n < v.len as usize {
            break;
        }
    }
    guest_u32(total)
}

pub(crate) fn fd_read(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    d.require(rights::FD_READ)?;
    if let Handle::Stdio(f) = &d.handle {
        // A standard stream may make the read wait (a terminal, a pipe): wait for it to be
        // readable first, no later than the caller's deadline.
        use std::os::fd::AsRawFd;
        let mut fds = [libc::pollfd {
            fd: f.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        ctx.wait(&mut fds, None)?;
    }
    let d = ctx.table.get(a.u32(0))?;
    let mut file = d.file()?;
    let n = read_into(mem, a.u32(1), a.u32(2), |buf, _| file.read(buf))?;
    mem.write_u32(a.u32(3), n)
}

pub(crate) fn fd_pread(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    d.require(rights::FD_READ)?;
    let file = d.file()?;
    let offset = a.u64(3);
    let n = read_into(mem, a.u32(1), a.u32(2), |buf, done| {
        file.read_at(buf, offset.saturating_add(done))
    })?;
    mem.write_u32(a.u32(4), n)
}

pub(crate) fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    d.require(rights::FD_WRITE)?;
    let mut file = d.file()?;
    let iovecs = mem.iovecs(a.u32(1), a.u32(2))?;
    let slices = mem.gather(&iovecs)?;
    let n = file.write_vectored(&slices)?;
    drop(slices);
    mem.write_u32(a.u32(3), guest_u32(n)?)
}

pub(crate) fn fd_pwrite(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    d.require(rights::FD_WRITE)?;
    let file = d.file()?;
    let mut offset = a.u64(3);
    let mut total = 0usize;
    for v in mem.iovecs(a.u32(1), a.u32(2))? {
        let n = file.write_at(mem.slice(v.ptr, v.len)?, offset)?;
        total += n;
        offset = offset.saturating_add(n as u64);
        if n < v.len as usize {
            break;
        }
    }
    mem.write_u32(a.u32(4), guest_u32(total)?)
}

/// The guest name of preopened directory `fd` (`EBADF` for any other descriptor).
fn preopen_name(ctx: &WasiCtx, fd: u32) -> Result<&str, Errno> {
    ctx.table.get(fd)?.preopen.as_deref().ok_or(Errno::BADF)
}

pub(crate) fn fd_prestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let name = preopen_name(ctx, a.u32(0))?;
    let len = guest_u32(name.len())?;
    mem.write_u8(a.u32(1), 0)?;
    mem.write_u32(element(a.u32(1), 1, 4)?, len)
}

pub(crate) fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let name = preopen_name(ctx, a.u32(0))?;
    if (a.u32(2) as usize) < name.len() {
        return Err(Errno::NAMETOOLONG);
    }
    mem.write(a.u32(1), name.as_bytes())
}

/// One directory entry as `fd_readdir` lists it.
struct Entry {
    name: Vec<u8>,
    ino: u64,
    filetype: u8,
}

/// The entries of `dir`: `.` and `..`, then the rest by name, so cookies are stable.
fn entries(dir: &cap_std::fs::Dir) -> Result<Vec<Entry>, Errno> {
    use cap_std::fs::MetadataExt;
    use std::os::unix::ffi::OsStrExt;
    let own = dir.dir_metadata()?;
    let mut list = Vec::new();
    for entry in dir.entries()? {
        let entry = entry?;
        list.push(Entry {
            name: entry.file_name().as_bytes().to_vec(),
            ino: entry.metadata().map_or(0, |m| m.ino()),
            filetype: entry
                .file_type()
                .map_or(filetype::UNKNOWN, |t| filetype::of_cap(&t)),
        });
    }
    list.sort_by(|a, b| a.name.cmp(&b.name));
    // `..` gets the directory's own inode number, as in Wasmtime: its parent may lie outside the
    // sandbox, and a zero would make wasi-libc stat it (which the sandbox refuses).
    let dots = [(".", own.ino()), ("..", own.ino())].map(|(n, ino)| Entry {
        name: n.as_bytes().to_vec(),
        ino,
        filetype: filetype::DIRECTORY,
    });
    Ok(dots.into_iter().chain(list).collect())
}

pub(crate) fn fd_readdir(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let dir = ctx.table.get(a.u32(0))?.dir()?;
    let (buf, buf_len, cookie) = (a.u32(1), a.u32(2), a.u64(3));
    // The whole buffer must be the guest's, whatever fits in it.
    mem.slice(buf, buf_len)?;
    let buf_len = buf_len as usize;
    // Never more on the host than what is listed (the guest's length is only a bound).
    let mut out = Vec::new();
    for (i, e) in entries(dir)?
        .iter()
        .enumerate()
        .skip(usize::try_from(cookie).unwrap_or(usize::MAX))
    {
        if out.len() >= buf_len {
            break;
        }
        let mut header = [0u8; 24];
        header[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        header[8..16].copy_from_slice(&e.ino.to_le_bytes());
        header[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
        header[20] = e.filetype;
        out.extend_from_slice(&header);
        out.extend_from_slice(&e.name);
    }
    // A full buffer tells the guest to ask again with a bigger one; the last entry may be cut.
    out.truncate(buf_len);
    mem.write(buf, &out)?;
    mem.write_u32(a.u32(4), out.len() as u32)
}

pub(crate) fn fd_renumber(
    ctx: &mut WasiCtx,
    _: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    ctx.table.renumber(a.u32(0), a.u32(1))
}

pub(crate) fn fd_seek(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    let offset = a.u64(1) as i64;
    let from = match a.u32(2) {
        0 => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::INVAL)?),
        1 => SeekFrom::Current(offset),
        2 => SeekFrom::End(offset),
        _ => return Err(Errno::INVAL),
    };
    let position = d.file()?.seek(from)?;
    mem.write_u64(a.u32(3), position)
}

pub(crate) fn fd_tell(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let d = ctx.table.get(a.u32(0))?;
    let position = d.file()?.stream_position()?;
    mem.write_u64(a.u32(1), position)
}

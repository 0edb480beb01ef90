//! Operations on paths under a directory descriptor: `path_*`. Every path is resolved by cap-std
//! under the descriptor's directory; one that would leave it (`..`, an absolute path, a symbolic
//! link pointing out) fails with `ENOTCAPABLE` and touches nothing.

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, OpenOptionsSyncExt,
};

use crate::table::{Descriptor, Handle};
use crate::types::{fdflags, oflags, rights, set_times, Filestat, LOOKUP_SYMLINK_FOLLOW};
use crate::{Args, Errno, GuestMemory, WasiCtx};

/// The directory of descriptor `fd` and the guest path (`ptr`, `len`) under it.
fn at<'a>(
    ctx: &'a WasiCtx,
    mem: &'a GuestMemory<'_>,
    fd: u32,
    ptr: u32,
    len: u32,
) -> Result<(&'a cap_std::fs::Dir, &'a str), Errno> {
    let dir = ctx.table.get(fd)?.dir()?;
    Ok((dir, mem.str(ptr, len)?))
}

pub(crate) fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let (dir, path) = at(ctx, mem, a.u32(0), a.u32(1), a.u32(2))?;
    Ok(dir.create_dir(path)?)
}

pub(crate) fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let (dir, path) = at(ctx, mem, a.u32(0), a.u32(1), a.u32(2))?;
    Ok(dir.remove_dir(path)?)
}

pub(crate) fn path_unlink_file(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let (dir, path) = at(ctx, mem, a.u32(0), a.u32(1), a.u32(2))?;
    Ok(dir.remove_file_or_symlink(path)?)
}

pub(crate) fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let (dir, path) = at(ctx, mem, a.u32(0), a.u32(2), a.u32(3))?;
    let meta = if a.u32(1) & LOOKUP_SYMLINK_FOLLOW != 0 {
        dir.metadata(path)?
    } else {
        dir.symlink_metadata(path)?
    };
    let bytes = Filestat::from_cap(&meta).to_bytes();
    mem.write(a.u32(4), &bytes)
}

pub(crate) fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let (dir, path) = at(ctx, mem, a.u32(0), a.u32(2), a.u32(3))?;
    let (atime, mtime) = set_times(a.u64(4), a.u64(5), a.u32(6) as u16)?;
    let (atime, mtime) = (
        atime.map(cap_fs_ext::SystemTimeSpec::from_std),
        mtime.map(cap_fs_ext::SystemTimeSpec::from_std),
    );
    if a.u32(1) & LOOKUP_SYMLINK_FOLLOW != 0 {
        dir.set_times(path, atime, mtime)?;
    } else {
        dir.set_symlink_times(path, atime, mtime)?;
    }
    Ok(())
}

pub(crate) fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    if a.u32(1) & LOOKUP_SYMLINK_FOLLOW != 0 {
        // Hard-linking the target of a symbolic link is not offered.
        return Err(Errno::NOTSUP);
    }
    let (old_dir, old) = at(ctx, mem, a.u32(0), a.u32(2), a.u32(3))?;
    let (new_dir, new) = at(ctx, mem, a.u32(4), a.u32(5), a.u32(6))?;
    Ok(old_dir.hard_link(old, new_dir, new)?)
}

pub(crate) fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let (old_dir, old) = at(ctx, mem, a.u32(0), a.u32(1), a.u32(2))?;
    let (new_dir, new) = at(ctx, mem, a.u32(3), a.u32(4), a.u32(5))?;
    Ok(old_dir.rename(old, new_dir, new)?)
}

pub(crate) fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let target = mem.str(a.u32(0), a.u32(1))?;
    // A link to an absolute path names a host file outside every preopen: refused, as in
    // Wasmtime, even though following it would be confined too.
    if target.starts_with('/') {
        return Err(Errno::PERM);
    }
    let (dir, link) = at(ctx, mem, a.u32(2), a.u32(3), a.u32(4))?;
    // The link's text is stored as given; following it later is confined like any path.
    Ok(dir.symlink_contents(target, link)?)
}

pub(crate) fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    use std::os::unix::ffi::OsStrExt;
    let (dir, path) = at(ctx, mem, a.u32(0), a.u32(1), a.u32(2))?;
    let target = dir.read_link_contents(path)?;
    let bytes = target.as_os_str().as_bytes();
    let n = bytes.len().min(a.u32(4) as usize);
    let bytes = bytes[..n].to_vec();
    mem.write(a.u32(3), &bytes)?;
    mem.write_u32(a.u32(5), n as u32)
}

pub(crate) fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    a: &Args<'_>,
) -> Result<(), Errno> {
    let parent = ctx.table.get(a.u32(0))?;
    let inherited = parent.inheriting;
    let dir = parent.dir()?;
    let path = mem.str(a.u32(2), a.u32(3))?;
    let follow = a.u32(1) & LOOKUP_SYMLINK_FOLLOW != 0;
    let open = a.u32(4) as u16;
    let (base, inheriting) = (a.u64(5) & inherited, a.u64(6) & inherited);
    let flags = a.u32(7) as u16;
    let handle = if open & oflags::DIRECTORY != 0 {
        if open & (oflags::CREAT | oflags::TRUNC) != 0 {
            return Err(Errno::INVAL);
        }
        Handle::Dir(if follow {
            dir.open_dir(path)?
        } else {
            dir.open_dir_nofollow(path)?
        })
    } else {
        let write = base & rights::ANY_WRITE != 0 || open & (oflags::CREAT | oflags::TRUNC) != 0;
        let mut options = cap_std::fs::OpenOptions::new();
        options
            .read(base & (rights::FD_READ | rights::FD_READDIR) != 0 || !write)
            .write(write)
            .append(flags & fdflags::APPEND != 0)
            .truncate(open & oflags::TRUNC != 0)
            .follow(if follow {
                FollowSymlinks::Yes
            } else {
                FollowSymlinks::No
            })
            .maybe_dir(!write)
            .nonblock(flags & fdflags::NONBLOCK != 0)
            .dsync(flags & fdflags::DSYNC != 0)
            .rsync(flags & fdflags::RSYNC != 0)
            .sync(flags & fdflags::SYNC != 0);
        if open & oflags::CREAT != 0 {
            if open & oflags::EXCL != 0 {
                options.create_new(true);
            } else {
                options.create(true);
            }
        }
        let file = dir.open_with(path, &options)?.into_std();
        if file.metadata()?.is_dir() {
            Handle::Dir(cap_std::fs::Dir::from_std_file(file))
        } else {
            Handle::File(file)
        }
    };
    let fd = ctx.table.push(Descriptor {
        handle,
        rights: base,
        inheriting,
        preopen: None,
    })?;
    mem.write_u32(a.u32(8), fd)
}

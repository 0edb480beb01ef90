//! The functions of `wasi_snapshot_preview1`, one file per family. [`FUNCS`] lists every one
//! that returns an errno with its parameter types (`i` for i32, `I` for i64); `proc_exit`,
//! which returns nothing, is defined next to the context.

mod args;
mod clock;
mod fd;
mod path;
mod poll;
mod proc;

use crate::HostFn;

/// Every errno-returning function: import name, parameter types, body.
pub(crate) const FUNCS: &[(&str, &str, HostFn)] = &[
    ("args_get", "ii", args::args_get),
    ("args_sizes_get", "ii", args::args_sizes_get),
    ("environ_get", "ii", args::environ_get),
    ("environ_sizes_get", "ii", args::environ_sizes_get),
    ("clock_res_get", "ii", clock::clock_res_get),
    ("clock_time_get", "iIi", clock::clock_time_get),
    ("random_get", "ii", clock::random_get),
    ("sched_yield", "", clock::sched_yield),
    ("fd_advise", "iIIi", fd::fd_advise),
    ("fd_allocate", "iII", fd::fd_allocate),
    ("fd_close", "i", fd::fd_close),
    ("fd_datasync", "i", fd::fd_datasync),
    ("fd_fdstat_get", "ii", fd::fd_fdstat_get),
    ("fd_fdstat_set_flags", "ii", fd::fd_fdstat_set_flags),
    ("fd_fdstat_set_rights", "iII", fd::fd_fdstat_set_rights),
    ("fd_filestat_get", "ii", fd::fd_filestat_get),
    ("fd_filestat_set_size", "iI", fd::fd_filestat_set_size),
    ("fd_filestat_set_times", "iIIi", fd::fd_filestat_set_times),
    ("fd_pread", "iiiIi", fd::fd_pread),
    ("fd_prestat_get", "ii", fd::fd_prestat_get),
    ("fd_prestat_dir_name", "iii", fd::fd_prestat_dir_name),
    ("fd_pwrite", "iiiIi", fd::fd_pwrite),
    ("fd_read", "iiii", fd::fd_read),
    ("fd_readdir", "iiiIi", fd::fd_readdir),
    ("fd_renumber", "ii", fd::fd_renumber),
    ("fd_seek", "iIii", fd::fd_seek),
    ("fd_sync", "i", fd::fd_sync),
    ("fd_tell", "ii", fd::fd_tell),
    ("fd_write", "iiii", fd::fd_write),
    ("path_create_directory", "iii", path::path_create_directory),
    ("path_filestat_get", "iiiii", path::path_filestat_get),
    (
        "path_filestat_set_times",
        "iiiiIIi",
        path::path_filestat_set_times,
    ),
    ("path_link", "iiiiiii", path::path_link),
    ("path_open", "iiiiiIIii", path::path_open),
    ("path_readlink", "iiiiii", path::path_readlink),
    ("path_remove_directory", "iii", path::path_remove_directory),
    ("path_rename", "iiiiii", path::path_rename),
    ("path_symlink", "iiiii", path::path_symlink),
    ("path_unlink_file", "iii", path::path_unlink_file),
    ("poll_oneoff", "iiii", poll::poll_oneoff),
    ("proc_raise", "i", proc::proc_raise),
    ("sock_accept", "iii", proc::sock_accept),
    ("sock_recv", "iiiiii", proc::sock_recv),
    ("sock_send", "iiiii", proc::sock_send),
    ("sock_shutdown", "ii", proc::sock_shutdown),
];

/// `ptr + index * size`, or `EFAULT` if that leaves the 32-bit address space.
pub(crate) fn element(ptr: u32, index: usize, size: u32) -> Result<u32, crate::Errno> {
    u32::try_from(index)
        .ok()
        .and_then(|i| i.checked_mul(size))
        .and_then(|off| ptr.checked_add(off))
        .ok_or(crate::Errno::FAULT)
}

/// A byte or item count as the guest's `u32` (`EOVERFLOW` if it does not fit).
pub(crate) fn guest_u32(n: impl TryInto<u32>) -> Result<u32, crate::Errno> {
    n.try_into().map_err(|_| crate::Errno::OVERFLOW)
}

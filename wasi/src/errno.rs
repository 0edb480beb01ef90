//! [`Errno`]: the error codes of `wasi_snapshot_preview1`, and their translation from host errors.

use std::io;

/// A WASI error number, as returned to the guest by every WASI function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub u16);

#[allow(missing_docs)]
impl Errno {
    pub const SUCCESS: Errno = Errno(0);
    pub const TOOBIG: Errno = Errno(1);
    pub const ACCES: Errno = Errno(2);
    pub const AGAIN: Errno = Errno(6);
    pub const BADF: Errno = Errno(8);
    pub const BUSY: Errno = Errno(10);
    pub const EXIST: Errno = Errno(20);
    pub const FAULT: Errno = Errno(21);
    pub const FBIG: Errno = Errno(22);
    pub const ILSEQ: Errno = Errno(25);
    pub const INTR: Errno = Errno(27);
    pub const INVAL: Errno = Errno(28);
    pub const IO: Errno = Errno(29);
    pub const ISDIR: Errno = Errno(31);
    pub const LOOP: Errno = Errno(32);
    pub const MFILE: Errno = Errno(33);
    pub const MLINK: Errno = Errno(34);
    pub const NAMETOOLONG: Errno = Errno(37);
    pub const NFILE: Errno = Errno(41);
    pub const NODEV: Errno = Errno(43);
    pub const NOENT: Errno = Errno(44);
    pub const NOMEM: Errno = Errno(48);
    pub const NOSPC: Errno = Errno(51);
    pub const NOSYS: Errno = Errno(52);
    pub const NOTDIR: Errno = Errno(54);
    pub const NOTEMPTY: Errno = Errno(55);
    pub const NOTSOCK: Errno = Errno(57);
    pub const NOTSUP: Errno = Errno(58);
    pub const NOTTY: Errno = Errno(59);
    pub const NXIO: Errno = Errno(60);
    pub const OVERFLOW: Errno = Errno(61);
    pub const PERM: Errno = Errno(63);
    pub const PIPE: Errno = Errno(64);
    pub const RANGE: Errno = Errno(68);
    pub const ROFS: Errno = Errno(69);
    pub const SPIPE: Errno = Errno(70);
    pub const TXTBSY: Errno = Errno(74);
    pub const XDEV: Errno = Errno(75);
    pub const NOTCAPABLE: Errno = Errno(76);
}

/// Host `errno` values and their WASI counterparts.
const FROM_HOST: &[(i32, Errno)] = &[
    (libc::E2BIG, Errno::TOOBIG),
    (libc::EACCES, Errno::ACCES),
    (libc::EAGAIN, Errno::AGAIN),
    (libc::EBADF, Errno::BADF),
    (libc::EBUSY, Errno::BUSY),
    (libc::EEXIST, Errno::EXIST),
    (libc::EFAULT, Errno::FAULT),
    (libc::EFBIG, Errno::FBIG),
    (libc::EILSEQ, Errno::ILSEQ),
    (libc::EINTR, Errno::INTR),
    (libc::EINVAL, Errno::INVAL),
    (libc::EIO, Errno::IO),
    (libc::EISDIR, Errno::ISDIR),
    (libc::ELOOP, Errno::LOOP),
    (libc::EMFILE, Errno::MFILE),
    (libc::EMLINK, Errno::MLINK),
    (libc::ENAMETOOLONG, Errno::NAMETOOLONG),
    (libc::ENFILE, Errno::NFILE),
    (libc::ENODEV, Errno::NODEV),
    (libc::ENOENT, Errno::NOENT),
    (libc::ENOMEM, Errno::NOMEM),
    (libc::ENOSPC, Errno::NOSPC),
    (libc::ENOSYS, Errno::NOSYS),
    (libc::ENOTDIR, Errno::NOTDIR),
    (libc::ENOTEMPTY, Errno::NOTEMPTY),
    (libc::ENOTSOCK, Errno::NOTSOCK),
    (libc::EOPNOTSUPP, Errno::NOTSUP),
    (libc::ENOTTY, Errno::NOTTY),
    (libc::ENXIO, Errno::NXIO),
    (libc::EOVERFLOW, Errno::OVERFLOW),
    (libc::EPERM, Errno::PERM),
    (libc::EPIPE, Errno::PIPE),
    (libc::ERANGE, Errno::RANGE),
    (libc::EROFS, Errno::ROFS),
    (libc::ESPIPE, Errno::SPIPE),
    (libc::ETXTBSY, Errno::TXTBSY),
    (libc::EXDEV, Errno::XDEV),
];

impl Errno {
    /// The WASI code for a host `errno` value (`EIO` for one WASI has no name for).
    pub fn from_host(code: i32) -> Errno {
        FROM_HOST
            .iter()
            .find(|(host, _)| *host == code)
            .map_or(Errno::IO, |(_, wasi)| *wasi)
    }
}

impl From<io::Error> for Errno {
    fn from(e: io::Error) -> Errno {
        if let Some(code) = e.raw_os_error() {
            return Errno::from_host(code);
        }
        match e.kind() {
            // cap-std reports a path that would leave its directory this way, without an OS code.
            io::ErrorKind::PermissionDenied => Errno::NOTCAPABLE,
            io::ErrorKind::NotFound => Errno::NOENT,
            io::ErrorKind::AlreadyExists => Errno::EXIST,
            io::ErrorKind::InvalidInput => Errno::INVAL,
            io::ErrorKind::Unsupported => Errno::NOTSUP,
            io::ErrorKind::OutOfMemory => Errno::NOMEM,
            _ => Errno::IO,
        }
    }
}

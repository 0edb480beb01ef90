//! Constants and record layouts of `wasi_snapshot_preview1` that the host functions use.

use fs_set_times::SystemTimeSpec;

/// File types (`filetype`).
pub(crate) mod filetype {

    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;

    /// The WASI file type of a host file type.
    pub fn of(t: &std::fs::FileType) -> u8 {
        use std::os::unix::fs::FileTypeExt;
        classify([
            t.is_dir(),
            t.is_file(),
            t.is_symlink(),
            t.is_char_device(),
            t.is_block_device(),
            t.is_socket(),
        ])
    }

    /// The WASI file type of a file type as cap-std reports it.
    pub fn of_cap(t: &cap_std::fs::FileType) -> u8 {
        use cap_std::fs::FileTypeExt;
        classify([
            t.is_dir(),
            t.is_file(),
            t.is_symlink(),
            t.is_char_device(),
            t.is_block_device(),
            t.is_socket(),
        ])
    }

    /// The file type whose test is true, from tests in the order `of` makes them.
    fn classify(tests: [bool; 6]) -> u8 {
        const TYPES: [u8; 6] = [
            DIRECTORY,
            REGULAR_FILE,
            SYMBOLIC_LINK,
            CHARACTER_DEVICE,
            BLOCK_DEVICE,
            SOCKET_STREAM,
        ];
        tests.iter().position(|t| *t).map_or(UNKNOWN, |i| TYPES[i])
    }
}

/// Rights (`rights`), as far as this implementation tells them apart.
pub(crate) mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    /// Every right preview1 defines (bits 0 to 29).
    pub const ALL: u64 = (1 << 30) - 1;
    /// Seeking and telling, which a terminal does not have.
    pub const SEEK_TELL: u64 = FD_SEEK | FD_TELL;
    /// An input stream.
    pub const READ_STREAM: u64 = FD_READ | FD_FDSTAT_SET_FLAGS | POLL_FD_READWRITE;
    /// An output stream.
    pub const WRITE_STREAM: u64 =
        FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_DATASYNC | FD_SYNC | POLL_FD_READWRITE;
    /// What writing to a file needs one of.
    pub const ANY_WRITE: u64 = FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE;
}

/// File descriptor flags (`fdflags`).
pub(crate) mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
}

/// Open flags (`oflags`).
pub(crate) mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
}

/// `lookupflags`: follow a symbolic link at the end of the path.
pub(crate) const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `fstflags`: which timestamps to set, and whether to "now".
pub(crate) mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
}

/// The access and modification times that `fstflags` ask to set: `None` leaves one unchanged,
/// and asking for a time and for "now" at once is `EINVAL`.
pub(crate) fn set_times(
    atim: u64,
    mtim: u64,
    flags: u16,
) -> Result<(Option<SystemTimeSpec>, Option<SystemTimeSpec>), crate::Errno> {
    let one = |value: u64, set: u16, now: u16| {
        if flags & set != 0 && flags & now != 0 {
            return Err(crate::Errno::INVAL);
        }
        Ok(if flags & now != 0 {
            Some(SystemTimeSpec::SymbolicNow)
        } else if flags & set != 0 {
            let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(value);
            Some(SystemTimeSpec::Absolute(t))
        } else {
            None
        })
    };
    Ok((
        one(atim, fstflags::ATIM, fstflags::ATIM_NOW)?,
        one(mtim, fstflags::MTIM, fstflags::MTIM_NOW)?,
    ))
}

/// A `filestat` record (64 bytes).
pub(crate) struct Filestat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

fn nanos(secs: i64, nsec: i64) -> u64 {
    (secs as i128 * 1_000_000_000 + nsec as i128).clamp(0, u64::MAX as i128) as u64
}

impl Filestat {
    /// From the host's metadata of an open file.
    pub(crate) fn from_std(m: &std::fs::Metadata) -> Filestat {
        use std::os::unix::fs::MetadataExt;
        Filestat {
            dev: m.dev(),
            ino: m.ino(),
            filetype: filetype::of(&m.file_type()),
            nlink: m.nlink(),
            size: m.size(),
            atim: nanos(m.atime(), m.atime_nsec()),
            mtim: nanos(m.mtime(), m.mtime_nsec()),
            ctim: nanos(m.ctime(), m.ctime_nsec()),
        }
    }

    /// From cap-std's metadata of a path.
    pub(crate) fn from_cap(m: &cap_std::fs::Metadata) -> Filestat {
        use cap_std::fs::MetadataExt;
        Filestat {
            dev: m.dev(),
            ino: m.ino(),
            filetype: filetype::of_cap(&m.file_type()),
            nlink: m.nlink(),
            size: m.len(),
            atim: nanos(m.atime(), m.atime_nsec()),
            mtim: nanos(m.mtime(), m.mtime_nsec()),
            ctim: nanos(m.ctime(), m.ctime_nsec()),
        }
    }

    /// The record's bytes in guest layout.
    pub(crate) fn to_bytes(&self) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16] = self.filetype;
        b[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        b[32..40].copy_from_slice(&self.size.to_le_bytes());
        b[40..48].copy_from_slice(&self.atim.to_le_bytes());
        b[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        b[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        b
    }
}

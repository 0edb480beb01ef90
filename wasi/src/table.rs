//! The descriptor table: what each guest file descriptor refers to — inherited stdio, an open
//! file, or a directory handle that confines every path under it (cap-std).

use std::collections::BTreeMap;
use std::mem::ManuallyDrop;

use crate::errno::Errno;
use crate::types::{filetype, rights};

/// What a descriptor refers to.
pub(crate) enum Handle {
    /// One of the process's standard streams (0, 1 or 2), never closed by the guest.
    Stdio(ManuallyDrop<std::fs::File>),
    /// A file opened through a directory handle.
    File(std::fs::File),
    /// A directory: paths are resolved under it and cannot leave it.
    Dir(cap_std::fs::Dir),
}

/// An open guest descriptor.
pub(crate) struct Descriptor {
    pub handle: Handle,
    /// Rights the guest holds on this descriptor (read and write are enforced).
    pub rights: u64,
    /// Rights of descriptors opened through this one.
    pub inheriting: u64,
    /// The guest name, for a directory given to the guest at start-up.
    pub preopen: Option<String>,
}

impl Descriptor {
    /// The descriptor as a file or stream: `EISDIR` for a directory.
    pub(crate) fn file(&self) -> Result<&std::fs::File, Errno> {
        match &self.handle {
            Handle::Stdio(f) => Ok(f),
            Handle::File(f) => Ok(f),
            Handle::Dir(_) => Err(Errno::ISDIR),
        }
    }

    /// The descriptor as a directory: `ENOTDIR` otherwise.
    pub(crate) fn dir(&self) -> Result<&cap_std::fs::Dir, Errno> {
        match &self.handle {
            Handle::Dir(d) => Ok(d),
            _ => Err(Errno::NOTDIR),
        }
    }

    /// `EBADF` unless the descriptor holds all of `needed`.
    pub(crate) fn require(&self, needed: u64) -> Result<(), Errno> {
        if self.rights & needed == needed {
            Ok(())
        } else {
            Err(Errno::BADF)
        }
    }

    /// The WASI file type of what the descriptor refers to.
    pub(crate) fn filetype(&self) -> u8 {
        let meta = match &self.handle {
            Handle::Dir(_) => return filetype::DIRECTORY,
            Handle::Stdio(f) => f.metadata(),
            Handle::File(f) => f.metadata(),
        };
        meta.map_or(filetype::UNKNOWN, |m| filetype::of(&m.file_type()))
    }
}

/// The guest's descriptors by number.
pub(crate) struct Table {
    entries: BTreeMap<u32, Descriptor>,
}

impl Table {
    /// A table with the process's stdin, stdout and stderr at 0, 1 and 2 — those of them that
    /// are open: a closed one stays closed for the guest too (`EBADF`), so that a file the
    /// host opens later under that number never becomes the guest's stream.
    pub(crate) fn with_stdio() -> Table {
        let mut entries = BTreeMap::new();
        for fd in 0..3 {
            use std::os::fd::FromRawFd;
            // SAFETY: F_GETFD only asks whether the descriptor is open.
            if unsafe { libc::fcntl(fd as i32, libc::F_GETFD) } == -1 {
                continue;
            }
            // SAFETY: descriptors 0-2 belong to the process for its whole life; ManuallyDrop
            // keeps this File from ever closing them.
            let file = ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd as i32) });
            let is_tty = file
                .metadata()
                .map(|m| filetype::of(&m.file_type()) == filetype::CHARACTER_DEVICE)
                .unwrap_or(false);
            let mut base = if fd == 0 {
                rights::READ_STREAM
            } else {
                rights::WRITE_STREAM
            };
            if !is_tty {
                base |= rights::SEEK_TELL;
            }
            entries.insert(
                fd,
                Descriptor {
                    handle: Handle::Stdio(file),
                    rights: base,
                    inheriting: 0,
                    preopen: None,
                },
            );
        }
        Table { entries }
    }

    /// Make standard stream `fd` (0, 1 or 2) `file`, readable (0) or writable (1, 2) only.
    pub(crate) fn set_stdio(&mut self, fd: u32, file: std::fs::File) {
        let rights = if fd == 0 {
            rights::READ_STREAM
        } else {
            rights::WRITE_STREAM
        };
        self.entries.insert(
            fd,
            Descriptor {
                handle: Handle::File(file),
                rights,
                inheriting: 0,
                preopen: None,
            },
        );
    }

    pub(crate) fn get(&self, fd: u32) -> Result<&Descriptor, Errno> {
        self.entries.get(&fd).ok_or(Errno::BADF)
    }

    pub(crate) fn get_mut(&mut self, fd: u32) -> Result<&mut Descriptor, Errno> {
        self.entries.get_mut(&fd).ok_or(Errno::BADF)
    }

    /// Add a descriptor at the lowest free number from 3 on: 0-2 are the standard streams'
    /// even when closed, and wasi-libc looks for preopened directories from 3 up.
    pub(crate) fn push(&mut self, d: Descriptor) -> Result<u32, Errno> {
        let mut fd = 3u32;
        for used in self.entries.range(3..).map(|(fd, _)| *fd) {
            if used != fd {
                break;
            }
            fd = fd.checked_add(1).ok_or(Errno::MFILE)?;
        }
        self.entries.insert(fd, d);
        Ok(fd)
    }

    pub(crate) fn remove(&mut self, fd: u32) -> Result<Descriptor, Errno> {
        self.entries.remove(&fd).ok_or(Errno::BADF)
    }

    /// Move `from` to `to`, closing what `to` was (both must be open).
    pub(crate) fn renumber(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        self.get(to)?;
        let d = self.remove(from)?;
        self.entries.insert(to, d);
        Ok(())
    }
}

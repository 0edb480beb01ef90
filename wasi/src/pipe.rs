//! In-memory standard streams: an [`OutputPipe`] collects what a program writes to its
//! standard output or error, and [`WasiCtx::stdin`](crate::WasiCtx::stdin) gives it bytes to
//! read as its standard input, instead of this process's streams.
//!
//! Both are anonymous memory files, so the guest's reads and writes take the same path as a
//! file's; the program sees a regular file.

use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use lazuli_core::Error;

/// A new anonymous memory file.
pub(crate) fn memory_file(name: &std::ffi::CStr) -> Result<File, Error> {
    // SAFETY: a plain system call with a constant name; the descriptor is ours.
    let fd = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(Error::Usage(format!(
            "cannot make an in-memory stream: {}",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// Where a program's standard output or error goes when it is not this process's: bytes kept
/// in memory, read back with [`OutputPipe::contents`]. Clones share the bytes.
#[derive(Clone, Debug)]
pub struct OutputPipe {
    file: Arc<File>,
}

impl OutputPipe {
    /// An empty pipe.
    pub fn new() -> Result<OutputPipe, Error> {
        Ok(OutputPipe {
            file: Arc::new(memory_file(c"lazuli-wasi-output")?),
        })
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        let len = self.file.metadata().map_or(0, |m| m.len() as usize);
        let mut bytes = vec![0; len];
        let read = self.file.read_at(&mut bytes, 0).unwrap_or(0);
        bytes.truncate(read);
        bytes
    }

    /// A descriptor of the pipe for the guest: writes go to its end.
    pub(crate) fn writer(&self) -> Result<File, Error> {
        self.file
            .try_clone()
            .map_err(|e| Error::Usage(format!("cannot share an in-memory stream: {e}")))
    }
}

/// A memory file holding `bytes`, positioned at its start: a standard input to read.
pub(crate) fn input(bytes: &[u8]) -> Result<File, Error> {
    let mut file = memory_file(c"lazuli-wasi-input")?;
    file.write_all(bytes)
        .and_then(|()| std::io::Seek::rewind(&mut file))
        .map_err(|e| Error::Usage(format!("cannot fill an in-memory stream: {e}")))?;
    Ok(file)
}

//! [`WasmBytes`]: a module's wasm bytes, shared, in memory of their own or in a mapped file.

use alloc::sync::Arc;
use core::ops::{Deref, Range};

use crate::MappedFile;

/// A module's wasm bytes, cheap to clone: in memory of their own (a module decoded from bytes)
/// or lying in a mapped file (a serialized module loaded by mapping, whose bytes are only its
/// data segments' contents), which they keep mapped.
#[derive(Clone)]
pub struct WasmBytes(Source);

#[derive(Clone)]
enum Source {
    Owned(Arc<[u8]>),
    Mapped(Arc<MappedFile>, Range<usize>),
}

impl WasmBytes {
    /// The bytes at `range` of `file`, or `None` if `range` does not lie in it.
    pub fn in_file(file: Arc<MappedFile>, range: Range<usize>) -> Option<WasmBytes> {
        file.bytes().get(range.clone())?;
        Some(WasmBytes(Source::Mapped(file, range)))
    }
}

impl Deref for WasmBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            Source::Owned(bytes) => bytes,
            // `in_file` checked the range; the file stays mapped and readable while shared.
            Source::Mapped(file, range) => &file.bytes()[range.clone()],
        }
    }
}

impl From<Arc<[u8]>> for WasmBytes {
    fn from(bytes: Arc<[u8]>) -> WasmBytes {
        WasmBytes(Source::Owned(bytes))
    }
}

/// Equal when the bytes are, wherever they lie.
impl PartialEq for WasmBytes {
    fn eq(&self, other: &WasmBytes) -> bool {
        **self == **other
    }
}

impl Default for WasmBytes {
    fn default() -> WasmBytes {
        WasmBytes(Source::Owned(Arc::from(&[][..])))
    }
}

impl core::fmt::Debug for WasmBytes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let place = match &self.0 {
            Source::Owned(_) => "memory",
            Source::Mapped(..) => "mapped file",
        };
        f.debug_struct("WasmBytes")
            .field("len", &self.len())
            .field("in", &place)
            .finish()
    }
}

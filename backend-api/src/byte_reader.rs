//! [`ByteReader`]: reads serialized code front to back (little-endian numbers, counted items),
//! where every read past the end is a "truncated" error. Both backends' serialized forms use it.

use crate::backend::CompileError;

/// A position in serialized bytes.
pub struct ByteReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> ByteReader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> ByteReader<'a> {
        ByteReader { bytes, at: 0 }
    }

    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], CompileError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(truncated)?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    /// The next byte.
    pub fn u8(&mut self) -> Result<u8, CompileError> {
        Ok(self.take(1)?[0])
    }

    /// The next little-endian `u32`.
    pub fn u32(&mut self) -> Result<u32, CompileError> {
        let mut word = [0; 4];
        word.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(word))
    }

    /// The next little-endian `u64`.
    pub fn u64(&mut self) -> Result<u64, CompileError> {
        let mut word = [0; 8];
        word.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(word))
    }

    /// A `u32` count of items of at least `each` bytes, which the bytes left must be able to
    /// hold (so that nothing is allocated for a damaged count).
    pub fn count(&mut self, each: usize) -> Result<usize, CompileError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(each) > self.bytes.len() - self.at {
            return Err(truncated());
        }
        Ok(n)
    }

    /// How many bytes have been read.
    pub fn position(&self) -> usize {
        self.at
    }

    /// Whether every byte has been read.
    pub fn at_end(&self) -> bool {
        self.at == self.bytes.len()
    }
}

fn truncated() -> CompileError {
    CompileError::new("serialized code is truncated")
}

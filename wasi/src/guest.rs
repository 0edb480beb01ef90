//! [`GuestMemory`]: checked access to the guest's linear memory. Every pointer and length the
//! guest passes goes through here; one outside the memory is `EFAULT`, never a host fault.

use crate::errno::Errno;

/// The guest's linear memory during one WASI call.
pub(crate) struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

/// One `iovec`/`ciovec`: a guest buffer.
#[derive(Clone, Copy)]
pub(crate) struct IoVec {
    pub ptr: u32,
    pub len: u32,
}

impl<'a> GuestMemory<'a> {
    pub(crate) fn new(bytes: &'a mut [u8]) -> GuestMemory<'a> {
        GuestMemory { bytes }
    }

    fn range(&self, ptr: u32, len: u64) -> Result<core::ops::Range<usize>, Errno> {
        let start = ptr as u64;
        let end = start.checked_add(len).ok_or(Errno::FAULT)?;
        if end > self.bytes.len() as u64 {
            return Err(Errno::FAULT);
        }
        Ok(start as usize..end as usize)
    }

    /// The `len` bytes at `ptr`.
    pub(crate) fn slice(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len as u64)?;
        Ok(&self.bytes[r])
    }

    /// The `len` bytes at `ptr`, writable.
    pub(crate) fn slice_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len as u64)?;
        Ok(&mut self.bytes[r])
    }

    /// Copy `data` to `ptr`.
    pub(crate) fn write(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::FAULT)?;
        self.slice_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    pub(crate) fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.slice(ptr, 1)?[0])
    }

    pub(crate) fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        let mut b = [0; 2];
        b.copy_from_slice(self.slice(ptr, 2)?);
        Ok(u16::from_le_bytes(b))
    }

    pub(crate) fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        let mut b = [0; 4];
        b.copy_from_slice(self.slice(ptr, 4)?);
        Ok(u32::from_le_bytes(b))
    }

    pub(crate) fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        let mut b = [0; 8];
        b.copy_from_slice(self.slice(ptr, 8)?);
        Ok(u64::from_le_bytes(b))
    }

    pub(crate) fn write_u8(&mut self, ptr: u32, v: u8) -> Result<(), Errno> {
        self.write(ptr, &[v])
    }

    pub(crate) fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    pub(crate) fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// A guest string (`ptr`, `len`): `EILSEQ` if it is not UTF-8.
    pub(crate) fn str(&self, ptr: u32, len: u32) -> Result<&str, Errno> {
        core::str::from_utf8(self.slice(ptr, len)?).map_err(|_| Errno::ILSEQ)
    }

    /// The `count` iovecs at `ptr`, each checked to lie inside the memory.
    pub(crate) fn iovecs(&self, ptr: u32, count: u32) -> Result<Vec<IoVec>, Errno> {
        let table = self.slice(ptr, count.checked_mul(8).ok_or(Errno::FAULT)?)?;
        let iovecs: Vec<IoVec> = table
            .chunks_exact(8)
            .map(|c| IoVec {
                ptr: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                len: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect();
        for v in &iovecs {
            self.range(v.ptr, v.len as u64)?;
        }
        Ok(iovecs)
    }

    /// The guest buffers of `iovecs`, in order, for a gathering write.
    pub(crate) fn gather(&self, iovecs: &[IoVec]) -> Result<Vec<std::io::IoSlice<'_>>, Errno> {
        iovecs
            .iter()
            .map(|v| Ok(std::io::IoSlice::new(self.slice(v.ptr, v.len)?)))
            .collect()
    }
}

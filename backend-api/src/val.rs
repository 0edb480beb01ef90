//! [`ValRaw`]: an untyped 16-byte slot holding any WebAssembly value, used where host and
//! compiled code exchange arguments and results through memory.

/// One untyped WebAssembly value in little-endian bytes: integers and floats in the low bytes,
/// `v128` in all 16, references as a pointer-sized address (0 is null).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
#[repr(C, align(16))]
pub struct ValRaw([u8; 16]);

impl core::fmt::Debug for ValRaw {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ValRaw({:#034x})", self.get_v128())
    }
}

impl ValRaw {
    /// A slot holding an `i32`.
    pub fn i32(v: i32) -> Self {
        Self::v128(v as u32 as u128)
    }
    /// A slot holding an `i64`.
    pub fn i64(v: i64) -> Self {
        Self::v128(v as u64 as u128)
    }
    /// A slot holding an `f32` given as bits.
    pub fn f32(bits: u32) -> Self {
        Self::v128(bits as u128)
    }
    /// A slot holding an `f64` given as bits.
    pub fn f64(bits: u64) -> Self {
        Self::v128(bits as u128)
    }
    /// A slot holding a `v128`.
    pub fn v128(v: u128) -> Self {
        ValRaw(v.to_le_bytes())
    }
    /// A slot holding a reference (an address; 0 is null).
    pub fn reference(addr: usize) -> Self {
        Self::v128(addr as u128)
    }
    /// The `i32` in this slot.
    pub fn get_i32(&self) -> i32 {
        self.get_v128() as u32 as i32
    }
    /// The `i64` in this slot.
    pub fn get_i64(&self) -> i64 {
        self.get_v128() as u64 as i64
    }
    /// The bits of the `f32` in this slot.
    pub fn get_f32(&self) -> u32 {
        self.get_v128() as u32
    }
    /// The bits of the `f64` in this slot.
    pub fn get_f64(&self) -> u64 {
        self.get_v128() as u64
    }
    /// The `v128` in this slot.
    pub fn get_v128(&self) -> u128 {
        u128::from_le_bytes(self.0)
    }
    /// The reference (address) in this slot.
    pub fn get_reference(&self) -> usize {
        self.get_v128() as usize
    }
}

//! [`Profile`]: what the first tier counted while a module ran, kept to drive later compiles.
//!
//! Single-pass code counts, per defined function, its calls plus its loop iterations (what
//! tier-up ranks by). A profile holds those counts with the SHA-256 of the module's wasm, so
//! that it is never applied to another module. Its bytes:
//!
//! ```text
//! magic "LZPROF\0\x01"    8 bytes
//! format version          u32
//! module                  32 bytes: SHA-256 of the wasm
//! functions               u32: how many defined functions
//! counts                  u32 per defined function, in order
//! ```
//!
//! All numbers little-endian.

use alloc::format;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::module::Module;

const MAGIC: &[u8; 8] = b"LZPROF\0\x01";
/// The profile format this build writes and reads.
pub const PROFILE_VERSION: u32 = 1;

/// A module's first-tier counts, for that module only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    module: [u8; 32],
    counts: Vec<u32>,
}

/// The SHA-256 of `module`'s wasm, or an error for a module that no longer has it.
fn module_hash(module: &Module) -> Result<[u8; 32], Error> {
    if module.is_deserialized() {
        return Err(Error::Usage(
            "profiles name a module by its wasm, which a precompiled module does not keep".into(),
        ));
    }
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&Sha256::digest(module.bytes()));
    Ok(hash)
}

fn bad(message: impl core::fmt::Display) -> Error {
    Error::Usage(format!("not a usable profile: {message}"))
}

impl Profile {
    /// The counts `module`'s code has made so far. An error if it counts nothing: counting is
    /// the first tier's, with tier-up on (the default tiered engine), and a precompiled module
    /// has no wasm to name it by.
    pub fn of(module: &Module) -> Result<Profile, Error> {
        let counts = module.code()?.counts().ok_or_else(|| {
            Error::Usage(
                "this module's code counts nothing: profiles come from the first tier with \
                 tier-up on (Config::tier_up > 0, not eager)"
                    .into(),
            )
        })?;
        Ok(Profile {
            module: module_hash(module)?,
            counts,
        })
    }

    /// The profile's bytes (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(48 + 4 * self.counts.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&PROFILE_VERSION.to_le_bytes());
        out.extend_from_slice(&self.module);
        out.extend_from_slice(&(self.counts.len() as u32).to_le_bytes());
        for c in &self.counts {
            out.extend_from_slice(&c.to_le_bytes());
        }
        out
    }

    /// Read a profile of `module` from `bytes`: refused, with the reason, if it is damaged,
    /// of another format, or recorded for another module.
    pub fn from_bytes(module: &Module, bytes: &[u8]) -> Result<Profile, Error> {
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| bad("it does not start like one"))?;
        let (version, rest) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| bad("it is truncated"))?;
        let version = u32::from_le_bytes(*version);
        if version != PROFILE_VERSION {
            return Err(bad(format!(
                "format version {version}; this build reads version {PROFILE_VERSION}"
            )));
        }
        let (hash, rest) = rest
            .split_first_chunk::<32>()
            .ok_or_else(|| bad("it is truncated"))?;
        let (functions, rest) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| bad("it is truncated"))?;
        let functions = u32::from_le_bytes(*functions) as usize;
        if rest.len() != functions.saturating_mul(4) {
            return Err(bad(format!(
                "it says {functions} functions but holds {} bytes of counts",
                rest.len()
            )));
        }
        let expected = module_hash(module)?;
        if *hash != expected {
            return Err(Error::Usage(format!(
                "this profile was recorded for another module (SHA-256 {}), not this one ({})",
                hex(hash),
                hex(&expected)
            )));
        }
        let defined = module.info().bodies.len();
        if functions != defined {
            return Err(bad(format!(
                "it counts {functions} functions, the module defines {defined}"
            )));
        }
        Ok(Profile {
            module: *hash,
            counts: rest
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        })
    }

    /// The count of each defined function, in order.
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// The defined functions' indices, hottest first (ties by index), of those counted at all.
    pub fn hottest(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.counts.len() as u32)
            .filter(|&i| self.counts[i as usize] > 0)
            .collect();
        order.sort_by_key(|&i| (core::cmp::Reverse(self.counts[i as usize]), i));
        order
    }
}

fn hex(bytes: &[u8]) -> alloc::string::String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

//! [`Profile`]: what the first tier counted while a module ran, kept to drive later compiles.
//!
//! Single-pass code counts, per defined function, its calls plus its loop iterations (what
//! tier-up ranks by), and its branch counts: calls, loop iterations and the arms of each `if`,
//! `br_if` and `br_table` ([`crate::backend::branch_profile`]). A profile holds those counts
//! with the SHA-256 of the module's wasm, so that it is never applied to another module; an
//! optimizing compile given one turns the branch counts into LLVM's branch weights. Its bytes:
//!
//! ```text
//! magic "LZPROF\0\x01"    8 bytes
//! format version          u32
//! module                  32 bytes: SHA-256 of the wasm
//! functions               u32: how many defined functions
//! per defined function, in order:
//!   count                 u32: calls plus loop iterations
//!   slots                 u32: how many branch counts follow (0: not counted)
//!   branch counts         u32 per slot
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
pub const PROFILE_VERSION: u32 = 2;

/// A module's first-tier counts, for that module only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    module: [u8; 32],
    counts: Vec<u32>,
    /// Per defined function, its branch counts; empty when it was not counted.
    branches: Vec<Vec<u32>>,
}

/// The SHA-256 of `module`'s wasm, or an error for a module that no longer has it.
pub(crate) fn module_hash(module: &Module) -> Result<[u8; 32], Error> {
    if module.is_deserialized() {
        return Err(Error::Usage(
            "profiles name a module by its wasm, which a precompiled module does not keep".into(),
        ));
    }
    Ok(wasm_hash(module.bytes()))
}

/// The SHA-256 of `wasm`.
pub(crate) fn wasm_hash(wasm: &[u8]) -> [u8; 32] {
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&Sha256::digest(wasm));
    hash
}

/// Reads little-endian words off the front of a profile's bytes.
struct Words<'a>(&'a [u8]);

impl Words<'_> {
    fn u32(&mut self) -> Result<u32, Error> {
        let (word, rest) = self
            .0
            .split_first_chunk::<4>()
            .ok_or_else(|| bad("it is truncated"))?;
        self.0 = rest;
        Ok(u32::from_le_bytes(*word))
    }
}

fn bad(message: impl core::fmt::Display) -> Error {
    Error::Usage(format!("not a usable profile: {message}"))
}

impl Profile {
    /// The counts `module`'s code has made so far. An error if it counts nothing: counting is
    /// the first tier's, with tier-up on (the default tiered engine), and a precompiled module
    /// has no wasm to name it by.
    pub fn of(module: &Module) -> Result<Profile, Error> {
        let code = module.code()?;
        let counts = code.counts().ok_or_else(|| {
            Error::Usage(
                "this module's code counts nothing: profiles come from the first tier with \
                 tier-up on (Config::tier_up > 0, not eager)"
                    .into(),
            )
        })?;
        let branches = (0..counts.len() as u32)
            .map(|f| {
                code.branch_counts(crate::backend::DefinedFuncIndex(f))
                    .unwrap_or_default()
            })
            .collect();
        Ok(Profile {
            module: module_hash(module)?,
            counts,
            branches,
        })
    }

    /// The profile's bytes (see the module documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let slots: usize = self.branches.iter().map(Vec::len).sum();
        let mut out = Vec::with_capacity(48 + 8 * self.counts.len() + 4 * slots);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&PROFILE_VERSION.to_le_bytes());
        out.extend_from_slice(&self.module);
        out.extend_from_slice(&(self.counts.len() as u32).to_le_bytes());
        for (count, branches) in self.counts.iter().zip(&self.branches) {
            out.extend_from_slice(&count.to_le_bytes());
            out.extend_from_slice(&(branches.len() as u32).to_le_bytes());
            for c in branches {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        out
    }

    /// Read a profile of `module` from `bytes`: refused, with the reason, if it is damaged,
    /// of another format, or recorded for another module.
    pub fn from_bytes(module: &Module, bytes: &[u8]) -> Result<Profile, Error> {
        Profile::read(bytes, module_hash(module)?, module.info().bodies.len())
    }

    /// Read a profile from `bytes` for the module whose wasm has SHA-256 `expected` and which
    /// defines `defined` functions.
    pub(crate) fn read(bytes: &[u8], expected: [u8; 32], defined: usize) -> Result<Profile, Error> {
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| bad("it does not start like one"))?;
        let mut words = Words(rest);
        let version = words.u32()?;
        if version != PROFILE_VERSION {
            return Err(bad(format!(
                "format version {version}; this build reads version {PROFILE_VERSION}"
            )));
        }
        let (hash, rest) = words
            .0
            .split_first_chunk::<32>()
            .ok_or_else(|| bad("it is truncated"))?;
        if *hash != expected {
            return Err(Error::Usage(format!(
                "this profile was recorded for another module (SHA-256 {}), not this one ({})",
                hex(hash),
                hex(&expected)
            )));
        }
        let mut words = Words(rest);
        let functions = words.u32()? as usize;
        if functions != defined {
            return Err(bad(format!(
                "it counts {functions} functions, the module defines {defined}"
            )));
        }
        let mut counts = Vec::with_capacity(functions);
        let mut branches = Vec::with_capacity(functions);
        for _ in 0..functions {
            counts.push(words.u32()?);
            let slots = words.u32()? as usize;
            if slots > words.0.len() / 4 {
                return Err(bad("it is truncated"));
            }
            branches.push((0..slots).map(|_| words.u32()).collect::<Result<_, _>>()?);
        }
        if !words.0.is_empty() {
            return Err(bad(format!(
                "{} bytes follow the last function's counts",
                words.0.len()
            )));
        }
        Ok(Profile {
            module: expected,
            counts,
            branches,
        })
    }

    /// The count of each defined function, in order.
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// Defined function `f`'s branch counts, one per slot
    /// ([`crate::backend::branch_profile`]); empty when it was not counted.
    pub fn branch_counts(&self, f: u32) -> &[u32] {
        self.branches.get(f as usize).map_or(&[], Vec::as_slice)
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

impl crate::backend::branch_profile::BranchProfile for Profile {
    fn function_counts(&self, f: crate::backend::DefinedFuncIndex) -> Option<Vec<u32>> {
        let counts = self.branch_counts(f.0);
        (!counts.is_empty()).then(|| counts.to_vec())
    }

    fn hotness(&self, f: crate::backend::DefinedFuncIndex) -> Option<u32> {
        self.counts.get(f.index()).copied()
    }
}

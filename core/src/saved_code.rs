//! Optimized code saved by one process for the next ([`Module::serialize_optimized`],
//! [`Module::load_optimized`]): what tier-up compiled and the first tier's profile, named for
//! its module by the SHA-256 of the module's wasm, so that it is never given to another module.
//! Loading installs the code, and queues for the optimizing tier at once the functions the
//! profile found hot that have no saved code (their tier-up had not finished when the process
//! ended), so that each run saves more of what the program needs. Its bytes:
//!
//! ```text
//! magic "LZOPT\0\0\x02"   8 bytes
//! module                  32 bytes: SHA-256 of the wasm
//! profile length          u32 (0: none)
//! profile                 (crate::Profile::to_bytes)
//! the backend's bytes     (CompiledCode::serialize_optimized)
//! ```

use alloc::format;
use alloc::vec::Vec;

use crate::profile::module_hash;
use crate::{Error, Module};

const MAGIC: &[u8; 8] = b"LZOPT\0\0\x02";

/// `module`'s optimized code so far, named for the module.
pub(crate) fn write(module: &Module) -> Result<Vec<u8>, Error> {
    let hash = module_hash(module)?;
    let code = module.code()?.serialize_optimized()?;
    // Code that counts nothing (tier-up off) has no profile to save.
    let profile = module.profile().map(|p| p.to_bytes()).unwrap_or_default();
    let mut out = Vec::with_capacity(MAGIC.len() + hash.len() + 4 + profile.len() + code.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&hash);
    out.extend_from_slice(&(profile.len() as u32).to_le_bytes());
    out.extend_from_slice(&profile);
    out.extend_from_slice(&code);
    Ok(out)
}

/// Load `bytes` (from [`write`]) into `module`'s code; refused, with the reason, for another
/// module or a damaged framing.
///
/// # Safety
/// As for [`Module::load_optimized`].
pub(crate) unsafe fn load(module: &Module, bytes: &[u8]) -> Result<u32, Error> {
    let bad = |why: &str| Error::Deserialize(format!("not saved optimized code: {why}"));
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| bad("it does not start like it"))?;
    if rest.len() < 32 {
        return Err(bad("it is truncated"));
    }
    let (hash, rest) = rest.split_at(32);
    let expected = module_hash(module)?;
    if hash != expected {
        return Err(Error::Deserialize(
            "saved optimized code of another module (the SHA-256 of its wasm differs)".into(),
        ));
    }
    let (length, rest) = rest
        .split_first_chunk::<4>()
        .ok_or_else(|| bad("it is truncated"))?;
    let length = u32::from_le_bytes(*length) as usize;
    if rest.len() < length {
        return Err(bad("it is truncated"));
    }
    let (profile, code) = rest.split_at(length);
    let defined = module.info().bodies.len();
    let profile = match profile {
        [] => None,
        bytes => Some(crate::profile::Profile::read(bytes, expected, defined)?),
    };
    let compiled = module.code()?;
    // SAFETY: the caller vouches for the code (this function's contract, passed on).
    let loaded = unsafe { compiled.load_optimized(code) }
        .map_err(|e| Error::Deserialize(format!("saved optimized code: {}", e.message)))?;
    let threshold = module.engine().config().tier_up_threshold;
    if let Some(profile) = profile.filter(|_| threshold > 0) {
        for f in profile.hottest() {
            let f = crate::backend::DefinedFuncIndex(f);
            if profile.counts()[f.index()] >= threshold && !compiled.is_compiled(f) {
                compiled.prefetch_optimized(f);
            }
        }
    }
    Ok(loaded)
}

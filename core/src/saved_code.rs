//! Optimized code saved by one process for the next ([`Module::serialize_optimized`],
//! [`Module::load_optimized`]): what tier-up compiled, named for its module by the SHA-256 of
//! the module's wasm, so that it is never given to another module. Its bytes:
//!
//! ```text
//! magic "LZOPT\0\0\x01"   8 bytes
//! module                  32 bytes: SHA-256 of the wasm
//! the backend's bytes     (CompiledCode::serialize_optimized)
//! ```

use alloc::format;
use alloc::vec::Vec;

use crate::profile::module_hash;
use crate::{Error, Module};

const MAGIC: &[u8; 8] = b"LZOPT\0\0\x01";

/// `module`'s optimized code so far, named for the module.
pub(crate) fn write(module: &Module) -> Result<Vec<u8>, Error> {
    let hash = module_hash(module)?;
    let code = module.code()?.serialize_optimized()?;
    let mut out = Vec::with_capacity(MAGIC.len() + hash.len() + code.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&hash);
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
    let (hash, code) = rest.split_at(32);
    if hash != module_hash(module)? {
        return Err(Error::Deserialize(
            "saved optimized code of another module (the SHA-256 of its wasm differs)".into(),
        ));
    }
    // SAFETY: the caller vouches for the code (this function's contract, passed on).
    unsafe { module.code()?.load_optimized(code) }
        .map_err(|e| Error::Deserialize(format!("saved optimized code: {}", e.message)))
}

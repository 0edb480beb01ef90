//! [`FrameInfo`]: the wasm frames on the stack when code trapped, named from the modules'
//! name sections, read back with [`Store::trap_backtrace`](crate::Store::trap_backtrace).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::store::StoreInner;

/// One wasm function on the stack at a trap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameInfo {
    /// The function's index in its module's function index space.
    pub func_index: u32,
    /// Its name from the module's `name` section, when it has one.
    pub func_name: Option<String>,
}

impl fmt::Display for FrameInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.func_name {
            Some(name) => write!(f, "{name} (function {})", self.func_index),
            None => write!(f, "function {}", self.func_index),
        }
    }
}

/// The wasm frames among the return addresses `pcs` (innermost first); addresses that are not
/// in the compiled code of one of the store's modules (trampolines, the runtime) are skipped.
pub(crate) fn frames(store: &StoreInner, pcs: &[usize]) -> Vec<FrameInfo> {
    let mut frames = Vec::new();
    for &pc in pcs {
        // A return address points after the call; the call itself is one byte earlier.
        let pc = pc.wrapping_sub(1);
        let found = store.instances.iter().find_map(|instance| {
            let code = instance.module.code().ok()?;
            let defined = code.function_at(pc)?;
            Some((instance, defined))
        });
        if let Some((instance, defined)) = found {
            let info = instance.module.info();
            let index = info.func_index(defined);
            frames.push(FrameInfo {
                func_index: index.0,
                func_name: info.func_name(index).map(String::from),
            });
        }
    }
    frames
}

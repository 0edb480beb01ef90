//! [`CodeMap`]: where each compiled function's machine code lies in memory, so that a return
//! address found on the stack at a trap can be named as a wasm function.

use std::collections::BTreeMap;
use std::sync::RwLock;

use lazuli_backend_api::{CompileError, DefinedFuncIndex};

use crate::lower::FUNC_SYMBOL_PREFIX;

/// Code ranges of compiled functions, by start address.
#[derive(Default)]
pub(crate) struct CodeMap {
    ranges: RwLock<BTreeMap<usize, (usize, DefinedFuncIndex)>>,
}

impl CodeMap {
    /// Record that `f`'s code is the `len` bytes at `start`.
    pub(crate) fn insert(&self, start: usize, len: usize, f: DefinedFuncIndex) {
        let mut ranges = self.ranges.write().unwrap_or_else(|p| p.into_inner());
        ranges.insert(start, (start.saturating_add(len), f));
    }

    /// The function whose code contains `pc`.
    pub(crate) fn lookup(&self, pc: usize) -> Option<DefinedFuncIndex> {
        let ranges = self.ranges.read().unwrap_or_else(|p| p.into_inner());
        let (_, (end, f)) = ranges.range(..=pc).next_back()?;
        (pc < *end).then_some(*f)
    }
}

/// The size in bytes of each wasm function's code (or OSR entry's) in an object file, by
/// defined index.
pub(crate) fn function_sizes(
    object: &[u8],
) -> Result<Vec<(DefinedFuncIndex, usize)>, CompileError> {
    use object::{Object, ObjectSymbol};
    let file = object::File::parse(object)
        .map_err(|e| CompileError::new(format!("cannot read the object LLVM emitted: {e}")))?;
    Ok(file
        .symbols()
        // Functions only: an object's file symbol may bear a function's name too.
        .filter(|sym| sym.kind() == object::SymbolKind::Text)
        .filter_map(|sym| {
            let index = sym
                .name()
                .ok()?
                .strip_prefix(FUNC_SYMBOL_PREFIX)?
                // An OSR entry (`wasm_func_{f}_osr{l}`) is code of its function.
                .split('_')
                .next()?
                .parse()
                .ok()?;
            Some((DefinedFuncIndex(index), sym.size() as usize))
        })
        .collect())
}

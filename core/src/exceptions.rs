//! [`Exceptions`]: a store's exceptions, made at each `throw` and reclaimed when nothing can
//! refer to them any more.
//!
//! An `exnref` is the address of an exception's [`VMException`]. Compiled code keeps exnrefs in
//! its frames (locals, spill slots, callee-saved registers) with no map of where, so the
//! collection is conservative about the stack and exact about the rest. It runs at a `throw`
//! when the exceptions have doubled since the last one (or are about to pass the store's limit),
//! and keeps an exception alive if
//! - a word of the stack between the throw and the outermost host->wasm entry equals its address
//!   (the callee-saved registers are stored to the stack first), or
//! - it is in flight or has reached the host uncaught, or
//! - a global or table of type `exnref` holds it, or
//! - the host has been handed it as an [`crate::Exn`] (it is pinned for the store's life: the
//!   host's values are not scanned), or
//! - the payload of an exception kept alive holds its address.
//!
//! Everything else is freed: a loop that throws and catches without keeping the exceptions runs
//! in bounded memory. A word that merely looks like an exception's address keeps it alive for
//! one more collection at most; nothing alive is ever freed.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cell::RefCell;

use crate::backend::vmcontext::{VMException, EXCEPTION_VALUES};
use crate::backend::ValRaw;

/// Bytes below which no collection runs.
const FIRST_COLLECTION_BYTES: u64 = 1 << 20;

/// A store's exceptions.
pub(crate) struct Exceptions {
    /// By index (what `VMException::index` and [`crate::Exn`] hold): the header and payload
    /// words, empty while the slot is free.
    slots: Vec<Box<[u64]>>,
    /// Free slots, reused by the next throws.
    free: Vec<u32>,
    /// The index of each live exception's address.
    by_address: hashbrown::HashMap<usize, u32>,
    /// Exceptions the host has been handed: never freed.
    pinned: RefCell<hashbrown::HashSet<u32>>,
    /// Bytes the live exceptions take (against [`crate::Config::max_exception_bytes`]).
    bytes: u64,
    /// Bytes at which the next collection runs.
    next_collection: u64,
}

impl Default for Exceptions {
    fn default() -> Exceptions {
        Exceptions {
            slots: Vec::new(),
            free: Vec::new(),
            by_address: hashbrown::HashMap::new(),
            pinned: RefCell::new(hashbrown::HashSet::new()),
            bytes: 0,
            next_collection: FIRST_COLLECTION_BYTES,
        }
    }
}

/// Bytes an exception of `words` words costs: the words, its slot, its address's entry and the
/// allocator's header.
fn cost(words: usize) -> u64 {
    (words * 8 + 64) as u64
}

impl Exceptions {
    /// Bytes the live exceptions take.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// How many exceptions are alive.
    pub(crate) fn live(&self) -> usize {
        self.by_address.len()
    }

    /// Whether adding `words` words should first run a collection, given `limit`.
    pub(crate) fn collection_due(&self, words: usize, limit: u64) -> bool {
        let after = self.bytes.saturating_add(cost(words));
        after >= self.next_collection || after > limit
    }

    /// Bytes the live exceptions would take with a new one of `values` payload values.
    pub(crate) fn bytes_with(&self, values: usize) -> u64 {
        self.bytes
            .saturating_add(cost(EXCEPTION_VALUES as usize / 8 + 2 * values))
    }

    /// A new exception of the store's tag `tag` carrying `values`.
    pub(crate) fn add(&mut self, tag: u32, values: &[ValRaw]) -> *const VMException {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(Box::new([]));
                self.slots.len() as u32 - 1
            }
        };
        let len = EXCEPTION_VALUES as usize / 8 + 2 * values.len();
        let mut words = Vec::with_capacity(len);
        words.extend_from_slice(&[u64::from(tag), values.len() as u64, u64::from(index), 0]);
        for v in values {
            let bits = v.get_v128();
            words.push(bits as u64);
            words.push((bits >> 64) as u64);
        }
        let words: Box<[u64]> = words.into_boxed_slice();
        let at = words.as_ptr() as *const VMException;
        self.bytes += cost(len);
        self.slots[index as usize] = words;
        self.by_address.insert(at as usize, index);
        at
    }

    /// The words of live exception `index`, if it is one.
    pub(crate) fn words(&self, index: u32) -> Option<&[u64]> {
        self.slots
            .get(index as usize)
            .map(|w| &**w)
            .filter(|w| !w.is_empty())
    }

    /// The header of live exception `index`, if it is one.
    pub(crate) fn header(&self, index: u32) -> Option<&VMException> {
        let words = self.words(index)?;
        // SAFETY: every live exception starts with a `VMException` header (`add`), and the
        // boxed words are 8-byte aligned.
        Some(unsafe { &*(words.as_ptr() as *const VMException) })
    }

    /// The index of the live exception whose `VMException` is at `at`.
    pub(crate) fn index_of(&self, at: usize) -> Option<u32> {
        self.by_address.get(&at).copied()
    }

    /// Keep exception `index` for the store's life: the host holds it.
    pub(crate) fn pin(&self, index: u32) {
        self.pinned.borrow_mut().insert(index);
    }

    /// Free every exception that no word of `roots` (the words of the thread's stack that
    /// hold wasm frames, then the store's exnref globals and table elements and the exception
    /// in flight), no pinned exception, `uncaught` nor a kept exception's payload refers to.
    /// Returns how many were freed.
    pub(crate) fn collect(
        &mut self,
        roots: impl Iterator<Item = usize>,
        uncaught: Option<u32>,
    ) -> usize {
        let mut marked = hashbrown::HashSet::new();
        let mut work: Vec<u32> = Vec::new();
        let mark = |index: u32, marked: &mut hashbrown::HashSet<u32>, work: &mut Vec<u32>| {
            if marked.insert(index) {
                work.push(index);
            }
        };
        for word in roots {
            if let Some(index) = self.index_of(word) {
                mark(index, &mut marked, &mut work);
            }
        }
        let pinned = self
            .pinned
            .borrow()
            .iter()
            .copied()
            .chain(uncaught)
            .collect::<Vec<_>>();
        for index in pinned {
            mark(index, &mut marked, &mut work);
        }
        // Payloads: any word equal to a live exception's address (an exnref value).
        while let Some(index) = work.pop() {
            let Some(words) = self.words(index) else {
                continue;
            };
            for &word in &words[EXCEPTION_VALUES as usize / 8..] {
                if let Some(found) = self.index_of(word as usize) {
                    mark(found, &mut marked, &mut work);
                }
            }
        }
        let mut freed = 0;
        for index in 0..self.slots.len() as u32 {
            let slot = &mut self.slots[index as usize];
            if slot.is_empty() || marked.contains(&index) {
                continue;
            }
            let words = core::mem::take(slot);
            self.by_address.remove(&(words.as_ptr() as usize));
            self.bytes -= cost(words.len());
            self.free.push(index);
            freed += 1;
        }
        self.next_collection = FIRST_COLLECTION_BYTES.max(self.bytes.saturating_mul(2));
        freed
    }
}

/// The words of the stack between the caller's frame and `top` (an address in the outermost
/// host frame of the current call into wasm, above every wasm frame), with the callee-saved
/// registers stored into it first so that exnrefs kept in them are seen, given to `scan`.
///
/// # Safety
/// `top` is above the current stack pointer on this thread's stack, and the stack between them
/// is this thread's live stack.
#[inline(never)]
pub(crate) unsafe fn with_stack<R>(
    top: usize,
    scan: impl FnOnce(&mut dyn Iterator<Item = usize>) -> R,
) -> R {
    let mut saved = [0usize; 6];
    #[cfg(target_arch = "x86_64")]
    // SAFETY: stores six registers into the local array; nothing else is touched.
    unsafe {
        core::arch::asm!(
            "mov [{0}], rbx",
            "mov [{0} + 8], rbp",
            "mov [{0} + 16], r12",
            "mov [{0} + 24], r13",
            "mov [{0} + 32], r14",
            "mov [{0} + 40], r15",
            in(reg) saved.as_mut_ptr(),
            options(nostack, preserves_flags),
        );
    }
    let bottom = saved.as_ptr() as usize;
    let words = top.saturating_sub(bottom) / core::mem::size_of::<usize>();
    let mut stack = (0..words).map(|i| {
        // SAFETY: per the contract, `[bottom, top)` is this thread's live stack (it starts at
        // the local array above), readable and aligned. It is read word by word, volatile,
        // since frames above hold values the compiler knows nothing of.
        unsafe { core::ptr::read_volatile((bottom as *const usize).add(i)) }
    });
    let result = scan(&mut stack);
    core::hint::black_box(&saved);
    result
}

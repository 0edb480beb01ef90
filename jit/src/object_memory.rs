//! [`ObjectMemory`]: memory for a linker that writes each object in place and then makes its
//! code executable (LLVM's RuntimeDyld), allocated from large slabs instead of one mapping (or
//! more) per object.
//!
//! A lazily compiled function is one object, and a process may link hundreds of thousands of
//! them: the kernel's limit on memory mappings (`vm.max_map_count`, 65,530 by default) must not
//! be what ends a program. Address space is reserved in slabs (`PROT_NONE`, nothing committed)
//! that double from 256 KiB to 64 MiB, and handed out as page runs:
//! - code and read-only data of an object share its *text* run, writable while the object is
//!   linked and then made read + execute for good (never writable again: W^X);
//! - writable data goes to a *data* run.
//!
//! A linker such as RuntimeDyld cannot fail an allocation (LLVM ends the process when one
//! returns nothing), so the space an object may need is [reserved](ObjectMemory::reserve)
//! before the link starts, from the sizes in the object file: running out of memory is then an
//! error for that compile, and the link draws on memory it already has. What the object did not
//! use goes back to the slab. Runs are carved in address order, so the finalized text of
//! consecutive objects is one read + execute range and the kernel keeps it as one mapping.
//!
//! Text slabs are registered in [`fault_regions::CODE`]: a fault of code there on a linear
//! memory's guard pages is a wasm trap.

use std::cell::RefCell;
use std::sync::Mutex;

use lazuli_backend_api::fault_regions::{self, Region};
use lazuli_backend_api::CompileError;

use crate::pages::{self, memory_error, round_up, PAGE};

/// A run of pages: `[start, start + len)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    start: usize,
    len: usize,
}

impl Run {
    fn end(&self) -> usize {
        self.start + self.len
    }
}

/// One kind of memory: slabs of reserved address space, carved front to back.
struct Arena {
    /// Whether this is text (registered as code, made executable after linking).
    text: bool,
    slabs: Vec<Run>,
    /// Next free address in the last slab, and its end.
    cursor: usize,
    end: usize,
    /// The slabs registered as code (text arenas only).
    regions: Vec<Region>,
}

impl Arena {
    fn new(text: bool) -> Arena {
        Arena {
            text,
            slabs: Vec::new(),
            cursor: 0,
            end: 0,
            regions: Vec::new(),
        }
    }

    /// Commit `len` bytes (a multiple of the page size), readable and writable.
    fn take(&mut self, len: usize) -> Result<Run, CompileError> {
        if self.end - self.cursor < len {
            let previous = self.slabs.last().map_or(0, |slab| slab.len);
            let size = pages::next_slab_size(previous, len)
                .ok_or_else(|| CompileError::new("an object larger than memory"))?;
            let base = pages::reserve(size)
                .map_err(|e| memory_error("reserve a slab of JIT memory", size, e))?
                as usize;
            if self.text {
                let Some(region) = fault_regions::CODE.register(base, size) else {
                    // SAFETY: unmapping the reservation just made, which nothing uses.
                    unsafe { libc::munmap(base as *mut libc::c_void, size) };
                    return Err(CompileError::new(format!(
                        "out of memory for compiled code: {} pieces of code memory are \
                         registered in this process, the most it can hold",
                        fault_regions::CODE.capacity()
                    )));
                };
                self.regions.push(region);
            }
            self.slabs.push(Run {
                start: base,
                len: size,
            });
            self.cursor = base;
            self.end = base + size;
        }
        let run = Run {
            start: self.cursor,
            len,
        };
        // SAFETY: the run lies inside a slab this arena reserved and has handed out to no one.
        unsafe { pages::protect(run.start, len, libc::PROT_READ | libc::PROT_WRITE) }
            .map_err(|e| memory_error("commit JIT memory", len, e))?;
        self.cursor += len;
        Ok(run)
    }

    /// Take back the unused pages `run` (never written): inaccessible again, and reused when
    /// they are the last ones carved.
    fn give_back(&mut self, run: Run) {
        if run.len == 0 {
            return;
        }
        // SAFETY: the pages were committed for an object that no longer uses them.
        let _ = unsafe { pages::protect(run.start, run.len, libc::PROT_NONE) };
        if run.end() == self.cursor {
            self.cursor = run.start;
        }
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // Unregistered first: no fault at these addresses is a trap once they are unmapped.
        self.regions.clear();
        for slab in &self.slabs {
            // SAFETY: the slab was mapped by `take`; the JIT that ran code from it is gone.
            unsafe { libc::munmap(slab.start as *mut libc::c_void, slab.len) };
        }
    }
}

/// The memory of one JIT: its text and data arenas. It must outlive the code linked into it.
pub struct ObjectMemory {
    text: Mutex<Arena>,
    data: Mutex<Arena>,
}

impl Default for ObjectMemory {
    fn default() -> ObjectMemory {
        ObjectMemory {
            text: Mutex::new(Arena::new(true)),
            data: Mutex::new(Arena::new(false)),
        }
    }
}

/// The space one object's link may use, committed (readable and writable) before the link
/// starts. Unused space returns to the memory when the object is finalized.
#[derive(Debug)]
pub struct Reservation {
    /// The `ObjectMemory` it came from.
    owner: usize,
    text: Run,
    data: Run,
}

thread_local! {
    /// The reservation for the object this thread is linking (see [`ObjectMemory::linking`]).
    static PENDING: RefCell<Option<Reservation>> = const { RefCell::new(None) };
}

impl ObjectMemory {
    fn arena(&self, text: bool) -> std::sync::MutexGuard<'_, Arena> {
        let arena = if text { &self.text } else { &self.data };
        arena.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Commit `text` bytes of text and `data` bytes of data for one object: its link may then
    /// place sections of those sizes (alignment included) without asking for more. An error
    /// says which memory could not be had.
    pub fn reserve(&self, text: usize, data: usize) -> Result<Reservation, CompileError> {
        let pages = |n: usize| {
            round_up(n.max(1), PAGE)
                .ok_or_else(|| CompileError::new("an object larger than memory"))
        };
        let text = self.arena(true).take(pages(text)?)?;
        let data = match self.arena(false).take(pages(data)?) {
            Ok(run) => run,
            Err(e) => {
                self.arena(true).give_back(text);
                return Err(e);
            }
        };
        Ok(Reservation {
            owner: self as *const ObjectMemory as usize,
            text,
            data,
        })
    }

    /// Run `link` (which links one object into this memory on the calling thread) with
    /// `reservation` available to the allocator the linker creates for it
    /// ([`ObjectAllocator::new`]). A reservation the link did not take returns to the memory.
    pub fn linking<R>(&self, reservation: Reservation, link: impl FnOnce() -> R) -> R {
        PENDING.with(|p| *p.borrow_mut() = Some(reservation));
        let result = link();
        if let Some(left) = PENDING.with(|p| p.borrow_mut().take()) {
            self.release(left, 0, 0);
        }
        result
    }

    /// Return what `reservation` did not use: text past `text_used` bytes and data past
    /// `data_used` bytes (page-rounded).
    fn release(&self, reservation: Reservation, text_used: usize, data_used: usize) {
        for (text, run, used) in [
            (true, reservation.text, text_used),
            (false, reservation.data, data_used),
        ] {
            let keep = round_up(used, PAGE).unwrap_or(run.len).min(run.len);
            self.arena(text).give_back(Run {
                start: run.start + keep,
                len: run.len - keep,
            });
        }
    }
}

/// The allocator of one object being linked: its sections are placed one after the other in
/// the object's reservation.
pub struct ObjectAllocator {
    memory: *const ObjectMemory,
    /// The space reserved for this object, if the link was started with one.
    reservation: Option<Reservation>,
    /// Runs this object has, per kind (text, data), with the bytes used in each.
    runs: [Vec<(Run, usize)>; 2],
    finalized: bool,
}

impl ObjectAllocator {
    /// The allocator for the object this thread links into `memory`: it takes the reservation
    /// [`ObjectMemory::linking`] made available, if any (otherwise each section commits memory
    /// as it comes, and may fail).
    ///
    /// # Safety
    /// `memory` outlives the allocator and the code it places.
    pub unsafe fn new(memory: *const ObjectMemory) -> ObjectAllocator {
        let reservation = PENDING.with(|p| {
            let mut pending = p.borrow_mut();
            if pending.as_ref().is_some_and(|r| r.owner == memory as usize) {
                pending.take()
            } else {
                None
            }
        });
        let runs = match &reservation {
            Some(r) => [vec![(r.text, 0)], vec![(r.data, 0)]],
            None => [Vec::new(), Vec::new()],
        };
        ObjectAllocator {
            memory,
            reservation,
            runs,
            finalized: false,
        }
    }

    fn memory(&self) -> &ObjectMemory {
        // SAFETY: per `new`'s contract, the memory outlives the allocator.
        unsafe { &*self.memory }
    }

    /// Place `size` bytes aligned to `align` (a power of two, at most a page) in text (code and
    /// read-only data) or data. `None` only when the space is not there: with a reservation,
    /// when the object needs more than was reserved for it.
    pub fn allocate(&mut self, text: bool, size: usize, align: usize) -> Option<*mut u8> {
        let align = align.max(1);
        if !align.is_power_of_two() || align > PAGE || self.finalized {
            return None;
        }
        let kind = usize::from(!text);
        if let Some((run, used)) = self.runs[kind].last_mut() {
            if let Some(at) = round_up(run.start + *used, align) {
                if at.checked_add(size)? <= run.end() {
                    *used = at + size - run.start;
                    return Some(at as *mut u8);
                }
            }
        }
        // Past the reservation, or none was made: commit a run for this section alone.
        let len = round_up(size.max(1), PAGE)?;
        let run = self.memory().arena(text).take(len).ok()?;
        self.runs[kind].push((run, size));
        Some(run.start as *mut u8)
    }

    /// The object is linked: make its text read + execute (it is never written again) and
    /// return the reservation's unused pages.
    pub fn finalize(&mut self) -> Result<(), CompileError> {
        for &(run, used) in &self.runs[0] {
            let len = round_up(used, PAGE).unwrap_or(run.len).min(run.len);
            if len == 0 {
                continue;
            }
            // SAFETY: the run was committed for this object, which the linker has finished
            // writing.
            unsafe { pages::protect(run.start, len, libc::PROT_READ | libc::PROT_EXEC) }
                .map_err(|e| CompileError::new(format!("cannot make JIT code executable: {e}")))?;
        }
        self.finalized = true;
        self.return_unused();
        Ok(())
    }

    /// Give the reservation's unused pages back to the memory.
    fn return_unused(&mut self) {
        if let Some(reservation) = self.reservation.take() {
            let text_used = self.runs[0].first().map_or(0, |&(_, used)| used);
            let data_used = self.runs[1].first().map_or(0, |&(_, used)| used);
            // The reservation's runs are the first of each kind; no more goes into them.
            self.runs[0].truncate(0);
            self.runs[1].truncate(0);
            self.memory().release(reservation, text_used, data_used);
        }
    }
}

impl Drop for ObjectAllocator {
    fn drop(&mut self) {
        // A link that failed before finalizing leaves its pages committed; only the untouched
        // remainder of the reservation returns (finalizing returned it already).
        self.return_unused();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_fit_in_their_reservation_and_the_rest_returns() {
        let memory = ObjectMemory::default();
        let reservation = memory.reserve(3 * PAGE, PAGE).expect("reserve");
        let text_start = reservation.text.start;
        memory.linking(reservation, || {
            // SAFETY: `memory` outlives the allocator.
            let mut object = unsafe { ObjectAllocator::new(&memory) };
            let code = object.allocate(true, 100, 16).expect("code");
            assert_eq!(code as usize, text_start);
            let ro = object.allocate(true, 8, 8).expect("read-only data");
            assert_eq!(ro as usize, text_start + 104);
            object.allocate(false, 64, 8).expect("data");
            object.finalize().expect("finalize");
        });
        // The next object's text starts on the page after the first object's one used page.
        let next = memory.reserve(PAGE, PAGE).expect("reserve");
        assert_eq!(next.text.start, text_start + PAGE);
    }

    #[test]
    fn a_reservation_nobody_took_returns_whole() {
        let memory = ObjectMemory::default();
        let first = memory.reserve(10 * PAGE, PAGE).expect("reserve");
        let start = first.text.start;
        memory.linking(first, || ());
        let again = memory.reserve(PAGE, PAGE).expect("reserve");
        assert_eq!(again.text.start, start);
    }

    #[test]
    fn an_impossible_reservation_is_an_error() {
        let memory = ObjectMemory::default();
        let error = memory.reserve(usize::MAX / 2, 0).expect_err("too large");
        assert!(error.to_string().contains("out of memory"), "{error}");
    }
}

//! [`TierUp`]: one module's tier-up state, the same in both backends: each function's count of
//! calls (and, in code without branch counters, loop iterations), its branch counters (which
//! count loop iterations where they exist), its optimized code once there is some, and the
//! requests waiting for a worker ([`HotQueue`]). A function's hotness is its count plus its
//! loop iterations.
//!
//! First-tier code asks for tier-up when a function's count, or the count of one of its loop
//! headers, reaches the threshold, and goes on counting. The optimizing workers take requests
//! from the queue rather than in the order they came: each time, the waiting function that is
//! hottest *now* (counts grow while requests wait, so the ranking is made at each pop), and
//! requests no longer needed (the function has optimized code, or its module is gone) are
//! dropped unserved. A recompile that fails restarts the function's count from zero: once
//! called often enough again it asks again, when memory may have been freed. (Loop counts are
//! the profile's and are not reset: a loop asks once.)

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use lazuli_backend_api::{CompileError, TaskRunner};

use crate::branch_counters::BranchCounters;
use crate::lazy::{Compile, Lazy};

/// One module's tier-up state.
pub struct TierUp {
    /// Per defined function: calls (plus loop iterations, in code without branch counters).
    counters: Box<[AtomicU32]>,
    /// Per defined function: branch counters, in first-tier code that has them.
    branches: Arc<BranchCounters>,
    /// Per defined function: its optimized code, once installed. Only successes are kept.
    optimized: Box<[OnceLock<usize>]>,
    /// Per defined function: its loop iterations when its optimized code was installed (what
    /// runs after that runs in first-tier frames that were already on the stack).
    iterations_at_install: Box<[AtomicU32]>,
    queue: HotQueue,
}

/// A request a worker served (see [`TierUp::serve`]).
pub struct Served {
    /// The defined function.
    pub index: u32,
    /// When it asked for tier-up.
    pub requested: Instant,
    /// Its optimized code, and whether this serve made it the function's (not an earlier
    /// compile); or why the compile failed.
    pub result: Result<(*const u8, bool), CompileError>,
    /// How long the compile took.
    pub took: Duration,
}

impl TierUp {
    /// The state of `functions` defined functions: no counts, no optimized code.
    pub fn new(functions: usize) -> TierUp {
        TierUp {
            counters: (0..functions).map(|_| AtomicU32::new(0)).collect(),
            branches: Arc::new(BranchCounters::new(functions)),
            optimized: (0..functions).map(|_| OnceLock::new()).collect(),
            iterations_at_install: (0..functions).map(|_| AtomicU32::new(0)).collect(),
            queue: HotQueue::default(),
        }
    }

    /// Function `index`'s counter, whose address single-pass code increments.
    pub fn counter(&self, index: usize) -> &AtomicU32 {
        &self.counters[index]
    }

    /// The functions' branch counters (made by code that counts branches).
    pub fn branches(&self) -> &Arc<BranchCounters> {
        &self.branches
    }

    /// Function `index`'s hotness: its count plus its loop iterations (wrapping).
    pub fn heat(&self, index: usize) -> u32 {
        self.counters[index]
            .load(Ordering::Relaxed)
            .wrapping_add(self.branches.loop_iterations(index))
    }

    /// Every function's hotness so far.
    pub fn counts(&self) -> Vec<u32> {
        (0..self.counters.len()).map(|i| self.heat(i)).collect()
    }

    /// Function `index`'s optimized code, if it has some.
    pub fn optimized(&self, index: usize) -> Option<*const u8> {
        self.optimized[index].get().map(|&code| code as *const u8)
    }

    /// Keep `code` as function `index`'s optimized code; false if it had some already.
    pub fn set_optimized(&self, index: usize, code: *const u8) -> bool {
        let iterations = self.branches.loop_iterations(index);
        let set = self.optimized[index].set(code as usize).is_ok();
        if set {
            self.iterations_at_install[index].store(iterations, Ordering::Relaxed);
        }
        set
    }

    /// Loop iterations first-tier code has run: in all, and of those, how many ran in
    /// functions that had optimized code installed already (in frames entered before, such as
    /// a long loop that never returns: what on-stack replacement would move to optimized
    /// code). Counted only where the first tier counts branches.
    pub fn iterations(&self) -> (u64, u64) {
        let mut all = 0u64;
        let mut late = 0u64;
        for index in 0..self.optimized.len() {
            let iterations = self.branches.loop_iterations(index);
            all += u64::from(iterations);
            if self.optimized[index].get().is_some() {
                let at_install = self.iterations_at_install[index].load(Ordering::Relaxed);
                late += u64::from(iterations.wrapping_sub(at_install));
            }
        }
        (all, late)
    }

    /// Queue function `index`'s request; false if there is no such function or it is waiting
    /// already (then no worker needs to be told).
    pub fn request(&self, index: u32) -> bool {
        (index as usize) < self.optimized.len() && self.queue.push(index)
    }

    /// Serve the hottest waiting request with `compile`, which recompiles a function
    /// optimized. Its code is kept as the function's ([`TierUp::optimized`]); a failure restarts
    /// the function's count. `None` when nothing waits.
    pub fn serve(
        &self,
        compile: impl FnOnce(u32) -> Result<*const u8, CompileError>,
    ) -> Option<Served> {
        let heat = |i: u32| self.heat(i as usize);
        let stale = |i: u32| self.optimized[i as usize].get().is_some();
        let (index, requested) = self.queue.pop_hottest(heat, stale)?;
        let started = Instant::now();
        let result = match compile(index) {
            Ok(code) => Ok((code, self.set_optimized(index as usize, code))),
            Err(e) => {
                self.counters[index as usize].store(0, Ordering::Relaxed);
                Err(e)
            }
        };
        Some(Served {
            index,
            requested,
            result,
            took: started.elapsed(),
        })
    }
}

/// Ask for function `index` of `lazy`'s module to be recompiled optimized: the request waits in
/// the module's queue (`tier_up` finds it in the backend's state), and a task on `tasks` serves
/// the hottest request waiting when it runs ([`TierUp::serve`]) with `compile`, switches the
/// function's GOT entry to the new code, keeps a failure as the module's last error, and tells
/// `done` (for statistics). A request already waiting spawns nothing; the task holds the module
/// weakly, so dropping it cancels the work.
pub fn request_tier_up<C: Compile + Send + Sync + 'static>(
    lazy: &Arc<Lazy<C>>,
    tasks: &dyn TaskRunner,
    index: u32,
    tier_up: fn(&C) -> &TierUp,
    compile: fn(&Arc<Lazy<C>>, u32) -> Result<*const u8, CompileError>,
    done: fn(&C, &Served),
) {
    if !tier_up(lazy).request(index) {
        return;
    }
    let weak = Arc::downgrade(lazy);
    // One task per request: each serves whichever request is hottest when it runs.
    tasks.spawn(Box::new(move || {
        let Some(lazy) = weak.upgrade() else { return };
        let Some(served) = tier_up(&lazy).serve(|i| compile(&lazy, i)) else {
            return;
        };
        match &served.result {
            // The function's optimized code (kept by this serve, or by `compile` itself) goes
            // into its GOT entry; installing it again is harmless.
            Ok((code, _)) if tier_up(&lazy).optimized(served.index as usize) == Some(*code) => {
                lazy.install(served.index, *code)
            }
            // Another compile's code is the function's, and in its GOT entry already.
            Ok(_) => {}
            Err(e) => lazy.record_error(e.clone()),
        }
        done(&lazy, &served);
    }));
}

/// Waiting tier-up requests of one module, served hottest first.
#[derive(Default)]
pub struct HotQueue {
    /// (defined function index, when it was requested).
    waiting: Mutex<Vec<(u32, Instant)>>,
}

impl HotQueue {
    /// Queue function `index`; false if it is waiting already (one request per function).
    pub fn push(&self, index: u32) -> bool {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        if waiting.iter().any(|&(i, _)| i == index) {
            return false;
        }
        waiting.push((index, Instant::now()));
        true
    }

    /// Take the waiting function with the highest `heat` (its count now), with the time it was
    /// requested; those that `stale` says need no optimized code any more are dropped first.
    pub fn pop_hottest(
        &self,
        heat: impl Fn(u32) -> u32,
        stale: impl Fn(u32) -> bool,
    ) -> Option<(u32, Instant)> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        waiting.retain(|&(i, _)| !stale(i));
        let hottest = waiting
            .iter()
            .enumerate()
            .max_by_key(|&(_, &(i, _))| heat(i))
            .map(|(at, _)| at)?;
        Some(waiting.swap_remove(hottest))
    }

    /// How many requests wait.
    pub fn len(&self) -> usize {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no request waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hottest_now_is_served_first_and_stale_requests_are_dropped() {
        let queue = HotQueue::default();
        for i in 0..4 {
            assert!(queue.push(i));
        }
        assert!(!queue.push(2), "one request per function");
        // Function 1 asked second but has grown hottest since; function 3 got its code.
        let counts = [10_000, 90_000, 40_000, 50_000];
        let stale = |i: u32| i == 3;
        let order: Vec<u32> =
            std::iter::from_fn(|| queue.pop_hottest(|i| counts[i as usize], stale))
                .map(|(i, _)| i)
                .collect();
        assert_eq!(order, [1, 2, 0]);
        assert!(queue.is_empty());
        assert!(queue.push(0), "served, it may be asked again");
    }
}

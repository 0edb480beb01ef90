//! [`HotQueue`]: a module's tier-up requests, served hottest first.
//!
//! Single-pass code asks for tier-up when a function's count of calls and loop iterations
//! reaches the threshold, and goes on counting. The optimizing workers take requests from this
//! queue rather than in the order they came: each time, the waiting function whose count is
//! highest *now* (counts grow while requests wait, so the ranking is made at each pop), and
//! requests no longer needed (the function has optimized code, or its module is gone) are
//! dropped unserved.

use std::sync::Mutex;
use std::time::Instant;

/// Waiting tier-up requests of one module.
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

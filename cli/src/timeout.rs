//! `lazuli run --timeout`: one deadline for everything the run does. It starts before the module
//! is read, so that decoding and compiling count too.
//! - While the module loads (an eager or cached compile, a large module's validation) nothing
//!   checks the engine's epoch, so the timer ends the process itself when the time is up, with
//!   the interrupt's message and status.
//! - Once the program runs, the timer advances the epoch and the store's deadline stops it with
//!   the interrupt trap and its backtrace: compiled code, a lazy compile and WASI's waits check
//!   it (see the security section of the README).
//! - What cannot stop midway (LLVM's passes on one huge function, a host call that never
//!   returns) is given [`GRACE`] more; then the timer ends the process as while loading.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lazuli::Engine;

/// How long after the deadline a running program may take to stop by itself.
const GRACE: Duration = Duration::from_millis(100);

/// The run is reading and compiling the module.
const LOADING: u8 = 0;
/// The module is loaded and its store has the deadline.
const RUNNING: u8 = 1;
/// The program's call has returned: nothing is left for the timer to do.
const FINISHED: u8 = 2;
/// The time ran out: the timer is ending the process.
const EXPIRED: u8 = 3;

/// The timer of one run.
pub(crate) struct Timeout {
    phase: Arc<AtomicU8>,
}

/// Move `phase` from `from` to `to`; whether it was `from`.
fn advance(phase: &AtomicU8, from: u8, to: u8) -> bool {
    phase
        .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

/// End the process at once with the interrupt's message (`why`) and status 1.
fn end(why: &str) -> ! {
    use std::io::Write;
    crate::load::end_progress_line();
    eprintln!("error: wasm trap: interrupt ({why})");
    let _ = std::io::stderr().flush();
    // SAFETY: ends the process at once. `_exit` runs no destructors: the main thread may be
    // inside LLVM, whose static objects must not be destroyed under it (what `exit` would do).
    unsafe { libc::_exit(1) }
}

impl Timeout {
    /// Start a timer that ends the run `after` from now.
    pub(crate) fn start(engine: &Engine, after: Duration) -> Result<Timeout, String> {
        let phase = Arc::new(AtomicU8::new(LOADING));
        let timer_phase = phase.clone();
        let engine = engine.clone();
        std::thread::Builder::new()
            .name("lazuli-timeout".into())
            .spawn(move || {
                std::thread::sleep(after);
                if advance(&timer_phase, LOADING, EXPIRED) {
                    end("the time ran out while the module was loaded");
                }
                engine.increment_epoch();
                std::thread::sleep(GRACE);
                if advance(&timer_phase, RUNNING, EXPIRED) {
                    end("the program did not stop within 100 ms of the deadline");
                }
            })
            .map_err(|e| format!("cannot start the timeout timer: {e}"))?;
        Ok(Timeout { phase })
    }

    /// The module is loaded and the store's deadline is set (one epoch tick): from now on the
    /// timer advances the epoch first. If the time ran out meanwhile, the timer is ending the
    /// process; this waits for it.
    pub(crate) fn running(&self) {
        if !advance(&self.phase, LOADING, RUNNING) {
            wait_for_the_end();
        }
    }

    /// The program's call has returned (with its results or its trap): the timer has nothing
    /// more to stop. If it is ending the process already, this waits for it.
    pub(crate) fn finished(&self) {
        if !advance(&self.phase, RUNNING, FINISHED) {
            wait_for_the_end();
        }
    }
}

/// Wait for the timer, which is ending the process.
fn wait_for_the_end() -> ! {
    loop {
        std::thread::park();
    }
}

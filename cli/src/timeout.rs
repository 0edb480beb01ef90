//! `lazuli run --timeout`: one deadline for everything the run does. It starts before the module
//! is read, so that decoding and compiling count too. While the module loads (an eager or cached
//! compile, a large module's validation) nothing checks the engine's epoch, so the timer ends the
//! process itself when the time is up, with the same message and status as the interrupt trap;
//! once the program runs, the timer advances the epoch and the store's deadline stops it (the
//! trap, and a lazy compile or a WASI wait in progress, see the security section of the README).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lazuli::Engine;

/// The run is reading and compiling the module.
const LOADING: u8 = 0;
/// The module is loaded and its store has the deadline.
const RUNNING: u8 = 1;
/// The time ran out while loading: the timer is ending the process.
const EXPIRED: u8 = 2;

/// The timer of one run.
pub(crate) struct Timeout {
    phase: Arc<AtomicU8>,
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
                if timer_phase
                    .compare_exchange(LOADING, EXPIRED, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    use std::io::Write;
                    eprintln!("error: wasm trap: interrupt (the time ran out while the module was loaded)");
                    let _ = std::io::stderr().flush();
                    // SAFETY: ends the process at once. `_exit` runs no destructors: the main
                    // thread may be inside LLVM, whose static objects must not be destroyed
                    // under it (what `exit` would do).
                    unsafe { libc::_exit(1) };
                }
                engine.increment_epoch();
            })
            .map_err(|e| format!("cannot start the timeout timer: {e}"))?;
        Ok(Timeout { phase })
    }

    /// The module is loaded and the store's deadline is set (one epoch tick): from now on the
    /// timer advances the epoch instead of ending the process. If the time ran out meanwhile,
    /// the timer is ending the process; this waits for it.
    pub(crate) fn running(&self) {
        if self
            .phase
            .compare_exchange(LOADING, RUNNING, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            loop {
                std::thread::park();
            }
        }
    }
}

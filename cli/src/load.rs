//! Reading a module from a file — wasm binary, wasm text or a serialized `.lzc`, told apart by
//! content — with progress on long compiles and an optional on-disk cache of compiled code.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use lazuli::{Engine, Module};

/// What a file holds.
pub enum Contents {
    /// WebAssembly (binary, or text already converted to binary).
    Wasm(Vec<u8>),
    /// A module serialized by `lazuli compile` (left in the file, to be mapped).
    Serialized,
}

/// Read `file` and tell what it holds by its first bytes, not its name. A serialized module
/// is not read here: loading maps it.
pub fn read(file: &Path) -> Result<Contents, String> {
    let failed = |e: std::io::Error| format!("{}: {e}", file.display());
    let mut magic = Vec::with_capacity(8);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(file).map_err(failed)?, 8),
        &mut magic,
    )
    .map_err(failed)?;
    if Module::is_serialized(&magic) {
        return Ok(Contents::Serialized);
    }
    let bytes = std::fs::read(file).map_err(failed)?;
    if bytes.starts_with(b"\0asm") {
        Ok(Contents::Wasm(bytes))
    } else {
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            format!(
                "{}: neither wasm, text format, nor a serialized module",
                file.display()
            )
        })?;
        wat::parse_str(text)
            .map(Contents::Wasm)
            .map_err(|e| format!("{}: {e}", file.display()))
    }
}

/// Whether the progress line on the terminal has no newline yet (see [`end_progress_line`]).
static LINE_OPEN: AtomicBool = AtomicBool::new(false);

/// End the progress line if a compile left it open (it failed, or the run is being ended), so
/// that what is printed next starts on a line of its own.
pub fn end_progress_line() {
    if LINE_OPEN.swap(false, Ordering::Relaxed) {
        eprintln!();
    }
}

/// Off a terminal, compiles shorter than this print no progress.
const QUIET_SECONDS: f64 = 2.0;

/// A progress printer for eager compiles of `wasm_bytes` bytes of wasm. On a terminal: one line
/// rewritten in place, with functions done out of the total, the rate in MB of wasm per second
/// and the time left. Otherwise (a log, a pipe): once the compile has taken two seconds, a line
/// at each tenth of the functions. Eager compilation reports once per partition, from the
/// calling thread.
pub fn progress(wasm_bytes: usize) -> impl Fn(u32, u32) {
    let on_terminal = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    // The last tenth reported, off a terminal.
    let reported = std::sync::atomic::AtomicU32::new(0);
    move |done, total| {
        if total == 0 {
            return;
        }
        let elapsed = started.elapsed().as_secs_f64().max(1e-6);
        let share = f64::from(done) / f64::from(total);
        let rate = wasm_bytes as f64 * share / elapsed / 1e6;
        let mut err = std::io::stderr();
        if !on_terminal {
            // Only a compile long enough to wonder about: none of a small module's.
            let tenth = (u64::from(done) * 10 / u64::from(total)) as u32;
            if elapsed >= QUIET_SECONDS && tenth > reported.load(Ordering::Relaxed) {
                reported.store(tenth, Ordering::Relaxed);
                let _ = writeln!(
                    err,
                    "compiling: {done}/{total} functions ({}%), {rate:.2} MB/s, {elapsed:.1} s",
                    tenth * 10
                );
            }
            return;
        }
        let left = if done > 0 {
            elapsed * (1.0 - share) / share
        } else {
            f64::INFINITY
        };
        let _ = write!(
            err,
            "\rcompiling: {done}/{total} functions, {rate:.2} MB/s, {left:.0} s left   "
        );
        LINE_OPEN.store(true, Ordering::Relaxed);
        if done == total {
            end_progress_line();
        }
        let _ = err.flush();
    }
}

/// The flag that allows running serialized (precompiled) modules.
pub const ALLOW_PRECOMPILED: &str = "--allow-precompiled";

/// Load a module: compile wasm (through `cache` when given), or deserialize a `.lzc` when
/// `allow_precompiled` says the user trusts it as native code.
pub fn load(
    engine: &Engine,
    file: &Path,
    cache: Option<&Path>,
    allow_precompiled: bool,
) -> Result<Module, String> {
    match read(file)? {
        Contents::Serialized if !allow_precompiled => Err(format!(
            "{}: this is a precompiled module: it holds native machine code that would run \
             unchecked, with all the rights of this process; run it only if you made it or \
             trust whoever did, with {ALLOW_PRECOMPILED}",
            file.display()
        )),
        Contents::Serialized => {
            let path = file
                .to_str()
                .ok_or_else(|| format!("{}: the path is not UTF-8", file.display()))?;
            // SAFETY: running a serialized module means running its machine code; the user
            // asked for exactly that with the flag, as with running any native binary. Damaged
            // files are rejected. The file is mapped: changing it while it runs is the user's
            // own doing, as with a native binary.
            unsafe { Module::deserialize_file(engine, path) }
                .map_err(|e| format!("{}: {e}", file.display()))
        }
        Contents::Wasm(bytes) => match cache {
            None => {
                let size = bytes.len();
                Module::with_progress(engine, bytes, &progress(size))
            }
            .map_err(|e| format!("{}: {e}", file.display())),
            Some(dir) => crate::cache::Cache::open(dir)?
                .load(engine, bytes)
                .map_err(|e| format!("{}: {e}", file.display())),
        },
    }
}

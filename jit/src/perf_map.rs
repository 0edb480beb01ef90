//! The perf map: when enabled, every function placed in executable memory gets a line
//! `START SIZE NAME` (hexadecimal start and size) in `/tmp/perf-PID.map`, the file `perf report`
//! reads to name code it finds no symbols for, so that profiles of JIT code show wasm functions.
//!
//! The file is process-wide, as perf expects. It is opened without following a symbolic link in
//! its place (someone else's planted link in /tmp cannot make Lazuli write elsewhere) and
//! created readable by its owner only.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use lazuli_backend_api::{DefinedFuncIndex, ModuleInfo};

static ENABLED: AtomicBool = AtomicBool::new(false);
static FILE: Mutex<Option<File>> = Mutex::new(None);

/// The perf map's path for this process.
pub fn path() -> String {
    format!("/tmp/perf-{}.map", std::process::id())
}

/// Start writing the perf map (idempotent); an error if the file cannot be made safely.
pub fn enable() -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = FILE.lock().unwrap_or_else(|p| p.into_inner());
    if file.is_none() {
        let opened = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path())?;
        *file = Some(opened);
    }
    ENABLED.store(true, Ordering::Release);
    Ok(())
}

/// Whether the perf map is being written.
pub fn is_enabled() -> bool {
    ENABLED.load(Ordering::Acquire)
}

/// Record `len` bytes of code at `start` as defined function `f` of `info`, compiled by `tier`
/// (a no-op unless enabled). A failed write disables the map rather than fail the compile.
pub fn record(start: usize, len: usize, info: &ModuleInfo, f: DefinedFuncIndex, tier: &str) {
    if !is_enabled() {
        return;
    }
    let index = info.func_index(f);
    let line = match info.func_name(index) {
        Some(name) => format!("{start:x} {len:x} wasm[{}] {name} ({tier})\n", index.0),
        None => format!("{start:x} {len:x} wasm[{}] ({tier})\n", index.0),
    };
    let mut file = FILE.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(f) = file.as_mut() {
        if f.write_all(line.as_bytes()).is_err() {
            ENABLED.store(false, Ordering::Release);
        }
    }
}

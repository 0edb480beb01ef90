//! Reading a module from a file — wasm binary, wasm text or a serialized `.lzc`, told apart by
//! content — with progress on long compiles and an optional on-disk cache of compiled code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use lazuli_core::{Engine, Module};

/// What a file holds.
pub enum Contents {
    /// WebAssembly (binary, or text already converted to binary).
    Wasm(Vec<u8>),
    /// A module serialized by `lazuli compile`.
    Serialized(Vec<u8>),
}

/// Read `file` and tell what it holds by its first bytes, not its name.
pub fn read(file: &Path) -> Result<Contents, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if Module::is_serialized(&bytes) {
        Ok(Contents::Serialized(bytes))
    } else if bytes.starts_with(b"\0asm") {
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

/// A progress printer for eager compiles: `functions done / total` on a terminal, nothing
/// otherwise.
pub fn progress() -> impl Fn(u32, u32) {
    let on_terminal = std::io::stderr().is_terminal();
    move |done, total| {
        if on_terminal && (done == total || done % 64 == 0) {
            let mut err = std::io::stderr();
            let _ = write!(err, "\rcompiling: {done}/{total} functions");
            if done == total {
                let _ = writeln!(err);
            }
            let _ = err.flush();
        }
    }
}

/// Load a module: deserialize a `.lzc`, or compile wasm (through `cache` when given).
pub fn load(engine: &Engine, file: &Path, cache: Option<&Path>) -> Result<Module, String> {
    match read(file)? {
        // SAFETY: running a serialized module means running its machine code; the user asked
        // for exactly that, as with running any native binary. Damaged files are rejected.
        Contents::Serialized(bytes) => unsafe { Module::deserialize(engine, &bytes) }
            .map_err(|e| format!("{}: {e}", file.display())),
        Contents::Wasm(bytes) => match cache {
            None => Module::with_progress(engine, bytes, &progress())
                .map_err(|e| format!("{}: {e}", file.display())),
            Some(dir) => cached(engine, bytes, dir).map_err(|e| format!("{}: {e}", file.display())),
        },
    }
}

/// The cache entry for `wasm` under this engine's configuration.
fn entry(engine: &Engine, wasm: &[u8], dir: &Path) -> PathBuf {
    // FNV-1a over the wasm bytes, the configuration, the Lazuli version and what the header
    // records about the host: a cache key, not a trust anchor; every entry is checked again
    // when loaded.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let config = format!(
        "{:?} {}",
        engine.config(),
        lazuli_backend_llvm::host_description()
    );
    for b in wasm
        .iter()
        .chain(config.as_bytes())
        .chain(env!("CARGO_PKG_VERSION").as_bytes())
    {
        hash ^= *b as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    dir.join(format!("{hash:016x}-{}.lzc", wasm.len()))
}

fn cached(engine: &Engine, wasm: Vec<u8>, dir: &Path) -> Result<Module, lazuli_core::Error> {
    let path = entry(engine, &wasm, dir);
    if let Ok(bytes) = std::fs::read(&path) {
        // SAFETY: entries are written by this function; a damaged or stale one is rejected by
        // `deserialize` (checksum, versions, target, configuration) and then recompiled.
        match unsafe { Module::deserialize(engine, &bytes) } {
            // The entry must hold these very wasm bytes, not another module with the same key.
            Ok(module) if *module.info().bytes == *wasm => return Ok(module),
            Ok(_) => eprintln!(
                "cache: {} holds another module; recompiling",
                path.display()
            ),
            Err(e) => eprintln!("cache: {} rejected ({e}); recompiling", path.display()),
        }
    }
    let module = Module::with_progress(engine, wasm, &progress())?;
    let blob = module.serialize()?;
    if std::fs::create_dir_all(dir).is_ok() {
        // Write then rename, so a reader never sees half an entry.
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        if std::fs::write(&tmp, &blob).is_ok() {
            let _ = std::fs::rename(&tmp, &path);
        }
    }
    Ok(module)
}

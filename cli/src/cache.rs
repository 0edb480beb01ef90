//! The on-disk cache of compiled code (`lazuli run --cache DIR`), which trusts nothing found in
//! its directory.
//!
//! - Every entry is a serialized module, the SHA-256 of the wasm it was compiled from (a
//!   serialized module keeps no function bodies to compare), and an HMAC-SHA256 tag of both
//!   keyed by a per-user secret, kept outside the cache directory
//!   (`$XDG_CONFIG_HOME/lazuli/cache-key`, or `~/.config/lazuli/cache-key`), created with
//!   mode 0600. An entry whose tag does not verify
//!   (forged, planted by someone who can write the directory, or damaged) is recompiled, never
//!   loaded.
//! - A cache directory that other users can write, or that belongs to someone else, is refused.
//! - Entries are opened without following symbolic links and written through a temporary file
//!   with a random name created with `O_CREAT | O_EXCL`, then renamed into place: nothing
//!   outside the cache directory is ever written.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use hmac::{KeyInit, Mac};
use lazuli::{Engine, Module};
use sha2::{Digest, Sha256};

type HmacSha256 = hmac::Hmac<Sha256>;

/// Length of the secret key, of an entry's wasm digest and of its tag, in bytes.
const KEY_LEN: usize = 32;
const DIGEST_LEN: usize = 32;
const TAG_LEN: usize = 32;

/// A cache directory checked for safe use, with the key that authenticates its entries.
pub struct Cache {
    dir: PathBuf,
    key: [u8; KEY_LEN],
}

impl Cache {
    /// Open (creating it with mode 0700 if needed) the cache directory `dir`. Fails if the
    /// directory belongs to another user or others can write it, or if the key cannot be read
    /// or made safely.
    pub fn open(dir: &Path) -> Result<Cache, String> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("cache directory {}: {e}", dir.display()))?;
        check_private(dir, "cache directory", 0o022)?;
        let key_path = key_path()?;
        let key = load_or_create_key(&key_path)?;
        let inside = |p: &Path| p.canonicalize().ok();
        if let (Some(key), Some(dir_path)) = (inside(&key_path), inside(dir)) {
            if key.starts_with(&dir_path) {
                return Err(format!(
                    "the cache key {} lies inside the cache directory {}; it must live outside it",
                    key_path.display(),
                    dir.display()
                ));
            }
        }
        Ok(Cache {
            dir: dir.to_path_buf(),
            key,
        })
    }

    /// Load the module compiled from `wasm` from its entry, or compile it and write the entry.
    pub fn load(&self, engine: &Engine, wasm: Vec<u8>) -> Result<Module, lazuli::Error> {
        let path = self.entry_path(engine, &wasm);
        let digest: [u8; DIGEST_LEN] = Sha256::digest(&wasm).into();
        match self.read_entry(&path, entry_limit(wasm.len())) {
            // The entry must be compiled from these very wasm bytes, not from another module
            // whose name hashes the same.
            Ok(Some((_, other))) if other != digest => eprintln!(
                "cache: {} holds another module; recompiling",
                path.display()
            ),
            Ok(Some((blob, _))) => {
                // SAFETY: the blob carries a valid tag under the user's secret key, so it was
                // written by this user's Lazuli (`store` below); it is checked again for version,
                // target and configuration by `deserialize`.
                match unsafe { Module::deserialize(engine, &blob) } {
                    Ok(module) => return Ok(module),
                    Err(e) => eprintln!("cache: {} rejected ({e}); recompiling", path.display()),
                }
            }
            Ok(None) => {}
            Err(why) => eprintln!("cache: {} {why}; recompiling", path.display()),
        }
        let size = wasm.len();
        let module = Module::with_progress(engine, wasm, &crate::load::progress(size))?;
        let blob = module.serialize()?;
        if let Err(e) = self.store(&path, &blob, &digest) {
            eprintln!("cache: cannot write {}: {e}", path.display());
        }
        Ok(module)
    }

    /// For a tiered run: the module compiled lazily, starting with the optimized code an
    /// earlier run of it saved in its entry, if there is a good one. Returns the entry to save
    /// this run's code to ([`Cache::save_optimized`]).
    pub fn load_optimized(
        &self,
        engine: &Engine,
        wasm: Vec<u8>,
    ) -> Result<(Module, OptimizedEntry), lazuli::Error> {
        let path = self.entry_path(engine, &wasm).with_extension("opt");
        let digest: [u8; DIGEST_LEN] = Sha256::digest(&wasm).into();
        let size = wasm.len();
        // Saved objects of some functions are no larger than the whole module compiled.
        let found = self.read_entry(&path, entry_limit(size));
        let module = Module::with_progress(engine, wasm, &crate::load::progress(size))?;
        match found {
            Ok(Some((_, other))) if other != digest => {
                eprintln!(
                    "cache: {} holds another module's code; ignored",
                    path.display()
                )
            }
            Ok(Some((blob, _))) => {
                // SAFETY: the blob carries a valid tag under the user's secret key, so this
                // user's Lazuli wrote it (`save_optimized`) for this module's wasm; the module's
                // hash, build and host are checked again by `load_optimized`.
                if let Err(e) = unsafe { module.load_optimized(&blob) } {
                    eprintln!("cache: {} not used ({e})", path.display());
                }
            }
            Ok(None) => {}
            Err(why) => eprintln!("cache: {} {why}; ignored", path.display()),
        }
        Ok((module, OptimizedEntry { path, digest }))
    }

    /// After a tiered run: save the module's optimized code (what this run tiered up, with
    /// what it loaded) to `entry`, if this run compiled any.
    pub fn save_optimized(&self, entry: &OptimizedEntry, module: &Module) {
        if module.stats().optimized == 0 {
            return;
        }
        let saved = module
            .serialize_optimized()
            .map_err(|e| e.to_string())
            .and_then(|blob| {
                self.store(&entry.path, &blob, &entry.digest)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = saved {
            eprintln!(
                "cache: cannot save optimized code to {}: {e}",
                entry.path.display()
            );
        }
    }

    /// The entry for `wasm` under this engine's configuration: named by a hash of the wasm
    /// bytes, the configuration, the Lazuli version and what the header records about the host.
    /// The name only finds an entry; the tag is what makes it trusted.
    fn entry_path(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let mut hash = Sha256::new();
        hash.update(wasm);
        hash.update(format!("{:?}", engine.config()).as_bytes());
        #[cfg(feature = "llvm")]
        hash.update(lazuli_backend_llvm::host_description().as_bytes());
        hash.update(env!("CARGO_PKG_VERSION").as_bytes());
        let digest = hash.finalize();
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{name}.lzc"))
    }

    /// The authenticated blob of the entry at `path` and the digest of the wasm it was compiled
    /// from: `None` if there is none, `Err` with the reason if what is there is not a regular
    /// file or its tag does not verify.
    /// An entry longer than `limit` bytes is refused unread: a huge (say sparse) file in its
    /// place must not make Lazuli allocate its length.
    fn read_entry(
        &self,
        path: &Path,
        limit: u64,
    ) -> Result<Option<(Vec<u8>, [u8; DIGEST_LEN])>, String> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path);
        let mut file = match file {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot be opened safely ({e})")),
        };
        let meta = file.metadata().map_err(|e| e.to_string())?;
        if !meta.file_type().is_file() {
            return Err("is not a regular file".into());
        }
        if meta.len() > limit {
            return Err(format!(
                "is {} bytes, more than an entry for this module can be ({limit} bytes)",
                meta.len()
            ));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        // Read no further than the limit should the file grow meanwhile.
        (&mut file)
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        if bytes.len() as u64 > limit {
            return Err(format!("grew past {limit} bytes while it was read"));
        }
        if bytes.len() < DIGEST_LEN + TAG_LEN {
            return Err("is too short to be an entry".into());
        }
        let (tagged, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        if self.mac(tagged).verify_slice(tag).is_err() {
            return Err("is not authenticated by this user's cache key".into());
        }
        let blob_len = tagged.len() - DIGEST_LEN;
        let digest: [u8; DIGEST_LEN] = tagged[blob_len..].try_into().expect("DIGEST_LEN bytes");
        bytes.truncate(blob_len);
        Ok(Some((bytes, digest)))
    }

    /// Write `blob`, the `digest` of its wasm and their tag as the entry at `path`: into a new
    /// file with a random name in the cache directory, then renamed over the entry.
    fn store(&self, path: &Path, blob: &[u8], digest: &[u8; DIGEST_LEN]) -> std::io::Result<()> {
        let mut mac = self.mac(blob);
        mac.update(digest);
        let tag = mac.finalize().into_bytes();
        let mut tmp = tempfile::Builder::new()
            .prefix(".entry-")
            .suffix(".tmp")
            .permissions(std::fs::Permissions::from_mode(0o600))
            .tempfile_in(&self.dir)?;
        tmp.write_all(blob)?;
        tmp.write_all(digest)?;
        tmp.write_all(&tag)?;
        tmp.as_file().sync_data()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }

    fn mac(&self, blob: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(blob);
        mac
    }
}

/// Where a tiered run's optimized code is saved, and for which wasm.
pub struct OptimizedEntry {
    path: PathBuf,
    digest: [u8; DIGEST_LEN],
}

/// Where the per-user cache key lives.
fn key_path() -> Result<PathBuf, String> {
    let config = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home).join(".config"),
            None => {
                return Err(
                    "neither XDG_CONFIG_HOME nor HOME is set: no place for the cache key".into(),
                )
            }
        },
    };
    Ok(config.join("lazuli").join("cache-key"))
}

/// Read the key at `path`, or create it: 32 random bytes in a new file of mode 0600. A key
/// that others can read or write, or that belongs to someone else, is refused.
fn load_or_create_key(path: &Path) -> Result<[u8; KEY_LEN], String> {
    let shown = || path.display().to_string();
    if let Some(parent) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| format!("cache key directory {}: {e}", parent.display()))?;
    }
    let mut key = [0u8; KEY_LEN];
    let created = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path);
    match created {
        Ok(mut file) => {
            getrandom::fill(&mut key)
                .map_err(|e| format!("no randomness for the cache key: {e}"))?;
            file.write_all(&key)
                .and_then(|()| file.sync_all())
                .map_err(|e| format!("cache key {}: {e}", shown()))?;
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mut file = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(path)
                .map_err(|e| format!("cache key {}: {e}", shown()))?;
            check_file_private(&file, path)?;
            file.read_exact(&mut key)
                .map_err(|e| format!("cache key {}: {e}", shown()))?;
            Ok(key)
        }
        Err(e) => Err(format!("cache key {}: {e}", shown())),
    }
}

/// Refuse `path` (a directory) if it is not ours or if its mode has any bit of `forbidden`.
fn check_private(path: &Path, what: &str, forbidden: u32) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let meta = if meta.file_type().is_symlink() {
        std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?
    } else {
        meta
    };
    check_owner_and_mode(&meta, path, what, forbidden)
}

fn check_file_private(file: &File, path: &Path) -> Result<(), String> {
    let meta = file
        .metadata()
        .map_err(|e| format!("cache key {}: {e}", path.display()))?;
    check_owner_and_mode(&meta, path, "cache key", 0o077)
}

fn check_owner_and_mode(
    meta: &std::fs::Metadata,
    path: &Path,
    what: &str,
    forbidden: u32,
) -> Result<(), String> {
    // SAFETY: `geteuid` has no preconditions.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(format!(
            "{what} {} belongs to user {}, not to this user ({me}); refusing to trust it",
            path.display(),
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & forbidden != 0 {
        return Err(format!(
            "{what} {} has mode {mode:03o}: other users could {} it; refusing to use it \
             (chmod {:03o} would fix it)",
            path.display(),
            if forbidden == 0o022 {
                "write to"
            } else {
                "read or change"
            },
            mode & !forbidden
        ));
    }
    Ok(())
}

/// The most bytes an entry for a module of `wasm_len` bytes is read up to: 64 MiB plus 16
/// bytes per byte of wasm. Compiled modules measured here take 1.2x (SQLite) to 2.2x (300,000
/// small functions) their wasm.
fn entry_limit(wasm_len: usize) -> u64 {
    (64u64 << 20).saturating_add((wasm_len as u64).saturating_mul(16))
}

//! WASI preview1 (`wasi_snapshot_preview1`) for Lazuli: every function of the snapshot as host
//! functions on the public API of `lazuli-core`.
//!
//! Files are reached only through directories the embedder preopens: paths are resolved by
//! cap-std under a directory handle, so `..`, absolute paths and symbolic links cannot leave it.
//! A call that cannot be supported returns an errno (`ENOSYS`, `ENOTSUP`, ...); every pointer
//! and length from the guest is checked against its linear memory (`EFAULT` otherwise).
//!
//! ```no_run
//! # fn main() -> Result<(), lazuli_core::Error> {
//! # let (mut store, module): (lazuli_core::Store, lazuli_core::Module) = todo!();
//! use lazuli_core::{Imports, Instance};
//! let mut wasi = lazuli_wasi::WasiCtx::new();
//! wasi.arg("app.wasm").env("HOME", "/");
//! wasi.preopen_dir(std::path::Path::new("."), ".")?;
//! let mut imports = Imports::new();
//! wasi.add_to_imports(&mut store, &mut imports)?;
//! let instance = Instance::new(&mut store, &module, &imports)?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod errno;
mod guest;
mod host;
mod table;
mod types;

use std::path::Path;
use std::sync::{Arc, Mutex};

use lazuli_core::{Error, Extern, FuncType, Imports, Linker, Store, Val, ValType};

pub use errno::Errno;
use guest::GuestMemory;
use table::{Descriptor, Handle, Table};

/// The import module name of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// The state of one WASI program: its arguments, environment and descriptors.
pub struct WasiCtx {
    args: Vec<String>,
    env: Vec<String>,
    table: Table,
}

impl Default for WasiCtx {
    fn default() -> Self {
        WasiCtx::new()
    }
}

impl WasiCtx {
    /// A context with no arguments, no environment, no directories, and the process's
    /// stdin, stdout and stderr as descriptors 0, 1 and 2.
    pub fn new() -> WasiCtx {
        WasiCtx {
            args: Vec::new(),
            env: Vec::new(),
            table: Table::with_stdio(),
        }
    }

    /// Append a program argument (the first is the program's name).
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut Self {
        self.args.push(arg.into());
        self
    }

    /// Set an environment variable.
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.push(format!("{key}={value}"));
        self
    }

    /// Give the guest the host directory `host` under the name `guest`. The guest reaches
    /// nothing outside it.
    pub fn preopen_dir(&mut self, host: &Path, guest: &str) -> Result<&mut Self, Error> {
        let dir = cap_std::fs::Dir::open_ambient_dir(host, cap_std::ambient_authority())
            .map_err(|e| Error::Usage(format!("cannot open directory {}: {e}", host.display())))?;
        let preopen = Descriptor {
            handle: Handle::Dir(dir),
            rights: types::rights::ALL,
            inheriting: types::rights::ALL,
            preopen: Some(guest.to_string()),
        };
        self.table
            .push(preopen)
            .map_err(|_| Error::Usage("too many descriptors".into()))?;
        Ok(self)
    }

    /// Define every `wasi_snapshot_preview1` function in `linker`; they use the calling
    /// instance's exported `"memory"`. Every store
    /// instantiated through the linker shares this context (its arguments, environment,
    /// preopened directories and open files); give each program a linker of its own when
    /// programs must not share them.
    pub fn add_to_linker(self, linker: &mut Linker) -> Result<(), Error> {
        let ctx = Arc::new(Mutex::new(self));
        for (name, signature, body) in host::FUNCS {
            let params: Vec<ValType> = signature
                .chars()
                .map(|c| if c == 'I' { ValType::I64 } else { ValType::I32 })
                .collect();
            let ty = FuncType::new(params, [ValType::I32]);
            let ctx = ctx.clone();
            linker.func_new(MODULE, name, ty, move |caller, args, results| {
                let memory = caller.get_export("memory").and_then(Extern::into_memory);
                let mut empty = [];
                let bytes = match memory {
                    Some(m) => m.bytes_mut(caller.store())?,
                    None => &mut empty[..],
                };
                // A panic inside a WASI function aborts, so no lock is ever poisoned; take
                // the state either way.
                let mut ctx = ctx.lock().unwrap_or_else(|p| p.into_inner());
                let errno = match body(&mut ctx, &mut GuestMemory::new(bytes), &Args(args)) {
                    Ok(()) => Errno::SUCCESS,
                    Err(e) => e,
                };
                results[0] = Val::I32(errno.0 as i32);
                Ok(())
            })?;
        }
        linker.func_new(
            MODULE,
            "proc_exit",
            FuncType::new([ValType::I32], []),
            |_, args, _| Err(Error::Exit(Args(args).u32(0) as i32)),
        )?;
        Ok(())
    }

    /// Make WASI's functions in `store` and provide them in `imports` (module
    /// `wasi_snapshot_preview1`).
    pub fn add_to_imports(self, store: &mut Store, imports: &mut Imports) -> Result<(), Error> {
        let mut linker = Linker::new();
        self.add_to_linker(&mut linker)?;
        for name in host::FUNCS.iter().map(|f| f.0).chain(["proc_exit"]) {
            if let Some(item) = linker.get(store, MODULE, name) {
                imports.insert(MODULE, name, item);
            }
        }
        Ok(())
    }
}

/// The arguments of one WASI call.
pub(crate) struct Args<'a>(&'a [Val]);

impl Args<'_> {
    /// Argument `i`, an `i32`, as the unsigned number WASI means.
    pub(crate) fn u32(&self, i: usize) -> u32 {
        match self.0.get(i) {
            Some(Val::I32(v)) => *v as u32,
            _ => 0,
        }
    }

    /// Argument `i`, an `i64`, as unsigned.
    pub(crate) fn u64(&self, i: usize) -> u64 {
        match self.0.get(i) {
            Some(Val::I64(v)) => *v as u64,
            _ => 0,
        }
    }
}

/// A WASI function: the state, the guest memory, the arguments; `Err` is the errno returned.
pub(crate) type HostFn = fn(&mut WasiCtx, &mut GuestMemory<'_>, &Args<'_>) -> Result<(), Errno>;

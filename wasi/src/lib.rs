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
mod pipe;
mod table;
mod types;

use std::path::Path;
use std::sync::{Arc, Mutex};

use lazuli_core::{Error, Extern, FuncType, Imports, Linker, Store, Val, ValType};

pub use errno::Errno;
use guest::GuestMemory;
pub use pipe::OutputPipe;
use table::{Descriptor, Handle, Table};

/// The import module name of WASI preview1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// The state of one WASI program: its arguments, environment and descriptors.
pub struct WasiCtx {
    args: Vec<String>,
    env: Vec<String>,
    table: Table,
    /// The calling store's deadline, during a call (waits check it).
    deadline: Option<lazuli_core::Deadline>,
    /// Set by a wait that stopped because the deadline passed: the call ends with the
    /// `Interrupted` trap.
    interrupted: bool,
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
            deadline: None,
            interrupted: false,
        }
    }

    /// Append this process's arguments (its own name first) to the program's.
    pub fn inherit_args(&mut self) -> &mut Self {
        self.args.extend(std::env::args());
        self
    }

    /// Give the program this process's environment (the variables whose names and values are
    /// UTF-8), after what was set before.
    pub fn inherit_env(&mut self) -> &mut Self {
        for (key, value) in std::env::vars_os() {
            if let (Some(key), Some(value)) = (key.to_str(), value.to_str()) {
                self.env.push(format!("{key}={value}"));
            }
        }
        self
    }

    /// The program reads `bytes` as its standard input, not this process's.
    pub fn stdin(&mut self, bytes: &[u8]) -> Result<&mut Self, Error> {
        self.table.set_stdio(0, pipe::input(bytes)?);
        Ok(self)
    }

    /// The program's standard output goes to `pipe`, not this process's.
    pub fn stdout(&mut self, pipe: &OutputPipe) -> Result<&mut Self, Error> {
        self.table.set_stdio(1, pipe.writer()?);
        Ok(self)
    }

    /// The program's standard error goes to `pipe`, not this process's.
    pub fn stderr(&mut self, pipe: &OutputPipe) -> Result<&mut Self, Error> {
        self.table.set_stdio(2, pipe.writer()?);
        Ok(self)
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
                let deadline = caller.store().deadline();
                let memory = caller.get_export("memory").and_then(Extern::into_memory);
                let mut empty = [];
                let bytes = match memory {
                    Some(m) => m.bytes_mut(caller.store())?,
                    None => &mut empty[..],
                };
                // A panic inside a WASI function goes on in the host code that called into
                // wasm and may leave the lock poisoned; the state is taken either way.
                let mut ctx = ctx.lock().unwrap_or_else(|p| p.into_inner());
                ctx.deadline = Some(deadline).filter(lazuli_core::Deadline::is_set);
                ctx.interrupted = false;
                let outcome = body(&mut ctx, &mut GuestMemory::new(bytes), &Args(args));
                ctx.deadline = None;
                if ctx.interrupted {
                    return Err(Error::Trap(lazuli_core::backend::TrapCode::Interrupted));
                }
                let errno = match outcome {
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

impl WasiCtx {
    /// Wait until one of `fds` is ready or `timeout` has passed (`None`: no timeout), as
    /// `poll(2)` does, but no later than the calling store's deadline: then `Err(INTR)`, and
    /// the call ends with the `Interrupted` trap. With a deadline, the wait is cut into slices
    /// of [`DEADLINE_SLICE`] between which it is checked. Returns how many descriptors are
    /// ready (0: the timeout passed).
    pub(crate) fn wait(
        &mut self,
        fds: &mut [libc::pollfd],
        timeout: Option<std::time::Duration>,
    ) -> Result<usize, Errno> {
        let started = std::time::Instant::now();
        loop {
            if self.deadline.as_ref().is_some_and(|d| d.passed()) {
                self.interrupted = true;
                return Err(Errno::INTR);
            }
            let left = timeout.map(|t| t.saturating_sub(started.elapsed()));
            let slice = match (left, self.deadline.is_some()) {
                (Some(left), true) => Some(left.min(DEADLINE_SLICE)),
                (None, true) => Some(DEADLINE_SLICE),
                (left, false) => left,
            };
            let ms = slice.map_or(-1, |s| {
                s.as_nanos()
                    .div_ceil(1_000_000)
                    .min(libc::c_int::MAX as u128) as libc::c_int
            });
            // SAFETY: `fds` is a valid array of `fds.len()` pollfd records (possibly none).
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
            if rc < 0 {
                let error = std::io::Error::last_os_error();
                if error.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(error.into());
            }
            if rc > 0 {
                return Ok(rc as usize);
            }
            if left.is_some_and(|l| l <= slice.unwrap_or_default()) {
                return Ok(0);
            }
        }
    }
}

/// How long a wait goes between two checks of the calling store's deadline.
pub(crate) const DEADLINE_SLICE: std::time::Duration = std::time::Duration::from_millis(10);

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

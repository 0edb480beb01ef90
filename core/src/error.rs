//! [`Error`]: everything that can go wrong in the runtime, with context.

use alloc::string::String;
use core::fmt;

use crate::backend::{CompileError, TrapCode};

/// An error from decoding, validating, compiling, linking or running a module.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a well-formed WebAssembly module, or the module is not valid.
    InvalidModule {
        /// Byte offset in the module where the problem was found.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// The text format could not be parsed.
    Text(String),
    /// The code generator failed or rejected serialized code.
    Compile(CompileError),
    /// The engine has no code generator, so modules cannot be instantiated or run.
    NoBackend,
    /// An import is missing or has the wrong type.
    Link(String),
    /// WebAssembly code trapped.
    Trap(TrapCode),
    /// WebAssembly code threw an exception that no handler caught; its tag and payload are
    /// [`crate::Exn::tag`] and [`crate::Exn::values`].
    Exception(crate::tag::Exn),
    /// A host function failed; its message.
    Host(String),
    /// The program ended itself with this exit status (WASI `proc_exit`): not a failure of
    /// the runtime. A host function returns it to unwind the wasm code that called it.
    Exit(i32),
    /// Bytes given to `Module::deserialize` are not a module this engine can load; nothing was
    /// loaded.
    Deserialize(String),
    /// A resource limit of the engine's configuration ([`crate::Config::max_memory_bytes`],
    /// [`crate::Config::max_table_elements`], [`crate::Config::max_exception_bytes`]) would be
    /// exceeded; the message names it.
    Limit(String),
    /// The API was used wrongly: a handle from another store, arguments of the wrong type,
    /// an export that does not exist.
    Usage(String),
}

impl From<wasmparser::BinaryReaderError> for Error {
    fn from(e: wasmparser::BinaryReaderError) -> Error {
        Error::InvalidModule {
            offset: e.offset() as usize,
            message: e.message().into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidModule { offset, message } => {
                write!(f, "invalid module at byte offset {offset:#x}: {message}")
            }
            Error::Text(message) => write!(f, "cannot parse text format: {message}"),
            Error::Compile(e) => write!(f, "compilation failed: {e}"),
            Error::NoBackend => {
                f.write_str("this engine has no code backend; it can only decode and validate")
            }
            Error::Link(m) => write!(f, "cannot link: {m}"),
            Error::Trap(code) => write!(f, "wasm trap: {code}"),
            Error::Exception(_) => write!(f, "uncaught wasm exception"),
            Error::Host(m) => write!(f, "host function failed: {m}"),
            Error::Exit(status) => write!(f, "the program exited with status {status}"),
            Error::Usage(m) => f.write_str(m),
            Error::Limit(m) => write!(f, "resource limit reached: {m}"),
            Error::Deserialize(m) => write!(f, "cannot load serialized module: {m}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

impl Error {
    /// The trap code, if this error is a trap.
    pub fn trap_code(&self) -> Option<TrapCode> {
        match self {
            Error::Trap(code) => Some(*code),
            _ => None,
        }
    }
}

impl From<CompileError> for Error {
    fn from(e: CompileError) -> Error {
        Error::Compile(e)
    }
}

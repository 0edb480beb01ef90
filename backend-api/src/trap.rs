//! Trap codes: why compiled code stopped. Compiled code passes one to the `raise_trap`
//! libcall; the runtime reports it to the host call that started execution.

use core::fmt;

/// The reason a WebAssembly computation trapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum TrapCode {
    /// `unreachable` was executed.
    Unreachable = 0,
    /// A load or store outside linear memory, or a bulk memory operation out of bounds.
    MemoryOutOfBounds = 1,
    /// A table access outside the table, or a bulk table operation out of bounds.
    TableOutOfBounds = 2,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero = 3,
    /// Signed integer division overflow (`INT_MIN / -1`).
    IntegerOverflow = 4,
    /// Float-to-int truncation of NaN or a value out of the target range.
    BadConversionToInteger = 5,
    /// `call_indirect` on a null table entry.
    IndirectCallToNull = 6,
    /// `call_indirect` whose callee has a different signature.
    BadSignature = 7,
    /// The call stack was exhausted.
    StackOverflow = 8,
    /// A host function called from wasm returned an error.
    HostError = 9,
    /// Compiling a function on its first call failed.
    CompileError = 10,
    /// A null reference was dereferenced.
    NullReference = 11,
    /// The store's epoch deadline passed: the host interrupted the computation.
    Interrupted = 12,
    /// `call_ref` or `return_call_ref` of a null reference.
    NullFunctionReference = 13,
    /// An exception no handler caught reached the host call.
    UncaughtException = 14,
}

impl TrapCode {
    /// Every trap code, in numeric order.
    pub const ALL: [TrapCode; 15] = [
        TrapCode::Unreachable,
        TrapCode::MemoryOutOfBounds,
        TrapCode::TableOutOfBounds,
        TrapCode::IntegerDivisionByZero,
        TrapCode::IntegerOverflow,
        TrapCode::BadConversionToInteger,
        TrapCode::IndirectCallToNull,
        TrapCode::BadSignature,
        TrapCode::StackOverflow,
        TrapCode::HostError,
        TrapCode::CompileError,
        TrapCode::NullReference,
        TrapCode::Interrupted,
        TrapCode::NullFunctionReference,
        TrapCode::UncaughtException,
    ];

    /// The trap code with this number, if any.
    pub fn from_u32(n: u32) -> Option<TrapCode> {
        TrapCode::ALL.get(n as usize).copied()
    }

    /// The message the spec test suite uses for this trap.
    pub fn message(self) -> &'static str {
        match self {
            TrapCode::Unreachable => "unreachable",
            TrapCode::MemoryOutOfBounds => "out of bounds memory access",
            TrapCode::TableOutOfBounds => "out of bounds table access",
            TrapCode::IntegerDivisionByZero => "integer divide by zero",
            TrapCode::IntegerOverflow => "integer overflow",
            TrapCode::BadConversionToInteger => "invalid conversion to integer",
            TrapCode::IndirectCallToNull => "uninitialized element",
            TrapCode::BadSignature => "indirect call type mismatch",
            TrapCode::StackOverflow => "call stack exhausted",
            TrapCode::HostError => "host function error",
            TrapCode::CompileError => "lazy compilation failed",
            TrapCode::NullReference => "null reference",
            TrapCode::Interrupted => "interrupt",
            TrapCode::NullFunctionReference => "null function reference",
            TrapCode::UncaughtException => "uncaught exception",
        }
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

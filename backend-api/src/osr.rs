//! On-stack replacement (OSR): how first-tier code that is still running a long loop moves
//! into the optimizing tier's code of the same function without returning.
//!
//! A function that tiers up while one of its calls is inside a long loop would otherwise stay
//! in first-tier code until that call returns (a `main` that loops for the whole run never
//! does). At the header of such a loop, first-tier code asks for an *OSR entry*: the function
//! compiled again by the optimizing tier, entered at that loop's header with the values the
//! locals have there. First-tier code calls it and returns what it returns.
//!
//! The contract both sides keep:
//! - Loops are numbered in the order their `loop` operators appear in the body, from 0
//!   (dead code included), so both tiers name a loop the same way.
//! - A loop can be entered only if, at its header, the operand stack is empty, the loop takes
//!   no parameters, and no enclosing frame is a `try_table` or legacy `try` (their handlers and
//!   caught exceptions live in the first tier's frame). See [`loop_is_enterable`].
//! - The OSR entry of a function `(p..) -> (r..)` is a compiled wasm function of type
//!   [`entry_type`]`= (i64) -> (r..)` in the ABI of [`crate::abi`]: its `vmctx` is the
//!   function's, its one parameter is the address of local 0's value, and it returns the
//!   function's results (several through the caller's results pointer, as any call).
//! - Local `i` (parameters first, then declared locals) is at that address plus
//!   [`local_offset`]`(i)`, each in 16 bytes, its value in the low bytes in the order the
//!   target stores it (little-endian): `i32`/`f32` in 4, `i64`/`f64`/references in 8, `v128`
//!   in 16. The entry reads them once, before it jumps to the loop header.

use crate::types::{FuncType, ValType};

/// Bytes between two locals' values in the buffer an OSR entry reads (they go downward).
pub const LOCAL_STRIDE: i64 = -16;

/// Offset of local `i`'s value from the address an OSR entry receives.
pub fn local_offset(i: u32) -> i64 {
    LOCAL_STRIDE * i as i64
}

/// The signature of the OSR entry of a function of type `ty`.
pub fn entry_type(ty: &FuncType) -> FuncType {
    FuncType::new([ValType::I64], ty.results())
}

/// Whether a loop can be entered from first-tier code: `operands` values on the operand stack
/// below the loop, `params` loop parameters, and whether an enclosing frame is a `try_table` or
/// legacy `try`.
pub fn loop_is_enterable(operands: usize, params: usize, inside_try: bool) -> bool {
    operands == 0 && params == 0 && !inside_try
}
